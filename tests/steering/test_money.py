"""The plan's money on hand-computed data: planned, spent, remaining by action, funding, year and in
total; what fundings grant; amounts in French; and the under-spend alert at dates around its bounds."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cite_emploi.steering import money
from cite_emploi.steering.models import ActionPlan
from tests.steering.factories import (
    ActionFactory,
    ActionPlanFactory,
    BudgetLineFactory,
    ExpenseFactory,
    FundingFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(gpsea):
    """A 2023–2024 plan, two actions, the subsidy and a commune's co-funding (see the sums in the tests)."""
    plan = ActionPlanFactory(territory=gpsea, starts_on=date(2023, 1, 1), ends_on=date(2024, 12, 31))
    a1 = ActionFactory(plan=plan, number=1, starts_on=date(2023, 1, 1), ends_on=date(2024, 12, 31))
    a2 = ActionFactory(plan=plan, number=2, starts_on=date(2023, 4, 1), ends_on=date(2023, 12, 31))
    subsidy = FundingFactory(territory=gpsea, title="Subvention", annuities={2023: "100000", 2024: "100000"})
    creteil = FundingFactory(territory=gpsea, title="Créteil", kind="commune", annuities={2023: "20000"})
    for action, funding, year, amount in [
        (a1, subsidy, 2023, "40000"),
        (a1, subsidy, 2024, "50000"),
        (a1, creteil, 2023, "10000"),
        (a2, subsidy, 2023, "30000"),
        (a2, creteil, 2023, "5000"),
    ]:
        BudgetLineFactory(action=action, funding=funding, year=year, amount=D(amount))
    for action, funding, day, amount in [
        (a1, subsidy, date(2023, 3, 1), "12000"),
        (a1, subsidy, date(2023, 11, 15), "8000.50"),
        (a1, subsidy, date(2024, 2, 1), "5000"),
        (a1, creteil, date(2023, 6, 1), "10000"),
        (a2, subsidy, date(2023, 5, 2), "6000"),
        (a2, creteil, date(2023, 12, 31), "5500"),
    ]:
        ExpenseFactory(action=action, funding=funding, spent_on=day, amount=D(amount))
    # Another plan of the territory and a plan elsewhere: never in this plan's sums.
    later = ActionPlanFactory(territory=gpsea, starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    other = ActionFactory(plan=later)
    BudgetLineFactory(action=other, funding=subsidy, year=2025, amount=D("999"))
    ExpenseFactory(action=other, funding=subsidy, spent_on=date(2025, 1, 2), amount=D("99"))
    return {"plan": plan, "a1": a1, "a2": a2, "subsidy": subsidy, "creteil": creteil}


def amounts(found) -> tuple:
    return (found.planned, found.spent, found.remaining)


def test_budget_by_action_funding_year_and_in_total(books):
    a1, a2, subsidy, creteil = books["a1"], books["a2"], books["subsidy"], books["creteil"]
    budget = money.budget(books["plan"])

    assert amounts(budget.by_action[a1.pk]) == (D("100000"), D("35000.50"), D("64999.50"))
    assert amounts(budget.by_action[a2.pk]) == (D("35000"), D("11500"), D("23500"))
    assert amounts(budget.by_action_year[(a1.pk, 2023)]) == (D("50000"), D("30000.50"), D("19999.50"))
    assert amounts(budget.by_action_year[(a1.pk, 2024)]) == (D("50000"), D("5000"), D("45000"))
    assert amounts(budget.by_action_year[(a2.pk, 2023)]) == (D("35000"), D("11500"), D("23500"))
    assert (a2.pk, 2024) not in budget.by_action_year

    assert amounts(budget.by_funding[subsidy.pk]) == (D("120000"), D("31000.50"), D("88999.50"))
    # The commune's money is overspent by A2: the remaining goes negative, it is not hidden.
    assert amounts(budget.by_funding[creteil.pk]) == (D("15000"), D("15500"), D("-500"))
    assert amounts(budget.by_funding_year[(subsidy.pk, 2023)]) == (D("70000"), D("26000.50"), D("43999.50"))
    assert amounts(budget.by_funding_year[(subsidy.pk, 2024)]) == (D("50000"), D("5000"), D("45000"))
    assert amounts(budget.by_funding_year[(creteil.pk, 2023)]) == (D("15000"), D("15500"), D("-500"))

    assert amounts(budget.by_year[2023]) == (D("85000"), D("41500.50"), D("43499.50"))
    assert amounts(budget.by_year[2024]) == (D("50000"), D("5000"), D("45000"))
    assert amounts(budget.total) == (D("135000"), D("46500.50"), D("88499.50"))
    assert budget.total.rate == pytest.approx(46500.50 / 135000)
    assert budget.by_funding[creteil.pk].rate == pytest.approx(15500 / 15000)
    assert budget.years == [2023, 2024]


def test_granted_committed_and_available(books):
    subsidy, creteil = books["subsidy"], books["creteil"]
    budget = money.budget(books["plan"])
    assert budget.granted == {
        (subsidy.pk, 2023): D("100000"),
        (subsidy.pk, 2024): D("100000"),
        (creteil.pk, 2023): D("20000"),
    }
    assert budget.available(subsidy.pk, 2023) == D("30000")
    assert budget.available(creteil.pk, 2023) == D("5000")
    assert set(budget.fundings) == {subsidy.pk, creteil.pk}
    assert budget.funding_years() == [(creteil.pk, 2023), (subsidy.pk, 2023), (subsidy.pk, 2024)]


def test_other_versions_do_not_count_in_what_is_committed_but_other_plans_do(books, gpsea):
    plan, subsidy = books["plan"], books["subsidy"]
    draft = ActionPlanFactory(territory=gpsea, starts_on=plan.starts_on, ends_on=plan.ends_on, version=9)
    BudgetLineFactory(action=ActionFactory(plan=draft), funding=subsidy, year=2023, amount=D("60000"))
    overlapping = ActionPlanFactory(territory=gpsea, starts_on=date(2023, 7, 1), ends_on=date(2023, 12, 31))
    BudgetLineFactory(action=ActionFactory(plan=overlapping), funding=subsidy, year=2023, amount=D("1000"))
    assert money.budget(plan).committed[(subsidy.pk, 2023)] == D("71000")
    # From the draft version's side: its own line and the other plan's, not the version it revises.
    assert money.budget(draft).committed[(subsidy.pk, 2023)] == D("61000")


def test_an_empty_plan_has_zero_everywhere(gpsea):
    plan = ActionPlanFactory(territory=gpsea, starts_on=date(2023, 1, 1), ends_on=date(2023, 12, 31))
    budget = money.budget(plan)
    assert amounts(budget.total) == (0, 0, 0)
    assert budget.total.rate is None
    assert budget.years == [2023]
    assert money.underspend_alerts(plan, date(2023, 12, 1)) == []


def test_budget_queries_do_not_grow_with_actions_and_expenses(books, gpsea):
    plan, subsidy = books["plan"], books["subsidy"]
    with CaptureQueriesContext(connection) as few:
        money.underspend_alerts(plan, date(2023, 6, 1), from_budget=money.budget(plan))
    for number in range(10, 30):
        action = ActionFactory(
            plan=plan, number=number, starts_on=date(2023, 1, 1), ends_on=date(2023, 12, 31)
        )
        BudgetLineFactory(action=action, funding=subsidy, year=2023, amount=D("1"))
        ExpenseFactory(action=action, funding=subsidy, spent_on=date(2023, 2, 1), amount=D("1"))
    with CaptureQueriesContext(connection) as many:
        money.underspend_alerts(plan, date(2023, 6, 1), from_budget=money.budget(plan))
    assert len(many) == len(few) <= 7


# --- amounts in French --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cents", "expected"),
    [
        (D("100000"), True, "100\u202f000,00\u00a0€"),
        (100000, True, "100\u202f000,00\u00a0€"),
        (D("1234.5"), True, "1\u202f234,50\u00a0€"),
        (D("0.005"), True, "0,01\u00a0€"),
        (D("0"), True, "0,00\u00a0€"),
        (D("-0.001"), True, "0,00\u00a0€"),
        (D("-500"), True, "-500,00\u00a0€"),
        (D("1234567.891"), True, "1\u202f234\u202f567,89\u00a0€"),
        (D("12000.40"), False, "12\u202f000\u00a0€"),
        (D("23999.50"), False, "24\u202f000\u00a0€"),
        (None, True, "—"),
        ("pas un nombre", True, "—"),
    ],
)
def test_format_euros(value, cents, expected):
    assert money.format_euros(value, cents=cents) == expected


