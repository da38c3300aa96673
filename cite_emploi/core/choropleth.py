"""Choropleth maps of the quartiers (QPV), drawn on the server as SVG like the charts (``core.charts``).

A map colours each quartier by its value, over the communes drawn as a light grey background. It
shows the same figures as the table the page puts beside it, and follows the charts' rules: pure
function, ``SafeString`` out, SVG 1.1 only (WeasyPrint draws it into the PDF), caller text escaped,
``role="img"`` with a ``<title>`` and a one-sentence ``<desc>``, ids unique per call.

Rules of the drawing:

- Projection: longitude × cos(mean latitude) against latitude, y pointing down. Over a territory the
  size of a département this keeps the shapes' proportions (a square kilometre stays square) without a
  projection library. The extent of the areas and outlines together fills the 640-wide viewBox within
  the margins (a very tall extent is capped in height instead), then the legend goes below.
- Classes: quantile-like breaks on the shown values, so each colour holds about as many quartiers;
  equal values always share a class, and when there are no more distinct values than classes each
  value gets its own. The sequential palette runs from light to dark blue as values rise.
- A quartier whose value is hidden by statistical secrecy is hatched; one without a value is light
  grey. The legend gives each class's bounds (the lowest and highest value actually in it), then the
  hatch and the grey when some quartier uses them.
- Each quartier's path has a ``<title>`` « Nom (code) : valeur unité ». Coordinates are rounded to a
  tenth of an SVG unit; holes are drawn with the even-odd rule.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString
from shapely.geometry import shape

from .charts import (
    FONT_SIZE,
    MARGIN,
    SMALL_FONT_SIZE,
    TEXT_COLOUR,
    WIDTH,
    format_number,
    format_value,
    svg_document,
    svg_number,
    svg_text,
    unique_id,
)

# Light to dark DSFR blues, about 15 points of CIE lightness apart (L* 80, 66, 52, 35, 16).
PALETTE = ("#c0c0fa", "#9898f8", "#6a6af4", "#3a3ad2", "#000091")
NO_DATA_COLOUR = "#e5e5e5"
HATCH_COLOUR = "#3a3a3a"
AREA_STROKE = "#161616"
OUTLINE_FILL = "#f6f6f6"
OUTLINE_STROKE = "#929292"

MAP_MARGIN = 16
MAX_MAP_HEIGHT = 640
LEGEND_ROW = 20
LEGEND_TITLE = 24
SWATCH_WIDTH = 22
SWATCH_HEIGHT = 14


@dataclass
class MapArea:
    """A quartier to colour: its official code and name, its outline (GeoJSON, WGS84) and its value.

    ``hidden`` marks a value withheld by statistical secrecy (the value itself is then ignored).
    """

    code: str
    name: str
    geometry: dict
    value: float | None
    hidden: bool = False


@dataclass
class MapOutline:
    """A background shape (a commune): grey with a thin border, named on the map if ``show_name``."""

    name: str
    geometry: dict
    show_name: bool = False


def choropleth(
    title: str,
    areas: list[MapArea],
    *,
    outlines: Sequence[MapOutline] = (),
    unit: str = "",
    classes: int = 4,
    hidden_label: str = "non diffusé",
    no_data_label: str = "pas de donnée",
) -> SafeString:
    """The quartiers coloured by value over the outlines, with a legend under the map."""
    if not 1 <= classes <= len(PALETTE):
        raise ValueError(f"A map has between 1 and {len(PALETTE)} classes, got {classes}.")
    # Shown values as floats (a Decimal from an aggregate would not mix with the scale's floats).
    values = [None if area.hidden or area.value is None else float(area.value) for area in areas]
    for area, value in zip(areas, values, strict=True):
        if value is not None and not math.isfinite(value):
            raise ValueError(f"Map values must be finite numbers or None, got {value!r} for {area.code}.")
    element_id = unique_id("carte")
    hatch_id = f"{element_id}-hachures"

    area_polygons = [list(_polygons(area.geometry)) for area in areas]
    outline_polygons = [list(_polygons(outline.geometry)) for outline in outlines]
    projection = _Projection.fitting([*area_polygons, *outline_polygons])

    shown = sorted(value for value in values if value is not None)
    class_of, bounds = _classes(shown, classes)
    colours = _class_colours(len(bounds))

    body = [
        f'<defs><pattern id="{hatch_id}" patternUnits="userSpaceOnUse" width="6" height="6">'
        f'<rect width="6" height="6" fill="#ffffff"/>'
        f'<path d="M0,6L6,0M-1,1L1,-1M5,7L7,5" stroke="{HATCH_COLOUR}" stroke-width="1.2"/></pattern></defs>'
    ]
    body.append('<g class="fonds">')
    for outline, polygons in zip(outlines, outline_polygons, strict=True):
        body.append(
            f'<path d="{projection.path(polygons)}" fill="{OUTLINE_FILL}" stroke="{OUTLINE_STROKE}" '
            f'stroke-width="0.6" fill-rule="evenodd"><title>{svg_text(outline.name)}</title></path>'
        )
    body.append("</g>")

    body.append('<g class="quartiers">')
    for area, polygons, value in zip(areas, area_polygons, values, strict=True):
        if area.hidden:
            fill, text = f"url(#{hatch_id})", hidden_label
        elif value is None:
            fill, text = NO_DATA_COLOUR, no_data_label
        else:
            fill, text = colours[class_of(value)], format_value(value, unit)
        body.append(
            f'<path d="{projection.path(polygons)}" fill="{fill}" stroke="{AREA_STROKE}" stroke-width="0.8" '
            f'fill-rule="evenodd"><title>{svg_text(area.name)} ({svg_text(area.code)}) : {svg_text(text)}</title></path>'
        )
    body.append("</g>")

    labels = [
        _outline_label(outline, projection)
        for outline in outlines
        if outline.show_name and outline.geometry.get("coordinates")
    ]
    if labels:
        body.append(
            f'<g class="noms" font-size="{SMALL_FONT_SIZE}" text-anchor="middle">{"".join(labels)}</g>'
        )

    entries = [
        (
            colours[i],
            format_value(low, unit)
            if low == high
            else f"de {format_number(low)} à {format_value(high, unit)}",
        )
        for i, (low, high) in enumerate(bounds)
    ]
    if any(area.hidden for area in areas):
        entries.append((f"url(#{hatch_id})", hidden_label))
    if any(area.value is None and not area.hidden for area in areas):
        entries.append((NO_DATA_COLOUR, no_data_label))
    legend_top = projection.height + MARGIN
    body.append(_legend(entries, legend_top))
    height = legend_top + LEGEND_TITLE + len(entries) * LEGEND_ROW + MARGIN

    return svg_document(
        element_id, height, title, _description(areas, shown, unit, hidden_label, no_data_label), body
    )


# -- classes ------------------------------------------------------------------------------------------


def _classes(values: list[float], classes: int) -> tuple[Callable[[float], int], list[tuple[float, float]]]:
    """Class of a value and each class's (lowest, highest) value, from the sorted shown values.

    The upper bound of class k is the value at the k/classes quantile; equal values fall in the same
    class because a value goes to the first class whose upper bound it does not exceed.
    """
    if not values:
        return (lambda value: 0), []
    distinct = sorted(set(values))
    if len(distinct) <= classes:
        uppers = distinct
    else:
        count = len(values)
        uppers = sorted(
            {values[max(0, round(k * count / classes) - 1)] for k in range(1, classes)} | {values[-1]}
        )

    def class_of(value: float) -> int:
        return min(bisect.bisect_left(uppers, value), len(uppers) - 1)

    # Every upper bound is itself a shown value, so no class is empty.
    members: list[list[float]] = [[] for _ in uppers]
    for value in values:
        members[class_of(value)].append(value)
    return class_of, [(group[0], group[-1]) for group in members]


def _class_colours(count: int) -> list[str]:
    """``count`` colours spread over the palette, always ending on the darkest."""
    if count <= 1:
        return [PALETTE[len(PALETTE) // 2]]
    last = len(PALETTE) - 1
    return [PALETTE[round(i * last / (count - 1))] for i in range(count)]


# -- geometry -----------------------------------------------------------------------------------------

Ring = list[tuple[float, float]]
Polygon = list[Ring]


def _polygons(geometry: dict) -> Iterator[Polygon]:
    """The polygons (outer ring then holes, as (lon, lat) pairs) of a GeoJSON Polygon or MultiPolygon."""
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates") or []
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        polygons = coordinates
    else:
        raise ValueError(f"Only Polygon and MultiPolygon geometries can be mapped, got {kind!r}.")
    for polygon in polygons:
        yield [[(float(point[0]), float(point[1])) for point in ring] for ring in polygon if ring]


class _Projection:
    """Equirectangular projection scaled by cos(mean latitude), fitted into the map's frame."""

    def __init__(self, west: float, south: float, east: float, north: float):
        self.k = math.cos(math.radians((south + north) / 2))
        self.west, self.north = west, north
        span_x, span_y = (east - west) * self.k, north - south
        inner_width = WIDTH - 2 * MAP_MARGIN
        scales = [
            inner_width / span_x if span_x else math.inf,
            MAX_MAP_HEIGHT / span_y if span_y else math.inf,
        ]
        self.scale = min(scales) if min(scales) != math.inf else 1.0
        self.offset_x = MAP_MARGIN + (inner_width - span_x * self.scale) / 2
        self.offset_y = MAP_MARGIN
        self.height = span_y * self.scale + 2 * MAP_MARGIN

    @classmethod
    def fitting(cls, shapes: list[list[Polygon]]) -> _Projection:
        points = [point for polygons in shapes for polygon in polygons for ring in polygon for point in ring]
        if not points:
            # Nothing to draw: an empty frame, so the legend and the description still say so.
            return cls(0.0, 0.0, 0.0, 0.0)
        lons = [lon for lon, _ in points]
        lats = [lat for _, lat in points]
        return cls(min(lons), min(lats), max(lons), max(lats))

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            self.offset_x + (lon - self.west) * self.k * self.scale,
            self.offset_y + (self.north - lat) * self.scale,
        )

    def path(self, polygons: list[Polygon]) -> str:
        parts = []
        for polygon in polygons:
            for ring in polygon:
                previous = None
                commands = []
                for lon, lat in ring:
                    x, y = self(lon, lat)
                    point = (svg_number(x), svg_number(y))
                    if point != previous:  # points merged by the rounding are written once
                        commands.append(f"{point[0]},{point[1]}")
                        previous = point
                if commands:
                    parts.append(
                        "M" + commands[0] + ("L" + " ".join(commands[1:]) if len(commands) > 1 else "") + "Z"
                    )
        return "".join(parts)


