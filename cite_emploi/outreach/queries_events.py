"""Reads of recruitment events: lists, an event's page, candidates as each viewer may see them, figures.

- Professionals (coordination, counsellors) read every event of their territory. A candidate appears
  by name only to the members of their follow-up (``followup.access``); everyone else reads
  « Candidat n° N », N being the order of invitation at the event.
- An employer reads the events open for registration and those their organisation registered for.
  Their reads never load a person's record: a candidate is a number and, when the person has a
  published talent profile, its reference.
- Figures are counted from the records (registrations, offers, candidates, interviews), in one query
  whatever the number of events; the all-events results apply statistical secrecy
  (``core.secrecy``) to every count of people.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cite_emploi.core.secrecy import Figure, hide_small, protect, secrecy_threshold
from cite_emploi.followup import access
from cite_emploi.followup.models import Beneficiary, FollowUp, FollowUpMember
from cite_emploi.partners.models import Organisation
from cite_emploi.talent.models import JobOffer, TalentProfile

from .models import EventCandidate, EventEmployer, EventOffer, Interview, RecruitmentEvent

PROFESSIONALS = access.PROFESSIONAL_ROLES


def is_professional(scope) -> bool:
    return scope.territory is not None and (scope.is_platform_admin or scope.has_role(*PROFESSIONALS))


def employer_organisation_ids(scope) -> list[int]:
    return [m.organisation_id for m in scope.memberships if m.role == "employer"]


def employer_organisations(scope) -> list[Organisation]:
    return [m.organisation for m in scope.memberships if m.role == "employer"]


def _start_of_today() -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


def open_for_registration(now: datetime | None = None) -> Q:
    """Events employers may still register for (the rule of ``events.registration_closed_reason``)."""
    now = now or timezone.now()
    return (
        Q(registration_open=True, starts_at__gt=now)
        & ~Q(status__in=[RecruitmentEvent.Status.CANCELLED, RecruitmentEvent.Status.DONE])
        & (Q(registration_deadline__isnull=True) | Q(registration_deadline__gte=timezone.localdate(now)))
    )


def visible_events(scope) -> QuerySet[RecruitmentEvent]:
    if scope.territory is None:
        return RecruitmentEvent.objects.none()
    events = RecruitmentEvent.objects.filter(territory=scope.territory)
    if is_professional(scope):
        return events
    if scope.has_role("employer"):
        registered = EventEmployer.objects.filter(
            event=OuterRef("pk"), organisation__in=employer_organisation_ids(scope)
        )
        return events.filter(open_for_registration() | Q(Exists(registered)))
    return RecruitmentEvent.objects.none()


def with_place(events: QuerySet[RecruitmentEvent]) -> QuerySet[RecruitmentEvent]:
    # Outlines are large and never shown on these pages.
    return events.select_related("qpv", "commune").defer("qpv__geometry", "commune__geometry")


def get_event(scope, pk: int) -> RecruitmentEvent:
    return get_object_or_404(with_place(visible_events(scope)), pk=pk)


def public_event(pk: int) -> RecruitmentEvent:
    """The event of the public registration page (title, date and place are public)."""
    return get_object_or_404(with_place(RecruitmentEvent.objects.select_related("territory")), pk=pk)


def organisers_prefetch() -> Prefetch:
    return Prefetch("organisers", queryset=Organisation.objects.only("pk", "name").order_by("name"))


# --- counts, in subqueries so that one query gives every event its figures ----------------------


def _count(queryset: QuerySet, link: str = "event") -> Coalesce:
    counted = (
        queryset.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _posts() -> Coalesce:
    summed = (
        EventOffer.objects.filter(event=OuterRef("pk"))
        .order_by()
        .values("event")
        .annotate(n=Sum("offer__posts"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(summed, output_field=IntegerField()), 0)


FIGURES = ("employers", "offers", "posts", "invited", "prepared", "present", "interviews", "hires")
PEOPLE = ("invited", "prepared", "present", "interviews", "hires")


def with_figures(events: QuerySet[RecruitmentEvent]) -> QuerySet[RecruitmentEvent]:
    candidates = EventCandidate.objects.all()
    interviews = Interview.objects.all()
    return events.annotate(
        f_employers=_count(EventEmployer.objects.filter(status=EventEmployer.Status.CONFIRMED)),
        f_offers=_count(EventOffer.objects.all()),
        f_posts=_posts(),
        f_invited=_count(candidates),
        f_prepared=_count(candidates.filter(prepared=True)),
        f_present=_count(candidates.filter(status=EventCandidate.Status.PRESENT)),
        f_interviews=_count(interviews, "candidate__event"),
        f_hires=_count(interviews.filter(result=Interview.Result.HIRED), "candidate__event"),
    )


@dataclass
class Figures:
    employers: int = 0
    offers: int = 0
    posts: int = 0
    invited: int = 0
    prepared: int = 0
    present: int = 0
    interviews: int = 0
    hires: int = 0

    @classmethod
    def of(cls, event) -> "Figures":
        return cls(**{name: getattr(event, f"f_{name}") for name in FIGURES})

    @property
    def hire_rate(self) -> float | None:
        """Hires per candidate present: the share of the people who came who got a job."""
        return self.hires / self.present if self.present else None


def event_figures(event: RecruitmentEvent) -> Figures:
    return Figures.of(with_figures(RecruitmentEvent.objects.filter(pk=event.pk)).get())


# --- lists --------------------------------------------------------------------------------------


def event_list(scope, *, past: bool = False, kind: str = "") -> QuerySet[RecruitmentEvent]:
    """Upcoming (from today, soonest first) or past events (latest first), with their counts."""
    start = _start_of_today()
    events = visible_events(scope)
    events = events.filter(starts_at__lt=start) if past else events.filter(starts_at__gte=start)
    if kind:
        events = events.filter(kind=kind)
    events = with_place(events).prefetch_related(organisers_prefetch())
    events = events.annotate(
        n_employers=_count(EventEmployer.objects.filter(status=EventEmployer.Status.CONFIRMED)),
        n_offers=_count(EventOffer.objects.all()),
        n_candidates=_count(EventCandidate.objects.all()),
    )
    if not is_professional(scope):
        mine = EventEmployer.objects.filter(
            event=OuterRef("pk"), organisation__in=employer_organisation_ids(scope)
        ).order_by("pk")
        events = events.annotate(my_status=Subquery(mine.values("status")[:1]))
    return events.order_by("-starts_at", "-pk") if past else events.order_by("starts_at", "pk")


# --- an event's page ----------------------------------------------------------------------------


def _offers_prefetch() -> Prefetch:
    return Prefetch(
        "event_offers",
        queryset=EventOffer.objects.select_related("offer__appellation").order_by("offer__title", "pk"),
    )


def registrations(event: RecruitmentEvent, organisation_ids=None) -> QuerySet[EventEmployer]:
    """Employers registered, pending first; only those of ``organisation_ids`` when given."""
    qs = event.employers.select_related("organisation").defer("organisation__description")
    if organisation_ids is not None:
        qs = qs.filter(organisation__in=organisation_ids)
    return qs.prefetch_related(_offers_prefetch()).order_by("-status", "company_name", "pk")


def confirmed_employers(event: RecruitmentEvent) -> QuerySet[EventEmployer]:
    return event.employers.filter(status=EventEmployer.Status.CONFIRMED).order_by("company_name", "pk")


def presented_offers(event: RecruitmentEvent) -> QuerySet[EventOffer]:
    return event.event_offers.select_related("offer__appellation", "employer").order_by(
        "employer__company_name", "offer__title", "pk"
    )


def addable_offers(registration: EventEmployer) -> QuerySet[JobOffer]:
    """Open offers of the employer not presented at the event yet."""
    return (
        JobOffer.objects.filter(organisation_id=registration.organisation_id, status=JobOffer.Status.OPEN)
        .exclude(event_offers__event=registration.event_id)
        .select_related("appellation")
        .order_by("title", "pk")
    )


def open_offers_of(organisation_ids) -> QuerySet[JobOffer]:
    return (
        JobOffer.objects.filter(organisation__in=organisation_ids, status=JobOffer.Status.OPEN)
        .select_related("appellation", "organisation")
        .order_by("organisation__name", "title", "pk")
    )


@dataclass
class CandidateLine:
    number: int  # order of invitation at the event, from 1
    candidate: EventCandidate
    visible: bool  # the viewer belongs to this person's follow-up
    interviews: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.candidate.follow_up.beneficiary) if self.visible else f"Candidat n° {self.number}"


def _interviews_prefetch(queryset=None) -> Prefetch:
    return Prefetch(
        "interviews",
        queryset=(queryset or Interview.objects.all()).select_related("employer", "offer").order_by("pk"),
    )


def candidate_lines(event: RecruitmentEvent, scope) -> list[CandidateLine]:
    """The candidates as a professional reads them: names only where they belong to the follow-up."""
    mine = FollowUpMember.objects.filter(
        follow_up=OuterRef("follow_up"), user=scope.user, ended_on__isnull=True
    )
    candidates = (
        event.candidates.annotate(visible=Exists(mine))
        .select_related("follow_up__beneficiary", "organisation")
        .prefetch_related(_interviews_prefetch())
        .order_by("pk")
    )
    lines = []
    for number, candidate in enumerate(candidates, 1):
        visible = bool(candidate.visible) and candidate.follow_up.beneficiary.anonymised_at is None
        lines.append(CandidateLine(number, candidate, visible, list(candidate.interviews.all())))
    return lines


@dataclass
class AnonymousCandidate:
    """A candidate as an employer reads them: a number and, maybe, a published profile's reference."""

    number: int
    reference: str | None
    interviews: list = field(default_factory=list)


