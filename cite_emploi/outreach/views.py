"""Pages of the aller-vers: actions and their series, calendar, map, results and their export.

Thin: parse the request, call ``services`` or ``queries``, render. Actions of another territory are
a 404; names of people appear only to the members of their follow-up.
"""

import csv
import io
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from cite_emploi.accounts.permissions import require_role
from cite_emploi.core.person_panels import Panel
from cite_emploi.followup import access
from cite_emploi.followup import services as followup_services
from cite_emploi.followup.queries_reviews import size_label

from . import queries, services
from .forms import (
    ActionFilterForm,
    ActionForm,
    OriginActionForm,
    OriginPersonForm,
    ReportForm,
    ResultsForm,
    SeriesForm,
)
from .models import OutreachAction

PROFESSIONALS = access.PROFESSIONAL_ROLES
PAGE_SIZE = 25
MAP_DEFAULT_PAST_DAYS, MAP_DEFAULT_FUTURE_DAYS = 90, 30


def _page(request, qs, size: int = PAGE_SIZE):
    page = Paginator(qs, size).get_page(request.GET.get("page"))
    page.pages_list = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


def _is_employer_only(scope) -> bool:
    return (
        scope.territory is not None
        and not scope.is_platform_admin
        and scope.has_role("employer")
        and not scope.has_role(*PROFESSIONALS)
    )


def _editable(obj, request) -> None:
    if not services.can_edit(obj, request.user):
        raise PermissionDenied(
            "Seuls la coordination, la personne qui l'a créée et les professionnels des structures "
            "présentes peuvent la modifier."
        )


# --- actions ------------------------------------------------------------------------------------


def actions(request):
    """The home of the aller-vers; employers land on the recruitment operations, their part of it."""
    if request.user.is_authenticated and _is_employer_only(request.scope):
        return redirect("outreach:events")
    return _action_list(request)


@require_role(*PROFESSIONALS)
def _action_list(request):
    territory = request.scope.territory
    form = ActionFilterForm(request.GET or None, territory=territory)
    page = _page(request, queries.actions(territory, form.filters()))
    for row in page.object_list:
        row.origin_label = size_label(row.origin_count)
    return render(
        request,
        "outreach/actions/list.html",
        {
            "title": "Actions d'aller-vers",
            "form": form,
            "page_obj": page,
            "extra": form.query_string(),
            "series_list": queries.series_list(territory),
        },
    )


@require_role(*PROFESSIONALS)
def action(request, pk):
    scope = request.scope
    action = queries.get_action(scope.territory, pk)
    visible, total = queries.origin_counts(action, scope)
    followup_services.audit_list_read(
        [o.follow_up.beneficiary for o in visible],
        by=request.user,
        request=request,
        what="action d'aller-vers",
    )
    held = action.starts_at <= timezone.now() and action.status != OutreachAction.Status.CANCELLED
    return render(
        request,
        "outreach/actions/detail.html",
        {
            "title": action.title,
            "action": action,
            "can_edit": services.can_edit(action, request.user),
            "reached": queries.reached_table(action),
            "visible_origins": visible,
            "origin_total": size_label(total),
            "hidden_origins": total - len(visible),
            "origin_form": OriginPersonForm(people=queries.linkable_people(action, scope)) if held else None,
        },
    )


def _action_form_page(request, form, action=None):
    if request.method == "POST" and form.is_valid():
        fields = {
            "data": form.action_input(),
            "organisations": form.cleaned_data["organisations"],
            "staff": form.cleaned_data["staff"],
        }
        try:
            if action is None:
                action = services.create_action(request.scope.territory, by=request.user, **fields)
            else:
                services.update_action(action, by=request.user, **fields)
        except services.OutreachError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Action enregistrée.")
            return redirect("outreach:action", action.pk)
    return render(
        request,
        "outreach/actions/form.html",
        {
            "title": f"Modifier « {action.title} »" if action else "Nouvelle action d'aller-vers",
            "form": form,
            "action": action,
            "cancel_url": reverse("outreach:action", args=[action.pk])
            if action
            else reverse("outreach:actions"),
        },
    )


