"""Statistical secrecy: no aggregate below ``settings.SECRECY_THRESHOLD`` people or events is shown.

Every count, median or flow a page, an export or the API shows about beneficiaries or their
referrals asks this module for the threshold (DESIGN.md, personal data).

Two steps, always in this order:

1. **Primary suppression** (``hide_small``): a count strictly between 0 and the threshold is hidden.
   Zero is shown: a quartier where nothing happened is known to have nothing.
2. **Secondary suppression** (``protect``): a hidden count must not be found back by difference.
   Figures come in groups — a total and the cells that add up to it (a row of a table and its
   margin, a column and its margin, the margins and the grand total). While some group has exactly
   one hidden cell under a shown total, the smallest shown non-zero cell of that group is hidden
   too (or, when every other cell is zero, the total itself); a hidden total whose cells are all
   shown gets its smallest non-zero cell hidden.
3. **Exact check** (``_found_back``): one group at a time is not enough — a hidden cell can still be
   found by adding and subtracting several groups (two rows and two columns, for instance). So the
   groups are written as linear equations over the hidden figures (the shown ones are known), and a
   hidden figure is found back when every solution gives it the same value: when it is zero in every
   vector of the null space of those equations. For each one found back, the smallest shown non-zero
   figure of one of its groups is hidden too, and everything runs again. Hiding only grows, so the
   loop ends. The check works on connected sets of hidden figures, so its matrices stay small.

What the check does not cover: bounds. A hidden figure is known to be between 1 and the threshold
minus one, or at least zero; the labels never say which: every hidden figure of a table reads
« secret » (``Figure.__str__``). Two labels (« < 5 » and « secret ») would tell which cell is under the
threshold, and « < 5 » on a cell hidden only for its neighbours would be false.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings

DEFAULT_THRESHOLD = 5


def secrecy_threshold() -> int:
    return int(getattr(settings, "SECRECY_THRESHOLD", DEFAULT_THRESHOLD))


@dataclass
class Figure:
    """A count (or a value computed from counts): ``hidden`` when secrecy forbids showing it."""

    value: float = 0
    hidden: bool = False

    def __str__(self) -> str:
        return "secret" if self.hidden else str(self.value)

    @property
    def shown(self) -> float | None:
        return None if self.hidden else self.value


def hide_small(figures: Iterable[Figure], threshold: int | None = None) -> None:
    """Primary suppression: hide every figure strictly between 0 and the threshold."""
    threshold = secrecy_threshold() if threshold is None else threshold
    for figure in figures:
        if 0 < figure.value < threshold:
            figure.hidden = True


def protect(groups: list[tuple[Figure, list[Figure]]]) -> None:
    """Secondary suppression over groups of (total, cells that add up to it): see the module docstring."""
    while True:
        _one_group_at_a_time(groups)
        hid = [_hide_a_neighbour(figure, component, groups) for figure, component in _found_back(groups)]
        if not any(hid):
            return  # nothing found back, or nothing left to hide around what is


def _one_group_at_a_time(groups: list[tuple[Figure, list[Figure]]]) -> None:
    changed = True
    while changed:
        changed = False
        for total, cells in groups:
            hidden = sum(1 for c in cells if c.hidden)
            others = [c for c in cells if not c.hidden and c.value]
            if not total.hidden and hidden == 1:
                if others:
                    min(others, key=lambda c: c.value).hidden = True
                else:
                    total.hidden = True
                changed = True
            elif total.hidden and not hidden and others:
                min(others, key=lambda c: c.value).hidden = True
                changed = True


def _found_back(groups: list[tuple[Figure, list[Figure]]]) -> list[tuple[Figure, set[int]]]:
    """The hidden figures whose value follows from the shown ones by some combination of groups,
    each with the ids of the hidden figures it is linked to."""
    equations = []  # per group: {id of a hidden figure: coefficient}
    figures: dict[int, Figure] = {}
    for total, cells in groups:
        terms: dict[int, float] = {}
        for figure, sign in [(total, 1.0), *((c, -1.0) for c in cells)]:
            if figure.hidden:
                figures[id(figure)] = figure
                terms[id(figure)] = terms.get(id(figure), 0.0) + sign
        terms = {k: v for k, v in terms.items() if v}
        if terms:
            equations.append(terms)
    found = []
    for component, rows in _components(equations):
        index = {key: i for i, key in enumerate(component)}
        matrix = np.zeros((len(rows), len(component)))
        for r, terms in enumerate(rows):
            for key, coefficient in terms.items():
                matrix[r, index[key]] = coefficient
        _, singular, vt = np.linalg.svd(matrix)
        rank = int((singular > 1e-9 * max(1.0, singular[0] if len(singular) else 1.0)).sum())
        null = vt[rank:]
        for key, i in index.items():
            if not null.size or np.all(np.abs(null[:, i]) < 1e-9):
                found.append((figures[key], set(component)))
    return found


def _components(equations: list[dict[int, float]]):
    """Sets of hidden figures linked by shared equations, each with its equations."""
    parent: dict[int, int] = {}

    def root(key: int) -> int:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for terms in equations:
        keys = list(terms)
        for other in keys[1:]:
            parent[root(other)] = root(keys[0])
        root(keys[0])
    members: dict[int, list[int]] = {}
    for key in parent:
        members.setdefault(root(key), []).append(key)
    rows: dict[int, list[dict[int, float]]] = {}
    for terms in equations:
        rows.setdefault(root(next(iter(terms))), []).append(terms)
    for key, component in members.items():
        yield component, rows.get(key, [])


def _hide_a_neighbour(figure: Figure, component: set[int], groups: list[tuple[Figure, list[Figure]]]) -> bool:
    """Hide the smallest shown non-zero figure of a group that holds ``figure``, else of a group that
    holds one of the hidden figures linked to it; False when there is none left to hide."""
    for holds in (lambda m: m is figure, lambda m: id(m) in component):
        candidates = []
        for total, cells in groups:
            members = [total, *cells]
            if any(holds(m) for m in members):
                candidates.extend(m for m in members if not m.hidden and m.value)
        if candidates:
            min(candidates, key=lambda c: c.value).hidden = True
            return True
    return False
