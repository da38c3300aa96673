"""Indicators of the action plan, added to the diagnostic's registry (ADR 0011) when the app starts.

The dashboards, the targets and the quarterly report ask ``diagnostic.indicators.compute`` for every
figure, the plan's included, so that a figure has one definition wherever it is shown.

Rules:

* **Which plan.** The territory's current plan at the end of the period
  (``queries_plan.current_plan(territory, on=period.end)``): the adopted plan whose dates contain that
  day, else the latest adopted, else the latest. No plan: every count is zero.
* **Running.** An action runs during the period when its dates overlap the period and it is not
  « abandonnée ». Its status is today's: for a past period this is an approximation.
* **Places.** An action counts in each quartier it targets and in each commune of those quartiers
  (within the territory's current perimeter). An action that targets no quartier concerns the whole
  territory: its key is ``""`` in a breakdown by QPV or commune, and a restriction to one place
  (``where``) leaves it out.
* **Every cell is counted** (kind « values »): one action that targets two quartiers counts once in
  the total and once in each quartier, so cells do not add up to their margin. Actions and
  organisations are not people: no statistical secrecy.
* ``operations_recrutement`` counts recruitment events (job datings, forums…) marked « réalisée »,
  by their start date, at their place, like the aller-vers actions.

``register_plan_indicators()`` runs in ``SteeringConfig.ready``; it adds each indicator once, so a
second ``ready()`` (tests, reloads) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

from cite_emploi.diagnostic import indicators
from cite_emploi.diagnostic.indicators import Context, Indicator, UnknownIndicator
from cite_emploi.diagnostic.places import qpv_communes
from cite_emploi.diagnostic.platform_indicators import day_bounds, grouped
from cite_emploi.outreach.models import RecruitmentEvent, RecruitmentKind

from .models import Action, Axis

PLAN = "Plan d'actions"
SOURCE = "Plan d'actions de la Cité de l'emploi (plateforme)"
PLACES = ("commune", "qpv")
AXIS_LABEL = "Axe du plan"
# Axes in the plan's order; « autre » is a value of its own, so nothing falls under « non précisé ».
AXES = [*Axis.choices, ("", "Axe non précisé")]


@dataclass
class RunningAction:
    axis: str
    qpvs: set[str] = field(default_factory=set)
    communes: set[str] = field(default_factory=set)
    organisations: set[int] = field(default_factory=set)


def running_actions(territory, period) -> list[RunningAction]:
    """The actions of the current plan that run during ``period``, with their places and organisations.

    Four queries whatever the size of the plan.
    """
    from .queries_plan import current_plan

    plan = current_plan(territory, on=period.end)
    if plan is None:
        return []
    actions = Action.objects.filter(plan=plan, starts_on__lte=period.end, ends_on__gte=period.start).exclude(
        status=Action.Status.ABANDONED
    )
    found = {
        pk: RunningAction(axis=axis, organisations={lead} if lead else set())
        for pk, axis, lead in actions.values_list("pk", "axis", "lead_organisation_id")
    }
    if not found:
        return []
    communes_of = {q: {c for c, _ in pairs} for q, pairs in qpv_communes(territory).items()}
    targeted = Action.qpvs.through.objects.filter(action_id__in=list(found)).values_list(
        "action_id", "qpv__code"
    )
    for action_id, code in targeted:
        found[action_id].qpvs.add(code)
        found[action_id].communes.update(communes_of.get(code, ()))
    partners = Action.partners.through.objects.filter(action_id__in=list(found)).values_list(
        "action_id", "organisation_id"
    )
    for action_id, organisation_id in partners:
        found[action_id].organisations.add(organisation_id)
    return list(found.values())


def _keys(context: Context, action: RunningAction, dimension: str) -> set[str]:
    """The keys of one dimension an action counts under (several for places)."""
    if dimension == "axis":
        return {context.bucket("axis", action.axis)}
    places = action.qpvs if dimension == "qpv" else action.communes
    return {context.bucket(dimension, code) for code in places} or {""}


def _cells(context: Context, measure) -> dict[tuple, float]:
    """Every cell of the requested breakdowns, margins included, each measured on its own actions."""
    actions = running_actions(context.territory, context.period)
    for dimension, code in context.where.items():
        actions = [a for a in actions if code in (a.qpvs if dimension == "qpv" else a.communes)]
    if not context.by:
        return {(): measure(actions)}
    keyed = [(a, [_keys(context, a, d) for d in context.by]) for a in actions]
    axes = [[*(k for k, _ in context.values[d]), None] for d in context.by]
    cells = {}
    for key in product(*axes):
        chosen = [a for a, keys in keyed if all(k is None or k in keys[i] for i, k in enumerate(key))]
        cells[key] = measure(chosen)
    return cells


def _count(actions: list[RunningAction]) -> int:
    return len(actions)


def _organisations(actions: list[RunningAction]) -> int:
    return len(set().union(*(a.organisations for a in actions)))


def plan_actions_by_axis(context: Context):
    return _cells(context, _count)


def barrier_actions(context: Context):
    def measure(actions):
        return len([a for a in actions if a.axis == Axis.BARRIERS])

    return _cells(context, measure)


def partners_mobilised(context: Context):
    return _cells(context, _organisations)


def recruitment_events_held(context: Context):
    start, end = day_bounds(context)
    qs = RecruitmentEvent.objects.filter(
        territory=context.territory,
        status=RecruitmentEvent.Status.DONE,
        starts_at__gte=start,
        starts_at__lt=end,
    )
    fields = {"commune": "commune__code", "qpv": "qpv__code", "kind": "kind"}
    return grouped(context, qs, fields, commune_from_qpv=True)


PLAN_INDICATORS = (
    Indicator(
        code="actions_plan_par_axe",
        label="Actions du plan d'actions en cours",
        definition=(
            "Actions du plan d'actions en vigueur à la fin de la période dont les dates recouvrent la "
            "période, sauf les actions abandonnées (statut du jour), par axe. Une action compte dans "
            "chaque quartier qu'elle cible et dans chaque commune de ces quartiers ; une action sans "
            "quartier ciblé concerne tout le territoire."
        ),
        unit="actions",
        source=SOURCE,
        breakdowns=("axis", *PLACES),
        compute=plan_actions_by_axis,
        kind="values",
        people=False,
        dimensions={"axis": AXES},
        theme=PLAN,
    ),
    Indicator(
        code="actions_freins",
        label="Actions de levée des freins en cours",
        definition=(
            "Actions de l'axe « levée des freins périphériques » du plan d'actions en vigueur à la fin "
            "de la période dont les dates recouvrent la période, sauf les actions abandonnées."
        ),
        unit="actions",
        source=SOURCE,
        breakdowns=PLACES,
        compute=barrier_actions,
        kind="values",
        people=False,
        theme=PLAN,
    ),
    Indicator(
        code="partenaires_mobilises",
        label="Partenaires mobilisés par le plan d'actions",
        definition=(
            "Structures différentes pilotes ou partenaires d'au moins une action du plan d'actions en "
            "cours pendant la période (mêmes règles que les actions du plan). Une structure engagée "
            "dans plusieurs actions compte une fois."
        ),
        unit="structures",
        source=SOURCE,
        breakdowns=("axis", *PLACES),
        compute=partners_mobilised,
        kind="values",
        people=False,
        dimensions={"axis": AXES},
        theme=PLAN,
    ),
    Indicator(
        code="operations_recrutement",
        label="Opérations de recrutement réalisées",
        definition=(
            "Opérations de recrutement (job dating, forum, recrutement par simulation…) du territoire "
            "marquées « réalisée », dont le début tombe dans la période, au lieu de l'opération (une "
            "opération placée seulement par son quartier compte dans la commune de ce quartier s'il "
            "n'en a qu'une)."
        ),
        unit="opérations",
        source="Opérations de recrutement (plateforme)",
        breakdowns=(*PLACES, "kind"),
        compute=recruitment_events_held,
        people=False,
        dimensions={"kind": RecruitmentKind.choices},
        theme="Aller-vers et recrutement",
    ),
)


def register_plan_indicators() -> None:
    """Add the plan's indicators to the diagnostic's registry, each once."""
    # The registry names the dimensions it shows; the plan brings one of its own.
    indicators.DIMENSION_LABELS.setdefault("axis", AXIS_LABEL)
    for indicator in PLAN_INDICATORS:
        try:
            indicators.get(indicator.code)
        except UnknownIndicator:
            indicators.register(indicator)