@require_role(*PROFESSIONALS)
def action_create(request):
    territory = request.scope.territory
    form = ActionForm(request.POST or None, territory=territory, user=request.user)
    return _action_form_page(request, form)


@require_role(*PROFESSIONALS)
def action_edit(request, pk):
    action = queries.get_action(request.scope.territory, pk)
    _editable(action, request)
    form = ActionForm(request.POST or None, territory=request.scope.territory, instance=action)
    return _action_form_page(request, form, action)


@require_role(*PROFESSIONALS)
def action_report(request, pk):
    territory = request.scope.territory
    action = queries.get_action(territory, pk)
    _editable(action, request)
    form = ReportForm(request.POST or None, action=action, territory=territory)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_report(
                action,
                by=request.user,
                report=form.report_input(),
                organisations=form.cleaned_data["organisations"],
                staff=form.cleaned_data["staff"],
            )
        except services.OutreachError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Bilan enregistré.")
            return redirect("outreach:action", action.pk)
    return render(
        request,
        "outreach/actions/report.html",
        {"title": f"Bilan — {action.title}", "action": action, "form": form},
    )


@require_role(*PROFESSIONALS)
def action_delete(request, pk):
    """Confirm, then remove an action entered by mistake (one without any report or follow-up)."""
    action = queries.get_action(request.scope.territory, pk)
    _editable(action, request)
    error = ""
    if request.method == "POST":
        try:
            services.delete_action(action, by=request.user)
        except services.OutreachError as exc:
            error = exc.message
        else:
            messages.success(request, f"L'action « {action.title} » est supprimée.")
            return redirect("outreach:actions")
    return render(
        request,
        "outreach/actions/delete.html",
        {"title": f"Supprimer « {action.title} »", "action": action, "error": error},
    )


# --- origins ------------------------------------------------------------------------------------


def _next_or(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _link(request, action, follow_up) -> None:
    try:
        services.link_origin(action, follow_up, by=request.user, request=request)
    except services.OutreachError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Le suivi de {follow_up.beneficiary} est rattaché à l'action « {action.title} ».",
        )


@require_role(*PROFESSIONALS)
@require_POST
def action_origin_add(request, pk):
    """From the action's page: a person the user follows entered the follow-up thanks to this action."""
    action = queries.get_action(request.scope.territory, pk)
    form = OriginPersonForm(request.POST, people=queries.linkable_people(action, request.scope))
    if form.is_valid():
        _link(request, action, form.cleaned_data["beneficiary"].follow_up)
    else:
        messages.error(
            request,
            "Choisissez une personne que vous suivez, entrée dans le suivi dans les 120 jours après l'action "
            "et pas encore rattachée à une action.",
        )
    return redirect("outreach:action", action.pk)


@require_role(*PROFESSIONALS)
@require_http_methods(["GET", "POST"])
def action_origin_for_person(request, beneficiary_pk):
    """From the person's page: the action their follow-up started from.

    GET shows the choice among the recent actions, only when asked: into the person's page (htmx),
    or as a page of its own without JavaScript; the person's page no longer looks the actions up
    on every visit for a form rarely used. POST records it.
    """
    beneficiary = access.get_beneficiary(request.scope, beneficiary_pk)
    follow_up = beneficiary.follow_up
    candidates = queries.origin_candidates(follow_up, request.scope.territory)
    if request.method == "POST":
        form = OriginActionForm(request.POST, candidates=candidates)
        if form.is_valid():
            _link(request, form.cleaned_data["action"], follow_up)
        else:
            messages.error(request, "Choisissez une action d'aller-vers de la liste.")
        return redirect("followup:beneficiary", beneficiary.pk)
    followup_services.audit_beneficiary(
        "read", beneficiary, by=request.user, what="action d'aller-vers d'origine", request=request
    )
    form = OriginActionForm(candidates=candidates) if candidates.exists() else None
    if form is not None and request.htmx:
        # The link that asked for it is gone: keyboard and screen reader users go on from the choice.
        form.fields["action"].widget.attrs["autofocus"] = True
    context = {
        "title": "Action d'aller-vers d'origine",
        "beneficiary": beneficiary,
        "form": form,
        "window_days": services.ORIGIN_WINDOW_DAYS,
    }
    template = "outreach/actions/_origin_form.html" if request.htmx else "outreach/actions/origin_form.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])  # the same URL answers a fragment or a page
    return response


