"""Bar and column charts drawn on the server as SVG: one drawing serves the page and the PDF.

DESIGN.md: charts are generated on the server with their data table beside them. So a chart is a
picture of a table the page already shows, never the only place a figure appears, and it carries no
visible title: the page's heading or the table's caption names it.

Rules every chart follows:

- Pure functions: data in, ``SafeString`` out (an inline ``<svg>`` element), no database, no template.
- Only SVG 1.1 features that browsers and WeasyPrint both draw (``g``, ``rect``, ``line``, ``path``,
  ``text``, ``title``, ``desc``, ``pattern``): no CSS, no script, no ``foreignObject``. Text is in
  « Marianne, Arial, sans-serif », #161616 on white (contrast 17:1).
- Every text from the caller is escaped, and the control characters XML forbids are dropped, so a
  hostile label can neither inject markup nor make the document ill-formed for WeasyPrint's parser.
- Accessibility: the root has ``role="img"`` and is labelled by its ``<title>`` (the chart's title)
  and its ``<desc>`` (one French sentence: how many bars, the highest one). Every bar carries a
  ``<title>`` with its full label and value. Ids are unique per call, so several charts share a page.
- Values: ``None`` is a figure hidden by statistical secrecy (``core.secrecy``): no bar, the hidden
  label written in its place. Zero draws no bar and writes « 0 ». The scale runs from 0 (or from the
  lowest value, when some are negative) to the highest shown value: the longest bar is the highest
  value and bar lengths are proportional to the values.
- Numbers are written the French way (``format_number``): narrow no-break space between thousands,
  comma before decimals, integers without decimals, unit after a no-break space (« 1 234,5 % »).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT_FAMILY = "Marianne, Arial, sans-serif"
TEXT_COLOUR = "#161616"
GRID_COLOUR = "#dddddd"
AXIS_COLOUR = "#666666"
# DSFR « bleu France » for a single series.
BAR_COLOUR = "#000091"
# Series colours: dark blue, burnt orange, light blue, teal, purple, dark grey. Blue against orange
# stays apart for every common colour-vision deficiency (no red/green pair), each colour contrasts at
# least 3:1 with white (graphical objects, RGAA 3.2), and the legend's order is the bars' order within
# a group, so colour is never the only way to tell the series apart.
SERIES_COLOURS = ("#000091", "#b34000", "#6a6af4", "#009081", "#a558a0", "#3a3a3a")

WIDTH = 640
MARGIN = 10
FONT_SIZE = 12
SMALL_FONT_SIZE = 11
# Average advance of a Marianne/Arial character at 12 px: only used to lay out, never to measure.
CHAR_WIDTH = 6.6
LINE_HEIGHT = 14

# Horizontal bars: a label column on the left, two lines at most.
LABEL_WIDTH = 190
LABEL_CHARS = int((LABEL_WIDTH - 10) / CHAR_WIDTH)
BAR_ROW = 34
BAR_THICKNESS = 20
GROUP_BAR_THICKNESS = 14
GROUP_BAR_GAP = 3
GROUP_PADDING = 16
AXIS_SPACE = 24
MIN_PLOT_WIDTH = 200
# Room kept beside the bars for the values written at their ends; a longer text may run off the edge,
# the bars never do.
MAX_VALUE_ROOM = 150
MAX_TICK_DECIMALS = 6

# Columns (time series).
COLUMN_PLOT_HEIGHT = 200
COLUMN_RATIO = 0.7
COLUMN_MAX_WIDTH = 60

# XML 1.0 forbids these characters even escaped: one in a label would break the whole document.
_FORBIDDEN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ids = itertools.count(1)

ValueFormat = Callable[[float], str]


def format_number(value: float, decimals: int | None = None) -> str:
    """A number in French: « 1 234,5 » (U+202F between thousands, comma before decimals).

    With ``decimals`` the number has exactly that many decimals. Without it, an integer has none and
    any other number is rounded to one decimal (two below 1, so that a small non-zero figure never
    reads « 0 »), trailing zeros dropped.
    """
    if decimals is None:
        if float(value).is_integer():
            text = f"{value:,.0f}"
        else:
            text = f"{value:,.{1 if abs(value) >= 1 else 2}f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
    else:
        text = f"{value:,.{decimals}f}"
    if text.lstrip("-").strip("0,.") == "":
        text = text.lstrip("-")  # « -0 » is not a number anyone wrote
    return text.replace(",", "\u202f").replace(".", ",")


def format_value(value: float, unit: str = "", value_format: ValueFormat | None = None) -> str:
    """A figure with its unit, as the charts and their tables write it: « 12 % », « 1 234 personnes »."""
    number = value_format(value) if value_format else format_number(value)
    return f"{number}\u00a0{unit}" if unit else number


def svg_text(text: object) -> str:
    """Caller text made safe for SVG: control characters XML forbids dropped, markup escaped."""
    return escape(_FORBIDDEN_XML.sub("", str(text)))


def unique_id(prefix: str) -> str:
    """A document id no other chart or map of this process has used (several share one page)."""
    return f"{prefix}-{next(_ids)}"


def svg_document(
    element_id: str, height: float, title: str, description: str, body: Sequence[str]
) -> SafeString:
    """The accessible root element around already-safe ``body`` markup."""
    # Safe: every piece of caller text in body went through svg_text.
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="{element_id}-title {element_id}-desc" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'width="100%" font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}">'
        f'<title id="{element_id}-title">{svg_text(title)}</title>'
        f'<desc id="{element_id}-desc">{svg_text(description)}</desc>' + "".join(body) + "</svg>"
    )


def bar_chart(
    title: str,
    bars: list[tuple[str, float | None]],
    *,
    unit: str = "",
    hidden_label: str = "non diffusé",
    value_format: ValueFormat | None = None,
) -> SafeString:
    """Horizontal bars, one per ``(label, value)``, in the given order.

    ``value_format`` replaces ``format_number`` for the written values; the unit is still appended.
    """
    bars = list(zip([label for label, _ in bars], _numbers(value for _, value in bars), strict=True))
    groups = [(label, [(None, value, BAR_COLOUR)]) for label, value in bars]
    description = _sentence(
        [
            _counted(len(bars), "barre", [value for _, value in bars]),
            *_extreme("la plus élevée", _highest(bars), unit, value_format),
        ]
    )
    body = _horizontal_bars(
        groups,
        top=MARGIN,
        thickness=BAR_THICKNESS,
        gap=0,
        padding=BAR_ROW - BAR_THICKNESS,
        unit=unit,
        hidden_label=hidden_label,
        value_format=value_format,
    )
    return svg_document(unique_id("graphique"), body.height, title, description, body.markup)


def grouped_bar_chart(
    title: str,
    categories: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    unit: str = "",
    hidden_label: str = "non diffusé",
    value_format: ValueFormat | None = None,
) -> SafeString:
    """Horizontal bars grouped by category, one bar per series (QPV, commune, territory…), with a legend.

    Each series gives one value per category, in the categories' order.
    """
    if len(series) > len(SERIES_COLOURS):
        raise ValueError(f"At most {len(SERIES_COLOURS)} series can be told apart, got {len(series)}.")
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(f"Series {name!r} has {len(values)} values for {len(categories)} categories.")
    series = [(name, _numbers(values)) for name, values in series]
    colours = SERIES_COLOURS[: len(series)]
    groups = [
        (
            category,
            [(name, values[i], colour) for (name, values), colour in zip(series, colours, strict=True)],
        )
        for i, category in enumerate(categories)
    ]
    legend, legend_height = _legend([name for name, _ in series], colours, top=MARGIN)
    body = _horizontal_bars(
        groups,
        top=MARGIN + legend_height,
        thickness=GROUP_BAR_THICKNESS,
        gap=GROUP_BAR_GAP,
        padding=GROUP_PADDING,
        unit=unit,
        hidden_label=hidden_label,
        value_format=value_format,
        font_size=SMALL_FONT_SIZE,
    )
    all_values = [value for _, values in series for value in values]
    names = ", ".join(name for name, _ in series)
    highest = _highest(
        [
            (f"{category} — {name}", values[i])
            for name, values in series
            for i, category in enumerate(categories)
        ]
    )
    description = _sentence(
        [
            f"{len(categories)} catégorie{_s(len(categories))} × {len(series)} série{_s(len(series))}"
            + (f" ({names})" if names else ""),
            _counted(len(all_values), "valeur", all_values),
            *_extreme("la plus élevée", highest, unit, value_format),
        ]
    )
    return svg_document(unique_id("graphique"), body.height, title, description, [legend, *body.markup])


def column_chart(
    title: str,
    points: list[tuple[str, float | None]],
    *,
    unit: str = "",
    hidden_label: str = "non diffusé",
    value_format: ValueFormat | None = None,
) -> SafeString:
    """Vertical bars for a time series: one column per ``(period, value)``, periods left to right."""
    values = _numbers(value for _, value in points)
    points = list(zip([period for period, _ in points], values, strict=True))
    texts = [_value_text(value, unit, hidden_label, value_format) for value in values]
    lo, hi = _domain(values)
    ticks, tick_decimals = _ticks(lo, hi)
    tick_texts = [_tick_text(tick, tick_decimals) for tick in ticks]
    left = MARGIN + min(max((_text_width(text) for text in tick_texts), default=0), MAX_VALUE_ROOM) + 8
    right = WIDTH - MARGIN
    slot = (right - left) / len(points) if points else right - left
    column_width = min(slot * COLUMN_RATIO, COLUMN_MAX_WIDTH)
    # A value wider than its column is written vertically, and the plot keeps room above (or below,
    # for negative values) for the longest one.
    rotated = any(_text_width(text, SMALL_FONT_SIZE) > slot - 2 for text in texts)
    longest = max((_text_width(text, SMALL_FONT_SIZE) for text in texts), default=0)
    label_room = longest + 8 if rotated else SMALL_FONT_SIZE + 6
    # Zero and hidden values are written upwards from the zero line, so the room above is always kept.
    top = MARGIN + label_room
    plot_bottom = top + COLUMN_PLOT_HEIGHT
    below = label_room if lo < 0 else 0
    scale = _Scale(lo, hi, plot_bottom, -COLUMN_PLOT_HEIGHT)
    zero_y = scale(0)

    markup = [_y_grid(ticks, tick_texts, scale, left, right)]
    for i, ((period, value), text) in enumerate(zip(points, texts, strict=True)):
        cx = left + slot * (i + 0.5)
        parts = [f"<title>{svg_text(period)} : {svg_text(text)}</title>"]
        if value:
            end = scale(value)
            y, height = min(end, zero_y), abs(end - zero_y)
            parts.append(
                f'<rect x="{_n(cx - column_width / 2)}" y="{_n(y)}" width="{_n(column_width)}" '
                f'height="{_n(height)}" fill="{BAR_COLOUR}"/>'
            )
            text_y = end - 4 if value > 0 else end + 4
            parts.append(_column_text(text, cx, text_y, upward=value > 0, rotated=rotated, italic=False))
        else:
            parts.append(
                _column_text(text, cx, zero_y - 4, upward=True, rotated=rotated, italic=value is None)
            )
        markup.append(f"<g>{''.join(parts)}</g>")
    markup.append(_line(left, zero_y, right, zero_y, AXIS_COLOUR))

    # Period labels under the plot, every k-th one when they would overlap (all are in the titles).
    widest = max((_text_width(str(period)) for period, _ in points), default=0)
    step = max(1, math.ceil((widest + 6) / slot)) if points else 1
    label_y = plot_bottom + below + FONT_SIZE + 4
    max_chars = max(3, int(slot * step / CHAR_WIDTH))
    for i, (period, _) in enumerate(points):
        if i % step == 0:
            markup.append(
                f'<text x="{_n(left + slot * (i + 0.5))}" y="{_n(label_y)}" text-anchor="middle" '
                f'fill="{TEXT_COLOUR}">{svg_text(_truncate(str(period), max_chars))}</text>'
            )
    height = label_y + MARGIN

    counted = _counted(len(points), "période", values)
    if len(points) > 1:
        counted += f", de {points[0][0]} à {points[-1][0]}"
    description = _sentence(
        [
            counted,
            *_extreme("la plus élevée", _highest(points), unit, value_format),
            *_extreme("la plus basse", _lowest(points), unit, value_format),
        ]
    )
    return svg_document(unique_id("graphique"), height, title, description, markup)


# -- layout helpers ---------------------------------------------------------------------------------


class _Scale:
    """Maps a value of [lo, hi] to a pixel of [start, start + length] (length may be negative)."""

    def __init__(self, lo: float, hi: float, start: float, length: float):
        self.lo, self.span, self.start, self.length = lo, hi - lo, start, length

    def __call__(self, value: float) -> float:
        if not self.span:
            return self.start
        return self.start + (value - self.lo) / self.span * self.length


class _Body:
    def __init__(self, markup: list[str], height: float):
        self.markup, self.height = markup, height


def _horizontal_bars(
    groups: list[tuple[str, list[tuple[str | None, float | None, str]]]],
    *,
    top: float,
    thickness: float,
    gap: float,
    padding: float,
    unit: str,
    hidden_label: str,
    value_format: ValueFormat | None,
    font_size: int = FONT_SIZE,
) -> _Body:
    """Rows of horizontal bars, a group per label; the shared body of bar and grouped bar charts."""
    values = [value for _, bars in groups for _, value, _ in bars]
    texts = {
        (g, b): _value_text(value, unit, hidden_label, value_format)
        for g, (_, bars) in enumerate(groups)
        for b, (_, value, _) in enumerate(bars)
    }
    lo, hi = _domain(values)
    positive_room = max(
        (
            _text_width(texts[key], font_size)
            for key, value in _keyed_values(groups)
            if value is None or value >= 0
        ),
        default=0,
    )
    negative_room = max(
        (
            _text_width(texts[key], font_size)
            for key, value in _keyed_values(groups)
            if value is not None and value < 0
        ),
        default=0,
    )
    positive_room, negative_room = min(positive_room, MAX_VALUE_ROOM), min(negative_room, MAX_VALUE_ROOM)
    left = MARGIN + LABEL_WIDTH + (negative_room + 8 if negative_room else 0)
    right = max(WIDTH - MARGIN - (positive_room + 8 if hi > 0 else 0), left + MIN_PLOT_WIDTH)
    scale = _Scale(lo, hi, left, right - left)
    zero_x = scale(0)

    markup = []
    y = top
    rows = []
    for g, (label, bars) in enumerate(groups):
        group_height = len(bars) * thickness + max(len(bars) - 1, 0) * gap + padding
        middle = y + group_height / 2
        lines = _wrap(str(label), LABEL_CHARS)
        first_baseline = middle + 4 - (len(lines) - 1) * LINE_HEIGHT / 2
        parts = [
            f'<text x="{MARGIN}" y="{_n(first_baseline + i * LINE_HEIGHT)}" fill="{TEXT_COLOUR}">{svg_text(line)}</text>'
            for i, line in enumerate(lines)
        ]
        bar_y = y + padding / 2
        for b, (series, value, colour) in enumerate(bars):
            text = texts[(g, b)]
            name = f"{label} — {series}" if series else label
            bar_parts = [f"<title>{svg_text(name)} : {svg_text(text)}</title>"]
            baseline = bar_y + thickness / 2 + font_size * 0.35
            if value:
                end = scale(value)
                bar_parts.append(
                    f'<rect x="{_n(min(zero_x, end))}" y="{_n(bar_y)}" width="{_n(abs(end - zero_x))}" '
                    f'height="{_n(thickness)}" fill="{colour}"/>'
                )
                anchor = "start" if value > 0 else "end"
                text_x = end + 4 if value > 0 else end - 4
                bar_parts.append(_text(text, text_x, baseline, anchor=anchor, size=font_size))
            else:
                bar_parts.append(_text(text, zero_x + 4, baseline, size=font_size, italic=value is None))
            parts.append(f"<g>{''.join(bar_parts)}</g>")
            bar_y += thickness + gap
        rows.append(f"<g>{''.join(parts)}</g>")
        y += group_height
    bottom = y

    ticks, tick_decimals = _ticks(lo, hi)
    for tick in ticks:
        x = scale(tick)
        markup.append(_line(x, top, x, bottom, GRID_COLOUR))
        markup.append(
            f'<text x="{_n(x)}" y="{_n(bottom + 16)}" text-anchor="middle" fill="{TEXT_COLOUR}" '
            f'font-size="{SMALL_FONT_SIZE}">{svg_text(_tick_text(tick, tick_decimals))}</text>'
        )
    markup.extend(rows)
    markup.append(_line(zero_x, top, zero_x, bottom, AXIS_COLOUR))
    return _Body(markup, bottom + AXIS_SPACE + MARGIN / 2)


def _keyed_values(groups):
    for g, (_, bars) in enumerate(groups):
        for b, (_, value, _) in enumerate(bars):
            yield (g, b), value


def _legend(names: list[str], colours: Sequence[str], *, top: float) -> tuple[str, float]:
    """Swatches and names in reading order, wrapped onto several lines when needed."""
    items = []
    x, y = MARGIN, top
    for name, colour in zip(names, colours, strict=True):
        label = _truncate(str(name), 40)
        width = 18 + _text_width(label) + 18
        if x > MARGIN and x + width > WIDTH - MARGIN:
            x, y = MARGIN, y + 20
        items.append(
            f'<g><rect x="{_n(x)}" y="{_n(y)}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{_n(x + 18)}" y="{_n(y + 10)}" fill="{TEXT_COLOUR}">{svg_text(label)}</text></g>'
        )
        x += width
    height = (y - top + 20 + 8) if names else 0
    return f"<g>{''.join(items)}</g>", height


def _y_grid(ticks: list[float], texts: list[str], scale: _Scale, left: float, right: float) -> str:
    parts = []
    for tick, text in zip(ticks, texts, strict=True):
        y = scale(tick)
        parts.append(_line(left, y, right, y, GRID_COLOUR))
        parts.append(
            f'<text x="{_n(left - 6)}" y="{_n(y + 4)}" text-anchor="end" fill="{TEXT_COLOUR}" '
            f'font-size="{SMALL_FONT_SIZE}">{svg_text(text)}</text>'
        )
    return f"<g>{''.join(parts)}</g>"


def _column_text(text: str, x: float, y: float, *, upward: bool, rotated: bool, italic: bool) -> str:
    if not rotated:
        return _text(
            text,
            x,
            y if upward else y + SMALL_FONT_SIZE,
            anchor="middle",
            size=SMALL_FONT_SIZE,
            italic=italic,
        )
    # Rotated a quarter turn, the text reads bottom to top; the baseline is shifted so the glyphs
    # centre on the column.
    bx = x + SMALL_FONT_SIZE * 0.35
    return _text(
        text,
        bx,
        y,
        anchor="start" if upward else "end",
        size=SMALL_FONT_SIZE,
        italic=italic,
        transform=f"rotate(-90 {_n(bx)} {_n(y)})",
    )


def _text(
    text: str,
    x: float,
    y: float,
    *,
    anchor: str = "start",
    size: int = FONT_SIZE,
    italic: bool = False,
    transform: str = "",
) -> str:
    attributes = f'x="{_n(x)}" y="{_n(y)}" fill="{TEXT_COLOUR}"'
    if anchor != "start":
        attributes += f' text-anchor="{anchor}"'
    if size != FONT_SIZE:
        attributes += f' font-size="{size}"'
    if italic:
        attributes += ' font-style="italic"'
    if transform:
        attributes += f' transform="{transform}"'
    return f"<text {attributes}>{svg_text(text)}</text>"


def _line(x1: float, y1: float, x2: float, y2: float, colour: str) -> str:
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{colour}" stroke-width="1"/>'
    )


def svg_number(value: float) -> str:
    """An SVG coordinate: one decimal at most (a tenth of a pixel is below what anyone sees), no « -0 »."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


