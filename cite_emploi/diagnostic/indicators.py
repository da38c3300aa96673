"""The registry of indicators: the only place where a figure of the diagnostic is defined and computed.

An indicator is a function with a French label, a written definition, a unit, a source and the
breakdowns it supports. Pages, the report, exports and the steering dashboards all ask
``compute(code, territory, period, by=…, where=…)`` and get a ``Table``: the cells of the requested
breakdowns with every margin (``None`` in a key is « all »), statistical secrecy already applied.

Breakdowns (``by``): ``commune`` (the territory's member communes), ``qpv`` (the QPV of the current
perimeter), ``age_group`` and ``sex`` (the platform's publics), and dimensions of the indicator's
own (``category`` of a barrier, ``status`` of a referral, ``kind`` of an outcome). A place that
falls outside those values (another commune, outside any QPV of the perimeter, unknown) gets the
key ``""`` so that cells always add up to their margin. ``where`` restricts the population to one
commune or one QPV (``{"commune": "94028"}``, ``{"qpv": "QN09405M"}``). The period is an argument:
a breakdown by quarter is one call per quarter (``by_periods``).

Three kinds of indicators:

* ``count`` — additive counts of people or of things about people (barriers, referrals, outcomes).
  The indicator returns the finest cells; margins are their sums; secrecy (primary and secondary,
  ``core.secrecy``) is applied over the whole cube when ``people`` is true.
* ``median`` — the indicator returns one sample per thing counted; each cell (margins included) is
  the median of its samples, hidden when fewer than the threshold samples stand behind it.
* ``values`` — non-additive values given for every cell, margins included (services a QPV's
  residents can use, imported statistics, the reference facts). Imported counts of people
  (unit « personnes ») below the threshold are hidden; published rates and surfaces are shown.

Imported indicators (``Observation`` rows) answer through the same interface: any indicator code
found in the territory's datasets is in the registry for that territory (``imported.py``).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import product

from cite_emploi.core.charts import format_number
from cite_emploi.core.secrecy import Figure, hide_small, protect, secrecy_threshold

GEOGRAPHIES = ("commune", "qpv")
PUBLICS = ("age_group", "sex")
AGE_GROUP_LABELS = {
    "jeunes": "Jeunes (moins de 26 ans)",
    "adultes": "Adultes (26 à 49 ans)",
    "seniors": "Seniors (50 ans et plus)",
    "": "Âge non précisé",
}
SEX_LABELS = {"F": "Femmes", "M": "Hommes", "": "Sexe non précisé"}
OUTSIDE_LABELS = {
    "commune": "Autre commune ou non renseignée",
    "qpv": "Hors QPV du périmètre ou non localisé",
}
DIMENSION_LABELS = {
    "commune": "Commune",
    "qpv": "Quartier prioritaire",
    "age_group": "Tranche d'âge",
    "sex": "Sexe",
    "category": "Catégorie",
    "status": "Statut",
    "kind": "Nature",
}


class UnknownIndicator(LookupError):
    pass


class UnsupportedBreakdown(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        start = date(year, 3 * quarter - 2, 1)
        end = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - timedelta(days=1)
        return cls(start, end)

    @classmethod
    def twelve_months_to(cls, end: date) -> Period:
        """The year that ends on ``end`` (the default period of the diagnostic at a date)."""
        try:
            start = end.replace(year=end.year - 1) + timedelta(days=1)
        except ValueError:  # 29 February
            start = date(end.year - 1, 3, 1)
        return cls(start, end)

    @property
    def label(self) -> str:
        return f"du {_french_date(self.start)} au {_french_date(self.end)}"

    def __str__(self) -> str:
        return self.label


MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def _french_date(day: date) -> str:
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


@dataclass
class Context:
    """What an indicator function receives: the question, and the places' codes it may answer for."""

    territory: object
    period: Period
    by: tuple[str, ...]
    where: dict[str, str]
    values: dict[str, list[tuple[str, str]]]  # dimension → ordered (key, label)

    def bucket(self, dimension: str, key) -> str:
        """A raw value of a dimension, or ``""`` when it is not one of the dimension's values."""
        key = "" if key is None else str(key)
        known = self._known.get(dimension)
        if known is None:
            known = self._known[dimension] = {k for k, _ in self.values[dimension]}
        return key if key in known else ""

    def __post_init__(self):
        self._known: dict[str, set[str]] = {}


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    definition: str
    unit: str
    source: str
    breakdowns: tuple[str, ...]
    compute: Callable[[Context], object] = field(repr=False, compare=False)
    kind: str = "count"  # count | median | values
    people: bool = True  # counts of people or about people: secrecy applies
    dimensions: dict[str, list[tuple[str, str]]] = field(default_factory=dict, compare=False)  # own dims
    theme: str = ""  # where the indicator is presented: « Personnes suivies », « Offre de services »…
    imported: bool = False

    @property
    def breakdown_labels(self) -> list[str]:
        return [DIMENSION_LABELS.get(b, b) for b in self.breakdowns]