@require_role(*PROFESSIONALS)
@require_POST
def action_origin_remove(request, pk, origin_pk):
    action = queries.get_action(request.scope.territory, pk)
    origin = queries.get_origin(action, request.scope, origin_pk)
    try:
        services.unlink_origin(origin, by=request.user, request=request)
    except services.OutreachError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"Le suivi de {origin.follow_up.beneficiary} n'est plus rattaché à cette action."
        )
    return redirect(_next_or(request, reverse("outreach:action", args=[action.pk])))


def person_panel(request, beneficiary, member):
    """On a person's page: the action their follow-up started from, or a way to say which one.

    The choice of the action is loaded on demand (``action_origin_for_person``): few visits of the
    page use it, and listing the recent actions cost every visit three queries and a form.
    """
    origin = queries.origin_of(beneficiary.follow_up)
    active = member is not None and member.ended_on is None
    if origin is None and not active:
        return None
    return Panel(
        "outreach/actions/_person_panel.html",
        {
            "beneficiary": beneficiary,
            "origin": origin,
            "can_link": origin is None,
            "can_remove": origin is not None and active,
            "window_days": services.ORIGIN_WINDOW_DAYS,
        },
    )


# --- series -------------------------------------------------------------------------------------


def _series_form_page(request, form, series=None):
    if request.method == "POST" and form.is_valid():
        fields = {"data": form.series_input(), "organisations": form.cleaned_data["organisations"]}
        try:
            if series is None:
                series = services.create_series(request.scope.territory, by=request.user, **fields)
            else:
                services.update_series(series, by=request.user, **fields)
        except services.OutreachError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Permanence enregistrée, avec ses séances à venir.")
            return redirect("outreach:series", series.pk)
    return render(
        request,
        "outreach/actions/series_form.html",
        {
            "title": f"Modifier « {series.title} »" if series else "Nouvelle permanence régulière",
            "form": form,
            "series": series,
            "cancel_url": reverse("outreach:series", args=[series.pk])
            if series
            else reverse("outreach:actions"),
        },
    )


@require_role(*PROFESSIONALS)
def series_create(request):
    form = SeriesForm(request.POST or None, territory=request.scope.territory, user=request.user)
    return _series_form_page(request, form)


@require_role(*PROFESSIONALS)
def series_edit(request, pk):
    series = queries.get_series(request.scope.territory, pk)
    _editable(series, request)
    form = SeriesForm(request.POST or None, territory=request.scope.territory, instance=series)
    return _series_form_page(request, form, series)


@require_role(*PROFESSIONALS)
def series(request, pk):
    series = queries.get_series(request.scope.territory, pk)
    rows = list(queries.occurrences(series))
    return render(
        request,
        "outreach/actions/series_detail.html",
        {
            "title": series.title,
            "series": series,
            "occurrences": rows,
            "totals": queries.series_totals(rows),
            "can_edit": services.can_edit(series, request.user),
            "now": timezone.now(),
        },
    )


# --- calendar and map ---------------------------------------------------------------------------


def _month(value: str) -> tuple[int, int]:
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in value.split("-"))
        date(year, month, 1)
    except (ValueError, TypeError):
        return today.year, today.month
    if not 2000 <= year <= 2100:
        return today.year, today.month
    return year, month