def test_the_euros_filter_writes_the_same():
    from cite_emploi.steering.templatetags.steering import euros, percent, whole_euros

    assert euros(D("100000")) == "100\u202f000,00\u00a0€"
    assert whole_euros(D("99.5")) == "100\u00a0€"
    assert percent(0.4249) == "42\u00a0%"
    assert percent(None) == "—"


def test_amounts_remaining_and_rate():
    assert money.Amounts().remaining == 0
    assert money.Amounts().rate is None
    found = money.Amounts(D("200"), D("50"))
    assert (found.remaining, found.rate) == (D("150"), 0.25)


# --- the under-spend alert ----------------------------------------------------------------------


@pytest.fixture
def a3(gpsea):
    """A3 runs 120 days, from 1 January to 30 April 2023: a day is 1/120 of its window."""
    plan = ActionPlanFactory(territory=gpsea, starts_on=date(2023, 1, 1), ends_on=date(2023, 12, 31))
    return ActionFactory(plan=plan, number=3, starts_on=date(2023, 1, 1), ends_on=date(2023, 4, 30))


def alert_at(action, today, planned="40000", spent="12000", year=2023):
    return money.alert_for(action, year, money.Amounts(D(planned), D(spent)), today)


def test_the_alert_of_the_brief(a3):
    # 90 days of 120 past: three quarters of the window, a quarter of the money.
    alert = alert_at(a3, date(2023, 4, 1))
    assert alert.message == (
        "A3 — 2023 : 12\u202f000\u00a0€ dépensés sur 40\u202f000\u00a0€ prévus ; au rythme actuel, "
        "24\u202f000\u00a0€ resteraient non consommés."
    )
    assert (alert.planned, alert.spent, alert.expected, alert.projected) == (
        D("40000"),
        D("12000"),
        D("30000.00"),
        D("16000.00"),
    )
    assert alert.action == a3 and alert.year == 2023 and not alert.ended


