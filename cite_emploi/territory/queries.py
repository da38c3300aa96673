"""Reads of the territory app, shared by pages, the API, the CLI and later the indicators."""

from dataclasses import dataclass

from .models import QPV, Commune, Perimeter, PerimeterArea, Territory


def perimeter_pairs(perimeter: Perimeter | None) -> frozenset[tuple[str, str]]:
    """The (QPV code, commune INSEE code) pairs a perimeter covers; quartiers no longer QPV are left out."""
    if perimeter is None:
        return frozenset()
    return frozenset(
        perimeter.areas.filter(qpv__isnull=False).values_list("qpv__code", "commune__code").distinct()
    )


def current_perimeter_pairs(slug: str) -> frozenset[tuple[str, str]]:
    """Raises Territory.DoesNotExist for an unknown slug."""
    territory = Territory.objects.get(slug=slug)
    return perimeter_pairs(territory.current_perimeter)


@dataclass
class PerimeterRow:
    qpv_code: str | None
    qpv_name: str | None
    local_name: str
    commune_name: str
    commune_code: str
    city_contract: str
    note: str


@dataclass
class TerritorySummary:
    territory: Territory
    perimeter: Perimeter | None
    rows: list[PerimeterRow]
    qpv_count: int
    commune_count: int
    member_commune_count: int
    perimeters: list[Perimeter]


def _rows(perimeter: Perimeter | None) -> list[PerimeterRow]:
    if perimeter is None:
        return []
    areas = PerimeterArea.objects.filter(perimeter=perimeter).select_related(
        "qpv", "commune", "city_contract"
    )
    return [
        PerimeterRow(
            qpv_code=a.qpv.code if a.qpv else None,
            qpv_name=a.qpv.name if a.qpv else None,
            local_name=a.local_name,
            commune_name=a.commune.name,
            commune_code=a.commune.code,
            city_contract=a.city_contract.name if a.city_contract else "",
            note=a.note,
        )
        for a in areas
    ]


def territory_summary(territory: Territory, perimeter: Perimeter | None = None) -> TerritorySummary:
    perimeters = list(territory.perimeters.all())
    perimeter = perimeter or next((p for p in perimeters if p.is_current), None)
    rows = _rows(perimeter)
    return TerritorySummary(
        territory=territory,
        perimeter=perimeter,
        rows=rows,
        qpv_count=len({r.qpv_code for r in rows if r.qpv_code}),
        commune_count=len({r.commune_code for r in rows}),
        member_commune_count=territory.communes.count(),
        perimeters=perimeters,
    )


def perimeter_geojson(territory: Territory, perimeter: Perimeter | None) -> dict:
    """The map layers: QPV outlines (in / out of the perimeter) and the communes concerned."""
    pairs = perimeter_pairs(perimeter)
    qpv_codes = {q for q, _ in pairs}
    commune_codes = {c for _, c in pairs} | set(territory.communes.values_list("code", flat=True))
    qpvs = QPV.objects.filter(code__in=qpv_codes, geography_year=2024).prefetch_related("communes")
    features = []
    for qpv in qpvs:
        covered = sorted(c for q, c in pairs if q == qpv.code)
        features.append(
            {
                "type": "Feature",
                "geometry": qpv.geometry,
                "properties": {
                    "layer": "qpv",
                    "code": qpv.code,
                    "nom": qpv.name,
                    "communes": [c.name for c in qpv.communes.all()],
                    "communes_couvertes": covered,
                },
            }
        )
    for commune in Commune.objects.filter(code__in=commune_codes, geometry__isnull=False):
        features.append(
            {
                "type": "Feature",
                "geometry": commune.geometry,
                "properties": {
                    "layer": "commune",
                    "code": commune.code,
                    "nom": commune.name,
                    "dans_perimetre": commune.code in {c for _, c in pairs},
                },
            }
        )
    if territory.outline:
        features.append(
            {
                "type": "Feature",
                "geometry": territory.outline,
                "properties": {"layer": "territoire", "nom": territory.name},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def qpv_by_code(code: str) -> QPV | None:
    return QPV.objects.filter(code=code).prefetch_related("communes").order_by("-geography_year").first()


def communes_by_code(codes) -> dict[str, Commune]:
    return {c.code: c for c in Commune.objects.filter(code__in=list(codes))}


@dataclass
class LocateAnswer:
    lon: float
    lat: float
    qpv_code: str | None
    qpv_nom: str | None
    communes: list[dict]
    commune_code: str | None
    dans_perimetre: bool | None
    territory: Territory | None


def locate_point(lon: float, lat: float, territory: Territory | None) -> LocateAnswer:
    """Which QPV a point falls in, and whether it is in the territory's current perimeter."""
    from .locator import get_locator

    pairs = perimeter_pairs(territory.current_perimeter) if territory else None
    found = get_locator().locate(lon, lat, perimeter=pairs)
    names = communes_by_code(found.communes)
    return LocateAnswer(
        lon=lon,
        lat=lat,
        qpv_code=found.qpv_code,
        qpv_nom=found.qpv_nom,
        communes=[
            {"code": code, "nom": names[code].name if code in names else None} for code in found.communes
        ],
        commune_code=found.commune_code,
        dans_perimetre=found.dans_perimetre,
        territory=territory,
    )