@require_role(*PROFESSIONALS)
def calendar_view(request):
    year, month = _month(request.GET.get("mois", ""))
    show = request.GET.get("afficher", "")
    if show not in ("actions", "operations"):
        show = ""
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    weeks = queries.month_calendar(request.scope.territory, year, month, show=show)
    return render(
        request,
        "outreach/actions/calendar.html",
        {
            "title": f"Calendrier de l'aller-vers — {queries.month_label(year, month)}",
            "month_label": queries.month_label(year, month),
            "month_value": f"{year}-{month:02d}",
            "weeks": weeks,
            "weekdays": queries.WEEKDAYS,
            "days_with_items": [day for week in weeks for day in week if day.in_month and day.items],
            "previous": {
                "value": f"{previous[0]}-{previous[1]:02d}",
                "label": queries.month_label(*previous),
            },
            "following": {
                "value": f"{following[0]}-{following[1]:02d}",
                "label": queries.month_label(*following),
            },
            "show": show,
            "today": timezone.localdate(),
        },
    )


@require_role(*PROFESSIONALS)
def map_view(request):
    territory = request.scope.territory
    data = request.GET.copy()
    if not data:
        today = timezone.localdate()
        data["du"] = (today - timedelta(days=MAP_DEFAULT_PAST_DAYS)).isoformat()
        data["au"] = (today + timedelta(days=MAP_DEFAULT_FUTURE_DAYS)).isoformat()
    form = ActionFilterForm(data, territory=territory)
    rows, truncated = queries.map_rows(territory, form.filters())
    return render(
        request,
        "outreach/actions/map.html",
        {
            "title": "Carte de l'aller-vers",
            "form": form,
            "rows": rows,
            "truncated": truncated,
            "limit": queries.MAP_LIMIT,
            "outlines_url": reverse("territory:perimeter_geojson"),
        },
    )


# --- results ------------------------------------------------------------------------------------


def _results(request):
    territory = request.scope.territory
    form = ResultsForm(request.GET or None, territory=territory)
    start, end = form.period()
    communes = form.commune_ids()
    return (
        form,
        queries.results_by_qpv(territory, start, end, commune_ids=communes),
        queries.results_by_month(territory, start, end, commune_ids=communes),
    )


@require_role(*PROFESSIONALS)
def results(request):
    form, by_qpv, by_month = _results(request)
    return render(
        request,
        "outreach/actions/results.html",
        {
            "title": "Résultats de l'aller-vers",
            "form": form,
            "by_qpv": by_qpv,
            "by_month": by_month,
            "age_labels": [queries.AGE_LABELS[a] for a in services.AGE_GROUPS],
            "sex_labels": [queries.SEX_LABELS[s] for s in services.SEXES],
            "export_query": form.query_string(),
        },
    )


EXPORT_HEADERS = (
    "Regroupement",
    "Code",
    "Libellé",
    "Actions réalisées",
    "Heures de présence",
    "Personnes rencontrées",
    *[queries.AGE_LABELS[a] for a in services.AGE_GROUPS],
    *[queries.SEX_LABELS[s] for s in services.SEXES],
    "Personnes ayant laissé leurs coordonnées",
    "Entrées en suivi",
    "Taux repérés → accompagnés (%)",
)


def _export_line(group: str, row: queries.ResultRow) -> list:
    return [
        group,
        row.key if row.key != "total" else "",
        row.label,
        row.actions,
        f"{row.hours:.1f}".replace(".", ","),
        str(row.reached),
        *[str(row.by_age[a]) for a in services.AGE_GROUPS],
        *[str(row.by_sex[s]) for s in services.SEXES],
        str(row.contacts),
        str(row.started),
        "" if row.conversion is None else f"{row.conversion:.1f}".replace(".", ","),
    ]


@require_role(*PROFESSIONALS)
def results_export(request):
    _form, by_qpv, by_month = _results(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    for group, table in (("Quartier", by_qpv), ("Mois", by_month)):
        for row in [*table.rows, table.total]:
            writer.writerow(_export_line(group, row))
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    territory = request.scope.territory
    response["Content-Disposition"] = (
        f'attachment; filename="aller-vers-{territory.slug}-{by_qpv.start.isoformat()}-{by_qpv.end.isoformat()}.csv"'
    )
    return response
