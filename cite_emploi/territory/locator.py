"""Tell in which QPV 2024 (quartier prioritaire de la politique de la ville) a point falls.

Pure Python + numpy + shapely: no Django import, so the CSV command, the benchmark and the
web app share one implementation.

Two code paths give the same answers:

* ``QpvLocator.locate`` is the plain reference: an STRtree query for one point.
* ``QpvLocator.locate_batch`` is the hot path of ``locate_qpv``. A regular grid, built once,
  classifies most points without any geometric test: a cell that no QPV touches means "no
  QPV", a cell covered by exactly one QPV means "that QPV". Only points in cells crossed by
  a QPV boundary get an exact (prepared) ``intersects`` test.

Conventions: a point on a QPV boundary is inside it; a point in two QPV (slivers left by
the 4-decimal rounding of the outlines) gets the lowest code, as QPV are stored sorted by
code.
"""

from __future__ import annotations

import functools
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from cite_emploi.territory.qpv_grid import MIXED, CellGrid

DATA_DIR = Path(__file__).resolve().parent / "data"
QPV_GEOJSON = DATA_DIR / "qpv_2024_france.geojson"
COMMUNES_GEOJSON = DATA_DIR / "communes_gpsea.geojson"

# Set of (qpv_code, commune_insee) pairs a territory covers.
Perimeter = frozenset[tuple[str, str]]

# Below this many points, building the grid (about 0.1 s, once) is not worth it.
GRID_MIN_POINTS = 2000

# Perimeter status of a QPV.
_OUT, _ALL_IN, _PARTLY_IN = 0, 1, 2

# Generous bounding boxes (lon_min, lat_min, lon_max, lat_max) of the French territories
# that have QPV, or may show up in a French file: metropolitan France with Corsica, the DOM,
# and the overseas collectivities (French Polynesia has QPV, Saint-Martin too).
FRANCE_BOXES: tuple[tuple[float, float, float, float], ...] = (
    (-5.8, 41.2, 9.8, 51.3),  # Métropole et Corse
    (-63.3, 15.7, -60.8, 18.2),  # Guadeloupe, Saint-Martin, Saint-Barthélemy
    (-61.4, 14.3, -60.7, 15.0),  # Martinique
    (-54.8, 2.0, -51.5, 6.0),  # Guyane
    (55.1, -21.5, 55.95, -20.8),  # La Réunion
    (44.9, -13.1, 45.4, -12.5),  # Mayotte
    (-56.6, 46.7, -56.0, 47.2),  # Saint-Pierre-et-Miquelon
    (-155.0, -28.0, -134.0, -7.0),  # Polynésie française
    (163.5, -23.0, 168.5, -19.5),  # Nouvelle-Calédonie
    (-178.3, -14.5, -176.0, -13.0),  # Wallis-et-Futuna
)


@dataclass(frozen=True)
class Location:
    qpv_code: str | None
    qpv_nom: str | None
    communes: tuple[str, ...]  # INSEE codes of the QPV's communes (empty if no QPV)
    # Commune where the point falls: for a multi-commune QPV, told from the commune outlines
    # when one of them is known (None otherwise); for a single-commune QPV, that commune.
    commune_code: str | None
    dans_perimetre: bool | None  # None when no perimeter was given


@dataclass(frozen=True)
class QpvInfo:
    code: str
    nom: str
    communes: tuple[str, ...]
    geometry: shapely.MultiPolygon


