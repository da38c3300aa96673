"""Pages of the action plan and of its money: plans and versions, actions and milestones, fundings,
the budget against what was spent, expenses and their supporting documents.

Thin: parse the request, call ``services_plan`` / ``services_money`` (writes) or ``queries_plan`` /
``money`` (reads), render. Who sees what (``access.py``): the coordination writes; elected members
and the State's delegate read every page of the plan and its money (they sit in the COPIL), and may
download the supporting documents; counsellors and employers have no page here. A plan, an action,
a funding or an expense of another territory is a 404. Writes are POST only; a rule broken shows as
a French error on the form, which keeps what was typed (except the file, which browsers never keep).
"""

from __future__ import annotations

import csv
import io
import mimetypes
from collections import defaultdict

from django.contrib import messages
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cite_emploi.accounts.permissions import require_role
from cite_emploi.partners import enums
from cite_emploi.territory.models import QPV

from . import money, services_money, services_plan
from . import queries_plan as queries
from .access import READERS, can_edit, require_editor
from .forms_plan import (
    ActionForm,
    AdoptForm,
    BudgetLineForm,
    ExpenseForm,
    FundingForm,
    MilestoneDoneForm,
    MilestoneForm,
    PlanForm,
)
from .models import Axis, BudgetLine, Milestone, Public
from .services_plan import PlanError

PUBLIC_LABELS = {value: label.split(" (")[0] for value, label in Public.choices}


# --- plans --------------------------------------------------------------------------------------


@require_role(*READERS)
def plan_list(request):
    territory = request.scope.territory
    plans = queries.plans(territory).annotate(action_count=Count("actions"))
    current = queries.current_plan(territory)
    return render(
        request,
        "steering/plan/list.html",
        {"plans": plans, "current": current, "can_edit": can_edit(request.scope)},
    )


def _plan_form_page(request, form, plan=None):
    title = f"Modifier le plan « {plan.title} »" if plan else "Nouveau plan d'actions"
    return render(request, "steering/plan/plan_form.html", {"form": form, "plan": plan, "title": title})


@require_role(*READERS)
def plan_create(request):
    require_editor(request.scope)
    territory = request.scope.territory
    form = PlanForm(request.POST or None, territory=territory)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services_plan.create_plan(territory, by=request.user, **form.cleaned_data)
        except PlanError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Plan d'actions créé : ajoutez-lui ses actions.")
            return redirect("steering:plan", plan.pk)
    return _plan_form_page(request, form)


