"""Writes of the action plan: plans and their versions, actions, milestones.

Rules (each broken rule raises ``PlanError`` with a French message, and nothing is written):

* **Plan.** A title, a start before its end. The versions of a plan share its start date: creating a
  plan that starts on the same day as another of the territory is refused (make a new version of
  it instead). A draft plan can be edited; an adopted one keeps its title and dates (a new version
  changes them) but its actions, milestones and money still move; a closed plan no longer changes.
  Its reference diagnostic is a saved version of the territory's diagnostic.
* **Nouvelle version.** Copies the plan into version n + 1 (the highest of its versions + 1), as a
  draft: its actions with their partners, quartiers and publics, their milestones, budget lines,
  targets and the targets' manual readings. Expenses stay where they were recorded until the new
  version is adopted.
* **Adoption.** A draft with at least one action is adopted on a date (today by default, never in the
  future). The other adopted versions of the same plan are closed, and their expenses move to the
  action of the same number in the adopted version: each must fit there (the action exists, the
  date is within its period, it has a budget line for that funding and year), or the adoption is
  refused with the expenses that do not fit. **Closing** ends an adopted plan.
* **Action.** A title, an axis, a number unique in the plan (the next free one by default), dates
  within the plan's, a lead organisation and partners of the territory, quartiers of the territory's
  current perimeter, publics among jeunes / adultes / seniors, and optionally the diagnostic gap it
  answers: a quartier of the territory and a data·inclusion category, both or neither (the form
  proposes the gaps of ``diagnostic.gaps.gap_analysis`` at the date of the plan's diagnostic). Its
  dates must still cover its budget lines' years and its expenses.
* **Milestone.** A title and a due date within the action's period; done on a date, never in the future.
* **Audit.** One entry per write. The log's ``action`` column holds the platform's short verbs
  (« create », « update », « delete »); the event is named in ``detail["event"]``
  (``steering.plan_created``…). Nothing here is personal data.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cite_emploi.core import audit
from cite_emploi.core.models import AuditEntry
from cite_emploi.diagnostic.places import qpv_values
from cite_emploi.partners import enums

from .models import (
    Action,
    ActionPlan,
    Axis,
    BudgetLine,
    Expense,
    IndicatorTarget,
    ManualReading,
    Milestone,
    Public,
)

TITLE_MAX = 200
MAX_AMOUNT = Decimal("9999999999.99")  # max_digits=12, decimal_places=2
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
PLAN_CREATED, PLAN_UPDATED, PLAN_VERSIONED = (
    "steering.plan_created",
    "steering.plan_updated",
    "steering.plan_versioned",
)
PLAN_ADOPTED, PLAN_CLOSED = "steering.plan_adopted", "steering.plan_closed"
ACTION_CREATED, ACTION_UPDATED = "steering.action_created", "steering.action_updated"
MILESTONE_CREATED, MILESTONE_DONE = "steering.milestone_created", "steering.milestone_done"


class PlanError(Exception):
    """A write of the plan or of its money that cannot be done; the message is French and for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- shared checks (also used by services_money) ------------------------------------------------


def record(verb: str, obj, *, by, territory_id: int, event: str, **detail) -> None:
    audit.record(verb, actor=by, obj=obj, territory_id=territory_id, event=event, **detail)


