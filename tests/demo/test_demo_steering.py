"""The demo's steering: two action plans, the 2 × 100 000 € subsidy and its co-funding, targets and committees."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from cite_emploi.demo import steering as demo_steering
from cite_emploi.demo.services import load_demo
from cite_emploi.diagnostic import indicators
from cite_emploi.diagnostic.models import ReportVersion
from cite_emploi.steering import money, targets
from cite_emploi.steering.models import (
    Action,
    ActionPlan,
    Axis,
    BudgetLine,
    Committee,
    Decision,
    Expense,
    Funding,
    FundingYear,
    IndicatorTarget,
    ManualReading,
    Meeting,
    Milestone,
)
from cite_emploi.steering.queries_plan import current_plan
from cite_emploi.territory.models import Territory

SEED_AXES = {Axis.RECRUITMENT, Axis.PRESENCE, Axis.CV, Axis.BARRIERS}


@pytest.fixture
def demo(db):
    load_demo()
    return Territory.objects.get(slug="gpsea")


def _plans(territory):
    return (
        ActionPlan.objects.get(territory=territory, title="Plan d'actions 2022-2023"),
        ActionPlan.objects.get(territory=territory, title="Plan d'actions 2024-2026"),
    )


def test_the_plan_2022_2023_is_closed_and_the_plan_2024_2026_runs_now(demo):
    today = timezone.localdate()
    first, current = _plans(demo)
    version = ReportVersion.objects.get(territory=demo)
    assert ActionPlan.objects.filter(territory=demo).count() == 2
    assert (first.starts_on, first.ends_on) == (date(2022, 1, 1), date(2023, 12, 31))
    assert first.status == ActionPlan.Status.CLOSED and first.adopted_on < first.starts_on
    assert (current.starts_on, current.ends_on) == (date(2024, 1, 1), date(2026, 12, 31))
    assert current.status == ActionPlan.Status.ADOPTED
    assert first.diagnostic == version and current.diagnostic == version
    assert first.is_demo and current.is_demo
    if current.starts_on <= today <= current.ends_on:
        assert current_plan(demo) == current

    # About twelve actions under the seed's four axes and two of the national programme.
    axes = set(first.actions.values_list("axis", flat=True))
    assert first.actions.count() == 12
    assert axes >= SEED_AXES and axes - SEED_AXES == {Axis.OUTREACH, Axis.FEDERATE}
    assert 8 <= current.actions.count() <= 10
    assert set(current.actions.values_list("axis", flat=True)) >= SEED_AXES

    for action in Action.objects.filter(plan__territory=demo).select_related("plan", "lead_organisation"):
        assert action.is_demo
        assert action.plan.starts_on <= action.starts_on <= action.ends_on <= action.plan.ends_on
        expected = (
            Action.Status.DONE
            if action.ends_on < today
            else Action.Status.RUNNING
            if action.starts_on <= today
            else Action.Status.PLANNED
        )
        assert action.status == expected, action
        assert action.lead_organisation.territory == demo and action.lead_organisation.is_demo
        assert action.partners.exists()
        assert not action.partners.exclude(territory=demo).exists()
        assert action.publics and set(action.publics) <= {"jeunes", "adultes", "seniors"}
        assert action.milestones.exists()
    for milestone in Milestone.objects.filter(action__plan__territory=demo):
        assert milestone.done_on is None or milestone.due_on <= milestone.done_on <= today

    # The barrier actions answer a gap of the demo's diagnostic.
    gaps = {(g["qpv_code"], g["category"]) for g in version.snapshot["gaps"]}
    answered = Action.objects.filter(plan__territory=demo).exclude(gap_category="")
    assert answered.count() >= 4
    assert {(a.gap_qpv, a.gap_category) for a in answered} <= gaps


def test_the_cite_subsidy_of_2_x_100_000_euros_and_co_funding_spread_over_the_actions(demo):
    subsidy = Funding.objects.get(territory=demo, title="Subvention Cité de l'emploi — État (ANCT)")
    assert subsidy.kind == Funding.Kind.CITE_SUBSIDY and subsidy.is_demo
    assert dict(subsidy.years.values_list("year", "amount")) == {
        2022: Decimal(100_000),
        2023: Decimal(100_000),
    }
    kinds = set(Funding.objects.filter(territory=demo).values_list("kind", flat=True))
    assert {Funding.Kind.STATE, Funding.Kind.COMMUNE, Funding.Kind.TERRITORY} <= kinds
    communes = Funding.objects.filter(territory=demo, kind=Funding.Kind.COMMUNE)
    assert {"Ville de Créteil", "Ville d'Alfortville"} <= set(communes.values_list("funder", flat=True))

    # Each year of each funding is spread over the actions, never beyond what it grants; the subsidy in full.
    granted = {(f, y): a for f, y, a in FundingYear.objects.values_list("funding_id", "year", "amount")}
    planned = defaultdict(Decimal)
    for line in BudgetLine.objects.filter(action__plan__territory=demo).select_related("action"):
        planned[(line.funding_id, line.year)] += line.amount
        assert line.action.starts_on.year <= line.year <= line.action.ends_on.year
        assert (line.funding_id, line.year) in granted
    assert all(amount <= granted[key] for key, amount in planned.items())
    assert planned[(subsidy.pk, 2022)] == planned[(subsidy.pk, 2023)] == Decimal(100_000)
    _, current = _plans(demo)
    assert not BudgetLine.objects.filter(funding=subsidy, action__plan=current).exists()
    assert all(
        BudgetLine.objects.filter(action=action).exists()
        for action in Action.objects.filter(plan__territory=demo)
    )


def test_expenses_fall_within_their_action_and_budget_line_and_some_actions_under_spend(demo):
    today = timezone.localdate()
    expenses = Expense.objects.filter(action__plan__territory=demo).select_related("action")
    assert expenses.count() > 100
    lines = {
        (line.action_id, line.funding_id, line.year): line.amount
        for line in BudgetLine.objects.filter(action__plan__territory=demo)
    }
    spent = defaultdict(Decimal)
    for expense in expenses:
        assert expense.action.starts_on <= expense.spent_on <= expense.action.ends_on
        assert expense.spent_on < today
        assert expense.label and expense.supplier.endswith("(démo)")
        key = (expense.action_id, expense.funding_id, expense.spent_on.year)
        assert key in lines, expense
        spent[key] += expense.amount
    assert all(amount <= lines[key] for key, amount in spent.items())

    first, current = _plans(demo)
    closed = money.budget(first)
    assert (
        closed.total.planned == BudgetLine.objects.filter(action__plan=first).aggregate(s=Sum("amount"))["s"]
    )
    assert 0.85 < closed.total.rate < 1
    # The current plan: two actions spend far less than their time calls for, and the alert says so.
    slow = {a.title for a in demo_steering.PLAN_2024.actions if a.slow}
    alerts = money.underspend_alerts(current, today)
    if date(today.year, 4, 1) <= today <= current.ends_on:
        assert slow <= {alert.action.title for alert in alerts}
    assert all(alert.message for alert in alerts)


def test_targets_bound_to_the_registry_and_manual_ones_with_readings(demo):
    today = timezone.localdate()
    first, current = _plans(demo)
    codes = {i.code for i in indicators.all_for(demo)}
    bound = IndicatorTarget.objects.filter(action__plan=current).exclude(indicator="")
    assert bound.count() >= 8
    assert set(bound.values_list("indicator", flat=True)) <= codes
    assert bound.filter(indicator="personnes_rencontrees", where_level="qpv", where_code="QN09424I").exists()
    assert bound.filter(indicator="recrutements_operations").exists()
    assert set(bound.values_list("where_level", flat=True)) <= {"", "qpv", "commune"}
    # The first plan's targets were counted by hand: each has its readings, up to today.
    assert not IndicatorTarget.objects.filter(action__plan=first, indicator="").filter(readings=None).exists()
    assert not IndicatorTarget.objects.filter(action__plan=first).exclude(indicator="").exists()
    assert ManualReading.objects.filter(target__action__plan=current).exists()
    assert not ManualReading.objects.filter(measured_on__gt=today).exists()

    # Actuals come from the rest of the demo: the people met at Le Bois l'Abbé are counted.
    progress = [item for found in targets.plan_progress(current, today).values() for item in found]
    assert len(progress) == IndicatorTarget.objects.filter(action__plan=current).count()
    bois = next(
        p
        for p in progress
        if p.target.indicator == "personnes_rencontrees" and p.target.where_code == "QN09424I"
    )
    assert bois.actual and bois.actual > 0 and not bois.hidden
    assert any(p.rate is not None and p.rate < 1 for p in progress)


def test_a_copil_with_the_mayors_and_a_cotech_meeting_over_the_years_with_decisions(demo):
    today = timezone.localdate()
    copil = Committee.objects.get(territory=demo, kind=Committee.Kind.COPIL)
    assert copil.name == "Comité de pilotage de la Cité de l'emploi GPSEA"
    assert copil.chairs == "le préfet du Val-de-Marne et le président de GPSEA"
    members = set(copil.members.values_list("kind", flat=True))
    assert {"commune", "etat", "cite"} <= members
    assert copil.members.filter(kind="commune").count() >= 6
    cotech = Committee.objects.get(territory=demo, kind=Committee.Kind.COTECH)
    assert copil.is_demo and cotech.is_demo

    # Twice a year for the COPIL and every quarter for the COTECH, over the first plan's two years at least.
    held = Meeting.objects.filter(committee__territory=demo, held_on__lt=today)
    copil_years = defaultdict(int)
    for day in held.filter(committee=copil).values_list("held_on", flat=True):
        copil_years[day.year] += 1
    assert copil_years[2022] == copil_years[2023] == 2
    assert held.filter(committee=cotech, held_on__year=2022).count() == 4
    assert held.filter(committee=cotech, held_on__year=2023).count() == 4
    for meeting in held:
        assert meeting.agenda and meeting.attendees and meeting.place
        assert meeting.minutes.startswith("[Texte fictif de démonstration]")
        assert meeting.decisions.exists()
    assert not Decision.objects.filter(meeting__held_on__gte=today).exists()

    decisions = Decision.objects.filter(meeting__committee__territory=demo)
    assert not decisions.filter(owner="").exists() and not decisions.filter(due_on=None).exists()
    assert not decisions.filter(owner_organisation=None).exists()
    for decision in decisions.filter(status=Decision.Status.DONE):
        assert decision.meeting.held_on < decision.done_on <= today
    assert decisions.filter(status=Decision.Status.DONE).count() > decisions.count() / 2
    # Some open and overdue now, some due within the month.
    open_ = decisions.filter(status=Decision.Status.OPEN)
    assert open_.filter(due_on__lt=today).exists()
    assert open_.filter(due_on__gte=today, due_on__lte=today + timedelta(days=30)).exists()
    assert decisions.exclude(action=None).exists()


def test_loading_again_writes_nothing(demo):
    tables = (
        ActionPlan,
        Action,
        Funding,
        FundingYear,
        BudgetLine,
        Expense,
        IndicatorTarget,
        Committee,
        Meeting,
    )
    counts = [model.objects.count() for model in tables]
    assert demo_steering.load_steering_demo(demo, {}) == {}
    assert counts == [model.objects.count() for model in tables]