_n = svg_number  # the short name keeps the many coordinate f-strings readable


def _text_width(text: str, size: int = FONT_SIZE) -> float:
    return len(text) * CHAR_WIDTH * size / FONT_SIZE


def _wrap(label: str, width: int, max_lines: int = 2) -> list[str]:
    """Label cut on spaces into at most ``max_lines`` lines; what does not fit ends in an ellipsis."""
    words = label.split()
    lines: list[str] = []
    current = ""
    for word in words:
        while len(word) > width:  # a word longer than a line is cut, not left to overflow
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _truncate(lines[max_lines - 1] + " …", width, force=True)]
    return lines or [""]


def _truncate(text: str, width: int, *, force: bool = False) -> str:
    if len(text) <= width and not force:
        return text
    return text[: width - 1].rstrip() + "…"


def _numbers(values: Iterable[float | Decimal | None]) -> list[float | None]:
    """Values as floats (sums of money arrive as ``Decimal``); NaN or infinity is a caller's bug."""
    numbers = []
    for value in values:
        if value is not None and not math.isfinite(value):
            raise ValueError(f"Chart values must be finite numbers or None, got {value!r}.")
        numbers.append(None if value is None else float(value))
    return numbers


def _domain(values: Sequence[float | None]) -> tuple[float, float]:
    shown = [value for value in values if value is not None]
    return min([0.0, *shown]), max([0.0, *shown])