@dataclass
class Table:
    """The cells of one indicator for one period, keyed by a tuple aligned with ``dims``."""

    indicator: Indicator
    period: Period
    dims: tuple[str, ...]
    values: dict[str, list[tuple[str, str]]]
    cells: dict[tuple, Figure]
    where: dict[str, str] = field(default_factory=dict)

    def get(self, *key) -> Figure:
        return self.cells.get(tuple(key), Figure(0))

    @property
    def total(self) -> Figure:
        return self.get(*([None] * len(self.dims)))

    def series(
        self, dimension: str | None = None, *, keep_empty: bool = False
    ) -> list[tuple[str, str, Figure]]:
        """(key, label, figure) along one dimension, the others at their total; ``""`` rows kept when not zero."""
        dimension = dimension or self.dims[0]
        i = self.dims.index(dimension)
        result = []
        for key, label in self.values[dimension]:
            coords = [None] * len(self.dims)
            coords[i] = key
            figure = self.get(*coords)
            if key == "" and not keep_empty and not figure.value and not figure.hidden:
                continue
            result.append((key, label, figure))
        return result

    def grid(self, rows: str, columns: str) -> list[tuple[str, str, list[Figure], Figure]]:
        """Rows × columns (other dimensions at their total): (key, label, cells, row total)."""
        ri, ci = self.dims.index(rows), self.dims.index(columns)
        result = []
        for key, label in [*self.values[rows], (None, "Total")]:
            cells = []
            for column, _ in [*self.values[columns], (None, "Total")]:
                coords = [None] * len(self.dims)
                coords[ri], coords[ci] = key, column
                cells.append(self.get(*coords))
            result.append((key, label, cells[:-1], cells[-1]))
        return result

    def label(self, figure: Figure) -> str:
        return display(figure, self.indicator.unit, self.indicator.kind)


def display(figure: Figure, unit: str = "", kind: str = "count") -> str:
    """How a cell reads in French: « 1 234 », « 12,5 % », « secret », « non diffusé ».

    Every hidden count reads « secret », whether it is under the threshold or hidden so that
    another cannot be derived from a total: two labels would tell the reader which is which (under
    a total of 6, « < 5 » and « 5 or more » can only be 1 and 5). A median or a value that rests on
    too few people reads « non diffusé ».
    """
    if figure is None:
        return "—"
    if figure.hidden:
        return "secret" if kind == "count" else "non diffusé"
    if figure.value is None:
        return "—"
    return format_value(figure.value, unit)


def format_value(value: float, unit: str = "") -> str:
    """A figure in French (``core.charts.format_number``); « % » is the only unit written after it."""
    text = format_number(value)
    return f"{text}\u00a0%" if unit == "%" else text


# --- the registry ------------------------------------------------------------------------------

_REGISTRY: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    if indicator.code in _REGISTRY:
        raise ValueError(f"indicator {indicator.code} registered twice")
    _REGISTRY[indicator.code] = indicator
    return indicator


def indicator(**attributes):
    """Decorate a function ``fn(context)`` to register it as an indicator."""

    def decorator(fn):
        register(Indicator(compute=fn, **attributes))
        return fn

    return decorator


def _load() -> None:
    # The definitions live in their own modules; importing them fills the registry once.
    from . import imported, platform_indicators, reference  # noqa: F401


def builtin() -> list[Indicator]:
    _load()
    return list(_REGISTRY.values())


def all_for(territory) -> list[Indicator]:
    """The built-in indicators, then the imported ones found in the territory's datasets."""
    from .imported import imported_indicators

    return [*builtin(), *imported_indicators(territory)]


def get(code: str, territory=None) -> Indicator:
    _load()
    if code in _REGISTRY:
        return _REGISTRY[code]
    if territory is not None:
        from .imported import imported_indicator

        found = imported_indicator(territory, code)
        if found is not None:
            return found
    raise UnknownIndicator(f"Indicateur inconnu : {code}")


# --- computing -------------------------------------------------------------------------------


