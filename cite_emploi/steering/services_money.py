"""Writes of the plan's money: fundings and their annuities, budget lines, expenses and their documents.

Rules (each broken rule raises ``MoneyError`` with a French message, and nothing is written):

* **Amounts** are in euros, more than zero, with at most two decimals.
* **Funding.** A title, a nature, a funder (an organisation of the territory optionally), and one
  annuity per year (2000 to 2100) — the Cité de l'emploi subsidy: 100 000 € a year for two years.
  An annuity cannot be removed while budget lines or expenses use it, nor go below what the plans in
  force have already programmed on it.
* **Budget line** (what an action plans to spend of a funding in a year): the funding is the
  territory's; the year lies within the action's dates and the funding has an annuity that year; the
  lines of that funding and year — this plan's, and those of the other plans in force, but not those
  of the plan's other versions, which are alternatives to it — cannot exceed the annuity
  (« … dépasse l'annuité 2023 de « Subvention » de 5 000,00 € »). One line per action, funding and
  year: recording it again replaces its amount. A line cannot be removed while the action has
  expenses on that funding and year.
* **Expense**: a label, a date within the action's period and not in the future, a funding for which
  the action has a budget line that year. Its supporting document is a PDF, JPEG or PNG of 10 Mo at
  most, checked by its first bytes, not only its name; it is stored under a random name in
  « pilotage/justificatifs/<année>/ » of the default storage (MEDIA_ROOT) and never served directly:
  the page that downloads it checks who asks. Deleting an expense deletes its document once the
  transaction is committed.
* A closed plan's money no longer changes.
* **Audit**: one entry per write (« create », « update », « delete »; the event in
  ``detail["event"]``: ``steering.funding_created``…). Amounts are not personal data.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from cite_emploi.core.models import AuditEntry

from .models import Action, BudgetLine, Expense, Funding, FundingYear
from .money import format_euros
from .queries_plan import counted_plan_ids, effective_plan_ids
from .services_plan import PlanError, clean_amount, clean_day, clean_text, record, require_open

MAX_DOCUMENT_BYTES = 10 * 2**20
# The first bytes of each accepted kind of document, and the extension it is stored under.
SIGNATURES = {"pdf": (b"%PDF-",), "jpg": (b"\xff\xd8\xff",), "png": (b"\x89PNG\r\n\x1a\n",)}
EXTENSIONS = {"pdf": "pdf", "jpg": "jpg", "jpeg": "jpg", "png": "png"}
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
FUNDING_CREATED, FUNDING_UPDATED = "steering.funding_created", "steering.funding_updated"
LINE_SET, LINE_DELETED = "steering.budget_line_set", "steering.budget_line_deleted"
EXPENSE_CREATED, EXPENSE_DELETED = "steering.expense_created", "steering.expense_deleted"


class MoneyError(PlanError):
    """A write of the plan's money that cannot be done; the message is French and for the user."""


# --- fundings -----------------------------------------------------------------------------------


def _funding_fields(territory, fields: dict) -> dict:
    kind = fields.get("kind") or ""
    if kind not in Funding.Kind.values:
        raise MoneyError("Choisissez la nature du financement.")
    organisation = fields.get("funder_organisation")
    if organisation is not None and organisation.territory_id != territory.pk:
        raise MoneyError("La structure qui finance doit être une structure du territoire.")
    try:
        return {
            "title": clean_text(fields.get("title"), "L'intitulé du financement"),
            "kind": kind,
            "funder": clean_text(fields.get("funder"), "Le financeur"),
            "funder_organisation": organisation,
            "reference": clean_text(fields.get("reference"), "La référence", limit=120, required=False),
            "notes": (fields.get("notes") or "").strip(),
        }
    except PlanError as error:
        raise MoneyError(error.message) from None


def _annuities(years) -> dict[int, Decimal]:
    cleaned = {}
    for year, amount in dict(years or {}).items():
        try:
            year = int(year)
        except (TypeError, ValueError):
            raise MoneyError("L'année d'une annuité est un nombre entier.") from None
        if not 2000 <= year <= 2100:
            raise MoneyError("L'année d'une annuité est comprise entre 2000 et 2100.")
        try:
            cleaned[year] = clean_amount(amount, f"L'annuité {year}")
        except PlanError as error:
            raise MoneyError(error.message) from None
    if not cleaned:
        raise MoneyError("Indiquez au moins une annuité : l'année et le montant accordé.")
    return cleaned


def programmed(funding_id: int, territory) -> dict[int, Decimal]:
    """Year → what the plans in force have programmed on the funding."""
    rows = (
        BudgetLine.objects.filter(funding_id=funding_id, action__plan_id__in=effective_plan_ids(territory))
        .values("year")
        .annotate(total=Sum("amount"))
        .values_list("year", "total")
        .order_by()
    )
    return {year: Decimal(total) for year, total in rows}


