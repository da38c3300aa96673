"""What the steering dashboards show, as plain data: the territory's, one per commune, one per action.

Rules:

* **Figures about people** come from the diagnostic's registry only (``indicators.compute``), under
  statistical secrecy, over the diagnostic's period at a date: the twelve months that end on it.
  Each dashboard asks the registry a fixed, small set of questions (``FIGURES``); a key figure is the
  total of a table the page shows anyway, never a second computation. A commune's dashboard asks
  the same questions restricted to the commune (``where={"commune": code}``).
* **Cache**: those figures are computed lately (``core.recent``: served from the cache, recomputed
  behind the readers once five minutes old) per territory, place and date, as the diagnostic's
  overview; the page says when they were computed. The plan, its money, its
  targets and the decisions are read at each request (a handful of queries whatever their number).
* **The plan** is the current one at the date (``queries_plan.current_plan``). Money is the plan's
  budget (``money.budget``) and its under-spend alerts at the date. Decisions due are the open
  decisions of the territory's committees whose due date is past or within ``DUE_WITHIN_DAYS``.
* **A commune** sees the plan's actions that target one of its quartiers (an action without a
  targeted quartier concerns the whole territory: counted, not listed), their targets and the
  decisions on them; no money by action.
* **Never a name**: nothing here reads a beneficiary; organisations and committees are professional.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from cite_emploi.core.charts import bar_chart, grouped_bar_chart
from cite_emploi.core.recent import recent
from cite_emploi.diagnostic import content, indicators, maps
from cite_emploi.diagnostic.indicators import Period
from cite_emploi.diagnostic.places import commune_values, qpv_communes, qpv_values

from . import money, targets
from .models import Action, Axis, Decision
from .quarterly import cached_quarterly_report
from .queries_plan import current_plan, plan_actions

DUE_WITHIN_DAYS = 30
DECISIONS_SHOWN = 20

# (indicator, breakdown) of every dashboard, in the order of the key figures.
FIGURES = (
    ("beneficiaires_suivis", ("age_group",)),
    ("entrees_suivi", ()),
    ("freins_leves", ("category",)),
    ("personnes_rencontrees", ()),
    ("operations_recrutement", ()),
    ("recrutements_operations", ()),
    ("sorties", ("kind",)),
    ("orientations", ()),
)
# Key figures read better with a shorter name than their indicator's label.
FIGURE_NAMES = {"sorties": "Sorties (emploi, formation, création)"}
# On an action's dashboard: what the registry says in the quartiers the action targets.
ACTION_PLACE_FIGURES = ("beneficiaires_suivis", "personnes_rencontrees")


def period_at(as_of: date) -> Period:
    return content.period_at(as_of)


def cached_table(code: str, territory, period: Period, by=(), where: dict | None = None) -> dict:
    """``content.table_dict`` of one computation, computed lately (``core.recent``)."""
    where = dict(where or {})
    place = ",".join(f"{k}={v}" for k, v in sorted(where.items()))
    key = f"steering:table:{territory.pk}:{code}:{period.start}:{period.end}:{','.join(by)}:{place}"
    return recent(
        key, lambda: content.table_dict(indicators.compute(code, territory, period, by=by, where=where))
    )


def figures(territory, as_of: date, where: dict | None = None) -> dict:
    """The key figures and the three tables of a dashboard (people, barriers lifted, outcomes)."""
    period = period_at(as_of)
    tables = {code: cached_table(code, territory, period, by, where) for code, by in FIGURES}
    key_figures = [
        {
            "code": code,
            "name": FIGURE_NAMES.get(code, tables[code]["label"]),
            "unit": tables[code]["unit"],
            "definition": tables[code]["definition"],
            **tables[code]["total"],
        }
        for code, _ in FIGURES
    ]
    return {
        "period": period,
        "computed_at": timezone.now(),
        "key_figures": key_figures,
        "publics": tables["beneficiaires_suivis"],
        "lifted": tables["freins_leves"],
        "outcomes": tables["sorties"],
    }


def _charts(found: dict) -> dict:
    return {
        "publics_chart": maps.table_chart(found["publics"], "Personnes suivies par tranche d'âge"),
        "lifted_chart": maps.table_chart(found["lifted"], "Freins levés par catégorie"),
        "outcomes_chart": maps.table_chart(found["outcomes"], "Sorties par nature"),
    }


# --- the plan ----------------------------------------------------------------------------------


def axis_rows(actions: list[Action]) -> list[dict]:
    """Actions by axis (in the plan's order of axes) and by status; axes without action left out."""
    by_axis: dict[str, Counter] = {}
    for action in actions:
        by_axis.setdefault(action.axis, Counter())[action.status] += 1
    rows = []
    for axis, label in Axis.choices:
        counts = by_axis.get(axis)
        if counts:
            rows.append(
                {
                    "axis": axis,
                    "label": label,
                    "cells": [counts.get(status, 0) for status, _ in Action.Status.choices],
                    "total": sum(counts.values()),
                }
            )
    return rows


def axis_chart(rows: list[dict]):
    if not rows:
        return ""
    return bar_chart("Actions du plan par axe", [(row["label"], row["total"]) for row in rows])


def _amounts(amounts) -> dict:
    return {
        "planned": money.format_euros(amounts.planned),
        "spent": money.format_euros(amounts.spent),
        "remaining": money.format_euros(amounts.remaining),
        "rate": "—" if amounts.rate is None else f"{round(100 * amounts.rate)}\u00a0%",
        "percent": 0 if amounts.rate is None else max(0, min(100, round(100 * amounts.rate))),
    }


def _money_chart(title: str, years: list[tuple[int, object]]):
    if not years:
        return ""
    return grouped_bar_chart(
        title,
        [str(year) for year, _ in years],
        [
            ("Prévu", [float(a.planned) for _, a in years]),
            ("Dépensé", [float(a.spent) for _, a in years]),
        ],
        value_format=lambda value: money.format_euros(Decimal(str(value))),
    )


def money_summary(plan, as_of: date) -> dict:
    """The plan's budget at a glance: total, by year, by funding, and its under-spend alerts."""
    budget = money.budget(plan)
    alerts = money.underspend_alerts(plan, as_of, from_budget=budget)
    years = [(year, budget.by_year.get(year, money.Amounts())) for year in budget.years]
    return {
        "total": _amounts(budget.total),
        "years": [{"year": year, **_amounts(amounts)} for year, amounts in years],
        "alerts": alerts,
        "alert_count": len(alerts),
        "chart": _money_chart("Budget du plan par année : prévu et dépensé", years),
    }


def decisions_due(territory, as_of: date, actions: list[Action] | None = None) -> dict:
    """Open decisions due within ``DUE_WITHIN_DAYS`` of ``as_of`` or overdue (of ``actions`` if given)."""
    qs = Decision.objects.filter(
        meeting__committee__territory=territory,
        status=Decision.Status.OPEN,
        due_on__isnull=False,
        due_on__lte=as_of + timedelta(days=DUE_WITHIN_DAYS),
    )
    if actions is not None:
        qs = qs.filter(action__in=[a.pk for a in actions])
    rows = list(
        qs.select_related("meeting__committee", "action", "owner_organisation").order_by("due_on", "pk")[
            :DECISIONS_SHOWN
        ]
    )
    count = len(rows) if len(rows) < DECISIONS_SHOWN else qs.count()
    return {
        "rows": [{"decision": d, "overdue": d.due_on < as_of} for d in rows],
        "count": count,
        "overdue": sum(1 for d in rows if d.due_on < as_of),
        "within_days": DUE_WITHIN_DAYS,
    }


def _targets_of(actions: list[Action], progress: dict[int, list]) -> list[dict]:
    return [
        {"action": action, "progress": progress[action.pk]} for action in actions if progress.get(action.pk)
    ]


def _target_summary(progress: dict[int, list]) -> dict:
    items = [item for found in progress.values() for item in found]
    return {
        "count": len(items),
        "reached": sum(1 for item in items if item.reached),
        "hidden": sum(1 for item in items if item.hidden),
    }


# --- the dashboards ----------------------------------------------------------------------------


def _cached_figures(territory, as_of: date, where: dict | None = None) -> dict:
    place = ",".join(f"{k}={v}" for k, v in sorted((where or {}).items()))
    key = f"steering:dashboard:{territory.pk}:{as_of.isoformat()}:{place}"
    return recent(key, lambda: figures(territory, as_of, where))


def territory_dashboard(territory, as_of: date) -> dict:
    """The territory's dashboard at ``as_of``: figures of the period, the plan, its money, decisions due."""
    found = _cached_figures(territory, as_of)
    plan = current_plan(territory, on=as_of)
    result = {
        "as_of": as_of,
        **found,
        **_charts(found),
        "plan": plan,
        "decisions": decisions_due(territory, as_of),
    }
    if plan is not None:
        actions = list(plan_actions(plan))
        progress = targets.plan_progress(plan, as_of)
        rows = axis_rows(actions)
        result.update(
            actions=actions,
            statuses=Action.Status.choices,
            axes=rows,
            axes_chart=axis_chart(rows),
            targets=_targets_of(actions, progress),
            target_summary=_target_summary(progress),
            money=money_summary(plan, as_of),
        )
    return result


def commune_qpvs(territory, commune_code: str) -> list[tuple[str, str]]:
    """(code, name) of the quartiers of the perimeter that lie in the commune."""
    pairs = qpv_communes(territory)
    return [(q, n) for q, n in qpv_values(territory) if commune_code in {c for c, _ in pairs.get(q, [])}]


def commune_name(territory, commune_code: str) -> str | None:
    return dict(commune_values(territory)).get(commune_code)


def commune_dashboard(territory, commune_code: str, as_of: date) -> dict:
    """One commune's dashboard: the same figures restricted to it, the plan's actions in its quartiers."""
    found = _cached_figures(territory, as_of, {"commune": commune_code})
    qpvs = commune_qpvs(territory, commune_code)
    plan = current_plan(territory, on=as_of)
    result = {
        "as_of": as_of,
        **found,
        **_charts(found),
        "code": commune_code,
        "name": commune_name(territory, commune_code),
        "qpvs": qpvs,
        "plan": plan,
        "actions": [],
        "whole_territory_actions": 0,
        "decisions": {"rows": [], "count": 0, "overdue": 0, "within_days": DUE_WITHIN_DAYS},
    }
    if plan is not None:
        codes = {q for q, _ in qpvs}
        everything = list(plan_actions(plan))
        actions = [a for a in everything if codes & {q.code for q in a.qpvs.all()}]
        progress = targets.actions_progress(actions, as_of)
        rows = axis_rows(actions)
        result.update(
            actions=actions,
            whole_territory_actions=sum(1 for a in everything if not a.qpvs.all()),
            statuses=Action.Status.choices,
            axes=rows,
            axes_chart=axis_chart(rows),
            targets=_targets_of(actions, progress),
            target_summary=_target_summary(progress),
            decisions=decisions_due(territory, as_of, actions),
        )
    return result


def action_dashboard(action: Action, as_of: date) -> dict:
    """One action: its targets, its money by year, its alerts, its milestones, its decisions, its quartiers."""
    plan = action.plan
    territory = plan.territory
    progress = targets.actions_progress([action], as_of)[action.pk]
    budget = money.budget(plan)
    years = [(year, budget.by_action_year.get((action.pk, year), money.Amounts())) for year in budget.years]
    alerts = [
        a
        for a in money.underspend_alerts(plan, as_of, from_budget=budget)
        if getattr(a.action, "pk", a.action) == action.pk
    ]
    decisions = list(
        Decision.objects.filter(action=action)
        .select_related("meeting__committee", "owner_organisation")
        .order_by("status", "due_on", "pk")
    )
    qpvs = sorted(action.qpvs.all(), key=lambda q: q.name)
    places = []
    period = None
    if qpvs and as_of >= action.starts_on:
        period = Period(action.starts_on, min(action.ends_on, as_of))
        tables = [cached_table(code, territory, period, ("qpv",)) for code in ACTION_PLACE_FIGURES]
        by_key = [{row["key"]: row["cells"][0] for row in table["rows"]} for table in tables]
        places = {
            "columns": [table["label"] for table in tables],
            "rows": [
                {
                    "code": q.code,
                    "name": q.name,
                    "cells": [found.get(q.code, {"label": "0"}) for found in by_key],
                }
                for q in qpvs
            ],
            "sources": tables,
        }
    return {
        "as_of": as_of,
        "action": action,
        "plan": plan,
        "progress": progress,
        "target_summary": _target_summary({action.pk: progress}),
        "rate_chart": _rate_chart(progress),
        "money": {
            "total": _amounts(budget.by_action.get(action.pk, money.Amounts())),
            "years": [{"year": year, **_amounts(amounts)} for year, amounts in years],
            "chart": _money_chart("Budget de l'action par année : prévu et dépensé", years),
        },
        "alerts": alerts,
        "milestones": list(action.milestones.all()),
        "decisions": [
            {
                "decision": d,
                "overdue": bool(d.due_on and d.due_on < as_of and d.status == Decision.Status.OPEN),
            }
            for d in decisions
        ],
        "partners": list(action.partners.order_by("name")),
        "qpvs": qpvs,
        "places": places,
        "places_period": period,
    }


def _rate_chart(progress: list) -> str:
    # A target not started, without reading or unavailable has no bar; a hidden one reads « secret ».
    shown = [item for item in progress if item.rate is not None or item.hidden]
    if not shown:
        return ""
    return bar_chart(
        "Avancement des objectifs (réalisé / cible)",
        [(item.target.label, None if item.rate is None else round(100 * item.rate)) for item in shown],
        unit="%",
        hidden_label="secret",
    )


def warm_up(territory, as_of: date) -> int:
    """Compute the day's figures of every dashboard and of the quarterly report before any reader.

    Called by the daily task (``tasks.warm_dashboards``) inside ``core.recent.recomputing()``: the
    territory's, each commune's and each action of the current plan, at the date the pages open on.
    Returns the number of pages warmed.
    """
    territory_dashboard(territory, as_of)
    communes = [code for code, _ in commune_values(territory)]
    for code in communes:
        commune_dashboard(territory, code, as_of)
    plan = current_plan(territory, on=as_of)
    actions = list(plan_actions(plan)) if plan is not None else []
    for action in actions:
        action_dashboard(action, as_of)
    cached_quarterly_report(territory, as_of.year)
    return 2 + len(communes) + len(actions)
