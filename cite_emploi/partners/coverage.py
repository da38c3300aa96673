"""Coverage of the perimeter's QPV by the offer of services, by thématique category.

For each QPV of the current perimeter and each data·inclusion category, the cell counts the
services of the territory that a resident of that QPV can use. A service counts when it has a
thématique of the category and at least one of these rules holds:

1. **Delivered in the QPV** — the service, or one of its sites, is located in the QPV (the ``qpv``
   facet, set from the coordinates by the QPV locator).
2. **Within walking distance** — the service's address or one of its sites is at most
   ``settings.COVERAGE_WALKING_METERS`` (default 1000 m) from the QPV outline (0 when inside).
   Distances are computed with shapely in a local equirectangular projection centred on the QPV
   (x = R·cos φ0·Δλ, y = R·Δφ, metres): over a few kilometres its error stays below 0.1 % (about
   1 m per km), well under the precision of the outlines (coordinates rounded to ~11 m).
3. **Eligibility zone** — its zone d'éligibilité names a commune of the QPV that is in the perimeter,
   that commune's département, its EPT/EPCI (the territory's SIREN for its member communes, e.g.
   GPSEA 200058006; the Métropole du Grand Paris 200054781 for Paris, the petite couronne and the
   seven other member communes), or the whole country (« france », 99100).

A service counts once per cell whatever the number of rules it meets; each rule's own count is
kept for the drill-down. Empty cells are « besoins potentiellement non couverts ».

Everything is computed per request in numpy and shapely from six queries whatever the size (the
member communes, the perimeter, the QPV outlines, the facets folded into one bit-mask row per
service, the services' points, the sites' points): a boolean matrix per rule (services × QPV),
then counts as matrix products (categories × QPV). No SQL runs per cell. Rule 2 widens each
outline once and tests all the points at once (see ``_within_walking``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import shapely
import shapely.geometry
from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, Case, Sum, Value, When

from . import enums
from .models import Service, ServiceFacet

Facet = ServiceFacet.Facet

DEFAULT_WALKING_METERS = 1000
EARTH_RADIUS_M = 6_371_008.8
METROPOLE_GRAND_PARIS = "200054781"
# Paris and the petite couronne belong whole to the Métropole du Grand Paris, plus these communes
# of Essonne and Val-d'Oise (Athis-Mons, Juvisy-sur-Orge, Morangis, Paray-Vieille-Poste,
# Savigny-sur-Orge, Viry-Châtillon, Argenteuil).
METROPOLE_DEPARTMENTS = frozenset({"75", "92", "93", "94"})
METROPOLE_OTHER_COMMUNES = frozenset({"91027", "91326", "91432", "91479", "91589", "91687", "95018"})
NATIONAL_CODES = ("france", "99100")

RULE_QPV, RULE_WALKING, RULE_ZONE = "qpv", "marche", "zone"
RULE_LABELS = {
    RULE_QPV: "dans le quartier",
    RULE_WALKING: "à distance de marche",
    RULE_ZONE: "zone d'éligibilité",
}
# Upper bounds of the colour levels 1..4 of the heat map; 0 is the empty cell.
LEVELS = (2, 5, 10)
# Segments per quarter circle when widening an outline: its chords fall short of the true
# offset by at most 1 - cos(pi / 32) = 0.48 %, which BUFFER_MARGIN covers.
BUFFER_QUAD_SEGMENTS = 8
BUFFER_MARGIN = 0.005


def walking_meters() -> int:
    return int(getattr(settings, "COVERAGE_WALKING_METERS", DEFAULT_WALKING_METERS))


def level(count: int) -> int:
    """Colour level of a cell: 0 (none), 1 (1–2), 2 (3–5), 3 (6–10), 4 (11 and more)."""
    if count == 0:
        return 0
    return 1 + sum(count > bound for bound in LEVELS)


def zone_codes(commune_code: str, department: str, territory_siren: str, in_territory: bool) -> set[str]:
    """The zone d'éligibilité codes that include a commune."""
    codes = {commune_code, *NATIONAL_CODES}
    if department:
        codes.add(department)
    if in_territory and territory_siren:
        codes.add(territory_siren)
    if department in METROPOLE_DEPARTMENTS or commune_code in METROPOLE_OTHER_COMMUNES:
        codes.add(METROPOLE_GRAND_PARIS)
    return codes


@dataclass
class Cell:
    category: str
    label: str
    total: int
    in_qpv: int
    walking: int
    zone: int

    @property
    def level(self) -> int:
        return level(self.total)

    @property
    def is_gap(self) -> bool:
        return self.total == 0