def _ticks(lo: float, hi: float) -> tuple[list[float], int]:
    """Round grid values (1, 2 or 5 × 10ⁿ apart, about five of them) within [lo, hi], with their decimals."""
    if hi <= lo:
        return [0.0], 0
    raw = (hi - lo) / 4
    if raw < 10**-MAX_TICK_DECIMALS:
        return [0.0], 0  # a range this small has no readable grid; the values are still written
    exponent = math.floor(math.log10(raw))
    fraction = raw / 10**exponent
    step = (1 if fraction <= 1 else 2 if fraction <= 2 else 5 if fraction <= 5 else 10) * 10**exponent
    decimals = max(0, -math.floor(math.log10(step)))
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + step * 1e-9:
        ticks.append(round(k * step, decimals))
        k += 1
    return ticks, decimals


def _tick_text(tick: float, decimals: int) -> str:
    text = format_number(tick, decimals)
    return text.rstrip("0").rstrip(",") if "," in text else text


def _value_text(value: float | None, unit: str, hidden_label: str, value_format: ValueFormat | None) -> str:
    return hidden_label if value is None else format_value(value, unit, value_format)


def _highest(items: Sequence[tuple[str, float | None]]) -> tuple[str, float] | None:
    shown = [(label, value) for label, value in items if value is not None]
    return max(shown, key=lambda item: item[1]) if shown else None


def _lowest(items: Sequence[tuple[str, float | None]]) -> tuple[str, float] | None:
    shown = [(label, value) for label, value in items if value is not None]
    return min(shown, key=lambda item: item[1]) if len(shown) > 1 else None


def _s(count: int) -> str:
    return "" if count <= 1 else "s"


def _counted(count: int, noun: str, values: Sequence[float | None]) -> str:
    """« 5 barres », « 5 barres, dont 2 non diffusées »: the nouns used here are all feminine."""
    if not count:
        return f"aucune {noun}"
    text = f"{count} {noun}{_s(count)}"
    hidden = sum(value is None for value in values)
    if hidden and hidden == len(values):
        return text + (", non diffusée" if hidden == 1 else ", toutes non diffusées")
    if hidden:
        return text + f", dont {hidden} non diffusée{_s(hidden)}"
    return text


def _extreme(
    word: str, item: tuple[str, float] | None, unit: str, value_format: ValueFormat | None
) -> list[str]:
    if item is None:
        return []
    label, value = item
    return [f"{word} : {label}, {format_value(value, unit, value_format)}"]


def _sentence(clauses: list[str]) -> str:
    return " ; ".join(clauses) + "."
