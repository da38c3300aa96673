"""Pages of the diagnostic report (« Rapport et versions »): the live report, its PDF, the saved versions,
their sharing and their comparison.

Thin: parse, call ``report`` (reads and rendering) or ``services_report`` (writes), render.

Who sees what: the coordination and the funders read the live report and every version; the
coordination saves and shares versions. An elected member reads only the versions the coordination
has shared: the live report and an unshared version answer 403 (the diagnostic is shared with the
mayors by the coordinator, when it is ready). A version of another territory is a 404.
A PDF that cannot be produced (WeasyPrint missing) is a French message on the page, never a 500.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cite_emploi.accounts.permissions import require_role
from cite_emploi.core.pdf import PdfUnavailable

from . import content, report
from . import services_report as services
from .forms_report import CompareForm, ReportDateForm, VersionForm

READERS = ("coordinator", "funder", "elected")
LIVE_READERS = ("coordinator", "funder")
MANAGERS = ("coordinator",)
NOT_SHARED = "Cette version du diagnostic n'a pas été partagée par la coordination."


def _can_manage(scope) -> bool:
    return scope.is_platform_admin or scope.has_role(*MANAGERS)


def _shared_only(scope) -> bool:
    """Elected members (and nobody else) read the shared versions only."""
    return not (scope.is_platform_admin or scope.has_role(*LIVE_READERS))


def _version(request, number: int):
    scope = request.scope
    try:
        return report.get_version(scope.territory, number, shared_only=_shared_only(scope))
    except report.VersionNotShared:
        raise PermissionDenied(NOT_SHARED) from None


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _version_form(request, territory, as_of):
    if request.method == "POST":
        return VersionForm(request.POST)
    last = report.latest_version(territory)
    return VersionForm(
        initial={
            "as_of": as_of or timezone.localdate(),
            "analysis": last.analysis if last else "",
            "action_contours": last.action_contours if last else "",
        }
    )


@require_role(*LIVE_READERS)
def report_page(request):
    """The live report at a date; the coordination saves it as a version (POST)."""
    scope = request.scope
    territory = scope.territory
    can_manage = _can_manage(scope)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied("Seule la coordination enregistre une version du diagnostic.")
    date_form = ReportDateForm(request.GET or None, initial={"date": timezone.localdate()})
    as_of = date_form.as_of() if date_form.is_valid() or not date_form.is_bound else None
    version_form = _version_form(request, territory, as_of) if can_manage else None
    if version_form is not None and version_form.is_bound and version_form.is_valid():
        data = version_form.cleaned_data
        try:
            version = services.save_version(
                territory,
                as_of=data["as_of"],
                title=data["title"],
                analysis=data["analysis"],
                action_contours=data["action_contours"],
                is_shared=data["is_shared"],
                by=request.user,
            )
        except services.ReportError as error:
            version_form.add_error(None, error.message)
        else:
            messages.success(request, f"Version {version.number} du diagnostic enregistrée.")
            return redirect("diagnostic:report_version", version.number)
    versions = list(report.versions(territory))
    context = report.report_context(content.snapshot(territory, as_of)) if as_of else {}
    return render(
        request,
        "diagnostic/report/page.html",
        {
            **context,
            "title": "Rapport du diagnostic",
            "date_form": date_form,
            "version_form": version_form,
            "versions": versions,
            "compare_form": CompareForm(versions=versions) if len(versions) > 1 else None,
            "can_manage": can_manage,
            "pdf_query": f"?date={as_of:%Y-%m-%d}" if as_of else "",
        },
    )


@require_role(*LIVE_READERS)
def report_pdf(request):
    date_form = ReportDateForm(request.GET or None)
    if date_form.is_bound and not date_form.is_valid():
        messages.error(request, " ".join(date_form.errors.get("date", [])) or "Date invalide.")
        return redirect("diagnostic:report")
    as_of = date_form.as_of()
    territory = request.scope.territory
    try:
        pdf = report.render_pdf_bytes(content.snapshot(territory, as_of))
    except PdfUnavailable as error:
        messages.error(request, str(error))
        return redirect(f"{reverse('diagnostic:report')}?date={as_of:%Y-%m-%d}")
    return _pdf_response(pdf, f"diagnostic-{territory.slug}-{as_of:%Y-%m-%d}.pdf")


@require_role(*READERS)
def report_versions(request):
    scope = request.scope
    versions = list(report.versions(scope.territory, shared_only=_shared_only(scope)))
    return render(
        request,
        "diagnostic/report/versions.html",
        {
            "title": "Versions du diagnostic",
            "versions": versions,
            "compare_form": CompareForm(versions=versions) if len(versions) > 1 else None,
            "can_read_live": not _shared_only(scope),
            "shared_only": _shared_only(scope),
        },
    )


@require_role(*READERS)
def report_version(request, number: int):
    version = _version(request, number)
    return render(
        request,
        "diagnostic/report/version.html",
        {
            **report.report_context(version.snapshot, version=version),
            "title": f"Diagnostic — version {version.number}",
            "can_manage": _can_manage(request.scope),
        },
    )


@require_role(*READERS)
def report_version_pdf(request, number: int):
    version = _version(request, number)
    try:
        pdf = report.render_pdf_bytes(version.snapshot, version=version)
    except PdfUnavailable as error:
        messages.error(request, str(error))
        return redirect("diagnostic:report_version", version.number)
    return _pdf_response(pdf, f"diagnostic-{version.territory.slug}-version-{version.number}.pdf")


@require_role(*MANAGERS)
@require_POST
def report_version_share(request, number: int):
    version = _version(request, number)
    shared = request.POST.get("shared") == "1"
    services.share_version(version, shared=shared, by=request.user)
    if shared:
        messages.success(request, f"Version {version.number} partagée avec les maires et les partenaires.")
    else:
        messages.success(
            request, f"Version {version.number} retirée du partage : elle redevient un document de travail."
        )
    return redirect("diagnostic:report_version", version.number)


@require_role(*READERS)
def report_compare(request):
    scope = request.scope
    # A version named in the address answers like its own page: 404 elsewhere, 403 when not shared.
    for key in ("a", "b"):
        if request.GET.get(key, "").isdigit():
            _version(request, int(request.GET[key]))
    versions = list(report.versions(scope.territory, shared_only=_shared_only(scope)))
    form = CompareForm(request.GET or None, versions=versions)
    sections, pair = [], None
    if form.is_valid():
        by_number = {v.number: v for v in versions}
        pair = (by_number[form.cleaned_data["a"]], by_number[form.cleaned_data["b"]])
        sections = report.compare(pair[0].snapshot, pair[1].snapshot)
    return render(
        request,
        "diagnostic/report/compare.html",
        {
            "title": "Comparer deux versions du diagnostic",
            "form": form,
            "versions": versions,
            "pair": pair,
            "sections": sections,
            "shared_only": _shared_only(scope),
        },
    )