@dataclass
class Row:
    qpv_code: str
    qpv_name: str
    communes: list[tuple[str, str]]  # (INSEE code, name) of the QPV's communes in the perimeter
    cells: list[Cell] = field(default_factory=list)


@dataclass
class CoverageMatrix:
    walking_m: int
    categories: list[tuple[str, str]]
    rows: list[Row]
    # Per service (axis 0, ids in ``service_ids``): its categories and the rules met per QPV.
    service_ids: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=np.int64))
    by_category: np.ndarray = field(repr=False, default=None)
    rules: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    def row(self, qpv_code: str) -> Row | None:
        return next((r for r in self.rows if r.qpv_code == qpv_code), None)

    def cell(self, qpv_code: str, category: str) -> Cell | None:
        row = self.row(qpv_code)
        if row is None:
            return None
        return next((c for c in row.cells if c.category == category), None)

    def gaps(self) -> list[tuple[Row, Cell]]:
        """The empty cells: needs the offer may not cover (for the diagnostic)."""
        return [(row, cell) for row in self.rows for cell in row.cells if cell.is_gap]

    def services(self, qpv_code: str, category: str) -> dict[int, list[str]]:
        """Service id → the rules (``RULE_*``) by which it counts in a cell, for the drill-down."""
        q = next((i for i, r in enumerate(self.rows) if r.qpv_code == qpv_code), None)
        c = next((i for i, (code, _) in enumerate(self.categories) if code == category), None)
        if q is None or c is None or not len(self.service_ids):
            return {}
        in_category = self.by_category[:, c]
        result: dict[int, list[str]] = {}
        for rule, reach in self.rules.items():
            for index in np.flatnonzero(in_category & reach[:, q]):
                result.setdefault(int(self.service_ids[index]), []).append(rule)
        return result


def _perimeter(territory):
    """(QPV code, QPV name, commune code, commune name, département) of the current perimeter."""
    from cite_emploi.territory.models import PerimeterArea

    return list(
        PerimeterArea.objects.filter(
            perimeter__territory=territory, perimeter__is_current=True, qpv__isnull=False
        )
        .order_by("qpv__name", "qpv__code", "commune__name")
        .values_list("qpv__code", "qpv__name", "commune__code", "commune__name", "commune__department")
        .distinct()
    )


def _project(lons, lats, lon0: float, lat0: float):
    """Local equirectangular projection around (lon0, lat0), in metres."""
    k = np.pi / 180 * EARTH_RADIUS_M
    return (np.asarray(lons) - lon0) * k * np.cos(np.radians(lat0)), (np.asarray(lats) - lat0) * k


@dataclass(frozen=True)
class _WalkingArea:
    """A QPV outline projected around its centroid, and widened for one walking distance."""

    lon0: float
    lat0: float
    outline: shapely.Geometry
    outer: shapely.Geometry
    inner: shapely.Geometry


# QPV outlines are reference data (fixed for the geography year), and walking distances come
# from a short list: each widened outline is built once per process (a buffer of a detailed
# outline costs milliseconds), as the QPV locator keeps its outlines.
_AREAS: dict[tuple[str, float], _WalkingArea] = {}
_AREAS_MAX = 512


def _walking_area(outline: dict, metres: float, key: str | None = None) -> _WalkingArea:
    cached = _AREAS.get((key, metres)) if key else None
    if cached is not None:
        return cached
    geometry = shapely.geometry.shape(outline)
    centre = geometry.centroid
    lon0, lat0 = centre.x, centre.y
    projected = shapely.transform(
        geometry, lambda xy: np.column_stack(_project(xy[:, 0], xy[:, 1], lon0, lat0))
    )
    outer = projected.buffer(metres * (1 + BUFFER_MARGIN) + 1, quad_segs=BUFFER_QUAD_SEGMENTS)
    inner = projected.buffer(metres - 1, quad_segs=BUFFER_QUAD_SEGMENTS) if metres > 1 else projected
    shapely.prepare([projected, outer, inner])
    area = _WalkingArea(lon0, lat0, projected, outer, inner)
    if key:
        if len(_AREAS) >= _AREAS_MAX:
            _AREAS.clear()
        _AREAS[(key, metres)] = area
    return area


