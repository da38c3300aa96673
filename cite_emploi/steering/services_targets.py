"""Writes of the targets of an action and of their manual readings.

Rules:

* A target has a label, a value aimed at (more than zero) and a period (start before end).
* **Bound** to an indicator: the code must be one of the territory's registry
  (``indicators.all_for(territory)``: built-in, the plan's, imported). It may be restricted to one
  commune or one quartier of the territory, if the indicator breaks down by that level. Its unit
  defaults to the indicator's.
* **Manual** (no indicator): no restriction to a place (nothing would compute it there); its actual is
  the latest reading. Readings are recorded on manual targets only, dated today at the latest, with
  a value of zero or more.
* Every mistake a user can make raises ``TargetError`` with a French message, and nothing is written.
* **Audit**: one entry per write. The log's ``action`` column holds the platform's short verbs
  (« create », « update », « delete »), the event is named in ``detail["event"]``. A target is not
  personal data; the entries say who changed the plan's commitments.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from cite_emploi.core import audit
from cite_emploi.core.models import AuditEntry
from cite_emploi.diagnostic import indicators
from cite_emploi.diagnostic.places import commune_values, qpv_values

from .models import Action, IndicatorTarget, ManualReading

CREATED, UPDATED, DELETED = "steering.target_created", "steering.target_updated", "steering.target_deleted"
READING = "steering.reading_recorded"
LEVELS = {"commune": "une commune", "qpv": "un quartier prioritaire"}
LABEL_MAX, UNIT_MAX, NOTE_MAX = 200, 30, 300
MAX_AMOUNT = Decimal("9999999999.99")  # max_digits=12, decimal_places=2


class TargetError(ValueError):
    """A target or a reading that cannot be written; the message is French and meant for the user."""


def _amount(value, what: str, *, positive: bool) -> Decimal:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise TargetError(f"{what} doit être un nombre.") from None
    if not number.is_finite() or abs(number) > MAX_AMOUNT:
        raise TargetError(f"{what} est trop grand.")
    if positive and number <= 0:
        raise TargetError(f"{what} doit être supérieur à zéro.")
    if not positive and number < 0:
        raise TargetError(f"{what} ne peut pas être négatif.")
    return number


def _cleaned(territory, fields: dict) -> dict:
    label = (fields.get("label") or "").strip()
    if not label:
        raise TargetError("Donnez un intitulé à l'objectif.")
    if len(label) > LABEL_MAX:
        raise TargetError(f"L'intitulé de l'objectif dépasse {LABEL_MAX} caractères.")
    starts_on, ends_on = fields.get("starts_on"), fields.get("ends_on")
    if not isinstance(starts_on, date) or not isinstance(ends_on, date):
        raise TargetError("Indiquez le début et la fin de la période de l'objectif.")
    if starts_on > ends_on:
        raise TargetError("La période de l'objectif doit commencer avant de finir.")
    code = (fields.get("indicator") or "").strip()
    level = (fields.get("where_level") or "").strip()
    place = (fields.get("where_code") or "").strip()
    unit = (fields.get("unit") or "").strip()
    if len(unit) > UNIT_MAX:
        raise TargetError(f"L'unité dépasse {UNIT_MAX} caractères.")
    if code:
        found = {i.code: i for i in indicators.all_for(territory)}.get(code)
        if found is None:
            raise TargetError(f"L'indicateur « {code} » n'existe pas pour ce territoire.")
        unit = unit or found.unit[:UNIT_MAX]
        if level or place:
            if level not in LEVELS or not place:
                raise TargetError(
                    "Choisissez le lieu de l'objectif : une commune ou un quartier du territoire."
                )
            if level not in found.breakdowns:
                raise TargetError(
                    f"L'indicateur « {found.label} » ne se calcule pas pour {LEVELS[level]} : "
                    "choisissez tout le territoire ou un autre lieu."
                )
            known = commune_values(territory) if level == "commune" else qpv_values(territory)
            if place not in {c for c, _ in known}:
                raise TargetError(f"Ce lieu ({place}) n'est pas {LEVELS[level]} du territoire.")
    elif level or place:
        raise TargetError(
            "Un objectif suivi par relevé manuel porte sur l'ensemble de l'action : il ne se restreint pas à un lieu."
        )
    return {
        "label": label,
        "indicator": code,
        "where_level": level if code and place else "",
        "where_code": place if code and level else "",
        "unit": unit,
        "target": _amount(fields.get("target"), "La cible", positive=True),
        "starts_on": starts_on,
        "ends_on": ends_on,
    }


@transaction.atomic
def create_target(action: Action, /, *, by, **fields) -> IndicatorTarget:
    """Add a target to ``action``: ``label``, ``target``, ``starts_on``, ``ends_on``, and optionally
    ``indicator``, ``where_level``, ``where_code``, ``unit``."""
    territory = action.plan.territory
    target = IndicatorTarget.objects.create(action=action, **_cleaned(territory, fields))
    audit.record(
        AuditEntry.Action.CREATE,
        actor=by,
        obj=target,
        territory_id=territory.pk,
        event=CREATED,
        action_id=action.pk,
        indicator=target.indicator,
    )
    return target


@transaction.atomic
def update_target(target: IndicatorTarget, /, *, by, **fields) -> IndicatorTarget:
    """Replace the target's fields (the same ones as ``create_target``, ``target`` being the value aimed at)."""
    territory = target.action.plan.territory
    cleaned = _cleaned(territory, fields)
    changed = sorted(k for k, v in cleaned.items() if getattr(target, k) != v)
    for name, value in cleaned.items():
        setattr(target, name, value)
    target.save()
    audit.record(
        AuditEntry.Action.UPDATE,
        actor=by,
        obj=target,
        territory_id=territory.pk,
        event=UPDATED,
        action_id=target.action_id,
        changed=changed,
    )
    return target


@transaction.atomic
def delete_target(target: IndicatorTarget, *, by) -> None:
    """Remove a target and its readings; the audit entry keeps what it was."""
    audit.record(
        AuditEntry.Action.DELETE,
        actor=by,
        obj=target,
        territory_id=target.action.plan.territory_id,
        event=DELETED,
        action_id=target.action_id,
        label=target.label,
        indicator=target.indicator,
        readings=target.readings.count(),
    )
    target.delete()


@transaction.atomic
def record_reading(target: IndicatorTarget, *, by, measured_on: date, value, note: str = "") -> ManualReading:
    """Record the value of a manual target at a date (today at the latest)."""
    if not target.is_manual:
        raise TargetError(
            "Cet objectif est calculé par un indicateur de la plateforme : il ne reçoit pas de relevé manuel."
        )
    if not isinstance(measured_on, date):
        raise TargetError("Indiquez la date du relevé.")
    if measured_on > timezone.localdate():
        raise TargetError("La date du relevé ne peut pas être dans le futur.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise TargetError(f"La précision dépasse {NOTE_MAX} caractères.")
    reading = ManualReading.objects.create(
        target=target,
        measured_on=measured_on,
        value=_amount(value, "La valeur relevée", positive=False),
        note=note,
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit.record(
        AuditEntry.Action.CREATE,
        actor=by,
        obj=reading,
        territory_id=target.action.plan.territory_id,
        event=READING,
        target_id=target.pk,
        measured_on=measured_on.isoformat(),
    )
    return reading
