"""Pages of the steering dashboards, the targets of an action and the quarterly report.

Thin: parse the request, ask ``dashboards`` / ``targets`` / ``quarterly`` (reads) or
``services_targets`` (writes), render.

Who sees what (``access.py``): the coordination, the elected members and the State's delegate read
the territory's and the actions' dashboards; an elected member opens the dashboard of the communes
they follow only (403 for another commune of the territory, 404 for a commune outside it); the
quarterly report is the State's (coordination and funder). Only the coordination writes targets and
readings. Counsellors and employers have no page here. An action or a target of another territory is
a 404. No page shows a person: every figure comes from the registry, under statistical secrecy.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cite_emploi.accounts.permissions import require_role
from cite_emploi.core.pdf import PdfUnavailable
from cite_emploi.diagnostic.places import commune_values

from . import dashboards, quarterly, targets
from . import services_targets as services
from .access import READERS, STATE, can_edit, followed_commune_codes, require_commune, require_editor
from .forms_targets import AsOfForm, ReadingForm, TargetForm, YearForm
from .queries_plan import get_action

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _as_of(request):
    form = AsOfForm(request.GET or None)
    return form, form.as_of()


def _communes_for(scope, territory) -> list[tuple[str, str]]:
    allowed = followed_commune_codes(scope)
    return [(c, n) for c, n in commune_values(territory) if allowed is None or c in allowed]


def action_url(action) -> str:
    """The action's page of the plan when it exists, else its dashboard."""
    try:
        return reverse("steering:action", args=[action.pk])
    except NoReverseMatch:
        return reverse("steering:action_dashboard", args=[action.pk])


@require_role(*READERS)
def dashboard(request):
    scope = request.scope
    territory = scope.territory
    form, as_of = _as_of(request)
    allowed = followed_commune_codes(scope)
    return render(
        request,
        "steering/dashboards/territory.html",
        {
            "form": form,
            **dashboards.territory_dashboard(territory, as_of),
            "communes": _communes_for(scope, territory),
            # An elected member's own communes come first: their dashboards are made for them.
            "my_communes": _communes_for(scope, territory) if allowed is not None else [],
            "is_elected_only": allowed is not None,
            "can_edit": can_edit(scope),
        },
    )


@require_role(*READERS)
def commune_dashboard(request, code: str):
    scope = request.scope
    territory = scope.territory
    if dashboards.commune_name(territory, code) is None:
        raise Http404("Cette commune ne fait pas partie du territoire.")
    require_commune(scope, code)
    form, as_of = _as_of(request)
    return render(
        request,
        "steering/dashboards/commune.html",
        {"form": form, **dashboards.commune_dashboard(territory, code, as_of), "can_edit": can_edit(scope)},
    )


@require_role(*READERS)
def action_dashboard(request, pk: int):
    scope = request.scope
    action = get_action(scope.territory, pk)
    form, as_of = _as_of(request)
    return render(
        request,
        "steering/dashboards/action.html",
        {
            "form": form,
            **dashboards.action_dashboard(action, as_of),
            "can_edit": can_edit(scope),
            "action_url": action_url(action),
        },
    )


# --- targets --------------------------------------------------------------------------------------


def _target_page(request, form, action, target=None):
    return render(
        request,
        "steering/dashboards/target_form.html",
        {"form": form, "action": action, "target": target, "action_url": action_url(action)},
    )


@require_role(*READERS)
def target_create(request, pk: int):
    scope = request.scope
    require_editor(scope)
    action = get_action(scope.territory, pk)
    territory = scope.territory
    if request.method != "POST":
        form = TargetForm(
            territory=territory, initial={"starts_on": action.starts_on, "ends_on": action.ends_on}
        )
        return _target_page(request, form, action)
    form = TargetForm(request.POST, territory=territory)
    if form.is_valid():
        try:
            services.create_target(action, by=request.user, **form.service_fields())
        except services.TargetError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "L'objectif est ajouté à l'action.")
            return redirect(action_url(action))
    return _target_page(request, form, action)


@require_role(*READERS)
def target_edit(request, pk: int):
    scope = request.scope
    require_editor(scope)
    target = targets.get_target(scope.territory, pk)
    action = target.action
    if request.method != "POST":
        form = TargetForm(territory=scope.territory, initial=TargetForm.initial_for(target))
        return _target_page(request, form, action, target)
    form = TargetForm(request.POST, territory=scope.territory)
    if form.is_valid():
        try:
            services.update_target(target, by=request.user, **form.service_fields())
        except services.TargetError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "L'objectif est modifié.")
            return redirect(action_url(action))
    return _target_page(request, form, action, target)


@require_role(*READERS)
@require_POST
def target_delete(request, pk: int):
    scope = request.scope
    require_editor(scope)
    target = targets.get_target(scope.territory, pk)
    action = target.action
    services.delete_target(target, by=request.user)
    messages.success(request, f"L'objectif « {target.label} » est supprimé.")
    return redirect(action_url(action))


@require_role(*READERS)
def target_reading(request, pk: int):
    scope = request.scope
    require_editor(scope)
    target = targets.get_target(scope.territory, pk)
    action = target.action
    if request.method == "POST":
        form = ReadingForm(request.POST)
        if form.is_valid():
            try:
                services.record_reading(target, by=request.user, **form.cleaned_data)
            except services.TargetError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Le relevé est enregistré.")
                return redirect(action_url(action))
    else:
        form = ReadingForm(initial={"measured_on": timezone.localdate()})
    return render(
        request,
        "steering/dashboards/target_reading.html",
        {
            "form": form,
            "target": target,
            "action": action,
            "readings": target.readings.select_related("recorded_by").order_by("-measured_on", "-pk")[:50],
            "progress": targets.progress(target),
            "action_url": action_url(action),
        },
    )


# --- the quarterly report ---------------------------------------------------------------------------


def _report(request):
    form = YearForm(request.GET or None)
    return form, quarterly.cached_quarterly_report(request.scope.territory, form.year())


@require_role(*STATE)
def quarterly_page(request):
    form, report = _report(request)
    return render(request, "steering/dashboards/quarterly.html", {"form": form, "report": report})


@require_role(*STATE)
def quarterly_xlsx(request):
    _, report = _report(request)
    response = HttpResponse(quarterly.quarterly_xlsx(report), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{quarterly.filename(report, "xlsx")}"'
    return response


@require_role(*STATE)
def quarterly_pdf(request):
    form, report = _report(request)
    try:
        pdf = quarterly.quarterly_pdf(report)
    except PdfUnavailable as error:
        messages.error(request, str(error))
        return render(request, "steering/dashboards/quarterly.html", {"form": form, "report": report})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quarterly.filename(report, "pdf")}"'
    return response