@pytest.mark.parametrize(
    ("today", "spent", "alerts"),
    [
        (date(2022, 12, 1), "0", False),  # before the action: nothing is expected
        (date(2023, 1, 1), "0", False),  # its first day: no day has passed
        (date(2023, 1, 30), "0", False),  # 29/120 < 25 %: too early to tell
        (date(2023, 1, 31), "0", True),  # 30/120 = 25 %: nothing spent, nothing projected
        (date(2023, 1, 31), "7999.99", True),  # projected 31 999,96 < 32 000
        (date(2023, 1, 31), "8000", False),  # projected 32 000 = 80 %: on course
        (date(2023, 3, 2), "15999.99", True),  # half-way (60/120), projected just under 80 %
        (date(2023, 3, 2), "16000", False),
        (date(2023, 4, 30), "38000", False),  # last day: 119/120, projected 38 319,33
        (date(2023, 4, 30), "31000", True),  # projected 31 260,50 < 32 000
    ],
)
def test_the_alert_around_its_bounds(a3, today, spent, alerts):
    assert (alert_at(a3, today, spent=spent) is not None) == alerts


def test_once_the_window_is_over_unspent_credits_alert(a3):
    alert = alert_at(a3, date(2023, 5, 1), spent="36000")
    assert alert.ended
    assert alert.projected == D("36000") and alert.expected == D("40000.00")
    assert alert.message == (
        "A3 — 2023 : crédits non consommés, 36\u202f000\u00a0€ dépensés sur 40\u202f000\u00a0€ prévus ; "
        "4\u202f000\u00a0€ restent non consommés."
    )
    assert alert_at(a3, date(2023, 5, 1), spent="40000") is None
    assert alert_at(a3, date(2024, 6, 1), spent="40000.01") is None  # overspent is not under-spent
    assert alert_at(a3, date(2023, 5, 1), planned="0", spent="0") is None


def test_the_window_is_the_part_of_the_action_within_the_year(gpsea):
    plan = ActionPlanFactory(territory=gpsea, starts_on=date(2023, 1, 1), ends_on=date(2024, 12, 31))
    action = ActionFactory(plan=plan, starts_on=date(2023, 7, 1), ends_on=date(2024, 6, 30))
    assert money.window(action, 2023) == (date(2023, 7, 1), date(2023, 12, 31))
    assert money.window(action, 2024) == (date(2024, 1, 1), date(2024, 6, 30))
    # 2024: 182 days; on 1 April 91 have passed, half of them.
    assert money.elapsed_share(*money.window(action, 2024), date(2024, 4, 1)) == D(91) / D(182)
    assert money.alert_for(action, 2024, money.Amounts(D("1000"), D("300")), date(2024, 4, 1)) is not None
    # The 2023 window is over: only what is left of 2023 counts there.
    assert money.alert_for(action, 2023, money.Amounts(D("1000"), D("1000")), date(2024, 4, 1)) is None


def test_underspend_alerts_of_a_plan_in_order(books):
    plan, a1, a2 = books["plan"], books["a1"], books["a2"]
    # 1 July 2023: A1 2023 (181/365 past) spent 30 000,50 of 50 000 — on course; A2 (91/275) spent
    # 11 500 of 35 000 — projected 34 752,75, on course; A1 2024 has not started.
    assert money.underspend_alerts(plan, date(2023, 7, 1)) == []
    # 2 February 2024: A2's 2023 is over with 23 500 € left; A1 2023 is over with 19 999,50 € left.
    found = money.underspend_alerts(plan, date(2024, 2, 2))
    assert [(alert.action.pk, alert.year, alert.ended) for alert in found] == [
        (a1.pk, 2023, True),
        (a2.pk, 2023, True),
    ]
    assert found[1].message.endswith("23\u202f500\u00a0€ restent non consommés.")
    # 1 July 2024: A1 2024 (182/366 past) spent 5 000 of 50 000 — projected 10 054,95.
    later = money.underspend_alerts(plan, date(2024, 7, 1))
    assert [(alert.action.pk, alert.year) for alert in later] == [(a1.pk, 2023), (a1.pk, 2024), (a2.pk, 2023)]
    assert later[1].projected == D("10054.95")
    assert plan.status == ActionPlan.Status.DRAFT


def test_action_budget_and_alerts_match_the_plan_budget(books):
    a1 = books["a1"]
    by_year = money.action_budget(a1)
    budget = money.budget(books["plan"])
    assert by_year == {year: budget.by_action_year[(a1.pk, year)] for year in (2023, 2024)}
    today = date(2024, 7, 1)
    expected = [a for a in money.underspend_alerts(books["plan"], today) if a.action.pk == a1.pk]
    assert [a.message for a in money.action_alerts(a1, by_year, today)] == [a.message for a in expected]
