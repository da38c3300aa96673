"""Public facts the platform carries itself: commune populations and the QPV of the perimeter.

* Populations: the « population municipale » published with the Code officiel géographique (INSEE,
  COG 2026, via ``@etalab/decoupage-administratif`` 6.0.0, Licence Ouverte), loaded with the
  communes by ``load-reference``. The territory's figure is the sum of its member communes.
* QPV: their number (per commune: the QPV of the current perimeter lying partly in it) and their
  surface, computed from the ANCT QPV 2024 outlines (décret n° 2023-1314, Licence Ouverte) in a local
  equirectangular projection (error well under 1 % at this scale). A QPV shared with a commune
  outside the territory counts with its whole surface: the outlines are not cut by commune.

They do not depend on the period: the figures are those of the reference data loaded.
"""

from __future__ import annotations

import math

import shapely.geometry

from cite_emploi.territory.models import QPV

from .indicators import Context, indicator
from .places import qpv_communes

TERRITORY = "Territoire"
EARTH_RADIUS_KM = 6371.0088
COG = "INSEE — Code officiel géographique 2026, population municipale (Licence Ouverte)"
ANCT = "ANCT — QPV 2024, data.gouv.fr (Licence Ouverte)"


def surface_km2(geometry: dict | None) -> float | None:
    if not geometry:
        return None
    shape = shapely.geometry.shape(geometry)
    lat0 = math.radians(shape.centroid.y)
    scale = math.radians(1) * EARTH_RADIUS_KM
    return shape.area * scale * scale * math.cos(lat0)


@indicator(
    code="population",
    label="Population municipale",
    definition=(
        "Population municipale des communes publiée avec le Code officiel géographique ; pour le territoire, "
        "somme de ses communes membres. Non disponible par QPV : importez les données INSEE par quartier."
    ),
    unit="habitants",
    source=COG,
    breakdowns=("commune",),
    kind="values",
    people=False,
    theme=TERRITORY,
)
def population(context: Context):
    populations = dict(context.territory.communes.values_list("code", "population"))
    if "commune" in context.where:
        total = populations.get(context.where["commune"])
    else:
        known = [p for p in populations.values() if p is not None]
        total = sum(known) if known else None
    if not context.by:
        return {(): total}
    result = {(None,): total}
    for code, _ in context.values["commune"]:
        result[(code,)] = populations.get(code) if code else None
    return result


@indicator(
    code="nombre_qpv",
    label="Quartiers prioritaires",
    definition="Nombre de QPV du périmètre en vigueur ; pour une commune, les QPV situés au moins en partie sur son sol.",
    unit="QPV",
    source=ANCT,
    breakdowns=("commune",),
    kind="values",
    people=False,
    theme=TERRITORY,
)
def qpv_count(context: Context):
    by_qpv = qpv_communes(context.territory)
    per_commune: dict[str, int] = {}
    for communes in by_qpv.values():
        for code, _ in communes:
            per_commune[code] = per_commune.get(code, 0) + 1
    total = per_commune.get(context.where["commune"], 0) if "commune" in context.where else len(by_qpv)
    if not context.by:
        return {(): total}
    result = {(None,): total}
    for code, _ in context.values["commune"]:
        result[(code,)] = per_commune.get(code, 0) if code else None
    return result


@indicator(
    code="superficie_qpv",
    label="Superficie des quartiers prioritaires",
    definition=(
        "Surface des QPV du périmètre calculée sur leurs contours officiels, en km² ; un QPV partagé avec une "
        "commune hors du territoire compte pour toute sa surface."
    ),
    unit="km²",
    source=ANCT,
    breakdowns=("qpv",),
    kind="values",
    people=False,
    theme=TERRITORY,
)
def qpv_surface(context: Context):
    codes = [code for code, _ in context.values.get("qpv", [])] or list(qpv_communes(context.territory))
    codes = [c for c in codes if c]
    if "qpv" in context.where:
        codes = [context.where["qpv"]]
    geometries = dict(QPV.objects.filter(code__in=codes, geography_year=2024).values_list("code", "geometry"))
    surfaces = {code: surface_km2(geometries.get(code)) for code in codes}
    known = [s for s in surfaces.values() if s is not None]
    total = round(sum(known), 2) if known else None
    if not context.by:
        return {(): total}
    result = {(None,): total}
    for code, _ in context.values["qpv"]:
        result[(code,)] = round(surfaces[code], 2) if code and surfaces.get(code) is not None else None
    return result