def clean_text(value, what: str, *, limit: int = TITLE_MAX, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise PlanError(f"{what} est obligatoire.")
    if len(text) > limit:
        raise PlanError(f"{what} dépasse {limit} caractères.")
    return text


def clean_amount(value, what: str = "Le montant") -> Decimal:
    """A positive amount in euros with at most two decimals."""
    try:
        amount = Decimal(str(value).strip().replace(",", ".").replace("\u202f", "").replace(" ", ""))
    except (InvalidOperation, ValueError, AttributeError):
        raise PlanError(f"{what} doit être un nombre (par exemple 12500,50).") from None
    if not amount.is_finite():
        raise PlanError(f"{what} doit être un nombre (par exemple 12500,50).")
    if amount <= 0:
        raise PlanError(f"{what} doit être supérieur à zéro.")
    if amount != amount.quantize(Decimal("0.01")):
        raise PlanError(f"{what} a au plus deux décimales (les centimes).")
    if amount > MAX_AMOUNT:
        raise PlanError(f"{what} est trop grand.")
    return amount.quantize(Decimal("0.01"))


def clean_day(value, what: str) -> date:
    if not isinstance(value, date):
        raise PlanError(f"{what} est obligatoire.")
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PlanError(f"{what} doit être entre l'an 2000 et l'an 2100.")
    return value


def clean_period(starts_on, ends_on, what: str) -> tuple[date, date]:
    starts_on, ends_on = clean_day(starts_on, "La date de début"), clean_day(ends_on, "La date de fin")
    if starts_on > ends_on:
        raise PlanError(f"{what} doit commencer avant de finir.")
    return starts_on, ends_on


def require_open(plan: ActionPlan) -> None:
    if plan.status == ActionPlan.Status.CLOSED:
        raise PlanError(
            f"Le plan « {plan.title} » (version {plan.version}) est clos : il ne se modifie plus."
        )


def _day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


# --- plans --------------------------------------------------------------------------------------


def _plan_fields(territory, fields: dict) -> dict:
    diagnostic = fields.get("diagnostic")
    if diagnostic is not None and diagnostic.territory_id != territory.pk:
        raise PlanError("Le diagnostic de référence doit être un diagnostic du territoire.")
    starts_on, ends_on = clean_period(fields.get("starts_on"), fields.get("ends_on"), "Le plan")
    return {
        "title": clean_text(fields.get("title"), "L'intitulé du plan"),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "diagnostic": diagnostic,
    }


def _start_taken(territory, starts_on: date, exclude_pk=None) -> ActionPlan | None:
    return ActionPlan.objects.filter(territory=territory, starts_on=starts_on).exclude(pk=exclude_pk).first()


@transaction.atomic
def create_plan(territory, *, by, title: str, starts_on: date, ends_on: date, diagnostic=None) -> ActionPlan:
    """A new draft plan (version 1) of ``territory``."""
    cleaned = _plan_fields(
        territory, {"title": title, "starts_on": starts_on, "ends_on": ends_on, "diagnostic": diagnostic}
    )
    other = _start_taken(territory, cleaned["starts_on"])
    if other is not None:
        raise PlanError(
            f"Le plan « {other.title} » commence déjà le {_day(other.starts_on)} : pour le modifier, "
            "créez-en une nouvelle version depuis sa page."
        )
    plan = ActionPlan.objects.create(
        territory=territory,
        version=1,
        created_by=by if getattr(by, "is_authenticated", False) else None,
        **cleaned,
    )
    record(AuditEntry.Action.CREATE, plan, by=by, territory_id=territory.pk, event=PLAN_CREATED, version=1)
    return plan


@transaction.atomic
def update_plan(
    plan: ActionPlan, *, by, title: str, starts_on: date, ends_on: date, diagnostic=None
) -> ActionPlan:
    """Change a draft plan's title, dates or diagnostic (an adopted plan changes by a new version)."""
    require_open(plan)
    cleaned = _plan_fields(
        plan.territory, {"title": title, "starts_on": starts_on, "ends_on": ends_on, "diagnostic": diagnostic}
    )
    if plan.status != ActionPlan.Status.DRAFT and (
        cleaned["title"] != plan.title
        or cleaned["starts_on"] != plan.starts_on
        or cleaned["ends_on"] != plan.ends_on
    ):
        raise PlanError(
            "Ce plan est adopté : son intitulé et ses dates ne changent plus. Créez une nouvelle version pour les modifier."
        )
    if cleaned["starts_on"] != plan.starts_on:
        other = _start_taken(plan.territory, cleaned["starts_on"], exclude_pk=plan.pk)
        if other is not None:
            raise PlanError(
                f"Le plan « {other.title} » commence déjà le {_day(other.starts_on)} : choisissez une autre date de début."
            )
    outside = list(
        plan.actions.exclude(starts_on__gte=cleaned["starts_on"], ends_on__lte=cleaned["ends_on"])
        .order_by("number")
        .values_list("number", flat=True)[:5]
    )
    if outside:
        codes = ", ".join(f"A{n}" for n in outside)
        raise PlanError(
            f"Les dates de ces actions sortent de la nouvelle période du plan : {codes}. Modifiez-les d'abord."
        )
    changed = sorted(k for k, v in cleaned.items() if getattr(plan, k) != v)
    for name, value in cleaned.items():
        setattr(plan, name, value)
    plan.save()
    record(
        AuditEntry.Action.UPDATE,
        plan,
        by=by,
        territory_id=plan.territory_id,
        event=PLAN_UPDATED,
        changed=changed,
    )
    return plan


@transaction.atomic
def new_version(plan: ActionPlan, *, by) -> ActionPlan:
    """Copy ``plan`` into a new draft version, with everything it plans (see the module's rules)."""
    latest = ActionPlan.objects.filter(territory_id=plan.territory_id, starts_on=plan.starts_on).aggregate(
        m=Max("version")
    )["m"]
    copy = ActionPlan.objects.create(
        territory_id=plan.territory_id,
        title=plan.title,
        starts_on=plan.starts_on,
        ends_on=plan.ends_on,
        version=(latest or 0) + 1,
        diagnostic_id=plan.diagnostic_id,
        is_demo=plan.is_demo,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    actions = list(plan.actions.order_by("number"))
    copied_fields = [
        "number", "title", "axis", "description", "lead_organisation_id", "publics", "starts_on",
        "ends_on", "status", "gap_qpv", "gap_category", "is_demo",
    ]  # fmt: skip
    Action.objects.bulk_create(
        [Action(plan=copy, **{name: getattr(a, name) for name in copied_fields}) for a in actions]
    )
    # Refetched by number rather than trusting bulk_create's ids: every engine returns them this way.
    new_of = {a.number: a.pk for a in copy.actions.all()}
    old_to_new = {a.pk: new_of[a.number] for a in actions}
    for relation, column in ((Action.partners, "organisation_id"), (Action.qpvs, "qpv_id")):
        through = relation.through
        rows = through.objects.filter(action_id__in=old_to_new).values_list("action_id", column)
        through.objects.bulk_create([through(action_id=old_to_new[a], **{column: o}) for a, o in rows])
    Milestone.objects.bulk_create(
        [
            Milestone(action_id=old_to_new[m.action_id], title=m.title, due_on=m.due_on, done_on=m.done_on)
            for m in Milestone.objects.filter(action_id__in=old_to_new)
        ]
    )
    lines = BudgetLine.objects.filter(action_id__in=old_to_new)
    BudgetLine.objects.bulk_create(
        [
            BudgetLine(
                action_id=old_to_new[b.action_id], funding_id=b.funding_id, year=b.year, amount=b.amount
            )
            for b in lines
        ]
    )
    targets = list(IndicatorTarget.objects.filter(action_id__in=old_to_new).order_by("pk"))
    target_fields = [
        "label",
        "indicator",
        "where_level",
        "where_code",
        "unit",
        "target",
        "starts_on",
        "ends_on",
    ]
    IndicatorTarget.objects.bulk_create(
        [
            IndicatorTarget(
                action_id=old_to_new[t.action_id], **{name: getattr(t, name) for name in target_fields}
            )
            for t in targets
        ]
    )
    # Created in the same order, so their ids follow the originals' order.
    new_targets = list(
        IndicatorTarget.objects.filter(action__plan=copy).order_by("pk").values_list("pk", flat=True)
    )
    target_map = {old.pk: new for old, new in zip(targets, new_targets, strict=True)}
    ManualReading.objects.bulk_create(
        [
            ManualReading(
                target_id=target_map[r.target_id],
                measured_on=r.measured_on,
                value=r.value,
                note=r.note,
                recorded_by_id=r.recorded_by_id,
            )
            for r in ManualReading.objects.filter(target_id__in=target_map)
        ]
    )
    record(
        AuditEntry.Action.CREATE,
        copy,
        by=by,
        territory_id=plan.territory_id,
        event=PLAN_VERSIONED,
        source_plan=plan.pk,
        version=copy.version,
        actions=len(actions),
    )
    return copy


def _moving_expenses(
    plan: ActionPlan, superseded: list[ActionPlan]
) -> tuple[list[tuple[Expense, int]], list[str]]:
    """Each expense of the superseded versions with its action in ``plan``, and the ones that do not fit."""
    actions = {a.number: a for a in plan.actions.all()}
    lines = set(BudgetLine.objects.filter(action__plan=plan).values_list("action_id", "funding_id", "year"))
    moves, problems = [], []
    expenses = (
        Expense.objects.filter(action__plan__in=superseded)
        .select_related("action", "funding")
        .order_by("spent_on", "pk")
    )
    for expense in expenses:
        target = actions.get(expense.action.number)
        where = f"{expense.action.code} « {expense.label} » du {_day(expense.spent_on)}"
        if target is None:
            problems.append(f"{where} : l'action {expense.action.code} n'existe plus")
        elif not target.starts_on <= expense.spent_on <= target.ends_on:
            problems.append(f"{where} : hors de la période de l'action")
        elif (target.pk, expense.funding_id, expense.spent_on.year) not in lines:
            problems.append(
                f"{where} : pas de ligne budgétaire « {expense.funding.title} » en {expense.spent_on.year}"
            )
        else:
            moves.append((expense, target.pk))
    return moves, problems


@transaction.atomic
def adopt_plan(plan: ActionPlan, *, by, adopted_on: date | None = None) -> ActionPlan:
    """Adopt a draft plan; the version it replaces is closed and its expenses move to it."""
    if plan.status != ActionPlan.Status.DRAFT:
        raise PlanError("Seul un plan en projet peut être adopté.")
    adopted_on = adopted_on or timezone.localdate()
    clean_day(adopted_on, "La date d'adoption")
    if adopted_on > timezone.localdate():
        raise PlanError("La date d'adoption ne peut pas être dans le futur.")
    if not plan.actions.exists():
        raise PlanError("Un plan sans action ne peut pas être adopté : ajoutez d'abord ses actions.")
    superseded = list(
        ActionPlan.objects.select_for_update()
        .filter(territory_id=plan.territory_id, starts_on=plan.starts_on, status=ActionPlan.Status.ADOPTED)
        .exclude(pk=plan.pk)
    )
    moves, problems = _moving_expenses(plan, superseded)
    if problems:
        shown = " ; ".join(problems[:3]) + (
            f" ; et {len(problems) - 3} autre(s)" if len(problems) > 3 else ""
        )
        raise PlanError(
            f"Adoption impossible : {len(problems)} dépense(s) déjà enregistrée(s) ne trouvent pas leur place dans "
            f"cette version ({shown}). Ajoutez les actions ou les lignes budgétaires manquantes, puis adoptez."
        )
    for expense, action_id in moves:
        expense.action_id = action_id
    Expense.objects.bulk_update([e for e, _ in moves], ["action"])
    for old in superseded:
        old.status = ActionPlan.Status.CLOSED
        old.save(update_fields=["status"])
        record(
            AuditEntry.Action.UPDATE,
            old,
            by=by,
            territory_id=old.territory_id,
            event=PLAN_CLOSED,
            replaced_by=plan.pk,
        )
    plan.status, plan.adopted_on = ActionPlan.Status.ADOPTED, adopted_on
    plan.save(update_fields=["status", "adopted_on"])
    record(
        AuditEntry.Action.UPDATE,
        plan,
        by=by,
        territory_id=plan.territory_id,
        event=PLAN_ADOPTED,
        adopted_on=adopted_on.isoformat(),
        replaced=[p.pk for p in superseded],
        moved_expenses=len(moves),
    )
    return plan


@transaction.atomic
def close_plan(plan: ActionPlan, *, by) -> ActionPlan:
    """End an adopted plan: it no longer changes."""
    if plan.status != ActionPlan.Status.ADOPTED:
        raise PlanError("Seul un plan adopté peut être clos.")
    plan.status = ActionPlan.Status.CLOSED
    plan.save(update_fields=["status"])
    record(AuditEntry.Action.UPDATE, plan, by=by, territory_id=plan.territory_id, event=PLAN_CLOSED)
    return plan


# --- actions ------------------------------------------------------------------------------------


def _action_fields(plan: ActionPlan, fields: dict, action: Action | None = None) -> tuple[dict, list, list]:
    territory_id = plan.territory_id
    title = clean_text(fields.get("title"), "L'intitulé de l'action")
    axis = fields.get("axis") or ""
    if axis not in Axis.values:
        raise PlanError("Choisissez l'axe de l'action.")
    status = fields.get("status") or Action.Status.PLANNED
    if status not in Action.Status.values:
        raise PlanError("Ce statut d'action n'existe pas.")
    starts_on, ends_on = clean_period(fields.get("starts_on"), fields.get("ends_on"), "L'action")
    if starts_on < plan.starts_on or ends_on > plan.ends_on:
        raise PlanError(
            f"Les dates de l'action doivent rester dans celles du plan, du {_day(plan.starts_on)} au {_day(plan.ends_on)}."
        )
    lead = fields.get("lead_organisation")
    partners = list(fields.get("partners") or [])
    for organisation in [lead, *partners]:
        if organisation is not None and organisation.territory_id != territory_id:
            raise PlanError(f"La structure « {organisation.name} » n'est pas une structure du territoire.")
    qpvs = list(fields.get("qpvs") or [])
    known_qpvs = {code for code, _ in qpv_values(plan.territory)}
    for qpv in qpvs:
        if qpv.code not in known_qpvs:
            raise PlanError(f"Le quartier « {qpv.name} » n'est pas dans le périmètre du territoire.")
    publics = list(dict.fromkeys(fields.get("publics") or []))
    if any(p not in Public.values for p in publics):
        raise PlanError("Les publics ciblés sont les jeunes, les adultes et les seniors.")
    gap_qpv, gap_category = (fields.get("gap_qpv") or "").strip(), (fields.get("gap_category") or "").strip()
    if bool(gap_qpv) != bool(gap_category):
        raise PlanError(
            "Le besoin auquel répond l'action se donne par son quartier et sa catégorie, les deux ou aucun."
        )
    if gap_qpv and gap_qpv not in known_qpvs:
        raise PlanError(f"Le quartier du besoin ({gap_qpv}) n'est pas dans le périmètre du territoire.")
    if gap_category and gap_category not in dict(enums.CATEGORIES):
        raise PlanError(f"La catégorie du besoin ({gap_category}) n'est pas une catégorie data·inclusion.")
    number = fields.get("number")
    if number in (None, ""):
        number = action.number if action else (plan.actions.aggregate(m=Max("number"))["m"] or 0) + 1
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise PlanError("Le numéro de l'action est un nombre entier.") from None
    if not 1 <= number <= 999:
        raise PlanError("Le numéro de l'action est compris entre 1 et 999.")
    taken = plan.actions.filter(number=number).exclude(pk=action.pk if action else None)
    if taken.exists():
        raise PlanError(f"Le plan a déjà une action A{number} : choisissez un autre numéro.")
    cleaned = {
        "number": number,
        "title": title,
        "axis": axis,
        "description": (fields.get("description") or "").strip(),
        "lead_organisation": lead,
        "publics": [p for p in Public.values if p in publics],
        "starts_on": starts_on,
        "ends_on": ends_on,
        "status": status,
        "gap_qpv": gap_qpv,
        "gap_category": gap_category,
    }
    return cleaned, partners, qpvs


def _check_money_fits(action: Action, starts_on: date, ends_on: date) -> None:
    years = sorted(
        set(
            action.budget_lines.exclude(year__gte=starts_on.year, year__lte=ends_on.year).values_list(
                "year", flat=True
            )
        )
    )
    if years:
        raise PlanError(
            f"L'action a des lignes budgétaires en {', '.join(map(str, years))}, hors de ses nouvelles dates : "
            "retirez-les ou gardez des dates qui les couvrent."
        )
    outside = (
        action.expenses.exclude(spent_on__gte=starts_on, spent_on__lte=ends_on).order_by("spent_on").first()
    )
    if outside is not None:
        raise PlanError(
            f"La dépense « {outside.label} » du {_day(outside.spent_on)} sortirait des dates de l'action : "
            "gardez des dates qui la couvrent."
        )


@transaction.atomic
def create_action(plan: ActionPlan, *, by, **fields) -> Action:
    """Add an action to ``plan``: ``title``, ``axis``, ``starts_on``, ``ends_on`` and optionally ``number``,
    ``description``, ``lead_organisation``, ``partners``, ``qpvs``, ``publics``, ``status``, ``gap_qpv``,
    ``gap_category``."""
    require_open(plan)
    cleaned, partners, qpvs = _action_fields(plan, fields)
    action = Action.objects.create(plan=plan, **cleaned)
    action.partners.set(partners)
    action.qpvs.set(qpvs)
    record(
        AuditEntry.Action.CREATE,
        action,
        by=by,
        territory_id=plan.territory_id,
        event=ACTION_CREATED,
        plan_id=plan.pk,
        number=action.number,
    )
    return action


@transaction.atomic
def update_action(action: Action, *, by, **fields) -> Action:
    """Replace the action's fields (the same ones as ``create_action``)."""
    plan = action.plan
    require_open(plan)
    cleaned, partners, qpvs = _action_fields(plan, fields, action)
    _check_money_fits(action, cleaned["starts_on"], cleaned["ends_on"])
    changed = sorted(k for k, v in cleaned.items() if getattr(action, k) != v)
    for name, value in cleaned.items():
        setattr(action, name, value)
    action.save()
    if {o.pk for o in partners} != set(action.partners.values_list("pk", flat=True)):
        changed.append("partners")
        action.partners.set(partners)
    if {q.pk for q in qpvs} != set(action.qpvs.values_list("pk", flat=True)):
        changed.append("qpvs")
        action.qpvs.set(qpvs)
    record(
        AuditEntry.Action.UPDATE,
        action,
        by=by,
        territory_id=plan.territory_id,
        event=ACTION_UPDATED,
        changed=changed,
    )
    return action


# --- milestones ---------------------------------------------------------------------------------


@transaction.atomic
def create_milestone(action: Action, *, by, title: str, due_on: date) -> Milestone:
    require_open(action.plan)
    title = clean_text(title, "L'intitulé de l'étape")
    due_on = clean_day(due_on, "L'échéance de l'étape")
    if not action.starts_on <= due_on <= action.ends_on:
        raise PlanError(
            f"L'échéance de l'étape doit être dans la période de l'action, du {_day(action.starts_on)} au {_day(action.ends_on)}."
        )
    milestone = Milestone.objects.create(action=action, title=title, due_on=due_on)
    record(
        AuditEntry.Action.CREATE,
        milestone,
        by=by,
        territory_id=action.plan.territory_id,
        event=MILESTONE_CREATED,
        action_id=action.pk,
    )
    return milestone


@transaction.atomic
def mark_milestone_done(milestone: Milestone, *, by, done_on: date | None = None) -> Milestone:
    action = milestone.action
    require_open(action.plan)
    if milestone.done_on is not None:
        raise PlanError(f"L'étape « {milestone.title} » est déjà réalisée (le {_day(milestone.done_on)}).")
    done_on = clean_day(done_on or timezone.localdate(), "La date de réalisation")
    if done_on > timezone.localdate():
        raise PlanError("La date de réalisation ne peut pas être dans le futur.")
    milestone.done_on = done_on
    milestone.save(update_fields=["done_on"])
    record(
        AuditEntry.Action.UPDATE,
        milestone,
        by=by,
        territory_id=action.plan.territory_id,
        event=MILESTONE_DONE,
        action_id=action.pk,
        done_on=done_on.isoformat(),
    )
    return milestone
