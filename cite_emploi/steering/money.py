"""The plan's money: what each action planned and spent, by year and by funding, and the under-spend alert.

Rules:

* **Planned** is the sum of the budget lines (action × funding × year); **spent** the sum of the
  expenses, counted in the year of their date; **remaining** = planned − spent (negative when an
  action spent more than planned); **rate** = spent ÷ planned, none when nothing is planned.
  Amounts are ``Decimal`` to the cent, never floats.
* ``budget(plan)`` adds them up by action, action × year, funding, funding × year, year and in
  total, and reads what each funding grants each year (``granted``, from its annuities) and what the
  effective versions of all the territory's plans have already committed on it (``committed``, see
  ``queries_plan``). It runs a fixed number of queries whatever the number of actions and expenses.
* **Under-spend alert**, for each action and year with planned > 0. The *window* is the part of the
  action's period within that year (the whole year if the line lies outside the action's dates). The
  *elapsed share* of the window at ``today`` is the number of days already past (today not counted)
  over its number of days: 0 before and on its first day, 1 once its last day is past.

  - ``expected`` = planned × elapsed share (what a regular pace would have spent by now);
  - ``projected`` = spent ÷ elapsed share (what the current pace will have spent by the end), or
    spent itself when the share is 0 or 1;
  - alert when the share is at least 25 % and below 100 % and ``projected`` < 80 % of planned:
    « A3 — 2023 : 12 000 € dépensés sur 40 000 € prévus ; au rythme actuel, 24 000 € resteraient non
    consommés. »;
  - alert once the window is over (share 1) when spent < planned: « A3 — 2022 : crédits non
    consommés, 36 000 € dépensés sur 40 000 € prévus ; 4 000 € restent non consommés. »

  Amounts in the messages are rounded to the euro; the alert's fields keep the cents.
* **A funding's years** (``funding_totals``, ``funding_rows``): what the plans in force (the effective
  version of each plan) programmed and spent on it, what is left to program (granted − planned) and
  to spend (granted − spent), and the share of the granted amount spent.
* ``format_euros`` writes an amount in French: « 100 000,00 € » (U+202F between thousands, a comma
  before the cents, U+00A0 before the sign).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from .models import Action, ActionPlan, BudgetLine, Expense, Funding, FundingYear
from .queries_plan import counted_plan_ids

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
ALERT_FROM_SHARE = Decimal("0.25")
ALERT_BELOW = Decimal("0.80")


def format_euros(value, cents: bool = True) -> str:
    """« 100 000,00 € »; with ``cents=False`` rounded to the euro: « 100 000 € ». Empty: « — »."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return "—"
    if not amount.is_finite():
        return "—"
    amount = amount.quantize(CENT if cents else Decimal(1), rounding=ROUND_HALF_UP)
    if amount == 0:
        amount = abs(amount)  # « -0,00 € » is not an amount anyone wrote
    text = f"{amount:,.2f}" if cents else f"{amount:,.0f}"
    return text.replace(",", "\u202f").replace(".", ",") + "\u00a0€"


@dataclass
class Amounts:
    planned: Decimal = ZERO
    spent: Decimal = ZERO

    @property
    def remaining(self) -> Decimal:
        return self.planned - self.spent

    @property
    def rate(self) -> float | None:
        if not self.planned:
            return None
        return float(self.spent / self.planned)

    def add(self, planned: Decimal = ZERO, spent: Decimal = ZERO) -> None:
        self.planned += planned
        self.spent += spent


@dataclass
class Budget:
    plan: ActionPlan
    by_action: dict[int, Amounts] = field(default_factory=dict)
    by_action_year: dict[tuple[int, int], Amounts] = field(default_factory=dict)
    by_funding: dict[int, Amounts] = field(default_factory=dict)
    by_funding_year: dict[tuple[int, int], Amounts] = field(default_factory=dict)
    by_year: dict[int, Amounts] = field(default_factory=dict)
    total: Amounts = field(default_factory=Amounts)
    # What each funding grants each year (its annuity), for the territory's fundings over these years.
    granted: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    # What the budget lines of this plan and of the other plans in force commit on each (funding, year).
    committed: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    years: list[int] = field(default_factory=list)
    # The fundings that appear above, by id (for their titles).
    fundings: dict[int, Funding] = field(default_factory=dict)

    def available(self, funding_id: int, year: int) -> Decimal:
        """What the funding still has to give that year: granted − committed by the plans in force."""
        return self.granted.get((funding_id, year), ZERO) - self.committed.get((funding_id, year), ZERO)

    def funding_years(self) -> list[tuple[int, int]]:
        """Every (funding, year) with an annuity, a line or an expense, by funding title then year."""
        keys = set(self.granted) | set(self.by_funding_year)
        return sorted(keys, key=lambda k: (self._funding_key(k[0]), k[1]))

    def _funding_key(self, funding_id: int):
        found = self.fundings.get(funding_id)
        return (found.kind, found.title, funding_id) if found else ("", "", funding_id)


