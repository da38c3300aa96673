"""Reads of the aller-vers: lists, calendar, map, and the results per QPV and per month.

The results functions take (territory, first day, last day, optional commune ids, optional QPV ids)
and return plain rows, so the diagnostic and the steering dashboards can reuse them. They count
only what was recorded: actions held (status « réalisée »), their duration, the people reached
(``ReachedCount``), the contacts left, and the follow-ups started (``ActionOrigin``); the rate
« repérés → accompagnés » is computed from those, never typed. Counts of people are under
statistical secrecy (``core.secrecy``), with a second cell hidden wherever one could be derived by
difference from a total.
"""

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import shapely.geometry
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cite_emploi.core.person_panels import related_or_none
from cite_emploi.core.secrecy import Figure, hide_small, protect
from cite_emploi.followup import access
from cite_emploi.followup.models import AgeGroup, Beneficiary, FollowUp
from cite_emploi.partners.models import Organisation, OrganisationKind
from cite_emploi.territory.centres import commune_centre
from cite_emploi.territory.models import QPV

from .models import ActionOrigin, OutreachAction, OutreachSeries, ReachedCount, RecruitmentEvent
from .services import AGE_GROUPS, SEXES, origin_window

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
AGE_LABELS = {**dict(AgeGroup.choices), "": "Âge non précisé"}
SEX_LABELS = {"F": "Femmes", "M": "Hommes", "": "Sexe non précisé"}
OUTSIDE_QPV = "Hors quartier prioritaire"
MAP_LIMIT = 1000


def month_label(year: int, month: int) -> str:
    return f"{MONTHS[month - 1]} {year}"


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def in_period(qs: QuerySet, start: date | None, end: date | None, prefix: str = "") -> QuerySet:
    """Rows whose ``starts_at`` falls on a local day between ``start`` and ``end`` (inclusive)."""
    if start is not None:
        qs = qs.filter(**{f"{prefix}starts_at__gte": _day_start(start)})
    if end is not None:
        qs = qs.filter(**{f"{prefix}starts_at__lt": _day_start(end + timedelta(days=1))})
    return qs


def _in_places(qs: QuerySet, commune_ids=None, qpv_ids=None) -> QuerySet:
    """Actions in one of the communes (their own, or their QPV's when none is set) and QPV given."""
    if commune_ids:
        qpvs_of_communes = QPV.objects.filter(communes__in=list(commune_ids)).values("pk")
        qs = qs.filter(
            Q(commune_id__in=list(commune_ids)) | Q(commune__isnull=True, qpv_id__in=qpvs_of_communes)
        )
    if qpv_ids:
        qs = qs.filter(qpv_id__in=list(qpv_ids))
    return qs


# --- choices of the forms -------------------------------------------------------------------------


def present_organisations(territory) -> QuerySet[Organisation]:
    """The organisations that may hold an action: every partner of the territory but employers."""
    return (
        Organisation.objects.in_territory(territory)
        .exclude(kind=OrganisationKind.EMPLOYER)
        .only("pk", "name", "territory_id")
        .order_by("name")
    )


def perimeter_qpvs(territory, commune_ids=None) -> QuerySet[QPV]:
    """The QPV of the current perimeter (outlines left out: they are large and not needed here)."""
    where = {
        "perimeter_areas__perimeter__territory": territory,
        "perimeter_areas__perimeter__is_current": True,
    }
    if commune_ids:
        where["perimeter_areas__commune__in"] = list(commune_ids)
    return (
        QPV.objects.filter(geography_year=2024, **where)
        .distinct()
        .only("pk", "code", "name")
        .order_by("name")
    )


# --- lists --------------------------------------------------------------------------------------


@dataclass
class ActionFilters:
    start: date | None = None
    end: date | None = None
    kind: str = ""
    qpv_id: int | None = None
    organisation_id: int | None = None
    status: str = ""