def employer_candidates(event: RecruitmentEvent, organisation_ids) -> list[AnonymousCandidate]:
    published = TalentProfile.objects.filter(
        follow_up=OuterRef("follow_up"),
        status=TalentProfile.Status.PUBLISHED,
        consent_withdrawn_on__isnull=True,
    ).values("reference")[:1]
    rows = (
        event.candidates.annotate(reference=Subquery(published)).order_by("pk").values_list("pk", "reference")
    )
    interviews: dict[int, list] = {}
    for interview in (
        Interview.objects.filter(candidate__event=event, employer__organisation__in=organisation_ids)
        .select_related("employer", "offer")
        .order_by("pk")
    ):
        interviews.setdefault(interview.candidate_id, []).append(interview)
    return [
        AnonymousCandidate(number, reference, interviews.get(pk, []))
        for number, (pk, reference) in enumerate(rows, 1)
    ]


def candidate_number(candidate: EventCandidate) -> int:
    return EventCandidate.objects.filter(event_id=candidate.event_id, pk__lte=candidate.pk).count()


def get_candidate(event: RecruitmentEvent, scope, pk: int, *, manager: bool) -> EventCandidate:
    """A candidate the user may act on: a member of their follow-up, or an organiser; else 404."""
    candidates = event.candidates.select_related("follow_up__beneficiary", "organisation")
    if not manager:
        candidates = candidates.filter(follow_up__in=access.visible_follow_ups(scope))
    return get_object_or_404(candidates, pk=pk)


