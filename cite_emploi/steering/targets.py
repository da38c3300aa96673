"""Where each target of an action stands: its actual, read from the indicator registry or from the
latest manual reading, against the value aimed at.

Rules:

* **Bound target** (``indicator`` set): the actual is the total of
  ``indicators.compute(indicator, territory, Period(starts_on, min(ends_on, today)), where=…)``, with
  ``where = {where_level: where_code}`` when the target is restricted to a commune or a quartier. It
  updates itself as the records come in. A figure hidden by statistical secrecy stays hidden: no
  actual, label « secret », no rate.
* **Manual target** (no indicator): the latest reading measured on or before ``today`` (the most
  recent ``measured_on``, then the last recorded). No reading yet: no actual, label « aucun relevé ».
* **Not started**: before ``starts_on`` nothing is counted (label « pas encore commencé »).
* **Rate**: actual ÷ target, as a float (1.0 is the target reached); none without an actual or when
  the target is zero.
* An indicator that has left the registry (an imported dataset deleted) or no longer supports the
  restriction reads « indicateur indisponible » rather than failing the page.

Speed: ``plan_progress`` computes each distinct (indicator, place, period) once, and every total is
computed lately (``core.recent``), as the diagnostic's overview: the dashboards read them many times
a minute, and an actual follows the records within five minutes. Its queries depend on the
number of distinct computations, never on the number of records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone

from cite_emploi.core.charts import format_number
from cite_emploi.core.recent import recent
from cite_emploi.diagnostic import indicators
from cite_emploi.diagnostic.indicators import Period

from .models import Action, IndicatorTarget, ManualReading

FROM_INDICATOR, FROM_READING = "indicateur", "relevé manuel"
NOT_STARTED, NO_READING, UNAVAILABLE = "pas encore commencé", "aucun relevé", "indicateur indisponible"


@dataclass
class TargetProgress:
    target: IndicatorTarget
    actual: Decimal | None
    hidden: bool
    label: str
    rate: float | None
    source: str
    # Where the actual comes from, in French: the indicator's name, or the reading's date.
    detail: str = ""
    period: Period | None = None

    @property
    def target_label(self) -> str:
        return format_number(float(self.target.target))

    @property
    def rate_label(self) -> str:
        return "—" if self.rate is None else f"{format_number(round(100 * self.rate))}\u00a0%"

    @property
    def bar_percent(self) -> int:
        """The rate as a progress bar's width (0 to 100)."""
        return 0 if self.rate is None else max(0, min(100, round(100 * self.rate)))

    @property
    def reached(self) -> bool:
        return self.rate is not None and self.rate >= 1


def get_target(territory, pk: int) -> IndicatorTarget:
    """A target of the territory's plans (404 otherwise), with its action and plan."""
    return get_object_or_404(
        IndicatorTarget.objects.select_related("action__plan__territory"),
        pk=pk,
        action__plan__territory=territory,
    )


def where_of(target: IndicatorTarget) -> dict[str, str]:
    return {target.where_level: target.where_code} if target.where_level and target.where_code else {}


def measured_period(target: IndicatorTarget, today: date) -> Period | None:
    """The part of the target's period already lived at ``today``; None before it starts."""
    if today < target.starts_on:
        return None
    return Period(target.starts_on, min(target.ends_on, today))


def cached_total(code: str, territory, period: Period, where: dict | None = None) -> dict:
    """The total of one indicator as ``{"value", "hidden", "label", "unit", "name"}``, from the cache if computed lately.

    Raises ``UnknownIndicator`` / ``UnsupportedBreakdown`` as ``compute`` does.
    """
    where = dict(where or {})
    place = ",".join(f"{k}={v}" for k, v in sorted(where.items()))
    key = f"steering:total:{territory.pk}:{code}:{period.start}:{period.end}:{place}"

    def compute() -> dict:
        table = indicators.compute(code, territory, period, where=where)
        figure = table.total
        return {
            "value": None if figure.hidden or figure.value is None else figure.value,
            "hidden": figure.hidden,
            "label": table.label(figure),
            "unit": table.indicator.unit,
            "name": table.indicator.label,
        }

    return recent(key, compute)


def progress(target: IndicatorTarget, today: date | None = None) -> TargetProgress:
    """Where one target stands at ``today`` (default: today)."""
    today = today or timezone.localdate()
    return _progress_of([target], today)[0]


def plan_progress(plan, today: date | None = None) -> dict[int, list[TargetProgress]]:
    """Every action of ``plan`` (by id) → the progress of its targets, in their order (empty list: none)."""
    today = today or timezone.localdate()
    result: dict[int, list[TargetProgress]] = {
        pk: [] for pk in Action.objects.filter(plan=plan).order_by("number").values_list("pk", flat=True)
    }
    targets = list(
        IndicatorTarget.objects.filter(action__plan=plan)
        .select_related("action__plan__territory")
        .order_by("action__number", "pk")
    )
    for item in _progress_of(targets, today):
        result.setdefault(item.target.action_id, []).append(item)
    return result


def actions_progress(actions, today: date | None = None) -> dict[int, list[TargetProgress]]:
    """The same as ``plan_progress`` for a chosen list of actions (a commune's, one action's)."""
    today = today or timezone.localdate()
    ids = [a.pk for a in actions]
    result: dict[int, list[TargetProgress]] = {pk: [] for pk in ids}
    targets = list(
        IndicatorTarget.objects.filter(action_id__in=ids)
        .select_related("action__plan__territory")
        .order_by("action__number", "pk")
    )
    for item in _progress_of(targets, today):
        result[item.target.action_id].append(item)
    return result


def _progress_of(targets: list[IndicatorTarget], today: date) -> list[TargetProgress]:
    readings = _latest_readings([t.pk for t in targets if t.is_manual and today >= t.starts_on], today)
    return [_one(t, today, readings) for t in targets]


def _latest_readings(target_ids: list[int], today: date) -> dict[int, ManualReading]:
    if not target_ids:
        return {}
    latest: dict[int, ManualReading] = {}
    rows = ManualReading.objects.filter(target_id__in=target_ids, measured_on__lte=today).order_by(
        "target_id", "-measured_on", "-pk"
    )
    for reading in rows:
        latest.setdefault(reading.target_id, reading)
    return latest


def _one(target: IndicatorTarget, today: date, readings: dict[int, ManualReading]) -> TargetProgress:
    source = FROM_READING if target.is_manual else FROM_INDICATOR
    period = measured_period(target, today)
    if period is None:
        return TargetProgress(target, None, False, NOT_STARTED, None, source, period=None)
    if target.is_manual:
        reading = readings.get(target.pk)
        if reading is None:
            return TargetProgress(target, None, False, NO_READING, None, source, period=period)
        return TargetProgress(
            target,
            reading.value,
            False,
            format_number(float(reading.value)),
            _rate(reading.value, target.target),
            source,
            detail=f"relevé du {reading.measured_on:%d/%m/%Y}",
            period=period,
        )
    territory = target.action.plan.territory
    try:
        total = cached_total(target.indicator, territory, period, where_of(target))
    except (indicators.UnknownIndicator, indicators.UnsupportedBreakdown):
        return TargetProgress(target, None, False, UNAVAILABLE, None, source, period=period)
    actual = None if total["value"] is None else Decimal(str(total["value"]))
    return TargetProgress(
        target,
        actual,
        total["hidden"],
        total["label"],
        _rate(actual, target.target),
        source,
        detail=total["name"],
        period=period,
    )


def _rate(actual: Decimal | None, aimed: Decimal) -> float | None:
    if actual is None or not aimed:
        return None
    return float(Decimal(actual) / Decimal(aimed))
