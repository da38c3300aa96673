"""Pages of the beneficiary import: upload → columns → dry run report → confirm → progress → report.

Thin views: the job's writes are in ``import_jobs``, its reads in ``queries_import``. A job is seen
only by the professional who made it (404 for anyone else).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from cite_emploi.accounts.permissions import require_role

from . import access, import_jobs, queries, queries_import
from .beneficiary_mapping import TARGETS, MappingError, guess_mapping
from .forms_import import ConfirmImportForm, MappingForm, UploadForm
from .models import BeneficiaryImport

PROFESSIONALS = access.PROFESSIONAL_ROLES
KIND_BADGES = {"erreur": "error", "doublon": "info", "avertissement": "warning"}


def _organisations(request) -> list:
    organisations = queries.acting_organisations(request.scope)
    if not organisations:
        raise PermissionDenied("Seuls les professionnels d'une organisation du territoire peuvent importer.")
    return organisations


@require_role(*PROFESSIONALS)
def import_start(request):
    organisations = _organisations(request)
    form = UploadForm(request.POST or None, request.FILES or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        organisation = form.cleaned_data.get("organisation") or organisations[0]
        try:
            job = import_jobs.create_job(
                form.cleaned_data["fichier"], organisation=organisation, by=request.user
            )
        except import_jobs.ImportJobError as exc:
            form.add_error("fichier", exc.message)
        else:
            return redirect("followup:import_mapping", job.pk)
    return render(
        request,
        "followup/import/start.html",
        {
            "title": "Importer des bénéficiaires",
            "form": form,
            "imports": queries_import.my_imports(request.scope),
            "single_organisation": organisations[0] if len(organisations) == 1 else None,
        },
    )


@require_role(*PROFESSIONALS)
def import_mapping(request, job_pk):
    job = queries_import.get_import(request.scope, job_pk)
    if job.is_running or not job.stored_name:
        return redirect("followup:import_job", job.pk)
    initial = job.mapping or guess_mapping(job.headers)
    form = MappingForm(request.POST or None, headers=job.headers, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            import_jobs.save_mapping(job, form.mapping(), geocode=form.cleaned_data.get("geocode", False))
        except (import_jobs.ImportJobError, MappingError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("followup:import_job", job.pk)
    return render(
        request,
        "followup/import/mapping.html",
        {"title": "Choisir les colonnes", "job": job, "form": form, "guessed": bool(initial)},
    )


def _report_context(job: BeneficiaryImport) -> dict:
    report = job.report or {}
    lines = [
        {
            "line": line,
            "column": column,
            "message": message,
            "kind": kind,
            "badge": KIND_BADGES.get(kind, "info"),
        }
        for line, column, message, kind in report.get("lines", [])
    ]
    return {"report": report, "counts": report.get("counts", {}), "report_lines": lines}


@require_role(*PROFESSIONALS)
def import_job(request, job_pk):
    job = queries_import.get_import(request.scope, job_pk)
    if request.htmx:
        if not job.is_running:
            # The run ended: the whole page is rendered again, with the report.
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "followup/import/_progress.html", _progress_context(job))
    context = {"title": f"Import de bénéficiaires n° {job.pk}", "job": job, **_report_context(job)}
    if job.is_running:
        context.update(_progress_context(job))
    if job.status == BeneficiaryImport.Status.CHECKED:
        context["confirm_form"] = ConfirmImportForm(rejected=context["counts"].get("rejected", 0))
        context["mapping"] = [(t.label, job.mapping.get(t.name)) for t in TARGETS if job.mapping.get(t.name)]
    return render(request, "followup/import/job.html", context)


def _progress_context(job: BeneficiaryImport) -> dict:
    done, total = import_jobs.progress_of(job)
    percent = min(99, int(done * 100 / total)) if total else None
    return {"job": job, "done": done, "total": total, "percent": percent}


@require_role(*PROFESSIONALS)
def import_confirm(request, job_pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    job = queries_import.get_import(request.scope, job_pk)
    form = ConfirmImportForm(request.POST, rejected=(job.report or {}).get("counts", {}).get("rejected", 0))
    partial = form.is_valid() and form.cleaned_data.get("partiel", False)
    try:
        import_jobs.confirm(job, partial=partial)
    except import_jobs.ImportJobError as exc:
        messages.error(request, exc.message)
    return redirect("followup:import_job", job.pk)


@require_role(*PROFESSIONALS)
def import_cancel(request, job_pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    job = queries_import.get_import(request.scope, job_pk)
    try:
        import_jobs.cancel(job)
    except import_jobs.ImportJobError as exc:
        messages.error(request, exc.message)
        return redirect("followup:import_job", job.pk)
    messages.info(request, "Import abandonné : le fichier déposé a été supprimé.")
    return redirect("followup:import_start")