def invitable(scope, event: RecruitmentEvent) -> QuerySet[Beneficiary]:
    """The people the user follows (open follow-ups) not invited to the event yet."""
    return (
        access.visible_beneficiaries(scope)
        .filter(follow_up__status=FollowUp.Status.OPEN)
        .exclude(follow_up__event_candidacies__event=event)
        .order_by("last_name", "first_name", "pk")
    )


def candidacies_of(follow_up: FollowUp) -> QuerySet[EventCandidate]:
    """The events a person was invited to, latest first (the caller checked membership)."""
    return (
        follow_up.event_candidacies.select_related("event")
        .prefetch_related(_interviews_prefetch())
        .order_by("-event__starts_at", "-pk")
    )


def upcoming_for(
    candidacies: list[EventCandidate], territory_id: int, limit: int = 5
) -> QuerySet[RecruitmentEvent]:
    """The next events of the territory the person is not invited to yet.

    ``candidacies`` are the person's (``candidacies_of``), already read by the person's page: their
    events are left out by id, which costs less to build than a join on the candidates.
    """
    return (
        RecruitmentEvent.objects.filter(territory_id=territory_id, starts_at__gte=timezone.now())
        .exclude(status=RecruitmentEvent.Status.CANCELLED)
        .exclude(pk__in=[c.event_id for c in candidacies])
        .only("title", "starts_at")
        .order_by("starts_at", "pk")[:limit]
    )