def in_france(lon, lat):
    """True where (lon, lat) lies in one of FRANCE_BOXES; works on scalars and numpy arrays.

    NaN coordinates are never in France.
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    inside = np.zeros(np.broadcast(lon, lat).shape, dtype=bool)
    for lon_min, lat_min, lon_max, lat_max in FRANCE_BOXES:
        inside |= (lon >= lon_min) & (lon <= lon_max) & (lat >= lat_min) & (lat <= lat_max)
    return bool(inside) if inside.ndim == 0 else inside


class BatchResult:
    """Answers of ``QpvLocator.locate_batch``, as numpy arrays aligned with the input points."""

    def __init__(self, locator, qpv_index, commune_index, dans_perimetre):
        self._locator = locator
        self.qpv_index: np.ndarray = qpv_index  # int32, -1 when the point is in no QPV
        # int32 index into locator.commune_codes, -1 when unknown or no QPV
        self.commune_index: np.ndarray = commune_index
        # bool array, or None when no perimeter was given
        self.dans_perimetre: np.ndarray | None = dans_perimetre

    def __len__(self) -> int:
        return len(self.qpv_index)

    def qpv_code(self, i: int) -> str | None:
        q = int(self.qpv_index[i])
        return None if q < 0 else self._locator.codes[q]

    def qpv_nom(self, i: int) -> str | None:
        q = int(self.qpv_index[i])
        return None if q < 0 else self._locator.noms[q]

    def commune_code(self, i: int) -> str | None:
        c = int(self.commune_index[i])
        return None if c < 0 else self._locator.commune_codes[c]

    def codes(self) -> np.ndarray:
        """Object array of QPV codes, None where the point is in no QPV."""
        return self._locator.codes_with_none[self.qpv_index]

    def location(self, i: int) -> Location:
        q = int(self.qpv_index[i])
        c = int(self.commune_index[i])
        dans = None if self.dans_perimetre is None else bool(self.dans_perimetre[i])
        if q < 0:
            return Location(None, None, (), None, dans)
        loc = self._locator
        commune = loc.commune_codes[c] if c >= 0 else None
        return Location(loc.codes[q], loc.noms[q], loc.communes[q], commune, dans)


class QpvLocator:
    def __init__(self, qpv_geojson_path, communes_geojson_path):
        features = sorted(_read_features(qpv_geojson_path), key=lambda f: f["properties"]["code_qp"])
        self.codes: list[str] = [f["properties"]["code_qp"] for f in features]
        self.noms: list[str] = [f["properties"]["lib_qp"] for f in features]
        self.communes: list[tuple[str, ...]] = [
            tuple(sorted(_as_list(f["properties"]["insee_com"]))) for f in features
        ]
        self.codes_with_none = np.array([*self.codes, None], dtype=object)  # index -1 -> None
        self._index_of = {code: i for i, code in enumerate(self.codes)}
        # The grid reads the outlines' vertices: keep them rather than extract them again.
        self._ragged = _ragged(features)
        self.geometries = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, *self._ragged)
        shapely.prepare(self.geometries)
        self._tree = shapely.STRtree(self.geometries)

        # Communes are indexed over every INSEE code a QPV names, plus the outlined ones; only
        # the few communes shipped in communes_gpsea.geojson have an outline.
        outlines = {f["properties"]["code_insee"]: f for f in _read_features(communes_geojson_path)}
        self.commune_codes: list[str] = sorted({c for cs in self.communes for c in cs} | set(outlines))
        self._commune_position = {code: i for i, code in enumerate(self.commune_codes)}
        outlined = sorted(outlines)
        self._outlines = np.full(len(self.commune_codes), None, dtype=object)
        self._outlines[[self._commune_position[c] for c in outlined]] = _multipolygons(
            [outlines[c] for c in outlined]
        )
        shapely.prepare(self._outlines)

        # Per QPV: its commune when single-commune (-1 otherwise); for multi-commune QPV, the
        # outlined communes to choose from, sorted by code so that ties go to the lowest code.
        self._single_commune = np.full(len(self.codes), -1, dtype=np.int32)
        self._candidates: list[list[int]] = []
        for q, cs in enumerate(self.communes):
            positions = [self._commune_position[c] for c in cs]
            if len(cs) == 1:
                self._single_commune[q] = positions[0]
            self._candidates.append([c for c in positions if self._outlines[c] is not None])
        width = max(1, *(len(c) for c in self._candidates))
        self._candidate_table = np.full((len(self.codes), width), -1, dtype=np.int32)
        for q, positions in enumerate(self._candidates):
            self._candidate_table[q, : len(positions)] = positions
        self._grid: CellGrid | None = None
        self._perimeter_cache: dict[Perimeter, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def grid(self) -> CellGrid:
        if self._grid is None:
            self._grid = CellGrid(self.geometries, *self._ragged)
        return self._grid

    # -- Reference data -------------------------------------------------------------------

    def qpv_codes(self) -> list[str]:
        return list(self.codes)

    def qpv(self, code: str) -> QpvInfo:
        """Raise KeyError for an unknown code."""
        q = self._index_of[code]
        return QpvInfo(self.codes[q], self.noms[q], self.communes[q], self.geometries[q])

    def commune_geometry(self, code: str) -> shapely.MultiPolygon | None:
        """Coarse outline of a commune, when shipped (GPSEA and neighbours only)."""
        position = self._commune_position.get(code)
        return None if position is None else self._outlines[position]

    # -- One point: the plain reference implementation ------------------------------------

    def locate(self, lon: float, lat: float, perimeter: Perimeter | None = None) -> Location:
        lon, lat = float(lon), float(lat)  # Decimal from a form, numpy scalars...
        point = shapely.Point(lon, lat)
        hits = self._tree.query(point, predicate="intersects") if np.isfinite([lon, lat]).all() else []
        if len(hits) == 0:
            return Location(None, None, (), None, None if perimeter is None else False)
        q = int(np.min(hits))
        code, communes = self.codes[q], self.communes[q]
        commune = communes[0] if len(communes) == 1 else self._commune_of_point(q, point)
        if perimeter is None:
            dans = None
        else:
            dans = all((code, c) in perimeter for c in communes) or (code, commune) in perimeter
        return Location(code, self.noms[q], communes, commune, dans)

    def _commune_of_point(self, q: int, point: shapely.Point) -> str | None:
        candidates = self._candidates[q]
        if not candidates:
            return None
        for c in candidates:
            if self._outlines[c].covers(point):
                return self.commune_codes[c]
        nearest = min(candidates, key=lambda c: (self._outlines[c].distance(point), c))
        return self.commune_codes[nearest]

    # -- Many points: the vectorised path -------------------------------------------------

    def locate_batch(self, lons, lats, perimeter: Perimeter | None = None) -> BatchResult:
        lons = np.ascontiguousarray(lons, dtype=np.float64)
        lats = np.ascontiguousarray(lats, dtype=np.float64)
        qpv_index = self._qpv_index(lons, lats)
        commune_index = self._commune_index(lons, lats, qpv_index)
        dans = None
        if perimeter is not None:
            status, partly_allowed = self._perimeter_flags(frozenset(perimeter))
            in_qpv = qpv_index >= 0
            q_status = np.where(in_qpv, status[qpv_index], _OUT)
            dans = q_status == _ALL_IN
            partly = np.flatnonzero(q_status == _PARTLY_IN)
            if partly.size:
                keys = self._pair_keys(qpv_index[partly], commune_index[partly])
                dans[partly] = np.isin(keys, partly_allowed)
        return BatchResult(self, qpv_index, commune_index, dans)

    def _qpv_index(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        if len(lons) < GRID_MIN_POINTS and self._grid is None:
            cell = np.full(len(lons), MIXED, dtype=np.int32)
        else:
            cell = self.grid.lookup(lons, lats)
        qpv_index = np.maximum(cell, -1)
        mixed = np.flatnonzero(cell == MIXED)
        if mixed.size:
            points = shapely.points(lons[mixed], lats[mixed])
            point_pos, qpv = self._tree.query(points, predicate="intersects")
            if point_pos.size:
                # Lowest QPV index (= lowest code) per point, for the rare overlaps.
                order = np.lexsort((qpv, point_pos))
                point_pos, qpv = point_pos[order], qpv[order]
                first = np.r_[True, point_pos[1:] != point_pos[:-1]]
                qpv_index[mixed[point_pos[first]]] = qpv[first]
        return qpv_index

    def _commune_index(self, lons: np.ndarray, lats: np.ndarray, qpv_index: np.ndarray) -> np.ndarray:
        in_qpv = qpv_index >= 0
        commune_index = np.where(in_qpv, self._single_commune[qpv_index], -1).astype(np.int32)
        multi = np.flatnonzero(in_qpv & (commune_index < 0))
        if multi.size == 0:
            return commune_index
        # Distance to each candidate outline (0 when inside); the first minimum is the
        # containing commune or else the nearest, ties going to the lowest code.
        candidates = self._candidate_table[qpv_index[multi]]
        row, col = np.nonzero(candidates >= 0)
        distance = np.full(candidates.shape, np.inf)
        distance[row, col] = shapely.distance(
            shapely.points(lons[multi[row]], lats[multi[row]]), self._outlines[candidates[row, col]]
        )
        # A QPV with no outlined commune has only -1 candidates: its commune stays unknown.
        commune_index[multi] = candidates[np.arange(len(multi)), np.argmin(distance, axis=1)]
        return commune_index

    def _perimeter_flags(self, perimeter: Perimeter) -> tuple[np.ndarray, np.ndarray]:
        """Per QPV, whether the perimeter covers none, all or part of its communes; and the
        sorted pair keys (see _pair_keys) of the covered (partly-in QPV, commune) pairs."""
        cached = self._perimeter_cache.get(perimeter)
        if cached is not None:
            return cached
        status = np.full(len(self.codes), _OUT, dtype=np.int8)
        allowed = []
        for q, (code, communes) in enumerate(zip(self.codes, self.communes, strict=True)):
            inside = [c for c in communes if (code, c) in perimeter]
            if len(inside) == len(communes):
                status[q] = _ALL_IN
            elif inside:
                status[q] = _PARTLY_IN
                allowed.extend(self._pair_keys(q, self._commune_position[c]) for c in inside)
        result = status, np.sort(np.array(allowed, dtype=np.int64))
        if len(self._perimeter_cache) > 16:
            self._perimeter_cache.clear()
        self._perimeter_cache[perimeter] = result
        return result

    def _pair_keys(self, qpv_index, commune_index):
        return np.asarray(qpv_index, dtype=np.int64) * (len(self.commune_codes) + 1) + commune_index + 1


@functools.cache
def get_locator() -> QpvLocator:
    """The locator over the shipped QPV 2024 and commune outlines, built once per process."""
    return QpvLocator(QPV_GEOJSON, COMMUNES_GEOJSON)


# -- Helpers ----------------------------------------------------------------------------------


def _read_features(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)["features"]


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _multipolygons(features: list[dict]) -> np.ndarray:
    return shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, *_ragged(features))


def _ragged(features: list[dict]) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Coordinates and ring/polygon/geometry offsets of GeoJSON (Multi)Polygon features, the
    layout of shapely's ragged arrays.

    Building geometries from these in one call is much faster than shapely.geometry.shape()
    per feature, which walks every coordinate in Python; this matters because the CLI loads
    the 215k QPV vertices at every run.
    """
    coords: list = []
    ring_offsets, polygon_offsets, geometry_offsets = [0], [0], [0]
    for feature in features:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        for polygon in polygons:
            for ring in polygon:
                coords.extend(ring)
                ring_offsets.append(len(coords))
            polygon_offsets.append(len(ring_offsets) - 1)
        geometry_offsets.append(len(polygon_offsets) - 1)
    offsets = (np.array(ring_offsets), np.array(polygon_offsets), np.array(geometry_offsets))
    # np.fromiter over the flattened pairs is several times faster than np.array() on a list
    # of lists; positions with a third (z) value fall back to the latter.
    flat = np.fromiter(itertools.chain.from_iterable(coords), dtype=np.float64)
    if len(flat) == 2 * len(coords):
        return flat.reshape(-1, 2), offsets
    return np.array(coords, dtype=np.float64)[:, :2], offsets