def _within_walking(
    outline: dict, lons: np.ndarray, lats: np.ndarray, metres: float, key: str | None = None
) -> np.ndarray:
    """Which points are at most ``metres`` from a QPV outline (GeoJSON, WGS84), exactly.

    The outline is projected and widened twice (``buffer``): by ``metres`` plus a margin (0.5 %
    and 1 m) that makes up for the buffer's chords, so it holds every point within ``metres``, and
    by ``metres`` − 1 m, whose points are surely within. The points inside the bounding box are
    tested against both in vectorised calls (``intersects_xy``); only those in the thin band
    between the two get an exact distance. ``key`` (the QPV code) lets the widened outlines be
    reused by the next requests.
    """
    area = _walking_area(outline, metres, key)
    xs, ys = _project(lons, lats, area.lon0, area.lat0)
    xmin, ymin, xmax, ymax = area.outer.bounds
    candidates = np.flatnonzero((xs >= xmin) & (xs <= xmax) & (ys >= ymin) & (ys <= ymax))
    result = np.zeros(len(lons), dtype=bool)
    if candidates.size:
        near = candidates[shapely.intersects_xy(area.outer, xs[candidates], ys[candidates])]
        sure = shapely.intersects_xy(area.inner, xs[near], ys[near])
        result[near[sure]] = True
        band = near[~sure]
        if band.size:
            result[band] = shapely.distance(area.outline, shapely.points(xs[band], ys[band])) <= metres
    return result


MASK_BITS = 62  # values per bit-mask column (a signed 64-bit integer on both engines)


def _masks(facet: str, values: list[str], name: str) -> dict:
    """``SUM(CASE …)`` annotations: per service, one bit per value of ``values`` it has in ``facet``.

    The unique (service, facet, value) constraint makes the sum of distinct powers of two a mask.
    """
    columns = {}
    for start in range(0, len(values), MASK_BITS):
        chunk = values[start : start + MASK_BITS]
        columns[f"{name}{start // MASK_BITS}"] = Sum(
            Case(
                *(When(facet=facet, value=value, then=Value(1 << bit)) for bit, value in enumerate(chunk)),
                default=Value(0),
                output_field=BigIntegerField(),
            )
        )
    return columns


def _facet_masks(territory, groups: list[tuple[str, list[str]]]) -> tuple[list[tuple], list[int]]:
    """Per service of ``territory``: bit masks of the values of ``groups`` (facet, values) it has.

    One statement: ``SUM(CASE …)`` grouped by service folds the facets into one row per service
    (50,000 rows instead of 390,000 for the benchmark's offer); the territory is a sub-query on
    the services, so the covering (service, facet, value) index is read without joins. The rows
    are read with a plain cursor: the ORM would run a converter on every value.
    """
    masks, widths = {}, []
    for index, (facet, values) in enumerate(groups):
        masks |= _masks(facet, values, f"m{index}_")
        widths += [min(MASK_BITS, len(values) - start) for start in range(0, len(values), MASK_BITS)]
    services = Service.objects.scanning_territory(territory).order_by().values("pk")
    queryset = (
        ServiceFacet.objects.filter(service_id__in=services, facet__in=[str(f) for f, _ in groups])
        .order_by()
        .values("service_id")
        .annotate(**masks)
        .order_by("service_id")
        .values_list("service_id", *masks)
    )
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall(), widths


def _bits(rows: list[tuple], first: int, widths: list[int]) -> np.ndarray:
    """Unpack the mask columns ``first``, ``first + 1``… of ``widths`` bits into a boolean matrix."""
    result = np.zeros((len(rows), sum(widths)), dtype=bool)
    start = 0
    for column, width in enumerate(widths, start=first):
        masks = np.fromiter((int(row[column] or 0) for row in rows), dtype=np.int64, count=len(rows))
        result[:, start : start + width] = (masks[:, None] >> np.arange(width, dtype=np.int64)) & 1 == 1
        start += width
    return result


