"""Imported statistics as indicators: every indicator code found in the territory's datasets.

For a period, a place, an age group and a sex, the value is the observation whose period ends
last on or before the end of the asked period (the most recent figure known at that date; among
datasets, the latest imported wins). Margins are what the producer published: the territory's
figure is its ``ept`` observation, « all ages » the line without an age group. Nothing is summed,
because published rates and counts are not additive.

Secrecy: producers publish their figures under their own rules; a count of people (unit
« personnes ») under the platform's threshold is still hidden, so that a coordinator's own file
cannot show a small group. Rates, surfaces and amounts are shown as published.

Some well-known codes say which need they measure (``NEED_CATEGORIES``): the gap analysis reads
them as evidence of a need in a data·inclusion category.
"""

from __future__ import annotations

from itertools import product

from django.db.models import Max

from cite_emploi.core.secrecy import Figure, secrecy_threshold

from .indicators import AGE_GROUP_LABELS, SEX_LABELS, Context, Indicator, UnsupportedBreakdown
from .models import Dataset, Level, Observation

# Indicator codes of the documented open sources and the need (data·inclusion category) they measure;
# the gap analysis reads the rates among them (unit « % ») as evidence of a need.
NEED_CATEGORIES = {
    "demandeurs_emploi": "trouver-un-emploi",
    "demandeurs_emploi_abc": "trouver-un-emploi",
    "demandeurs_emploi_a": "trouver-un-emploi",
    "taux_chomage": "trouver-un-emploi",
    "taux_emploi": "trouver-un-emploi",
    "jeunes_neet": "se-former",
    "part_non_diplomes": "se-former",
    "menages_sans_voiture": "mobilite",
    "part_menages_sans_voiture": "mobilite",
    "taux_pauvrete": "difficultes-financieres",
    "familles_monoparentales": "famille",
    "part_familles_monoparentales": "famille",
    "allocataires_rsa": "difficultes-financieres",
}
PEOPLE_UNITS = {"personnes", "personne", "habitants", "individus"}
IMPORTED_THEME = "Statistiques importées"


def _datasets(territory):
    return Dataset.objects.filter(territory=territory)


def imported_indicators(territory) -> list[Indicator]:
    """One indicator per code found in the territory's datasets, labelled as in the latest import."""
    rows = (
        Observation.objects.filter(dataset__territory=territory)
        .order_by()
        .values("indicator")
        .annotate(last=Max("pk"))
    )
    latest = {r["last"] for r in rows}
    found = Observation.objects.filter(pk__in=latest).select_related("dataset").order_by("indicator")
    return [_definition(territory, o) for o in found]


def imported_indicator(territory, code: str) -> Indicator | None:
    observation = (
        Observation.objects.filter(dataset__territory=territory, indicator=code)
        .select_related("dataset")
        .order_by("-pk")
        .first()
    )
    return _definition(territory, observation) if observation else None


def _definition(territory, observation: Observation) -> Indicator:
    code = observation.indicator
    ages = list(
        Observation.objects.filter(dataset__territory=territory, indicator=code)
        .exclude(age_group="")
        .order_by("age_group")
        .values_list("age_group", flat=True)
        .distinct()
    )
    source = observation.source or observation.dataset.source
    licence = observation.licence or observation.dataset.licence
    return Indicator(
        code=code,
        label=observation.indicator_label,
        definition=(
            f"Statistique importée (jeu « {observation.dataset.title} ») : {observation.indicator_label}. "
            "Valeur la plus récente connue à la fin de la période."
        ),
        unit=observation.unit,
        source=f"{source} ({licence})" if licence else source,
        breakdowns=("commune", "qpv", "age_group", "sex"),
        compute=lambda context, code=code: observed(context, code),
        kind="values",
        people=False,
        dimensions={
            "age_group": [(a, AGE_GROUP_LABELS.get(a, f"{a} ans")) for a in ages],
            "sex": [(k, v) for k, v in SEX_LABELS.items() if k],
        },
        theme=IMPORTED_THEME,
        imported=True,
    )


def observed(context: Context, code: str) -> dict:
    """The cells of an imported indicator for the context (see the module docstring)."""
    geographies = [d for d in context.by if d in ("commune", "qpv")]
    if len(geographies) > 1:
        raise UnsupportedBreakdown(
            "Une statistique importée se ventile par commune ou par QPV, pas les deux."
        )
    rows = (
        Observation.objects.filter(
            dataset__territory=context.territory, indicator=code, period_end__lte=context.period.end
        )
        .order_by("period_end", "dataset__imported_at", "pk")
        .values_list("level", "geo_code", "age_group", "sex", "value", "unit")
    )
    latest = {}
    for level, geo_code, age, sex, value, unit in rows:
        latest[(level, geo_code, age, sex)] = (value, unit)

    def place(coordinate_dimension: str | None, value: str | None):
        if coordinate_dimension and value is not None:
            return (Level.QPV if coordinate_dimension == "qpv" else Level.COMMUNE, value)
        if "qpv" in context.where:
            return (Level.QPV, context.where["qpv"])
        if "commune" in context.where:
            return (Level.COMMUNE, context.where["commune"])
        return (Level.EPT, context.territory.siren)

    threshold = secrecy_threshold()
    axes = [[*(k for k, _ in context.values[d]), None] for d in context.by]
    result = {}
    for key in product(*axes):
        coords = dict(zip(context.by, key, strict=True))
        geography = geographies[0] if geographies else None
        level, geo_code = place(geography, coords.get(geography) if geography else None)
        found = latest.get((level, geo_code, coords.get("age_group") or "", coords.get("sex") or ""))
        outside = any(
            coords.get(d) == "" for d in context.by
        )  # « non précisé »: the producer has no such line
        if found is None or outside:
            result[key] = Figure(None)
            continue
        value, unit = found
        hidden = unit.strip().lower() in PEOPLE_UNITS and 0 < value < threshold
        result[key] = Figure(value, hidden)
    return result
