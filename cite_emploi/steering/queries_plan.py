"""Reads of the action plan shared by its pages, the dashboards, the committee pack and the indicators.

Rules:

* **Scope.** Every read takes the territory of the user: a plan, an action or a funding of another
  territory is a 404, never a 403 that would confirm it exists.
* **Versions.** The versions of a plan share its territory and its start date and are numbered from 1
  (« nouvelle version » copies version n into n + 1). Only one version of a plan is carried out: its
  *effective* version is the highest adopted (or closed after adoption) one, or the highest one when
  none has been adopted yet. What a funding has committed and spent is read from the effective
  versions only, so that a draft revision never counts twice.
* **Current plan** at a date: the adopted plan whose period contains the date (a plan closed after
  its adoption counts too, after the one in force), else the latest adopted, else the latest.
* A page that lists actions runs the same number of queries for 3 actions and for 300.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cite_emploi.partners.models import Organisation

from .models import Action, ActionPlan, BudgetLine, Expense, Funding, Milestone

ADOPTED_STATUSES = (ActionPlan.Status.ADOPTED, ActionPlan.Status.CLOSED)


def plans(territory) -> QuerySet[ActionPlan]:
    """The territory's plans, latest first (by start, then version)."""
    return ActionPlan.objects.filter(territory=territory).order_by("-starts_on", "-version")


def get_plan(territory, pk: int) -> ActionPlan:
    return get_object_or_404(ActionPlan.objects.select_related("diagnostic"), pk=pk, territory=territory)


def get_action(territory, pk: int) -> Action:
    return get_object_or_404(
        Action.objects.select_related("plan__territory", "lead_organisation"),
        pk=pk,
        plan__territory=territory,
    )


def get_funding(territory, pk: int) -> Funding:
    return get_object_or_404(
        Funding.objects.select_related("funder_organisation"), pk=pk, territory=territory
    )


def get_expense(territory, pk: int) -> Expense:
    return get_object_or_404(
        Expense.objects.select_related("action__plan", "funding"), pk=pk, action__plan__territory=territory
    )


def current_plan(territory, on: date | None = None) -> ActionPlan | None:
    """The adopted plan in force on ``on`` (today by default), else the latest adopted, else the latest."""
    on = on or timezone.localdate()
    adopted = ActionPlan.objects.filter(territory=territory, status__in=ADOPTED_STATUSES)
    containing = list(adopted.filter(starts_on__lte=on, ends_on__gte=on).order_by("-starts_on", "-version"))
    if containing:
        # The version in force before a version closed after its adoption (a superseded one).
        in_force = [p for p in containing if p.status == ActionPlan.Status.ADOPTED]
        return (in_force or containing)[0]
    latest = adopted.order_by("-ends_on", "-starts_on", "-version").first()
    return latest or plans(territory).first()


def plan_actions(plan: ActionPlan) -> QuerySet[Action]:
    """The plan's actions by number, with their lead organisation, partners and quartiers."""
    return (
        Action.objects.filter(plan=plan)
        .select_related("lead_organisation")
        .prefetch_related("partners", "qpvs")
        .order_by("number")
    )


def action_milestones(action: Action) -> QuerySet[Milestone]:
    return action.milestones.order_by("due_on", "pk")


def action_expenses(action: Action) -> QuerySet[Expense]:
    return action.expenses.select_related("funding").order_by("spent_on", "pk")


def action_budget_lines(action: Action):
    return action.budget_lines.select_related("funding").order_by("year", "funding__title")


def plan_with_actions(plan: ActionPlan) -> QuerySet[Action]:
    """``plan_actions`` with the milestones too (the plan page shows the next one of each action)."""
    return plan_actions(plan).prefetch_related(
        Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "pk"))
    )


def versions(plan: ActionPlan) -> QuerySet[ActionPlan]:
    """Every version of ``plan`` (same territory and start), the latest first."""
    return ActionPlan.objects.filter(territory_id=plan.territory_id, starts_on=plan.starts_on).order_by(
        "-version"
    )


def _effective(territory) -> dict[date, int]:
    rows = ActionPlan.objects.filter(territory=territory).values_list("pk", "starts_on", "version", "status")
    best: dict[date, tuple[bool, int, int]] = {}
    for pk, starts_on, version, status in rows:
        rank = (status in ADOPTED_STATUSES, version, pk)
        if starts_on not in best or rank > best[starts_on]:
            best[starts_on] = rank
    return {starts_on: rank[2] for starts_on, rank in best.items()}


def effective_plan_ids(territory) -> list[int]:
    """The effective version of each plan of the territory (see the module's rules)."""
    return sorted(_effective(territory).values())


def counted_plan_ids(plan: ActionPlan) -> list[int]:
    """The plans whose budget lines share a funding's years with ``plan``: itself and the effective
    version of every other plan of its territory (its own other versions are alternatives to it)."""
    others = [pk for starts_on, pk in _effective(plan.territory_id).items() if starts_on != plan.starts_on]
    return [plan.pk, *sorted(others)]


def fundings(territory) -> QuerySet[Funding]:
    return Funding.objects.filter(territory=territory).prefetch_related("years").order_by("kind", "title")


def organisations(territory):
    """The organisations an action may name as lead or partner, or a funding as its funder."""
    return Organisation.objects.filter(territory=territory).order_by("name")


def funding_lines(funding: Funding, plan_ids: list[int]) -> QuerySet[BudgetLine]:
    """The budget lines of the given plans on ``funding``, with their action and plan."""
    return (
        BudgetLine.objects.filter(funding=funding, action__plan_id__in=plan_ids)
        .select_related("action__plan")
        .order_by("year", "action__plan__starts_on", "action__number")
    )
