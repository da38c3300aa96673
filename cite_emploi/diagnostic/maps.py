"""Charts and maps of the diagnostic, drawn from its table dicts (content.py) by ``core.charts`` and
``core.choropleth``: the page, the report and a saved version draw them from the same figures.

Outlines are reference data (QPV 2024 and communes), read from the database and kept in the cache.
"""

from __future__ import annotations

from django.core.cache import cache
from django.utils.safestring import SafeString

from cite_emploi.core.charts import bar_chart
from cite_emploi.core.choropleth import MapArea, MapOutline, choropleth
from cite_emploi.territory.models import QPV

from .places import qpv_communes, qpv_values

OUTLINES_CACHE_SECONDS = 3600


def _outlines(territory) -> tuple[dict[str, dict], list[tuple[str, dict]]]:
    key = f"diagnostic:outlines:{territory.pk}"
    found = cache.get(key)
    if found is None:
        codes = [code for code, _ in qpv_values(territory)]
        qpv = dict(QPV.objects.filter(code__in=codes, geography_year=2024).values_list("code", "geometry"))
        # The communes of the perimeter only: the quartiers stay large enough to be seen.
        perimeter = {c for pairs in qpv_communes(territory).values() for c, _ in pairs}
        communes = [
            (name, geometry)
            for name, geometry in territory.communes.filter(code__in=perimeter)
            .order_by("name")
            .values_list("name", "geometry")
            if geometry
        ]
        found = (qpv, communes)
        cache.set(key, found, OUTLINES_CACHE_SECONDS)
    return found


def qpv_map(territory, table: dict, title: str | None = None) -> SafeString | str:
    """A choropleth of a table by QPV (``dims == ["qpv"]``); empty when no outline is known."""
    geometries, communes = _outlines(territory)
    areas = []
    for row in table.get("rows", []):
        geometry = geometries.get(row["key"])
        if not row["key"] or not geometry:
            continue
        cell = row["cells"][0]
        hidden = cell["value"] is None and cell["label"] not in ("—", "")
        areas.append(MapArea(row["key"], row["label"], geometry, cell["value"], hidden=hidden))
    if not areas:
        return ""
    return choropleth(
        title or f"{table['label']} par quartier prioritaire",
        areas,
        outlines=[MapOutline(name, geometry) for name, geometry in communes],
        unit="" if table["unit"] in ("personnes",) else table["unit"],
    )


def table_chart(table: dict, title: str | None = None) -> SafeString | str:
    """A bar chart of a one-dimension table; rows hidden by secrecy are drawn as « non diffusé »."""
    if len(table.get("dims", [])) != 1 or not table.get("rows"):
        return ""
    bars = [(row["label"], row["cells"][0]["value"]) for row in table["rows"]]
    return bar_chart(title or table["label"], bars, unit=table["unit"] if table["unit"] == "%" else "")