def dimension_values(
    territory, dimensions: Iterable[str], indicator: Indicator
) -> dict[str, list[tuple[str, str]]]:
    from .places import commune_values, qpv_values

    result = {}
    for dimension in dimensions:
        if dimension in indicator.dimensions:
            # "" takes whatever is not one of the listed values, so that cells add up to their margin.
            own = list(indicator.dimensions[dimension])
            result[dimension] = own if any(k == "" for k, _ in own) else [*own, ("", "Non précisé")]
        elif dimension == "commune":
            result[dimension] = [*commune_values(territory), ("", OUTSIDE_LABELS["commune"])]
        elif dimension == "qpv":
            result[dimension] = [*qpv_values(territory), ("", OUTSIDE_LABELS["qpv"])]
        elif dimension == "age_group":
            result[dimension] = list(AGE_GROUP_LABELS.items())
        elif dimension == "sex":
            result[dimension] = list(SEX_LABELS.items())
    return result


def compute(
    code: str, territory, period: Period, *, by: Sequence[str] = (), where: dict | None = None
) -> Table:
    """The indicator ``code`` for ``period``, broken down ``by``, restricted to ``where``, under secrecy."""
    indicator = get(code, territory)
    by = tuple(by)
    unsupported = [b for b in by if b not in indicator.breakdowns]
    if unsupported:
        raise UnsupportedBreakdown(
            f"« {indicator.label} » ne se ventile pas par {', '.join(DIMENSION_LABELS.get(b, b) for b in unsupported)}."
        )
    where = dict(where or {})
    for dimension in where:
        if dimension not in GEOGRAPHIES or dimension not in indicator.breakdowns:
            raise UnsupportedBreakdown(
                f"« {indicator.label} » ne se restreint pas à un lieu de ce niveau "
                f"({DIMENSION_LABELS.get(dimension, dimension)})."
            )
    values = dimension_values(territory, by, indicator)
    context = Context(territory, period, by, where, values)
    raw = indicator.compute(context)
    if indicator.kind == "count":
        cells = _cube_of_counts(raw, by, values)
        if indicator.people:
            _secrecy(cells, by, values)
    elif indicator.kind == "median":
        cells = _cube_of_medians(raw, by, values)
    else:
        cells = {tuple(k): v if isinstance(v, Figure) else _value(v) for k, v in raw.items()}
        if indicator.people:
            hide_small(f for f in cells.values() if f.value is not None)
    return Table(indicator, period, by, values, cells, where)


def by_periods(code: str, territory, periods: Sequence[Period], **options) -> list[Table]:
    return [compute(code, territory, period, **options) for period in periods]


def _value(value) -> Figure:
    return Figure(value, False) if value is not None else Figure(None, False)


def _keys_with_margins(by, values) -> list[tuple]:
    return list(product(*[[*(k for k, _ in values[d]), None] for d in by]))


def _margins_of(key: tuple) -> Iterable[tuple]:
    """Every key that ``key`` adds up into: each subset of its coordinates replaced by None."""
    for mask in product((False, True), repeat=len(key)):
        yield tuple(None if m else k for k, m in zip(key, mask, strict=True))


def _cube_of_counts(raw: dict[tuple, float], by, values) -> dict[tuple, Figure]:
    cells = {key: Figure(0) for key in _keys_with_margins(by, values)}
    for key, count in raw.items():
        for target in _margins_of(tuple(key)):
            cells[target].value += count
    return cells


def _secrecy(cells: dict[tuple, Figure], by, values) -> None:
    hide_small(cells.values())
    groups = []
    for i, dimension in enumerate(by):
        keys = [k for k, _ in values[dimension]]
        others = [[*(k for k, _ in values[d]), None] for j, d in enumerate(by) if j != i]
        for rest in product(*others):

            def at(k, rest=rest, i=i):
                return (*rest[:i], k, *rest[i:])

            groups.append((cells[at(None)], [cells[at(k)] for k in keys]))
    protect(groups)


def _cube_of_medians(raw: Iterable[tuple[tuple, float]], by, values) -> dict[tuple, Figure]:
    samples: dict[tuple, list[float]] = defaultdict(list)
    for key, sample in raw:
        for target in _margins_of(tuple(key)):
            samples[target].append(sample)
    threshold = secrecy_threshold()
    cells = {}
    for key in _keys_with_margins(by, values):
        found = samples.get(key, [])
        if not found:
            cells[key] = Figure(None)
        elif len(found) < threshold:
            cells[key] = Figure(round(statistics.median(found), 1), hidden=True)
        else:
            cells[key] = Figure(round(statistics.median(found), 1))
    return cells
