"""Reads of the governance: committees, their meetings, the decisions to follow and the committee pack.

Rules:

* **Scope.** Every read takes the user's territory: a committee, a meeting or a decision of another
  territory is a 404, never a 403 that would confirm it exists.
* **List of committees.** The COPIL first, then the COTECH, then the other instances, by name. Each
  comes with its next meeting (the first on or after today), its last one (the latest before today)
  and its open decisions (and how many are overdue), counted by subqueries: the page runs the same
  queries for 2 committees with 10 decisions and for 20 with 10 000.
* **Next meeting** of a committee (the one its pack is for): the first on or after today; when none is
  planned, the latest one. **Previous meeting**: the same committee's meeting just before (by date,
  then by order of entry).
* **Decisions to follow.** By default the open ones (« à faire »). Open decisions come first, the
  overdue ones (due date passed) at the very top, then by due date, those without one last; then the
  realised and the abandoned ones. Filters: committee, owner organisation, status.
* **The committee pack** (``committee_pack``) is prepared at ``as_of``, the meeting's date or today if
  it is still to come: the plan in force at that date (``queries_plan.current_plan``), each action's
  status, milestones (late: due before ``as_of`` and not done) and targets
  (``targets.plan_progress``), the money (``money.budget``: granted, planned, spent and remaining by
  funding, by year and by funding and year; ``money.underspend_alerts``), the key figures of the
  twelve months to ``as_of`` and of the twelve months before, through the indicator registry (so
  under statistical secrecy), the open decisions of every committee of the territory by due date
  (overdue flagged) and the decisions taken at the committee's previous meeting. Amounts and
  statuses are those recorded today: the platform keeps no history of them. The pack never reads a
  person: organisations, professionals and aggregated figures only. Its queries do not depend on the
  number of actions, decisions or records.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cite_emploi.core.charts import format_number
from cite_emploi.diagnostic import indicators
from cite_emploi.diagnostic.indicators import Period
from cite_emploi.partners.directory import safe_cell
from cite_emploi.partners.models import Organisation, OrganisationKind

from . import money, targets
from .models import Action, ActionPlan, Committee, Decision, Funding, Meeting, Milestone
from .queries_plan import current_plan, plan_actions

# The figures a COPIL asks for first: people followed, barriers lifted, outcomes, outreach, hires.
KEY_INDICATORS = (
    "beneficiaires_suivis",
    "freins_leves",
    "sorties",
    "personnes_rencontrees",
    "recrutements_operations",
)
KIND_ORDER = Case(
    When(kind=Committee.Kind.COPIL, then=Value(0)),
    When(kind=Committee.Kind.COTECH, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
STATUS_FILTERS = [("", "Toutes"), *Decision.Status.choices]


# --- committees and meetings ------------------------------------------------------------------------


def _count_of(qs: QuerySet, group: str):
    """A correlated count that joins nothing to the outer query (so counts never multiply)."""
    return Coalesce(
        Subquery(qs.order_by().values(group).annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def committees(territory, today: date | None = None) -> QuerySet[Committee]:
    """The territory's committees, COPIL first, each with ``next_meeting_id`` / ``next_meeting_on``,
    ``last_meeting_id`` / ``last_meeting_on``, ``meeting_count``, ``open_decisions`` and
    ``overdue_decisions`` (see the module's rules)."""
    today = today or timezone.localdate()
    meetings = Meeting.objects.filter(committee=OuterRef("pk"))
    upcoming = meetings.filter(held_on__gte=today).order_by("held_on", "pk")
    past = meetings.filter(held_on__lt=today).order_by("-held_on", "-pk")
    open_decisions = Decision.objects.filter(meeting__committee=OuterRef("pk"), status=Decision.Status.OPEN)
    return (
        Committee.objects.filter(territory=territory)
        .annotate(
            kind_rank=KIND_ORDER,
            next_meeting_id=Subquery(upcoming.values("pk")[:1]),
            next_meeting_on=Subquery(upcoming.values("held_on")[:1]),
            last_meeting_id=Subquery(past.values("pk")[:1]),
            last_meeting_on=Subquery(past.values("held_on")[:1]),
            meeting_count=_count_of(Meeting.objects.filter(committee=OuterRef("pk")), "committee"),
            open_decisions=_count_of(open_decisions, "meeting__committee"),
            overdue_decisions=_count_of(open_decisions.filter(due_on__lt=today), "meeting__committee"),
        )
        .order_by("kind_rank", "name", "pk")
    )


def get_committee(territory, pk: int) -> Committee:
    return get_object_or_404(Committee.objects.select_related("territory"), pk=pk, territory=territory)


def committee_members(committee: Committee) -> QuerySet[Organisation]:
    return committee.members.only("pk", "name", "kind").order_by("name")


def committee_meetings(committee: Committee, today: date | None = None) -> QuerySet[Meeting]:
    """The committee's meetings, latest first, with ``decision_count``, ``open_decisions`` and ``is_past``."""
    today = today or timezone.localdate()
    return (
        Meeting.objects.filter(committee=committee)
        .annotate(
            decision_count=Count("decisions"),
            open_decisions=Count("decisions", filter=Q(decisions__status=Decision.Status.OPEN)),
            is_past=Case(When(held_on__lt=today, then=True), default=False, output_field=BooleanField()),
        )
        .order_by("-held_on", "-pk")
    )


def get_meeting(territory, pk: int) -> Meeting:
    return get_object_or_404(
        Meeting.objects.select_related("committee__territory", "created_by"),
        pk=pk,
        committee__territory=territory,
    )


def next_meeting(committee: Committee, today: date | None = None) -> Meeting | None:
    """The meeting the committee's pack is for: the first on or after today, else the latest."""
    today = today or timezone.localdate()
    meetings = Meeting.objects.filter(committee=committee).select_related("committee__territory")
    return (
        meetings.filter(held_on__gte=today).order_by("held_on", "pk").first()
        or meetings.order_by("-held_on", "-pk").first()
    )


def previous_meeting(meeting: Meeting) -> Meeting | None:
    return (
        Meeting.objects.filter(committee_id=meeting.committee_id)
        .filter(Q(held_on__lt=meeting.held_on) | Q(held_on=meeting.held_on, pk__lt=meeting.pk))
        .select_related("committee")
        .order_by("-held_on", "-pk")
        .first()
    )


# --- decisions --------------------------------------------------------------------------------------


def _with_follow_up_order(qs: QuerySet[Decision], today: date) -> QuerySet[Decision]:
    return qs.annotate(
        is_overdue=Case(
            When(status=Decision.Status.OPEN, due_on__lt=today, then=True),
            default=False,
            output_field=BooleanField(),
        ),
        follow_rank=Case(
            When(status=Decision.Status.OPEN, due_on__lt=today, then=Value(0)),
            When(status=Decision.Status.OPEN, then=Value(1)),
            When(status=Decision.Status.DONE, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ),
    ).order_by("follow_rank", F("due_on").asc(nulls_last=True), "meeting__held_on", "pk")


def meeting_decisions(meeting: Meeting, today: date | None = None) -> QuerySet[Decision]:
    """The decisions taken at ``meeting``, in their order of entry, with ``is_overdue``."""
    today = today or timezone.localdate()
    return (
        _with_follow_up_order(Decision.objects.filter(meeting=meeting), today)
        .select_related("action__plan", "owner_organisation")
        .order_by("pk")
    )


def get_decision(territory, pk: int) -> Decision:
    return get_object_or_404(
        Decision.objects.select_related("meeting__committee", "action__plan", "owner_organisation"),
        pk=pk,
        meeting__committee__territory=territory,
    )


def decisions_to_follow(
    territory,
    *,
    committee: Committee | None = None,
    owner_organisation: Organisation | None = None,
    status: str | None = Decision.Status.OPEN,
    today: date | None = None,
) -> QuerySet[Decision]:
    """The territory's decisions in follow-up order (see the module's rules); ``status`` None or "": all."""
    today = today or timezone.localdate()
    qs = Decision.objects.filter(meeting__committee__territory=territory)
    if committee is not None:
        qs = qs.filter(meeting__committee=committee)
    if owner_organisation is not None:
        qs = qs.filter(owner_organisation=owner_organisation)
    if status:
        qs = qs.filter(status=status)
    return _with_follow_up_order(qs, today).select_related(
        "meeting__committee", "action__plan", "owner_organisation"
    )


def owner_organisations(territory) -> QuerySet[Organisation]:
    """The organisations that own at least one decision of the territory (the list's filter)."""
    owners = Decision.objects.filter(meeting__committee__territory=territory).values("owner_organisation")
    return Organisation.objects.filter(territory=territory, pk__in=owners).only("pk", "name").order_by("name")


def member_choices(territory) -> QuerySet[Organisation]:
    """Organisations that may sit in a committee: the territory's partners, employers aside (their
    networks and clubs sit for them)."""
    return (
        Organisation.objects.filter(territory=territory)
        .exclude(kind=OrganisationKind.EMPLOYER)
        .only("pk", "name", "territory_id")
        .order_by("name")
    )


def owner_choices(territory) -> QuerySet[Organisation]:
    """Organisations that may own a decision: any of the territory's."""
    return (
        Organisation.objects.filter(territory=territory).only("pk", "name", "territory_id").order_by("name")
    )


def action_choices(territory, on: date | None = None) -> list[tuple[ActionPlan, list[Action]]]:
    """The territory's actions grouped by plan, the plan in force first, then the others latest first."""
    plan = current_plan(territory, on)
    actions = (
        Action.objects.filter(plan__territory=territory)
        .select_related("plan")
        .only("pk", "number", "title", "plan__id", "plan__title", "plan__version", "plan__starts_on")
        .order_by("plan__starts_on", "plan__version", "number")
    )
    grouped: dict[int, tuple[ActionPlan, list[Action]]] = {}
    for action in actions:
        grouped.setdefault(action.plan_id, (action.plan, []))[1].append(action)
    ordered = sorted(
        grouped.values(),
        key=lambda item: (
            item[0].pk != getattr(plan, "pk", None),
            -item[0].starts_on.toordinal(),
            -item[0].version,
        ),
    )
    return ordered


CSV_HEADER = [
    "Comité",
    "Réunion du",
    "Décision",
    "Action",
    "Responsable",
    "Structure responsable",
    "Échéance",
    "Statut",
    "En retard",
    "Réalisée le",
    "Suivi",
]


def decisions_csv(decisions, today: date | None = None) -> bytes:
    """The decisions as a CSV for a spreadsheet (« ; », UTF-8 with BOM, formulas neutralised)."""
    today = today or timezone.localdate()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for d in decisions:
        overdue = d.status == Decision.Status.OPEN and d.due_on is not None and d.due_on < today
        row = [
            d.meeting.committee.name,
            f"{d.meeting.held_on:%d/%m/%Y}",
            d.text,
            f"{d.action.code} — {d.action.title}" if d.action else "",
            d.owner,
            d.owner_organisation.name if d.owner_organisation else "",
            f"{d.due_on:%d/%m/%Y}" if d.due_on else "",
            d.get_status_display(),
            "oui" if overdue else "non",
            f"{d.done_on:%d/%m/%Y}" if d.done_on else "",
            d.follow_up,
        ]
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


# --- the committee pack -----------------------------------------------------------------------------


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{format_number(round(100 * rate))}\u00a0%"


@dataclass
class MoneyRow:
    label: str
    planned: Decimal
    spent: Decimal
    remaining: Decimal
    rate: float | None
    granted: Decimal | None = None
    detail: str = ""

    @classmethod
    def of(cls, label: str, amounts, granted: Decimal | None = None, detail: str = "") -> MoneyRow:
        return cls(label, amounts.planned, amounts.spent, amounts.remaining, amounts.rate, granted, detail)

    @property
    def labels(self) -> dict[str, str]:
        euros = money.format_euros
        return {
            "granted": "—" if self.granted is None else euros(self.granted),
            "planned": euros(self.planned),
            "spent": euros(self.spent),
            "remaining": euros(self.remaining),
            "rate": percent(self.rate),
        }


@dataclass
class ActionStatus:
    action: Action
    milestones: int
    milestones_done: int
    late_milestones: list[Milestone]
    next_milestone: Milestone | None
    targets: list
    money: MoneyRow


@dataclass
class KeyFigure:
    code: str
    label: str
    unit: str
    definition: str
    value: str
    previous: str
    hidden: bool


@dataclass
class Pack:
    meeting: Meeting
    committee: Committee
    as_of: date
    period: Period
    previous_period: Period
    plan: ActionPlan | None
    actions: list[ActionStatus] = field(default_factory=list)
    money_by_funding: list[MoneyRow] = field(default_factory=list)
    money_by_year: list[MoneyRow] = field(default_factory=list)
    money_by_funding_year: list[MoneyRow] = field(default_factory=list)
    money_total: MoneyRow | None = None
    alerts: list = field(default_factory=list)
    figures: list[KeyFigure] = field(default_factory=list)
    decisions_due: list[Decision] = field(default_factory=list)
    previous_meeting: Meeting | None = None
    previous_decisions: list[Decision] = field(default_factory=list)
    members: list[Organisation] = field(default_factory=list)
    generated_at: object = None

    @property
    def overdue_count(self) -> int:
        return sum(1 for d in self.decisions_due if d.is_overdue)

    @property
    def late_milestone_count(self) -> int:
        return sum(len(a.late_milestones) for a in self.actions)


def pack_date(meeting: Meeting, today: date | None = None) -> date:
    """The date a pack is prepared at: the meeting's, or today while it is still to come."""
    today = today or timezone.localdate()
    return min(meeting.held_on, today)


def _actions(plan: ActionPlan, as_of: date, budget) -> list[ActionStatus]:
    milestones: dict[int, list[Milestone]] = {}
    for milestone in Milestone.objects.filter(action__plan=plan).order_by("due_on", "pk"):
        milestones.setdefault(milestone.action_id, []).append(milestone)
    progress = targets.plan_progress(plan, as_of)
    result = []
    for action in plan_actions(plan):
        mine = milestones.get(action.pk, [])
        late = [m for m in mine if m.done_on is None and m.due_on < as_of]
        upcoming = [m for m in mine if m.done_on is None and m.due_on >= as_of]
        result.append(
            ActionStatus(
                action=action,
                milestones=len(mine),
                milestones_done=sum(1 for m in mine if m.done_on is not None),
                late_milestones=late,
                next_milestone=upcoming[0] if upcoming else None,
                targets=progress.get(action.pk, []),
                money=MoneyRow.of(action.code, budget.by_action.get(action.pk, money.Amounts())),
            )
        )
    return result


def _money(pack: Pack, budget) -> None:
    granted_by_funding: dict[int, Decimal] = {}
    granted_by_year: dict[int, Decimal] = {}
    for (funding_id, year), amount in budget.granted.items():
        granted_by_funding[funding_id] = granted_by_funding.get(funding_id, Decimal(0)) + amount
        granted_by_year[year] = granted_by_year.get(year, Decimal(0)) + amount
    # The Cité subsidy first, then the co-fundings in the order of their nature.
    kinds = list(Funding.Kind.values)

    def order(funding):
        return (kinds.index(funding.kind) if funding.kind in kinds else len(kinds), funding.title, funding.pk)

    fundings = sorted(budget.fundings.values(), key=order)
    for funding in fundings:
        pack.money_by_funding.append(
            MoneyRow.of(
                funding.title,
                budget.by_funding.get(funding.pk, money.Amounts()),
                granted_by_funding.get(funding.pk, Decimal(0)),
                detail=funding.funder,
            )
        )
    for funding in fundings:
        for year in budget.years:
            if (funding.pk, year) not in budget.granted and (funding.pk, year) not in budget.by_funding_year:
                continue
            pack.money_by_funding_year.append(
                MoneyRow.of(
                    funding.title,
                    budget.by_funding_year.get((funding.pk, year), money.Amounts()),
                    budget.granted.get((funding.pk, year), Decimal(0)),
                    detail=str(year),
                )
            )
    for year in budget.years:
        pack.money_by_year.append(
            MoneyRow.of(
                str(year), budget.by_year.get(year, money.Amounts()), granted_by_year.get(year, Decimal(0))
            )
        )
    pack.money_total = MoneyRow.of("Total", budget.total, sum(granted_by_funding.values(), Decimal(0)))


def _figures(territory, period: Period, previous: Period) -> list[KeyFigure]:
    result = []
    for code in KEY_INDICATORS:
        try:
            now = indicators.compute(code, territory, period)
            before = indicators.compute(code, territory, previous)
        except (indicators.UnknownIndicator, indicators.UnsupportedBreakdown):
            continue
        found = now.indicator
        result.append(
            KeyFigure(
                code=code,
                label=found.label,
                unit=found.unit,
                definition=found.definition,
                value=now.label(now.total),
                previous=before.label(before.total),
                hidden=now.total.hidden,
            )
        )
    return result


def committee_pack(meeting: Meeting, today: date | None = None) -> Pack:
    """Everything the pack of ``meeting`` shows (see the module's rules)."""
    committee = meeting.committee
    territory = committee.territory
    as_of = pack_date(meeting, today)
    period = Period.twelve_months_to(as_of)
    previous_period = Period.twelve_months_to(period.start - timedelta(days=1))
    plan = current_plan(territory, as_of)
    pack = Pack(
        meeting=meeting,
        committee=committee,
        as_of=as_of,
        period=period,
        previous_period=previous_period,
        plan=plan,
        members=list(committee_members(committee)),
        generated_at=timezone.localtime(),
    )
    if plan is not None:
        budget = money.budget(plan)
        pack.actions = _actions(plan, as_of, budget)
        _money(pack, budget)
        pack.alerts = money.underspend_alerts(plan, as_of, from_budget=budget)
    pack.figures = _figures(territory, period, previous_period)
    pack.decisions_due = list(decisions_to_follow(territory, today=as_of))
    pack.previous_meeting = previous_meeting(meeting)
    if pack.previous_meeting is not None:
        pack.previous_decisions = list(meeting_decisions(pack.previous_meeting, as_of))
    return pack


def pack_filename(meeting: Meeting) -> str:
    return f"dossier-{meeting.committee.kind}-{meeting.held_on:%Y-%m-%d}.pdf"