def _load(territory, categories: list[str], qpv_codes: list[str], zone_values: list[str]):
    """Per service: its categories, the QPV it is delivered in, the zone codes it names, as
    boolean matrices (one row per service id, sorted); and its located places.

    Three queries whatever the size: the facets folded into bit masks (``_facet_masks``: one row
    per service instead of one per facet), the services' points, the sites' points.
    """
    groups = [(Facet.CATEGORY, categories), (Facet.QPV, qpv_codes), (Facet.ZONE, zone_values)]
    rows, widths = _facet_masks(territory, groups)
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    per_group = [math.ceil(len(values) / MASK_BITS) for _, values in groups]
    first = [1, 1 + per_group[0], 1 + per_group[0] + per_group[1]]
    by_category, in_qpv, named = (
        _bits(rows, first[g], widths[first[g] - 1 : first[g] - 1 + per_group[g]]) for g in range(3)
    )

    services = Service.objects.scanning_territory(territory).order_by().values("pk")
    own = (
        Service.objects.scanning_territory(territory)
        .order_by()
        .filter(longitude__isnull=False, latitude__isnull=False)
        .values_list("pk", "longitude", "latitude")
    )
    at_sites = Service.sites.through.objects.filter(
        service_id__in=services, site__longitude__isnull=False, site__latitude__isnull=False
    ).values_list("service_id", "site__longitude", "site__latitude")
    places = [*own, *at_sites]
    located = np.fromiter(chain.from_iterable(places), dtype=np.float64, count=3 * len(places)).reshape(-1, 3)
    return ids, by_category, in_qpv, named, located


def coverage_matrix(territory, walking_m: int | None = None) -> CoverageMatrix:
    """The QPV × category coverage of ``territory``'s current perimeter (see the module doc)."""
    from cite_emploi.territory.models import QPV

    walking_m = walking_meters() if walking_m is None else int(walking_m)
    categories = list(enums.CATEGORIES)

    # The rows: QPV of the perimeter, with the communes of their residents in it.
    rows: list[Row] = []
    zones: list[set[str]] = []
    members = set(territory.communes.values_list("code", flat=True))
    for code, name, commune, commune_name, department in _perimeter(territory):
        if not rows or rows[-1].qpv_code != code:
            rows.append(Row(code, name, []))
            zones.append(set())
        rows[-1].communes.append((commune, commune_name))
        zones[-1] |= zone_codes(commune, department, territory.siren, commune in members)
    outlines = dict(
        QPV.objects.filter(code__in=[r.qpv_code for r in rows], geography_year=2024).values_list(
            "code", "geometry"
        )
    )
    qpv_index = {r.qpv_code: i for i, r in enumerate(rows)}
    zone_values = sorted(set().union(*zones)) if zones else []
    ids, by_category, in_qpv, named, located = _load(
        territory, [code for code, _ in categories], list(qpv_index), zone_values
    )

    # Axis 0: the services having at least one category, by id.
    keep = by_category.any(axis=1)
    service_ids, by_category, in_qpv, named = ids[keep], by_category[keep], in_qpv[keep], named[keep]
    n, q = len(service_ids), len(rows)

    rules = {rule: np.zeros((n, q), dtype=bool) for rule in RULE_LABELS}
    if n:
        # Rule 1: delivered in the QPV (the service's address or a site: the « qpv » facet).
        rules[RULE_QPV] = in_qpv

        # Rule 2: an address or a site within walking distance of the outline.
        at = np.searchsorted(service_ids, located[:, 0].astype(np.int64))
        known = at < n
        known[known] = service_ids[at[known]] == located[known, 0]
        at, lons, lats = at[known], located[known, 1], located[known, 2]
        for code, j in qpv_index.items():
            if outlines.get(code):
                rules[RULE_WALKING][
                    at[_within_walking(outlines[code], lons, lats, walking_m, key=code)], j
                ] = True

        # Rule 3: the zone d'éligibilité names a code that includes a commune of the QPV.
        includes = np.array([[code in zone for zone in zones] for code in zone_values], dtype=np.float32)
        rules[RULE_ZONE] = (named.astype(np.float32) @ includes.reshape(len(zone_values), q)) > 0

    # Counts: categories × QPV, per rule and for their union (float products use BLAS; exact
    # for counts far below 2**53).
    per_category = by_category.T.astype(np.float64)
    counts = {rule: (per_category @ reach).round().astype(np.int64) for rule, reach in rules.items()}
    union = rules[RULE_QPV] | rules[RULE_WALKING] | rules[RULE_ZONE]
    total = (per_category @ union).round().astype(np.int64)
    for j, row in enumerate(rows):
        row.cells = [
            Cell(
                category=code,
                label=label,
                total=int(total[c, j]),
                in_qpv=int(counts[RULE_QPV][c, j]),
                walking=int(counts[RULE_WALKING][c, j]),
                zone=int(counts[RULE_ZONE][c, j]),
            )
            for c, (code, label) in enumerate(categories)
        ]
    return CoverageMatrix(
        walking_m=walking_m,
        categories=categories,
        rows=rows,
        service_ids=service_ids,
        by_category=by_category,
        rules=rules,
    )