def _add(table: dict, key, planned: Decimal = ZERO, spent: Decimal = ZERO) -> None:
    table.setdefault(key, Amounts()).add(planned, spent)


def budget(plan: ActionPlan) -> Budget:
    """The plan's money added up every way the pages need it (five queries)."""
    result = Budget(plan=plan)
    lines = BudgetLine.objects.filter(action__plan=plan).values_list(
        "action_id", "funding_id", "year", "amount"
    )
    spent = (
        Expense.objects.filter(action__plan=plan)
        .annotate(year=ExtractYear("spent_on"))
        .values("action_id", "funding_id", "year")
        .annotate(total=Sum("amount"))
        .values_list("action_id", "funding_id", "year", "total")
        .order_by()
    )
    rows = [(a, f, y, amount, ZERO) for a, f, y, amount in lines]
    rows += [(a, f, y, ZERO, total) for a, f, y, total in spent]
    years = set(range(plan.starts_on.year, plan.ends_on.year + 1))
    for action_id, funding_id, year, planned, paid in rows:
        planned, paid = Decimal(planned), Decimal(paid)
        years.add(year)
        _add(result.by_action, action_id, planned, paid)
        _add(result.by_action_year, (action_id, year), planned, paid)
        _add(result.by_funding, funding_id, planned, paid)
        _add(result.by_funding_year, (funding_id, year), planned, paid)
        _add(result.by_year, year, planned, paid)
        result.total.add(planned, paid)
    result.years = sorted(years)
    result.granted = {
        (funding_id, year): Decimal(amount)
        for funding_id, year, amount in FundingYear.objects.filter(
            funding__territory_id=plan.territory_id, year__in=result.years
        ).values_list("funding_id", "year", "amount")
    }
    committed = (
        BudgetLine.objects.filter(action__plan_id__in=counted_plan_ids(plan), year__in=result.years)
        .values("funding_id", "year")
        .annotate(total=Sum("amount"))
        .values_list("funding_id", "year", "total")
        .order_by()
    )
    result.committed = {(f, y): Decimal(total) for f, y, total in committed}
    ids = {f for f, _ in result.granted} | set(result.by_funding)
    result.fundings = {f.pk: f for f in Funding.objects.filter(pk__in=ids)} if ids else {}
    return result


@dataclass
class Alert:
    action: Action
    year: int
    planned: Decimal
    spent: Decimal
    expected: Decimal
    projected: Decimal
    message: str
    # True once the action's window in that year is over: the credits left are lost, not at risk.
    ended: bool = False


def elapsed_share(start: date, end: date, today: date) -> Decimal:
    """The share of the days from ``start`` to ``end`` (both included) already past at ``today``."""
    days = (end - start).days + 1
    past = (today - start).days
    return Decimal(min(max(past, 0), days)) / Decimal(days)


def window(action: Action, year: int) -> tuple[date, date]:
    """The part of the action's period within ``year`` (the whole year when they do not meet)."""
    start, end = max(action.starts_on, date(year, 1, 1)), min(action.ends_on, date(year, 12, 31))
    if start > end:
        return date(year, 1, 1), date(year, 12, 31)
    return start, end


def alert_for(action: Action, year: int, amounts: Amounts, today: date) -> Alert | None:
    """The alert of one action and year at ``today``, or None (the rules are in the module's docstring)."""
    planned, spent = amounts.planned, amounts.spent
    if planned <= 0:
        return None
    share = elapsed_share(*window(action, year), today)
    expected = (planned * share).quantize(CENT, rounding=ROUND_HALF_UP)
    projected = spent if share in (0, 1) else (spent / share).quantize(CENT, rounding=ROUND_HALF_UP)
    head = f"{action.code} — {year}"
    if share == 1:
        if spent >= planned:
            return None
        message = (
            f"{head} : crédits non consommés, {format_euros(spent, cents=False)} dépensés sur "
            f"{format_euros(planned, cents=False)} prévus ; {format_euros(planned - spent, cents=False)} "
            "restent non consommés."
        )
        return Alert(action, year, planned, spent, expected, projected, message, ended=True)
    if share < ALERT_FROM_SHARE or projected >= ALERT_BELOW * planned:
        return None
    message = (
        f"{head} : {format_euros(spent, cents=False)} dépensés sur {format_euros(planned, cents=False)} "
        f"prévus ; au rythme actuel, {format_euros(planned - projected, cents=False)} resteraient non "
        "consommés."
    )
    return Alert(action, year, planned, spent, expected, projected, message)