def _outline_label(outline: MapOutline, projection: _Projection) -> str:
    # A point guaranteed inside the shape (unlike the centroid of a crescent-shaped commune).
    point = shape(outline.geometry).representative_point()
    x, y = projection(point.x, point.y)
    name = svg_text(outline.name)
    # A white halo drawn first keeps the name readable over borders and quartiers.
    return (
        f'<text x="{svg_number(x)}" y="{svg_number(y)}" fill="#ffffff" stroke="#ffffff" stroke-width="3">{name}</text>'
        f'<text x="{svg_number(x)}" y="{svg_number(y)}" fill="{TEXT_COLOUR}">{name}</text>'
    )


# -- legend and description ---------------------------------------------------------------------------


def _legend(entries: list[tuple[str, str]], top: float) -> str:
    parts = [
        f'<text x="{MARGIN}" y="{svg_number(top + FONT_SIZE)}" font-weight="bold" fill="{TEXT_COLOUR}">Légende</text>'
    ]
    for i, (fill, label) in enumerate(entries):
        y = top + LEGEND_TITLE + i * LEGEND_ROW
        parts.append(
            f'<g><rect x="{MARGIN}" y="{svg_number(y)}" width="{SWATCH_WIDTH}" height="{SWATCH_HEIGHT}" fill="{fill}" '
            f'stroke="{AREA_STROKE}" stroke-width="0.8"/>'
            f'<text x="{MARGIN + SWATCH_WIDTH + 8}" y="{svg_number(y + SWATCH_HEIGHT - 3)}" fill="{TEXT_COLOUR}">'
            f"{svg_text(label)}</text></g>"
        )
    return f'<g class="legende">{"".join(parts)}</g>'


def _description(
    areas: list[MapArea], shown: list[float], unit: str, hidden_label: str, no_data_label: str
) -> str:
    count = len(areas)
    if not count:
        return "Carte sans quartier."
    clauses = [f"Carte de {count} quartier{'' if count == 1 else 's'}"]
    if shown and shown[0] == shown[-1]:
        clauses.append(f"valeur : {format_value(shown[0], unit)}")
    elif shown:
        clauses.append(f"valeurs de {format_number(shown[0])} à {format_value(shown[-1], unit)}")
    else:
        clauses.append("aucune valeur diffusée")
    hidden = sum(area.hidden for area in areas)
    missing = sum(area.value is None and not area.hidden for area in areas)
    if hidden:
        clauses.append(f"{hidden} quartier{'' if hidden == 1 else 's'} : {hidden_label}")
    if missing:
        clauses.append(f"{missing} quartier{'' if missing == 1 else 's'} : {no_data_label}")
    return " ; ".join(clauses) + "."
