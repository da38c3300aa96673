"""Reads of imported statistics for the dataset pages: a fixed number of queries whatever the volume.

A dataset of another territory is not found (404), never forbidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max, Min, QuerySet
from django.shortcuts import get_object_or_404

from cite_emploi.territory.models import QPV, Commune, Territory

from .datasets import display_value
from .models import Dataset, Level, Observation

SAMPLE_SIZE = 100


def datasets(territory: Territory) -> QuerySet[Dataset]:
    """The territory's datasets, newest first, with their counts and period range (one query)."""
    return (
        Dataset.objects.filter(territory=territory)
        .select_related("imported_by", "territory")
        .annotate(
            observation_count=Count("observations"),
            first_day=Min("observations__period_start"),
            last_day=Max("observations__period_end"),
        )
        .order_by("-imported_at", "-pk")
    )


def get_dataset(territory: Territory, pk: int) -> Dataset:
    return get_object_or_404(datasets(territory), pk=pk)


@dataclass
class IndicatorSummary:
    indicator: str
    label: str
    unit: str
    levels: list[str]
    periods: int
    first_day: object
    last_day: object
    count: int


def indicators(dataset: Dataset) -> list[IndicatorSummary]:
    """Each indicator of the dataset: label, unit, levels, number of periods and their range, count."""
    level_labels = dict(Level.choices)
    levels: dict[str, list[str]] = {}
    for indicator, level in (
        dataset.observations.values_list("indicator", "level").distinct().order_by("indicator", "level")
    ):
        levels.setdefault(indicator, []).append(level_labels.get(level, level))
    rows = (
        dataset.observations.values("indicator", "indicator_label", "unit")
        .annotate(
            count=Count("id"),
            periods=Count("period", distinct=True),
            first_day=Min("period_start"),
            last_day=Max("period_end"),
        )
        .order_by("indicator", "unit")
    )
    return [
        IndicatorSummary(
            indicator=r["indicator"],
            label=r["indicator_label"],
            unit=r["unit"],
            levels=levels.get(r["indicator"], []),
            periods=r["periods"],
            first_day=r["first_day"],
            last_day=r["last_day"],
            count=r["count"],
        )
        for r in rows
    ]


def sample(dataset: Dataset, size: int | None = None) -> list[Observation]:
    """The first observations in a stable order, with the name of their place and a French figure."""
    observations = list(
        dataset.observations.order_by(
            "indicator", "level", "geo_code", "period_start", "age_group", "sex", "pk"
        )[: size or SAMPLE_SIZE]
    )
    codes = {o.level: set() for o in observations}
    for o in observations:
        codes[o.level].add(o.geo_code)
    names = {}
    if codes.get(Level.QPV):
        names.update(
            {
                (Level.QPV, code): name
                for code, name in QPV.objects.filter(code__in=codes[Level.QPV]).values_list("code", "name")
            }
        )
    if codes.get(Level.COMMUNE):
        names.update(
            {
                (Level.COMMUNE, code): name
                for code, name in Commune.objects.filter(code__in=codes[Level.COMMUNE]).values_list(
                    "code", "name"
                )
            }
        )
    for o in observations:
        o.place_name = (
            dataset.territory.name if o.level == Level.EPT else names.get((o.level, o.geo_code), "")
        )
        o.value_display = display_value(o.value)
    return observations