def underspend_alerts(
    plan: ActionPlan, today: date | None = None, *, from_budget: Budget | None = None
) -> list[Alert]:
    """The plan's under-spend alerts at ``today`` (default: today), by action number then year.

    Pass the plan's ``from_budget`` when the page already has it, to save its queries.
    """
    today = today or timezone.localdate()
    found = from_budget if from_budget is not None else budget(plan)
    keys = [(a, y) for (a, y), amounts in found.by_action_year.items() if amounts.planned > 0]
    if not keys:
        return []
    actions = {a.pk: a for a in Action.objects.filter(pk__in={a for a, _ in keys}).select_related("plan")}
    alerts = []
    for action_id, year in keys:
        alert = alert_for(actions[action_id], year, found.by_action_year[(action_id, year)], today)
        if alert is not None:
            alerts.append(alert)
    return sorted(alerts, key=lambda a: (a.action.number, a.year))


def funding_totals(territory, plan_ids: list[int]) -> dict[tuple[int, int], Amounts]:
    """Planned and spent on each (funding, year) by the given plans (the fundings page: plans in force)."""
    totals: dict[tuple[int, int], Amounts] = defaultdict(Amounts)
    lines = (
        BudgetLine.objects.filter(action__plan_id__in=plan_ids, funding__territory=territory)
        .values("funding_id", "year")
        .annotate(total=Sum("amount"))
        .values_list("funding_id", "year", "total")
        .order_by()
    )
    for funding_id, year, total in lines:
        totals[(funding_id, year)].add(planned=Decimal(total))
    spent = (
        Expense.objects.filter(action__plan_id__in=plan_ids, funding__territory=territory)
        .annotate(year=ExtractYear("spent_on"))
        .values("funding_id", "year")
        .annotate(total=Sum("amount"))
        .values_list("funding_id", "year", "total")
        .order_by()
    )
    for funding_id, year, total in spent:
        totals[(funding_id, year)].add(spent=Decimal(total))
    return dict(totals)


def action_budget(action: Action) -> dict[int, Amounts]:
    """Year → planned and spent of one action (two queries), every year of its period included."""
    years = {year: Amounts() for year in range(action.starts_on.year, action.ends_on.year + 1)}
    for year, amount in BudgetLine.objects.filter(action=action).values_list("year", "amount"):
        years.setdefault(year, Amounts()).add(planned=Decimal(amount))
    spent = (
        Expense.objects.filter(action=action)
        .annotate(year=ExtractYear("spent_on"))
        .values("year")
        .annotate(total=Sum("amount"))
        .values_list("year", "total")
        .order_by()
    )
    for year, total in spent:
        years.setdefault(year, Amounts()).add(spent=Decimal(total))
    return dict(sorted(years.items()))


def action_alerts(action: Action, by_year: dict[int, Amounts], today: date | None = None) -> list[Alert]:
    """The under-spend alerts of one action, from its ``action_budget``."""
    today = today or timezone.localdate()
    found = (alert_for(action, year, amounts, today) for year, amounts in by_year.items())
    return [alert for alert in found if alert is not None]


def spent_by_action_year(funding: Funding, plan_ids: list[int]) -> dict[tuple[int, int], Decimal]:
    """(action, year) → what the actions of the given plans spent on ``funding`` (one query)."""
    rows = (
        Expense.objects.filter(funding=funding, action__plan_id__in=plan_ids)
        .annotate(year=ExtractYear("spent_on"))
        .values("action_id", "year")
        .annotate(total=Sum("amount"))
        .values_list("action_id", "year", "total")
        .order_by()
    )
    return {(action_id, year): Decimal(total) for action_id, year, total in rows}


def funding_rows(funding: Funding, totals: dict[tuple[int, int], Amounts]) -> list[dict]:
    """Each year of a funding: granted, planned and spent (``funding_totals``), left to plan and to spend,
    and the share of the granted amount spent."""
    rows = []
    years = {fy.year: fy.amount for fy in funding.years.all()}
    for year in sorted(set(years) | {y for f, y in totals if f == funding.pk}):
        amounts = totals.get((funding.pk, year), Amounts())
        granted = years.get(year, ZERO)
        rows.append(
            {
                "year": year,
                "granted": granted,
                "planned": amounts.planned,
                "spent": amounts.spent,
                "to_plan": granted - amounts.planned,
                "to_spend": granted - amounts.spent,
                "rate": float(amounts.spent / granted) if granted else None,
            }
        )
    return rows


def sum_funding_rows(rows: list[dict]) -> dict:
    keys = ("granted", "planned", "spent", "to_plan", "to_spend")
    total = {key: sum((row[key] for row in rows), ZERO) for key in keys}
    total["rate"] = float(total["spent"] / total["granted"]) if total["granted"] else None
    return total
