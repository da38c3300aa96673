"""A regular lon/lat grid that answers "which QPV?" for most points without geometry.

Each cell that some QPV touches is stored with either the index of the single QPV that
covers it whole, or MIXED when a boundary crosses it and an exact test is needed. A point in
a cell that is not stored is in no QPV. Lookups go through an open-addressing hash table
held in two numpy arrays, so a batch of points costs a few vectorised passes.

Cells are classified on boxes enlarged by EPSILON, so that a point exactly on a cell edge is
correctly answered whichever side floor() puts it on.
"""

from __future__ import annotations

import numpy as np
import shapely

# 400 cells per degree: 0.0025°, about 190 m × 280 m in Île-de-France. Finer cells cost more
# to build at start-up than they save per point; coarser ones send more points to the exact
# test.
CELLS_PER_DEGREE = 400
EPSILON = 1e-9
MIXED = -2
NONE = -1

# Cell (ix, iy) -> one non-negative int64 key.
_OFFSET = 1 << 20
_SHIFT = 1 << 21
_EMPTY = -1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier


class CellGrid:
    def __init__(self, geometries: np.ndarray, coords: np.ndarray, offsets: tuple[np.ndarray, ...]):
        """``coords`` and ``offsets`` are the geometries as shapely.to_ragged_array() gives them."""
        keys, values = _classify_cells(geometries, coords, offsets)
        self.cell_count = len(keys)
        self._build_table(keys, values)

    def lookup(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """int32 per point: a QPV index, NONE, or MIXED."""
        keys = cell_keys(lons, lats)
        hashes = self._hash(keys)
        result = np.full(len(keys), NONE, dtype=np.int32)
        pending = np.arange(len(keys))
        for step in range(self._max_probe + 1):
            slots = (hashes[pending] + step) & self._mask
            found = self._keys[slots]
            hit = found == keys[pending]
            result[pending[hit]] = self._values[slots[hit]]
            pending = pending[~hit & (found != _EMPTY)]
            if pending.size == 0:
                break
        return result

    def _hash(self, keys: np.ndarray) -> np.ndarray:
        return ((keys.view(np.uint64) * _GOLDEN) >> np.uint64(64 - self._bits)).astype(np.intp)

    def _build_table(self, keys: np.ndarray, values: np.ndarray) -> None:
        # Load factor at most 1/2: probe sequences stay short and the table stays small
        # enough for the CPU caches (35k cells: 128k slots, 1.5 MB).
        self._bits = max(4, int(np.ceil(np.log2(max(1, len(keys)) * 2))))
        self._mask = (1 << self._bits) - 1
        self._keys = np.full(1 << self._bits, _EMPTY, dtype=np.int64)
        self._values = np.zeros(1 << self._bits, dtype=np.int32)
        hashes = self._hash(keys)
        pending = np.arange(len(keys))
        step = 0
        # Linear probing, vectorised: at each step every pending key tries its next slot;
        # of several keys aiming at one free slot, the first takes it.
        while pending.size:
            slots = (hashes[pending] + step) & self._mask
            free = self._keys[slots] == _EMPTY
            taken_slots, first = np.unique(slots[free], return_index=True)
            winners = pending[free][first]
            self._keys[taken_slots] = keys[winners]
            self._values[taken_slots] = values[winners]
            placed = np.zeros(len(keys), dtype=bool)
            placed[winners] = True
            pending = pending[~placed[pending]]
            step += 1
        self._max_probe = max(0, step - 1)


def cell_keys(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        ix = np.floor(np.clip(lons * CELLS_PER_DEGREE, -_OFFSET, _OFFSET - 1)).astype(np.int64)
        iy = np.floor(np.clip(lats * CELLS_PER_DEGREE, -_OFFSET, _OFFSET - 1)).astype(np.int64)
    keys = (ix + _OFFSET) * _SHIFT + (iy + _OFFSET)
    keys[~(np.isfinite(lons) & np.isfinite(lats))] = _EMPTY - 1  # matches no cell
    return keys


def _cell_range(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First cell index and cell count spanned by [low, high] enlarged by EPSILON."""
    first = np.floor((low - EPSILON) * CELLS_PER_DEGREE).astype(np.int64)
    last = np.floor((high + EPSILON) * CELLS_PER_DEGREE).astype(np.int64)
    return first, last - first + 1


def _enumerate_cells(xmin, ymin, xmax, ymax) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (owner, ix, iy) for the cells each box spans; owner indexes the boxes."""
    ix0, nx = _cell_range(xmin, xmax)
    iy0, ny = _cell_range(ymin, ymax)
    count = nx * ny
    owner = np.repeat(np.arange(len(ix0)), count)
    rank = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return owner, ix0[owner] + rank // ny[owner], iy0[owner] + rank % ny[owner]


def _classify_cells(geometries, coords, offsets) -> tuple[np.ndarray, np.ndarray]:
    """Keys of the cells some QPV touches, and their value (QPV index or MIXED).

    Rather than testing cell boxes against polygons, rasterise the outlines: a cell that a
    QPV's boundary does not reach is either wholly inside that QPV or wholly outside, and
    its centre tells which.
    """
    ring_offsets, polygon_offsets, geometry_offsets = offsets
    ring_geometry = np.repeat(
        np.repeat(np.arange(len(geometries)), np.diff(geometry_offsets)), np.diff(polygon_offsets)
    )
    # Segments join consecutive vertices of a ring (the rings are closed).
    vertex_geometry = np.repeat(ring_geometry, np.diff(ring_offsets))
    is_segment = np.ones(len(coords) - 1, dtype=bool)
    is_segment[ring_offsets[1:-1] - 1] = False
    a, b = coords[:-1][is_segment], coords[1:][is_segment]
    segment_geometry = vertex_geometry[:-1][is_segment]
    owner, ix, iy = _enumerate_cells(
        np.minimum(a[:, 0], b[:, 0]),
        np.minimum(a[:, 1], b[:, 1]),
        np.maximum(a[:, 0], b[:, 0]),
        np.maximum(a[:, 1], b[:, 1]),
    )
    boundary_pairs = np.unique(_pair(_key(ix, iy), segment_geometry[owner]))

    bounds = shapely.bounds(geometries)
    qpv, ix, iy = _enumerate_cells(*bounds.T)
    pairs = _pair(_key(ix, iy), qpv)
    away = ~np.isin(pairs, boundary_pairs)
    qpv, ix, iy = qpv[away], ix[away], iy[away]
    centre_x = (ix + 0.5) / CELLS_PER_DEGREE
    centre_y = (iy + 0.5) / CELLS_PER_DEGREE
    inside = shapely.contains_xy(geometries[qpv], centre_x, centre_y)
    interior_pairs = _pair(_key(ix[inside], iy[inside]), qpv[inside])

    keys = np.concatenate([boundary_pairs, interior_pairs]) // _QPV_SLOTS
    owners = np.concatenate([boundary_pairs, interior_pairs]) % _QPV_SLOTS
    covered = np.concatenate([np.zeros(len(boundary_pairs), bool), np.ones(len(interior_pairs), bool)])
    order = np.argsort(keys, kind="stable")
    keys, owners, covered = keys[order], owners[order], covered[order]
    unique_keys, first, touching = np.unique(keys, return_index=True, return_counts=True)
    # Resolved without a test only if a single QPV touches the cell and covers it.
    values = np.where((touching == 1) & covered[first], owners[first], MIXED)
    return unique_keys, values.astype(np.int32)


_QPV_SLOTS = 1 << 16  # more than the number of QPV; a cell key times this still fits int64


def _key(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    return (ix + _OFFSET) * _SHIFT + (iy + _OFFSET)


def _pair(keys: np.ndarray, qpv: np.ndarray) -> np.ndarray:
    return keys * _QPV_SLOTS + qpv
