"""Routes of the action plan and its money for the access matrix (tests/test_access_matrix.py), with
the objects they name.

The coordination, the elected members and the State read the plans, actions, fundings and budgets
(they sit in the COPIL); counsellors and employers have no page in /pilotage/. Only the coordination
opens the forms that write. State changes (new version, adoption, closing, milestone done,
deletions) are POST only: a GET is a 405 for whoever passes the role check, the edit right being
checked on POST. {plan_expense}'s document is named but not on disk, so that no test file is left in
MEDIA_ROOT: readers get the 404 « introuvable » (tests/steering/test_plan_views.py downloads a real
one). Objects of another territory are 404 (tested beside the pages).
"""

from tests.access import LOGIN

OTHERS = {"counsellor": 403, "employer": 403}
COORDINATION = {"coordinator": 200}
P = "/pilotage/plans/{action_plan}/"
A = "/pilotage/actions/{plan_action}/"
F = "/pilotage/financements/{plan_funding}/"

ROUTES = {
    "steering:plans": ("/pilotage/plans/", LOGIN, 200, OTHERS),
    "steering:plan_create": ("/pilotage/plans/nouveau/", LOGIN, 403, COORDINATION),
    "steering:plan": (P, LOGIN, 200, OTHERS),
    "steering:plan_edit": (P + "modifier/", LOGIN, 403, COORDINATION),
    "steering:plan_new_version": (P + "nouvelle-version/", LOGIN, 405, OTHERS),
    "steering:plan_adopt": (P + "adopter/", LOGIN, 405, OTHERS),
    "steering:plan_close": (P + "clore/", LOGIN, 405, OTHERS),
    "steering:action_create": (P + "actions/nouvelle/", LOGIN, 403, COORDINATION),
    "steering:budget": (P + "budget/", LOGIN, 200, OTHERS),
    "steering:budget_csv": ("/pilotage/plans/{action_plan}/budget.csv", LOGIN, 200, OTHERS),
    "steering:action": (A, LOGIN, 200, OTHERS),
    "steering:action_edit": (A + "modifier/", LOGIN, 403, COORDINATION),
    "steering:milestone_create": (A + "etapes/nouvelle/", LOGIN, 403, COORDINATION),
    "steering:milestone_done": ("/pilotage/etapes/{plan_milestone}/realisee/", LOGIN, 405, OTHERS),
    "steering:budget_line_create": (A + "budget/", LOGIN, 403, COORDINATION),
    "steering:budget_line_delete": (
        "/pilotage/lignes-budgetaires/{plan_budget_line}/supprimer/",
        LOGIN,
        405,
        OTHERS,
    ),
    "steering:expense_create": (A + "depenses/nouvelle/", LOGIN, 403, COORDINATION),
    "steering:expense_delete": ("/pilotage/depenses/{plan_expense}/supprimer/", LOGIN, 405, OTHERS),
    "steering:expense_document": ("/pilotage/depenses/{plan_expense}/justificatif", LOGIN, 404, OTHERS),
    "steering:fundings": ("/pilotage/financements/", LOGIN, 200, OTHERS),
    "steering:funding_create": ("/pilotage/financements/nouveau/", LOGIN, 403, COORDINATION),
    "steering:funding": (F, LOGIN, 200, OTHERS),
    "steering:funding_edit": (F + "modifier/", LOGIN, 403, COORDINATION),
}


def objects() -> dict:
    from datetime import date
    from decimal import Decimal

    from tests.steering.factories import (
        ActionFactory,
        ActionPlanFactory,
        BudgetLineFactory,
        ExpenseFactory,
        FundingFactory,
        MilestoneFactory,
    )

    plan = ActionPlanFactory(starts_on=date(2022, 1, 1), ends_on=date(2023, 12, 31))
    action = ActionFactory(plan=plan, number=1)
    funding = FundingFactory(annuities={2022: "100000", 2023: "100000"})
    line = BudgetLineFactory(action=action, funding=funding, year=2022, amount=Decimal("20000"))
    expense = ExpenseFactory(action=action, funding=funding, spent_on=date(2022, 3, 1))
    expense.document.name = "pilotage/justificatifs/matrice.pdf"
    expense.save(update_fields=["document"])
    return {
        "action_plan": plan.pk,
        "plan_action": action.pk,
        "plan_funding": funding.pk,
        "plan_budget_line": line.pk,
        "plan_expense": expense.pk,
        "plan_milestone": MilestoneFactory(action=action).pk,
    }