def interviews_of(candidate: EventCandidate) -> QuerySet[Interview]:
    return candidate.interviews.select_related("employer", "offer").order_by("pk")


# --- results of all events, under statistical secrecy -------------------------------------------


@dataclass
class ResultRow:
    event: RecruitmentEvent | None  # None: the total
    employers: int
    offers: int
    posts: int
    people: dict[str, Figure]

    @property
    def hire_rate(self) -> str:
        hires, present = self.people["hires"], self.people["present"]
        if hires.hidden or present.hidden:
            return "secret statistique"
        if not present.value:
            return "—"
        return f"{100 * hires.value / present.value:.0f} %".replace(".", ",")


@dataclass
class Results:
    rows: list[ResultRow]
    total: ResultRow
    distinct_employers: int  # organisations, each counted once however many events they took part in
    threshold: int
    period: tuple[date | None, date | None] | None


def _protect(rows: list[ResultRow], total: ResultRow, threshold: int) -> None:
    """Hide every count of people below the threshold, and whatever a total would give away
    (``core.secrecy``: each column of people and its total is a group)."""
    columns = [(total.people[name], [row.people[name] for row in rows]) for name in PEOPLE]
    hide_small((figure for column_total, cells in columns for figure in (column_total, *cells)), threshold)
    protect(columns)


def results(territory, period: tuple[date | None, date | None] | None = None) -> Results:
    """Figures of every event of the territory held in the period (cancelled ones left out), and their total."""
    events = RecruitmentEvent.objects.filter(territory=territory).exclude(
        status=RecruitmentEvent.Status.CANCELLED
    )
    if period:
        start, end = period
        if start:
            events = events.filter(starts_at__gte=timezone.make_aware(datetime.combine(start, time.min)))
        if end:
            events = events.filter(starts_at__lte=timezone.make_aware(datetime.combine(end, time.max)))
    rows = []
    for event in with_figures(with_place(events)).order_by("starts_at", "pk"):
        figures = Figures.of(event)
        rows.append(
            ResultRow(
                event,
                figures.employers,
                figures.offers,
                figures.posts,
                {name: Figure(getattr(figures, name)) for name in PEOPLE},
            )
        )
    total = ResultRow(
        None,
        sum(r.employers for r in rows),
        sum(r.offers for r in rows),
        sum(r.posts for r in rows),
        {name: Figure(sum(r.people[name].value for r in rows)) for name in PEOPLE},
    )
    distinct_employers = (
        EventEmployer.objects.filter(event__in=events, status=EventEmployer.Status.CONFIRMED)
        .values("organisation")
        .distinct()
        .count()
    )
    threshold = secrecy_threshold()
    _protect(rows, total, threshold)
    return Results(rows, total, distinct_employers, threshold, period)