def _with_figures(qs: QuerySet[OutreachAction]) -> QuerySet[OutreachAction]:
    """Each action with its people reached and its follow-ups started, as two subqueries (no row join)."""
    reached = (
        ReachedCount.objects.filter(action=OuterRef("pk"))
        .order_by()
        .values("action")
        .annotate(total=Sum("count"))
        .values("total")
    )
    origins = (
        ActionOrigin.objects.filter(action=OuterRef("pk"))
        .order_by()
        .values("action")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return qs.annotate(
        reached_total=Coalesce(Subquery(reached), 0), origin_count=Coalesce(Subquery(origins), 0)
    )


def actions(territory, filters: ActionFilters | None = None) -> QuerySet[OutreachAction]:
    filters = filters or ActionFilters()
    qs = in_period(OutreachAction.objects.filter(territory=territory), filters.start, filters.end)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.qpv_id:
        qs = qs.filter(qpv_id=filters.qpv_id)
    if filters.organisation_id:
        qs = qs.filter(
            pk__in=OutreachAction.organisations.through.objects.filter(
                organisation_id=filters.organisation_id
            ).values("outreachaction_id")
        )
    if filters.status:
        qs = qs.filter(status=filters.status)
    return (
        _with_figures(qs)
        .select_related("qpv", "commune", "series")
        .defer("qpv__geometry", "commune__geometry")
        .prefetch_related(
            Prefetch("organisations", queryset=Organisation.objects.only("pk", "name").order_by("name"))
        )
        .order_by("-starts_at", "-pk")
    )


def get_action(territory, pk: int) -> OutreachAction:
    qs = actions(territory).select_related("created_by").prefetch_related("staff")
    return get_object_or_404(qs, pk=pk)


def reached_grid(action: OutreachAction) -> dict[tuple[str, str], int]:
    return {(r.age_group, r.sex): r.count for r in action.reached.all()}


def reached_table(action: OutreachAction) -> dict:
    """The report's grid for display: a row per age group with its total, the totals per sex."""
    grid = reached_grid(action)
    return {
        "rows": [
            {
                "label": AGE_LABELS[age],
                "cells": [grid.get((age, sex), 0) for sex in SEXES],
                "total": sum(grid.get((age, sex), 0) for sex in SEXES),
            }
            for age in AGE_GROUPS
        ],
        "sex_labels": [SEX_LABELS[sex] for sex in SEXES],
        "sex_totals": [sum(grid.get((age, sex), 0) for age in AGE_GROUPS) for sex in SEXES],
    }


def origin_counts(action: OutreachAction, scope) -> tuple[list, int]:
    """The follow-ups started from the action that the viewer belongs to (with names), and how many in all."""
    total = action.origins.count()
    visible = list(
        action.origins.filter(
            follow_up__in=access.visible_follow_ups(scope), follow_up__beneficiary__anonymised_at=None
        )
        .select_related("follow_up__beneficiary", "recorded_by")
        .order_by("recorded_at", "pk")
    )
    return visible, total


def linkable_people(action: OutreachAction, scope) -> QuerySet[Beneficiary]:
    """People the viewer follows whose follow-up opened within 120 days after the action and has no origin."""
    held_on = timezone.localdate(action.starts_at)
    first, last = origin_window(FollowUp(opened_on=held_on))
    return (
        access.visible_beneficiaries(scope)
        .filter(
            follow_up__outreach_origin__isnull=True,
            follow_up__opened_on__gte=held_on,
            follow_up__opened_on__lte=held_on + (last - first),
        )
        .order_by("last_name", "first_name", "pk")
    )


def get_origin(action: OutreachAction, scope, pk: int) -> ActionOrigin:
    """An origin of this action that the viewer may remove (member of that follow-up), or 404."""
    return get_object_or_404(
        action.origins.filter(follow_up__in=access.visible_follow_ups(scope)).select_related(
            "follow_up__beneficiary", "action"
        ),
        pk=pk,
    )


def origin_of(follow_up: FollowUp) -> ActionOrigin | None:
    """The action the follow-up started from; no query when the person's page read it with the person."""
    return related_or_none(follow_up, "outreach_origin")


def origin_candidates(follow_up: FollowUp, territory) -> QuerySet[OutreachAction]:
    """Actions of the territory that may have started this follow-up: held in the 120 days before its entry."""
    first, last = origin_window(follow_up)
    now = timezone.now()
    return (
        in_period(OutreachAction.objects.filter(territory=territory), first, last)
        .filter(starts_at__lte=now)
        .exclude(status=OutreachAction.Status.CANCELLED)
        .select_related("qpv")
        .only("pk", "title", "starts_at", "kind", "status", "territory_id", "qpv__name", "qpv__code")
        .order_by("-starts_at", "-pk")
    )


# --- series -------------------------------------------------------------------------------------


def series_list(territory) -> QuerySet[OutreachSeries]:
    return (
        OutreachSeries.objects.filter(territory=territory)
        .select_related("qpv", "commune")
        .defer("qpv__geometry", "commune__geometry")
        .annotate(occurrence_count=Count("occurrences"))
        .order_by("title", "pk")
    )


def get_series(territory, pk: int) -> OutreachSeries:
    qs = (
        OutreachSeries.objects.filter(territory=territory)
        .select_related("qpv", "commune", "created_by")
        .defer("qpv__geometry", "commune__geometry")
        .prefetch_related(Prefetch("organisations", queryset=Organisation.objects.order_by("name")))
    )
    return get_object_or_404(qs, pk=pk)


def occurrences(series: OutreachSeries) -> QuerySet[OutreachAction]:
    return _with_figures(series.occurrences.all()).order_by("starts_at", "pk")


@dataclass
class SeriesTotals:
    held: int = 0
    cancelled: int = 0
    planned: int = 0
    minutes: int = 0
    reached: int = 0
    contacts: int = 0
    started: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def series_totals(rows: list[OutreachAction]) -> SeriesTotals:
    """Totals of the occurrences (already read for the page): held ones count, others are tallied."""
    totals = SeriesTotals()
    for action in rows:
        if action.status == OutreachAction.Status.DONE:
            totals.held += 1
            totals.minutes += action.duration_minutes
            totals.reached += action.reached_total
            totals.contacts += action.contacts_left
            totals.started += action.origin_count
        elif action.status == OutreachAction.Status.CANCELLED:
            totals.cancelled += 1
        else:
            totals.planned += 1
    return totals


# --- calendar -----------------------------------------------------------------------------------


@dataclass
class CalendarItem:
    kind: str  # "action" or "event"
    pk: int
    title: str
    starts_at: datetime
    kind_label: str
    status: str
    status_label: str
    place: str


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    items: list[CalendarItem] = field(default_factory=list)


def month_calendar(territory, year: int, month: int, *, show: str = "") -> list[list[CalendarDay]]:
    """Weeks (Monday first) of the month, each day with its actions and recruitment events."""
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    by_day: dict[date, list[CalendarItem]] = defaultdict(list)
    if show in ("", "actions"):
        rows = (
            in_period(OutreachAction.objects.filter(territory=territory), first, last)
            .select_related("qpv", "commune")
            .only(
                "pk",
                "title",
                "kind",
                "status",
                "starts_at",
                "place_label",
                "qpv__name",
                "commune__name",
            )
        )
        for a in rows:
            by_day[timezone.localdate(a.starts_at)].append(
                CalendarItem(
                    "action",
                    a.pk,
                    a.title,
                    a.starts_at,
                    a.get_kind_display(),
                    a.status,
                    a.get_status_display(),
                    _place_label(a),
                )
            )
    if show in ("", "operations"):
        rows = (
            in_period(RecruitmentEvent.objects.filter(territory=territory), first, last)
            .select_related("qpv", "commune")
            .only(
                "pk",
                "title",
                "kind",
                "status",
                "starts_at",
                "place_label",
                "qpv__name",
                "commune__name",
            )
        )
        for e in rows:
            by_day[timezone.localdate(e.starts_at)].append(
                CalendarItem(
                    "event",
                    e.pk,
                    e.title,
                    e.starts_at,
                    e.get_kind_display(),
                    e.status,
                    e.get_status_display(),
                    _place_label(e),
                )
            )
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append(
            [
                CalendarDay(
                    day, day.month == month, sorted(by_day.get(day, []), key=lambda i: (i.starts_at, i.pk))
                )
                for day in week
            ]
        )
    return weeks


def _place_label(obj) -> str:
    parts = [obj.place_label] if obj.place_label else []
    if obj.qpv_id:
        parts.append(obj.qpv.name)
    elif obj.commune_id:
        parts.append(obj.commune.name)
    return ", ".join(parts)


# --- map ----------------------------------------------------------------------------------------

_qpv_centres: dict[int, tuple[float, float] | None] = {}


def qpv_centres(qpv_ids) -> dict[int, tuple[float, float] | None]:
    """(latitude, longitude) of a point inside each QPV outline, computed once per process."""
    missing = [pk for pk in set(qpv_ids) if pk not in _qpv_centres]
    if missing:
        for pk, geometry in QPV.objects.filter(pk__in=missing).values_list("pk", "geometry"):
            point = shapely.geometry.shape(geometry).representative_point() if geometry else None
            _qpv_centres[pk] = (round(point.y, 5), round(point.x, 5)) if point else None
    return {pk: _qpv_centres.get(pk) for pk in qpv_ids}


@dataclass
class MapRow:
    action: OutreachAction
    latitude: float | None
    longitude: float | None
    located: str  # what the point is: "point", "quartier", "commune" or ""

    @property
    def has_point(self) -> bool:
        return self.latitude is not None


def map_rows(territory, filters: ActionFilters) -> tuple[list[MapRow], bool]:
    """The actions to map, each at its point, else its QPV's centre, else its commune's; and whether cut."""
    rows = list(actions(territory, filters)[: MAP_LIMIT + 1])
    truncated = len(rows) > MAP_LIMIT
    rows = rows[:MAP_LIMIT]
    centres = qpv_centres({a.qpv_id for a in rows if a.qpv_id and a.latitude is None})
    result = []
    for a in rows:
        if a.latitude is not None and a.longitude is not None:
            result.append(MapRow(a, a.latitude, a.longitude, "point"))
        elif a.qpv_id and centres.get(a.qpv_id):
            result.append(MapRow(a, *centres[a.qpv_id], "quartier"))
        elif a.commune_id and commune_centre(a.commune):
            result.append(MapRow(a, *commune_centre(a.commune), "commune"))
        else:
            result.append(MapRow(a, None, None, ""))
    return result, truncated


# --- results ------------------------------------------------------------------------------------


def _figures(keys) -> dict[str, Figure]:
    return {key: Figure() for key in keys}


@dataclass
class ResultRow:
    key: str = ""
    label: str = ""
    actions: int = 0
    minutes: int = 0
    contacts: Figure = field(default_factory=Figure)
    reached: Figure = field(default_factory=Figure)
    by_age: dict[str, Figure] = field(default_factory=lambda: _figures(AGE_GROUPS))
    by_sex: dict[str, Figure] = field(default_factory=lambda: _figures(SEXES))
    started: Figure = field(default_factory=Figure)

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def conversion(self) -> float | None:
        """Follow-ups started per 100 people reached; None when either count is hidden or none was reached."""
        if self.reached.hidden or self.started.hidden or not self.reached.value:
            return None
        return round(100 * self.started.value / self.reached.value, 1)

    @property
    def conversion_label(self) -> str:
        if self.reached.hidden or self.started.hidden:
            return "non diffusé"
        if self.conversion is None:
            return "—"
        return f"{self.conversion:.1f} %".replace(".", ",")

    def people(self) -> list[Figure]:
        return [self.contacts, self.reached, *self.by_age.values(), *self.by_sex.values(), self.started]


@dataclass
class Results:
    rows: list[ResultRow]
    total: ResultRow
    start: date
    end: date
    without_report: int = 0  # past actions still « prévue »: not counted until their report is recorded
    cancelled: int = 0


def _named_figures(row: ResultRow) -> dict[str, Figure]:
    return {
        "contacts": row.contacts,
        "reached": row.reached,
        "started": row.started,
        **{f"age:{key}": figure for key, figure in row.by_age.items()},
        **{f"sex:{key}": figure for key, figure in row.by_sex.items()},
    }


def apply_secrecy(rows: list[ResultRow], total: ResultRow) -> None:
    hide_small(figure for row in [*rows, total] for figure in row.people())
    groups = []
    for row in [*rows, total]:
        groups.append((row.reached, list(row.by_age.values())))
        groups.append((row.reached, list(row.by_sex.values())))
    per_row = [_named_figures(r) for r in rows]
    for name, figure in _named_figures(total).items():
        groups.append((figure, [cells[name] for cells in per_row]))
    protect(groups)


def _held(territory, start: date, end: date, commune_ids=None, qpv_ids=None) -> QuerySet[OutreachAction]:
    qs = OutreachAction.objects.filter(territory=territory, status=OutreachAction.Status.DONE)
    return _in_places(in_period(qs, start, end), commune_ids, qpv_ids).order_by()


def _by_qpv(prefix: str = ""):
    return F(f"{prefix}qpv")


def _by_month(prefix: str = ""):
    return TruncMonth(f"{prefix}starts_at", tzinfo=timezone.get_current_timezone())


def _tally(held: QuerySet[OutreachAction], key, rows: dict) -> None:
    """Add the held actions' figures to ``rows`` (keyed by the value of ``key(prefix)``) in three queries."""
    for line in (
        held.annotate(k=key())
        .values("k")
        .annotate(n=Count("pk"), minutes=Sum("duration_minutes"), contacts=Sum("contacts_left"))
    ):
        row = rows[line["k"]]
        row.actions += line["n"]
        row.minutes += line["minutes"] or 0
        row.contacts.value += line["contacts"] or 0
    reached = ReachedCount.objects.filter(action__in=held.values("pk")).order_by()
    for line in (
        reached.annotate(k=key("action__")).values("k", "age_group", "sex").annotate(total=Sum("count"))
    ):
        row, count = rows[line["k"]], line["total"] or 0
        row.reached.value += count
        row.by_age[line["age_group"]].value += count
        row.by_sex[line["sex"]].value += count
    origins = ActionOrigin.objects.filter(action__in=held.values("pk")).order_by()
    for line in origins.annotate(k=key("action__")).values("k").annotate(n=Count("pk")):
        rows[line["k"]].started.value += line["n"]


def _totals(rows: list[ResultRow]) -> ResultRow:
    total = ResultRow(key="total", label="Total")
    for row in rows:
        total.actions += row.actions
        total.minutes += row.minutes
        total.contacts.value += row.contacts.value
        total.reached.value += row.reached.value
        total.started.value += row.started.value
        for key in AGE_GROUPS:
            total.by_age[key].value += row.by_age[key].value
        for key in SEXES:
            total.by_sex[key].value += row.by_sex[key].value
    return total


def _side_counts(territory, start, end, commune_ids, qpv_ids) -> dict:
    qs = _in_places(
        in_period(OutreachAction.objects.filter(territory=territory), start, end), commune_ids, qpv_ids
    )
    return qs.aggregate(
        without_report=Count(
            "pk", filter=Q(status=OutreachAction.Status.PLANNED, starts_at__lt=timezone.now())
        ),
        cancelled=Count("pk", filter=Q(status=OutreachAction.Status.CANCELLED)),
    )


def _finish(rows: list[ResultRow], territory, start, end, commune_ids, qpv_ids) -> Results:
    total = _totals(rows)
    apply_secrecy(rows, total)
    return Results(rows, total, start, end, **_side_counts(territory, start, end, commune_ids, qpv_ids))


def results_by_qpv(territory, start: date, end: date, commune_ids=None, qpv_ids=None) -> Results:
    """One row per QPV of the perimeter (and one for actions outside any QPV, when there are some)."""
    qpvs = list(perimeter_qpvs(territory, commune_ids))
    if qpv_ids:
        qpvs = [q for q in qpvs if q.pk in set(qpv_ids)]
    rows: dict = defaultdict(lambda: ResultRow(key="", label=OUTSIDE_QPV))
    rows.update({q.pk: ResultRow(key=q.code, label=q.name) for q in qpvs})
    _tally(_held(territory, start, end, commune_ids, qpv_ids), _by_qpv, rows)
    # A QPV no longer in the current perimeter still shows the actions held there.
    known = {q.pk for q in qpvs}
    extra = {pk: row for pk, row in rows.items() if pk is not None and pk not in known}
    for q in QPV.objects.filter(pk__in=list(extra)).only("pk", "code", "name"):
        extra[q.pk].key, extra[q.pk].label = q.code, q.name
    ordered = sorted((rows[q.pk] for q in qpvs), key=lambda r: r.label)
    ordered += sorted(extra.values(), key=lambda r: r.label)
    if None in rows:
        ordered.append(rows[None])
    return _finish(ordered, territory, start, end, commune_ids, qpv_ids)


def months_between(start: date, end: date) -> list[tuple[int, int]]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def results_by_month(territory, start: date, end: date, commune_ids=None, qpv_ids=None) -> Results:
    """One row per calendar month of the period, months without any action included."""
    rows = {
        (year, month): ResultRow(key=f"{year}-{month:02d}", label=month_label(year, month))
        for year, month in months_between(start, end)
    }
    by_month: dict = defaultdict(ResultRow)
    _tally(_held(territory, start, end, commune_ids, qpv_ids), _by_month, by_month)
    for moment, figures in by_month.items():
        local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
        row = rows[(local.year, local.month)]
        _merge(row, figures)
    return _finish(list(rows.values()), territory, start, end, commune_ids, qpv_ids)


def _merge(row: ResultRow, figures: ResultRow) -> None:
    row.actions += figures.actions
    row.minutes += figures.minutes
    row.contacts.value += figures.contacts.value
    row.reached.value += figures.reached.value
    row.started.value += figures.started.value
    for key in AGE_GROUPS:
        row.by_age[key].value += figures.by_age[key].value
    for key in SEXES:
        row.by_sex[key].value += figures.by_sex[key].value