@require_role(*READERS)
def plan_edit(request, pk: int):
    require_editor(request.scope)
    territory = request.scope.territory
    plan = queries.get_plan(territory, pk)
    form = PlanForm(request.POST or None, territory=territory, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            services_plan.update_plan(plan, by=request.user, **form.cleaned_data)
        except PlanError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Plan d'actions modifié.")
            return redirect("steering:plan", plan.pk)
    return _plan_form_page(request, form, plan)


def _axis_groups(actions, budget, alerts) -> list[dict]:
    alerts_of = defaultdict(list)
    for alert in alerts:
        alerts_of[alert.action.pk].append(alert)
    groups: dict[str, list] = defaultdict(list)
    for action in actions:
        milestones = list(action.milestones.all())
        groups[action.axis].append(
            {
                "action": action,
                "amounts": budget.by_action.get(action.pk, money.Amounts()),
                "alerts": alerts_of.get(action.pk, []),
                "publics": [PUBLIC_LABELS.get(p, p) for p in action.publics],
                "next_milestone": next((m for m in milestones if m.done_on is None), None),
            }
        )
    return [{"axis": label, "rows": groups[value]} for value, label in Axis.choices if groups.get(value)]


@require_role(*READERS)
def plan_detail(request, pk: int):
    territory = request.scope.territory
    plan = queries.get_plan(territory, pk)
    actions = list(queries.plan_with_actions(plan))
    budget = money.budget(plan)
    alerts = money.underspend_alerts(plan, from_budget=budget)
    return render(
        request,
        "steering/plan/detail.html",
        {
            "plan": plan,
            "groups": _axis_groups(actions, budget, alerts),
            "action_count": len(actions),
            "budget": budget,
            "alerts": alerts,
            "versions": list(queries.versions(plan).only("pk", "version", "status", "adopted_on")),
            "can_edit": can_edit(request.scope),
            "adopt_form": AdoptForm(),
        },
    )


@require_role(*READERS)
@require_POST
def plan_new_version(request, pk: int):
    require_editor(request.scope)
    plan = queries.get_plan(request.scope.territory, pk)
    copy = services_plan.new_version(plan, by=request.user)
    messages.success(
        request,
        f"Version {copy.version} créée en projet, avec les actions, étapes, lignes budgétaires et objectifs "
        f"de la version {plan.version}. Adoptez-la pour qu'elle remplace la version en vigueur.",
    )
    return redirect("steering:plan", copy.pk)


@require_role(*READERS)
@require_POST
def plan_adopt(request, pk: int):
    require_editor(request.scope)
    plan = queries.get_plan(request.scope.territory, pk)
    form = AdoptForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("steering:plan", plan.pk)
    try:
        services_plan.adopt_plan(plan, by=request.user, adopted_on=form.cleaned_data.get("adopted_on"))
    except PlanError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Plan adopté le {plan.adopted_on:%d/%m/%Y}.")
    return redirect("steering:plan", plan.pk)


@require_role(*READERS)
@require_POST
def plan_close(request, pk: int):
    require_editor(request.scope)
    plan = queries.get_plan(request.scope.territory, pk)
    try:
        services_plan.close_plan(plan, by=request.user)
    except PlanError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Plan clos : il ne se modifie plus.")
    return redirect("steering:plan", plan.pk)


# --- actions ------------------------------------------------------------------------------------


def _action_form_page(request, form, plan, action=None):
    title = f"Modifier l'action {action.code}" if action else "Nouvelle action"
    return render(
        request,
        "steering/plan/action_form.html",
        {"form": form, "plan": plan, "action": action, "title": title},
    )


@require_role(*READERS)
def action_create(request, pk: int):
    require_editor(request.scope)
    plan = queries.get_plan(request.scope.territory, pk)
    form = ActionForm(request.POST or None, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            action = services_plan.create_action(plan, by=request.user, **form.action_fields())
        except PlanError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Action {action.code} ajoutée au plan.")
            return redirect("steering:action", action.pk)
    return _action_form_page(request, form, plan)


@require_role(*READERS)
def action_edit(request, pk: int):
    require_editor(request.scope)
    action = queries.get_action(request.scope.territory, pk)
    form = ActionForm(request.POST or None, plan=action.plan, instance=action)
    if request.method == "POST" and form.is_valid():
        try:
            services_plan.update_action(action, by=request.user, **form.action_fields())
        except PlanError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Action {action.code} modifiée.")
            return redirect("steering:action", action.pk)
    return _action_form_page(request, form, action.plan, action)


def _gap(action) -> dict | None:
    if not (action.gap_qpv and action.gap_category):
        return None
    qpv = QPV.objects.filter(code=action.gap_qpv).order_by("-geography_year").only("name").first()
    return {
        "qpv_code": action.gap_qpv,
        "qpv_name": qpv.name if qpv else action.gap_qpv,
        "category": dict(enums.CATEGORIES).get(action.gap_category, action.gap_category),
    }


def _targets_progress(action):
    from . import targets

    return targets.actions_progress([action]).get(action.pk, [])


@require_role(*READERS)
def action_detail(request, pk: int):
    scope = request.scope
    action = queries.get_action(scope.territory, pk)
    by_year = money.action_budget(action)
    total = money.Amounts()
    for amounts in by_year.values():
        total.add(amounts.planned, amounts.spent)
    return render(
        request,
        "steering/plan/action.html",
        {
            "action": action,
            "plan": action.plan,
            "partners": list(action.partners.order_by("name")),
            "qpvs": list(action.qpvs.order_by("name")),
            "publics": [PUBLIC_LABELS.get(p, p) for p in action.publics],
            "gap": _gap(action),
            "milestones": list(queries.action_milestones(action)),
            "lines": list(queries.action_budget_lines(action)),
            "expenses": list(queries.action_expenses(action)),
            "by_year": by_year,
            "total": total,
            "alerts": money.action_alerts(action, by_year),
            "progress": _targets_progress(action),
            "can_edit": can_edit(scope),
            "today": timezone.localdate(),
        },
    )


# --- milestones ---------------------------------------------------------------------------------


@require_role(*READERS)
def milestone_create(request, pk: int):
    require_editor(request.scope)
    action = queries.get_action(request.scope.territory, pk)
    form = MilestoneForm(request.POST or None, initial={"due_on": action.starts_on})
    if request.method == "POST" and form.is_valid():
        try:
            services_plan.create_milestone(action, by=request.user, **form.cleaned_data)
        except PlanError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Étape ajoutée.")
            return redirect("steering:action", action.pk)
    return render(request, "steering/plan/milestone_form.html", {"form": form, "action": action})


@require_role(*READERS)
@require_POST
def milestone_done(request, pk: int):
    require_editor(request.scope)
    milestone = get_object_or_404(
        Milestone.objects.select_related("action__plan"),
        pk=pk,
        action__plan__territory=request.scope.territory,
    )
    form = MilestoneDoneForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("steering:action", milestone.action_id)
    try:
        services_plan.mark_milestone_done(
            milestone, by=request.user, done_on=form.cleaned_data.get("done_on")
        )
    except PlanError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Étape « {milestone.title} » réalisée.")
    return redirect("steering:action", milestone.action_id)


# --- fundings -----------------------------------------------------------------------------------


@require_role(*READERS)
def funding_list(request):
    territory = request.scope.territory
    totals = money.funding_totals(territory, queries.effective_plan_ids(territory))
    fundings = []
    for funding in queries.fundings(territory):
        rows = money.funding_rows(funding, totals)
        fundings.append({"funding": funding, "rows": rows, "total": money.sum_funding_rows(rows)})
    return render(
        request,
        "steering/plan/fundings.html",
        {
            "fundings": fundings,
            "total": money.sum_funding_rows([f["total"] for f in fundings]),
            "can_edit": can_edit(request.scope),
        },
    )


def _funding_form_page(request, form, funding=None):
    title = f"Modifier le financement « {funding.title} »" if funding else "Nouveau financement"
    return render(
        request, "steering/plan/funding_form.html", {"form": form, "funding": funding, "title": title}
    )


@require_role(*READERS)
def funding_create(request):
    require_editor(request.scope)
    territory = request.scope.territory
    form = FundingForm(request.POST or None, territory=territory)
    if request.method == "POST" and form.is_valid():
        try:
            funding = services_money.create_funding(territory, by=request.user, **form.funding_fields())
        except PlanError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Financement enregistré.")
            return redirect("steering:funding", funding.pk)
    return _funding_form_page(request, form)


@require_role(*READERS)
def funding_edit(request, pk: int):
    require_editor(request.scope)
    territory = request.scope.territory
    funding = queries.get_funding(territory, pk)
    form = FundingForm(request.POST or None, territory=territory, instance=funding)
    if request.method == "POST" and form.is_valid():
        try:
            services_money.update_funding(funding, by=request.user, **form.funding_fields())
        except PlanError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Financement modifié.")
            return redirect("steering:funding", funding.pk)
    return _funding_form_page(request, form, funding)


@require_role(*READERS)
def funding_detail(request, pk: int):
    territory = request.scope.territory
    funding = queries.get_funding(territory, pk)
    plan_ids = queries.effective_plan_ids(territory)
    totals = money.funding_totals(territory, plan_ids)
    rows = money.funding_rows(funding, {k: v for k, v in totals.items() if k[0] == funding.pk})
    lines = list(queries.funding_lines(funding, plan_ids))
    spent = money.spent_by_action_year(funding, plan_ids)
    return render(
        request,
        "steering/plan/funding.html",
        {
            "funding": funding,
            "rows": rows,
            "total": money.sum_funding_rows(rows),
            "lines": [
                {"line": line, "spent": spent.get((line.action_id, line.year), money.ZERO)} for line in lines
            ],
            "can_edit": can_edit(request.scope),
        },
    )


# --- budget -------------------------------------------------------------------------------------


def _budget_tables(plan) -> dict:
    budget = money.budget(plan)
    actions = list(plan.actions.order_by("number").only("pk", "number", "title", "plan_id"))
    by_action = []
    for action in actions:
        years = [
            {"year": year, "amounts": budget.by_action_year[(action.pk, year)]}
            for year in budget.years
            if (action.pk, year) in budget.by_action_year
        ]
        by_action.append(
            {"action": action, "years": years, "total": budget.by_action.get(action.pk, money.Amounts())}
        )
    by_funding = []
    for funding_id, year in budget.funding_years():
        amounts = budget.by_funding_year.get((funding_id, year), money.Amounts())
        by_funding.append(
            {
                "funding": budget.fundings.get(funding_id),
                "year": year,
                "granted": budget.granted.get((funding_id, year)),
                "amounts": amounts,
                "available": budget.available(funding_id, year)
                if (funding_id, year) in budget.granted
                else None,
            }
        )
    return {
        "budget": budget,
        "by_action": by_action,
        "by_funding": by_funding,
        "by_year": [{"year": y, "amounts": budget.by_year.get(y, money.Amounts())} for y in budget.years],
        "alerts": money.underspend_alerts(plan, from_budget=budget),
    }


@require_role(*READERS)
def budget_page(request, pk: int):
    plan = queries.get_plan(request.scope.territory, pk)
    return render(request, "steering/plan/budget.html", {"plan": plan, **_budget_tables(plan)})


def _csv_amount(value) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def _csv_rate(rate) -> str:
    return "" if rate is None else f"{100 * rate:.1f}".replace(".", ",")


@require_role(*READERS)
def budget_csv(request, pk: int):
    plan = queries.get_plan(request.scope.territory, pk)
    tables = _budget_tables(plan)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(
        [
            "Niveau",
            "Action ou financement",
            "Année",
            "Accordé (€)",
            "Prévu (€)",
            "Dépensé (€)",
            "Restant (€)",
            "Taux de consommation (%)",
        ]
    )
    for row in tables["by_action"]:
        label = f"{row['action'].code} — {row['action'].title}"
        for cell in row["years"]:
            a = cell["amounts"]
            writer.writerow(["Action", label, cell["year"], "", *_amount_cells(a)])
        writer.writerow(["Action", label, "Total", "", *_amount_cells(row["total"])])
    for row in tables["by_funding"]:
        a = row["amounts"]
        title = row["funding"].title if row["funding"] else ""
        writer.writerow(["Financement", title, row["year"], _csv_amount(row["granted"]), *_amount_cells(a)])
    for row in tables["by_year"]:
        writer.writerow(["Année", "Toutes actions", row["year"], "", *_amount_cells(row["amounts"])])
    writer.writerow(["Total", "Plan", "", "", *_amount_cells(tables["budget"].total)])
    # A BOM so that spreadsheets open the accents right.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="budget-plan-{plan.pk}-v{plan.version}.csv"'
    return response


def _amount_cells(amounts) -> list[str]:
    return [
        _csv_amount(amounts.planned),
        _csv_amount(amounts.spent),
        _csv_amount(amounts.remaining),
        _csv_rate(amounts.rate),
    ]


@require_role(*READERS)
def budget_line_create(request, pk: int):
    require_editor(request.scope)
    action = queries.get_action(request.scope.territory, pk)
    form = BudgetLineForm(request.POST or None, action=action)
    if request.method == "POST" and form.is_valid():
        try:
            services_money.set_budget_line(action, by=request.user, **form.cleaned_data)
        except PlanError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Ligne budgétaire enregistrée.")
            return redirect("steering:action", action.pk)
    return render(
        request,
        "steering/plan/budget_line_form.html",
        {"form": form, "action": action, "lines": list(queries.action_budget_lines(action))},
    )


@require_role(*READERS)
@require_POST
def budget_line_delete(request, pk: int):
    require_editor(request.scope)
    line = get_object_or_404(
        BudgetLine.objects.select_related("action__plan", "funding"),
        pk=pk,
        action__plan__territory=request.scope.territory,
    )
    try:
        services_money.delete_budget_line(line, by=request.user)
    except PlanError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Ligne budgétaire retirée.")
    return redirect("steering:action", line.action_id)


# --- expenses -----------------------------------------------------------------------------------


@require_role(*READERS)
def expense_create(request, pk: int):
    require_editor(request.scope)
    action = queries.get_action(request.scope.territory, pk)
    form = ExpenseForm(request.POST or None, request.FILES or None, action=action)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services_money.create_expense(
                action,
                by=request.user,
                funding=data["funding"],
                spent_on=data["spent_on"],
                amount=data["amount"],
                label=data["label"],
                supplier=data["supplier"],
                document=data.get("document"),
            )
        except PlanError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Dépense enregistrée.")
            return redirect("steering:action", action.pk)
    return render(request, "steering/plan/expense_form.html", {"form": form, "action": action})


@require_role(*READERS)
@require_POST
def expense_delete(request, pk: int):
    require_editor(request.scope)
    expense = queries.get_expense(request.scope.territory, pk)
    try:
        services_money.delete_expense(expense, by=request.user)
    except PlanError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Dépense supprimée.")
    return redirect("steering:action", expense.action_id)


@require_role(*READERS)
def expense_document(request, pk: int):
    """The supporting document, streamed after the access check (never served from MEDIA_URL)."""
    expense = queries.get_expense(request.scope.territory, pk)
    if not expense.document:
        raise Http404("Cette dépense n'a pas de pièce justificative.")
    try:
        handle = expense.document.open("rb")
    except FileNotFoundError:
        raise Http404("La pièce justificative est introuvable.") from None
    extension = expense.document.name.rsplit(".", 1)[-1].lower()
    content_type = (
        services_money.CONTENT_TYPES.get(extension) or mimetypes.guess_type(expense.document.name)[0]
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"justificatif-{expense.action.code}-{expense.pk}.{extension}",
        content_type=content_type or "application/octet-stream",
    )