@transaction.atomic
def create_funding(territory, *, by, years: dict, **fields) -> Funding:
    """A funding of ``territory`` with its annuities ``{year: amount}``: ``title``, ``kind``, ``funder`` and
    optionally ``funder_organisation``, ``reference``, ``notes``."""
    cleaned = _funding_fields(territory, fields)
    annuities = _annuities(years)
    funding = Funding.objects.create(territory=territory, **cleaned)
    FundingYear.objects.bulk_create(
        [FundingYear(funding=funding, year=y, amount=a) for y, a in sorted(annuities.items())]
    )
    record(
        AuditEntry.Action.CREATE,
        funding,
        by=by,
        territory_id=territory.pk,
        event=FUNDING_CREATED,
        years={str(y): str(a) for y, a in sorted(annuities.items())},
    )
    return funding


@transaction.atomic
def update_funding(funding: Funding, *, by, years: dict, **fields) -> Funding:
    """Replace the funding's fields and annuities (the same ones as ``create_funding``)."""
    territory = funding.territory
    cleaned = _funding_fields(territory, fields)
    annuities = _annuities(years)
    current = {fy.year: fy for fy in FundingYear.objects.select_for_update().filter(funding=funding)}
    used = set(funding.budget_lines.values_list("year", flat=True))
    used |= {d.year for d in funding.expenses.values_list("spent_on", flat=True)}
    removed = sorted((set(current) - set(annuities)) & used)
    if removed:
        raise MoneyError(
            f"L'annuité {removed[0]} est utilisée par des lignes budgétaires ou des dépenses : elle ne peut pas être retirée."
        )
    already = programmed(funding.pk, territory)
    for year, amount in sorted(annuities.items()):
        if amount < already.get(year, 0):
            raise MoneyError(
                f"L'annuité {year} ne peut pas descendre sous les {format_euros(already[year])} déjà programmés "
                "sur ce financement par les plans en vigueur."
            )
    changed = sorted(k for k, v in cleaned.items() if getattr(funding, k) != v)
    for name, value in cleaned.items():
        setattr(funding, name, value)
    funding.save()
    FundingYear.objects.filter(funding=funding, year__in=set(current) - set(annuities)).delete()
    for year, amount in annuities.items():
        if year not in current:
            FundingYear.objects.create(funding=funding, year=year, amount=amount)
        elif current[year].amount != amount:
            current[year].amount = amount
            current[year].save(update_fields=["amount"])
    before = {str(y): str(fy.amount) for y, fy in sorted(current.items())}
    after = {str(y): str(a) for y, a in sorted(annuities.items())}
    record(
        AuditEntry.Action.UPDATE,
        funding,
        by=by,
        territory_id=territory.pk,
        event=FUNDING_UPDATED,
        changed=changed + (["years"] if before != after else []),
        years=after,
    )
    return funding


# --- budget lines -------------------------------------------------------------------------------


@transaction.atomic
def set_budget_line(action: Action, *, by, funding: Funding, year: int, amount) -> BudgetLine:
    """What ``action`` plans to spend of ``funding`` in ``year``; replaces the amount of an existing line."""
    plan = action.plan
    require_open(plan)
    if funding.territory_id != plan.territory_id:
        raise MoneyError("Ce financement n'est pas un financement du territoire.")
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise MoneyError("L'année de la ligne budgétaire est un nombre entier.") from None
    try:
        amount = clean_amount(amount)
    except PlanError as error:
        raise MoneyError(error.message) from None
    if not action.starts_on.year <= year <= action.ends_on.year:
        raise MoneyError(
            f"L'action {action.code} se déroule du {action.starts_on:%d/%m/%Y} au {action.ends_on:%d/%m/%Y} : "
            f"elle ne peut pas avoir de ligne budgétaire en {year}."
        )
    # Locked so that two lines recorded at the same time cannot both fit in what is left.
    annuity = FundingYear.objects.select_for_update().filter(funding=funding, year=year).first()
    if annuity is None:
        raise MoneyError(f"Le financement « {funding.title} » n'a pas d'annuité pour {year}.")
    existing = BudgetLine.objects.filter(action=action, funding=funding, year=year).first()
    others = BudgetLine.objects.filter(
        funding=funding, year=year, action__plan_id__in=counted_plan_ids(plan)
    ).exclude(pk=existing.pk if existing else None).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    excess = Decimal(others) + amount - annuity.amount
    if excess > 0:
        raise MoneyError(
            f"Cette ligne dépasse l'annuité {year} de « {funding.title} » de {format_euros(excess)} "
            f"(accordé : {format_euros(annuity.amount)} ; déjà programmé : {format_euros(others)})."
        )
    if existing is None:
        line = BudgetLine.objects.create(action=action, funding=funding, year=year, amount=amount)
        before = None
    else:
        line, before = existing, str(existing.amount)
        line.amount = amount
        line.save(update_fields=["amount"])
    record(
        AuditEntry.Action.CREATE if before is None else AuditEntry.Action.UPDATE,
        line,
        by=by,
        territory_id=plan.territory_id,
        event=LINE_SET,
        action_id=action.pk,
        funding_id=funding.pk,
        year=year,
        amount=str(amount),
        before=before,
    )
    return line


