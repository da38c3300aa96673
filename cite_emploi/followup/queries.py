"""Reads of the shared follow-up, shared by pages and exports. Every one starts from ``access``."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone

from cite_emploi.accounts.models import Membership
from cite_emploi.core.models import AuditEntry
from cite_emploi.territory.models import QPV, Commune, RomeAppellation

from . import access
from .models import (
    AgeGroup,
    Barrier,
    BarrierStatusChange,
    Beneficiary,
    FollowUp,
    FollowUpMember,
    JoinRequest,
    TimelineEvent,
    fold_name,
)

PAGE_SIZE = 20
CONTACT_KINDS = (TimelineEvent.Kind.CONTACT, TimelineEvent.Kind.APPOINTMENT)
OPEN_BARRIER_STATUSES = (Barrier.Status.IDENTIFIED, Barrier.Status.IN_PROGRESS, Barrier.Status.NOT_LIFTED)


# --- barriers at a past date (the status history) ----------------------------------------------


def barriers_in_status_on(barriers: QuerySet[Barrier], statuses, day: date) -> QuerySet[Barrier]:
    """The barriers whose status on ``day`` (at its end) was one of ``statuses``.

    A barrier that has not changed since ``day`` has its current status; only those changed after
    it look up their last status on or before ``day`` in their history (one index probe each).
    """
    status_then = Subquery(
        BarrierStatusChange.objects.filter(barrier=OuterRef("pk"), changed_on__lte=day)
        .order_by("-changed_on", "-pk")
        .values("status")[:1]
    )
    return (
        barriers.filter(identified_on__lte=day)
        .alias(status_then=status_then)
        .filter(
            Q(status_changed_on__lte=day, status__in=statuses)
            | Q(status_changed_on__gt=day, status_then__in=statuses)
        )
    )


def barriers_moved_to(barriers: QuerySet[Barrier], status: str, start: date, end: date) -> QuerySet[Barrier]:
    """The barriers that took ``status`` between ``start`` and ``end`` (inclusive), each once."""
    moves = BarrierStatusChange.objects.filter(
        barrier=OuterRef("pk"), status=status, changed_on__range=(start, end)
    )
    return barriers.filter(Exists(moves))


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def birth_date_range(group: str, today: date | None = None) -> Q:
    """The birth dates of an age group on ``today``, as a filter (jeunes < 26, adultes 26–49, seniors ≥ 50)."""
    today = today or timezone.localdate()
    born_26 = years_before(today, 26)  # people born on this day turn 26 today
    born_50 = years_before(today, 50)
    if group == AgeGroup.YOUNG:
        return Q(birth_date__gt=born_26)
    if group == AgeGroup.ADULT:
        return Q(birth_date__gt=born_50, birth_date__lte=born_26)
    if group == AgeGroup.SENIOR:
        return Q(birth_date__lte=born_50)
    return Q()


@dataclass
class ListFilters:
    q: str = ""
    qpv: str = ""  # a QPV code, or "hors-qpv"
    age_group: str = ""
    category: str = ""
    status: str = FollowUp.Status.OPEN  # "" for every status
    contact_days: int | None = None  # last contact (appointment or contact) older than N days, or never


OUTSIDE_QPV = "hors-qpv"


def name_filter(q: str) -> Q:
    """Accent- and case-insensitive search on names (and the France Travail identifier).

    Names are folded once, on save, into ``Beneficiary.search_name`` (``models.search_key``: Unicode
    decomposition, marks dropped, case folded, punctuation as spaces, plus each name without its
    spaces); the query is folded the same way and each of its words must appear. The SQL is a plain
    ``LIKE '%word%'`` on both SQLite and PostgreSQL: neither engine needs an extension (no
    ``unaccent``), a collation or a function index, and both give the same answers.
    """
    condition = Q()
    for word in fold_name(q).split():
        condition &= Q(search_name__contains=word)
    compact = "".join(q.split()).upper()
    if compact:
        condition |= Q(france_travail_id=compact)
    return condition


def my_beneficiaries(scope, filters: ListFilters, *, today: date | None = None) -> QuerySet[Beneficiary]:
    """« Mes bénéficiaires »: the people whose follow-up the user belongs to, filtered and ordered.

    Only what filters and orders is in this query, so counting and paging cost the same for a
    counsellor with 20 people or 2,000 among 200,000; the columns shown (last contact, referent,
    open barriers) are computed for the shown page alone by ``list_rows``. Filters on the
    follow-up's rows correlate on the follow-up id, which their indexes start with.
    """
    now = timezone.now()
    qs = (
        access.visible_beneficiaries(scope)
        .select_related("follow_up", "qpv", "commune")
        # The outlines are large JSON documents: sorting 2,000 rows that carry them took most of the time.
        .defer("qpv__geometry", "commune__geometry")
    )
    if filters.q:
        qs = qs.filter(name_filter(filters.q))
    if filters.qpv == OUTSIDE_QPV:
        qs = qs.filter(qpv__isnull=True)
    elif filters.qpv:
        # The ids, not a join on the code: with the value known, PostgreSQL sees that a QPV holds
        # 16,000 people and starts from the user's 2,000 (31 ms instead of 60 in the benchmark).
        qs = qs.filter(qpv_id__in=list(QPV.objects.filter(code=filters.qpv).values_list("pk", flat=True)))
    if filters.age_group:
        qs = qs.filter(birth_date_range(filters.age_group, today))
    if filters.category:
        qs = qs.filter(
            Exists(Barrier.objects.filter(follow_up=OuterRef("follow_up"), category=filters.category))
        )
    if filters.status:
        qs = qs.filter(follow_up__status=filters.status)
    if filters.contact_days is not None:
        # « Last contact older than N days, or never » is « no contact in the last N days ».
        since = now - timedelta(days=filters.contact_days)
        recent = TimelineEvent.objects.filter(
            follow_up=OuterRef("follow_up"), kind__in=CONTACT_KINDS, at__gte=since, at__lte=now
        )
        qs = qs.filter(~Exists(recent))
    # Same order as ("last_name", "first_name", "pk"), as an expression no index can serve: otherwise
    # PostgreSQL walks the (territory, last_name) index of the whole territory hoping to meet 20 of the
    # user's people early (695 ms for a counsellor following 2,000 of 200,000 people, 64 ms this way).
    return qs.order_by(Concat("last_name", Value("")), "first_name", "pk")


def page_of_ids(queryset: QuerySet, number, size: int = PAGE_SIZE) -> Page:
    """Page ``number`` of the ids of ``queryset``, counted in the same query.

    Paginating the usual way runs the filters twice, once for ``COUNT`` and once for the page:
    for a coordinator following 10,000 of 200,000 people, each pass costs about 45 ms on
    PostgreSQL. Here the page's ids come with ``COUNT(*) OVER ()``, the size of the whole result;
    only a page past the end (no row to carry the count) falls back to a separate ``COUNT``.
    """
    ids = queryset.values_list("pk", flat=True)
    paginator = Paginator(ids, size)
    try:
        wanted = max(1, int(number))
    except (TypeError, ValueError):
        wanted = 1
    start = (wanted - 1) * size
    rows = list(queryset.annotate(total=Window(Count("*"))).values_list("pk", "total")[start : start + size])
    if rows:
        paginator.__dict__["count"] = rows[0][1]  # Paginator.count is a cached property
        page = paginator.get_page(wanted)
        page.object_list = [pk for pk, _ in rows]
        return page
    page = paginator.get_page(number)  # past the end: the last page, counted apart
    page.object_list = list(page.object_list)
    return page


LIST_COLUMNS = (
    "territory_id",
    "first_name",
    "last_name",
    "birth_date",
    "is_demo",
    "qpv__name",
    "commune__name",
    "follow_up__status",
    "follow_up__closed_on",
)


def list_rows(page_ids, scope) -> list[Beneficiary]:
    """The rows of one page of ``my_beneficiaries``, with the columns the list shows.

    ``page_ids`` is one page of ``my_beneficiaries(scope, …)`` (``page_of_ids``): the database
    reads the 20 people and computes ``last_contact_at``,
    ``referent_organisation``, ``is_mine`` and ``open_barriers`` for them only — never for every
    person the user follows. The ids come from the scoped query, so no other scope check is needed.
    """
    now = timezone.now()
    follow_up = OuterRef("follow_up")
    last_contact = (
        TimelineEvent.objects.filter(follow_up=follow_up, kind__in=CONTACT_KINDS, at__lte=now)
        .order_by("-at")
        .values("at")[:1]
    )
    referent = FollowUpMember.objects.filter(follow_up=follow_up, is_referent=True, ended_on__isnull=True)
    open_barriers = (
        Barrier.objects.filter(follow_up=follow_up, status__in=OPEN_BARRIER_STATUSES)
        .order_by()
        .values("follow_up")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        Beneficiary.objects.filter(pk__in=page_ids)
        .select_related("follow_up", "qpv", "commune")
        # The columns the list shows, and the territory its audit entries need: converting the other
        # dates and loading the outlines took most of the time of this query.
        .only(*LIST_COLUMNS)
        .annotate(
            last_contact_at=Subquery(last_contact),
            referent_organisation=Subquery(referent.values("organisation__name")[:1]),
            is_mine=Exists(referent.filter(user=scope.user)),
            open_barriers=Coalesce(Subquery(open_barriers), 0),
        )
        .order_by("last_name", "first_name", "pk")
    )


def _readable(scope) -> Q:
    organisations = [o.pk for o in scope.organisations]
    if not organisations:  # an empty IN () cannot be compiled inside the aggregates of timeline_counts
        return Q(visibility=TimelineEvent.Visibility.MEMBERS)
    return Q(visibility=TimelineEvent.Visibility.MEMBERS) | Q(
        visibility=TimelineEvent.Visibility.ORGANISATION, organisation_id__in=organisations
    )


TIMELINE_COLUMNS = (
    "follow_up_id",
    "kind",
    "at",
    "visibility",
    "text",
    "author__first_name",
    "author__last_name",
    "author__email",
    "organisation__name",
)


def visible_events(follow_up: FollowUp, scope) -> QuerySet[TimelineEvent]:
    """The timeline as this user may read it: « mon organisation » lines only for that organisation."""
    return (
        follow_up.events.filter(_readable(scope))
        .select_related("author", "organisation")
        # What the page and the exports show of the author and the organisation: their whole rows
        # doubled the cost of reading the lines.
        .only(*TIMELINE_COLUMNS)
        .order_by("-at", "-pk")
    )


def timeline_counts(follow_up: FollowUp, scope) -> tuple[int, int]:
    """(lines this user may read, lines reserved to another organisation), in one pass over the timeline."""
    readable = _readable(scope)
    counts = follow_up.events.aggregate(
        shown=Count("pk", filter=readable), hidden=Count("pk", filter=~readable)
    )
    return counts["shown"], counts["hidden"]


def hidden_event_count(follow_up: FollowUp, scope) -> int:
    return timeline_counts(follow_up, scope)[1]


def members(follow_up: FollowUp, *, active_only: bool = False) -> QuerySet[FollowUpMember]:
    qs = follow_up.members.select_related("user", "organisation")
    if active_only:
        qs = qs.filter(ended_on__isnull=True)
    return qs.order_by("ended_on", "-is_referent", "started_on", "pk")


def acting_organisations(scope) -> list:
    """The organisations in which the user works as a professional (coordination or counsellor)."""
    seen, result = set(), []
    for m in scope.memberships:
        if m.role in access.PROFESSIONAL_ROLES and m.organisation_id not in seen:
            seen.add(m.organisation_id)
            result.append(m.organisation)
    return result


def perimeter_qpvs(territory) -> QuerySet[QPV]:
    return (
        QPV.objects.filter(
            perimeter_areas__perimeter__territory=territory,
            perimeter_areas__perimeter__is_current=True,
            geography_year=2024,
        )
        .distinct()
        .order_by("name")
    )


def territory_communes(territory) -> QuerySet[Commune]:
    return (
        Commune.objects.filter(Q(territories=territory) | Q(perimeter_areas__perimeter__territory=territory))
        .distinct()
        .order_by("name")
    )


@cache
def _folded_appellations(version: tuple) -> list[tuple[str, int, int]]:
    """(folded label, label length, pk) of every ROME title; rebuilt when the referential changes."""
    return [
        (fold_name(label), len(label), pk) for pk, label in RomeAppellation.objects.values_list("pk", "label")
    ]


def appellation_rows(appellations) -> list[dict]:
    """The JSON shape of ROME job titles that every suggestion endpoint answers with."""
    return [
        {"code": a.code, "libelle": a.label, "code_rome": a.occupation.code, "metier": a.occupation.label}
        for a in appellations
    ]


def search_appellations(q: str, limit: int = 15) -> list[RomeAppellation]:
    """ROME job titles whose every word matches (accents ignored), best first; or the titles of a ROME code.

    The referential (about 11,000 titles) is folded once per process, so the match is the same on
    both engines and costs two small queries.
    """
    code = q.strip().upper()
    if len(code) == 5 and code[0].isalpha() and code[1:].isdigit():
        return list(
            RomeAppellation.objects.filter(occupation__code=code)
            .select_related("occupation")
            .order_by("label")[:limit]
        )
    words = fold_name(q).split()
    if not words or len("".join(words)) < 2:
        return []
    version = tuple(RomeAppellation.objects.aggregate(n=Count("pk"), top=Max("pk")).values())
    found = [
        (not folded.startswith(words[0]), length, pk)
        for folded, length, pk in _folded_appellations(version)
        if all(w in folded for w in words)
    ]
    best = [pk for *_, pk in sorted(found)[:limit]]
    by_pk = RomeAppellation.objects.select_related("occupation").in_bulk(best)
    return [by_pk[pk] for pk in best if pk in by_pk]


def pending_join_requests_for_referent(user) -> QuerySet[JoinRequest]:
    """Requests to join follow-ups where ``user`` is the active referent."""
    referent_of = FollowUpMember.objects.filter(
        follow_up=OuterRef("follow_up"), user=user, is_referent=True, ended_on__isnull=True
    )
    return (
        JoinRequest.objects.filter(Exists(referent_of), status=JoinRequest.Status.PENDING)
        .select_related("requester", "organisation", "follow_up__beneficiary")
        .order_by("created_at")
    )


def join_requests_sent_by(user) -> QuerySet[JoinRequest]:
    return (
        JoinRequest.objects.filter(requester=user).select_related("organisation").order_by("-created_at")[:50]
    )


def get_join_request_for_referent(user, pk: int) -> JoinRequest | None:
    return pending_join_requests_for_referent(user).filter(pk=pk).first()


@dataclass
class AuditFilters:
    beneficiary_id: int | None = None
    user_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def audit_entries(territory, filters: AuditFilters) -> QuerySet[AuditEntry]:
    """The audit log of a territory: who did what on which record, when; never the data itself."""
    qs = AuditEntry.objects.filter(territory_id=territory.pk).select_related("actor")
    if filters.beneficiary_id:
        qs = qs.filter(object_type=Beneficiary._meta.label_lower, object_id=str(filters.beneficiary_id))
    if filters.user_id:
        qs = qs.filter(actor_id=filters.user_id)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(at__gte=datetime.combine(filters.date_from, datetime.min.time(), tzinfo=tz))
    if filters.date_to:
        qs = qs.filter(
            at__lt=datetime.combine(filters.date_to + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        )
    return qs.order_by("-at", "-pk")


def territory_professionals(territory):
    """Users of the territory's organisations, for the audit log filter."""
    from django.contrib.auth import get_user_model

    user_ids = Membership.objects.filter(organisation__territory=territory).values("user_id")
    return get_user_model().objects.filter(pk__in=user_ids).order_by("last_name", "first_name", "email")