@transaction.atomic
def delete_budget_line(line: BudgetLine, *, by) -> None:
    action = line.action
    require_open(action.plan)
    if action.expenses.filter(funding_id=line.funding_id, spent_on__year=line.year).exists():
        raise MoneyError(
            f"L'action {action.code} a des dépenses sur « {line.funding.title} » en {line.year} : "
            "cette ligne budgétaire ne peut pas être retirée."
        )
    record(
        AuditEntry.Action.DELETE,
        line,
        by=by,
        territory_id=action.plan.territory_id,
        event=LINE_DELETED,
        action_id=action.pk,
        funding_id=line.funding_id,
        year=line.year,
        amount=str(line.amount),
    )
    line.delete()


# --- expenses -----------------------------------------------------------------------------------


def document_kind(name: str, head: bytes) -> str:
    """The document's kind (« pdf », « jpg », « png ») from its name and first bytes, or ``MoneyError``."""
    extension = EXTENSIONS.get(name.rsplit(".", 1)[-1].lower() if "." in name else "")
    if extension is None:
        raise MoneyError("La pièce justificative doit être un PDF, un JPEG ou un PNG.")
    if not head.startswith(SIGNATURES[extension]):
        raise MoneyError(
            f"Le fichier « {name} » n'est pas un {extension.upper()} valide : déposez la pièce telle qu'elle a été "
            "numérisée ou enregistrée."
        )
    return extension


def _read_document(upload) -> tuple[str, bytes]:
    if upload.size > MAX_DOCUMENT_BYTES:
        raise MoneyError(f"La pièce justificative dépasse {MAX_DOCUMENT_BYTES // 2**20} Mo.")
    data = upload.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise MoneyError(f"La pièce justificative dépasse {MAX_DOCUMENT_BYTES // 2**20} Mo.")
    if not data:
        raise MoneyError("La pièce justificative est vide.")
    return document_kind(upload.name or "", data[:16]), data


@transaction.atomic
def create_expense(
    action: Action,
    *,
    by,
    funding: Funding,
    spent_on: date,
    amount,
    label: str,
    supplier: str = "",
    document=None,
) -> Expense:
    """Record money spent by ``action`` on ``funding``; ``document`` is an uploaded file (optional)."""
    plan = action.plan
    require_open(plan)
    try:
        label = clean_text(label, "L'objet de la dépense")
        supplier = clean_text(supplier, "Le fournisseur", required=False)
        amount = clean_amount(amount)
        spent_on = clean_day(spent_on, "La date de la dépense")
    except PlanError as error:
        raise MoneyError(error.message) from None
    if funding.territory_id != plan.territory_id:
        raise MoneyError("Ce financement n'est pas un financement du territoire.")
    if spent_on > timezone.localdate():
        raise MoneyError("La date de la dépense ne peut pas être dans le futur.")
    if not action.starts_on <= spent_on <= action.ends_on:
        raise MoneyError(
            f"La dépense doit être datée dans la période de l'action {action.code}, "
            f"du {action.starts_on:%d/%m/%Y} au {action.ends_on:%d/%m/%Y}."
        )
    if not BudgetLine.objects.filter(action=action, funding=funding, year=spent_on.year).exists():
        raise MoneyError(
            f"L'action {action.code} n'a pas de ligne budgétaire « {funding.title} » en {spent_on.year} : "
            "ajoutez-la avant d'enregistrer la dépense."
        )
    content = _read_document(document) if document is not None else None
    expense = Expense(
        action=action,
        funding=funding,
        spent_on=spent_on,
        amount=amount,
        label=label,
        supplier=supplier,
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
    )
    if content is not None:
        kind, data = content
        # A random name: the uploader's file name may carry a person's name and is never needed.
        expense.document.save(f"{uuid.uuid4().hex}.{kind}", ContentFile(data), save=False)
    try:
        expense.save()
        record(
            AuditEntry.Action.CREATE,
            expense,
            by=by,
            territory_id=plan.territory_id,
            event=EXPENSE_CREATED,
            action_id=action.pk,
            funding_id=funding.pk,
            amount=str(amount),
            spent_on=spent_on.isoformat(),
            document=bool(content),
        )
    except Exception:
        # The file is stored last, after every rule: only a database failure gets here, and it must
        # not leave a document without its expense.
        if expense.document.name:
            expense.document.storage.delete(expense.document.name)
        raise
    return expense


@transaction.atomic
def delete_expense(expense: Expense, *, by) -> None:
    """Remove an expense recorded by mistake; its document is deleted after the commit."""
    action = expense.action
    require_open(action.plan)
    record(
        AuditEntry.Action.DELETE,
        expense,
        by=by,
        territory_id=action.plan.territory_id,
        event=EXPENSE_DELETED,
        action_id=action.pk,
        funding_id=expense.funding_id,
        amount=str(expense.amount),
        spent_on=expense.spent_on.isoformat(),
        label=expense.label,
    )
    name, storage = expense.document.name, expense.document.storage
    expense.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
