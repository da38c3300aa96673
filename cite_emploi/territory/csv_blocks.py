"""Split a block of CSV lines into records and read their coordinates (see locate_csv).

A regular block (the usual case, quoted fields included) is split with numpy: one scan finds
delimiters, line feeds and quotes, quote parity tells which of them are structural, field
bounds follow by index arithmetic and coordinates are parsed in bulk, so that no Python code
runs per row. A block with malformed quoting, stray carriage returns or undecodable bytes
goes through the ``csv`` module instead, record by record: slower, same answers.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# Fields of at most 15 characters have at most 15 digits: their digits, read as one
# integer, are exact in a float64 and one division by a power of ten then gives the correctly
# rounded value, bit for bit what float() returns. Longer fields go to float().
_FAST_WIDTH = 15
_POW10 = 10.0 ** np.arange(_FAST_WIDTH + 1)


@dataclass(frozen=True)
class Layout:
    delimiter: str
    eol: bytes  # the header's line end, used for every output line
    ncols: int
    lon_idx: int
    lat_idx: int
    encoding: str


@dataclass
class Records:
    """The records of one block. Their raw bytes are either spans of ``block`` (plain
    blocks) or ``raws``; either way they exclude the line end."""

    count: int
    line_nos: np.ndarray  # int64, first physical line of each record
    blank: np.ndarray  # bool
    lons: np.ndarray  # float64, NaN where unusable
    lats: np.ndarray
    lon_texts: object  # record index -> field text (bytes or str), for messages
    lat_texts: object
    errors: dict[int, str]  # record index -> message without the "ligne N : " prefix
    padding: dict[int, int]  # record index -> number of missing fields
    physical_lines: int
    block: bytes = b""
    starts: np.ndarray | None = None
    ends: np.ndarray | None = None
    multiline: np.ndarray | None = None  # bool, records spanning several lines (None: none)
    raws: list[bytes] | None = None

    def raw_list(self, eol: bytes) -> list[bytes]:
        if self.raws is None:
            if self.multiline is not None and self.multiline.any():
                block = self.block
                self.raws = [
                    block[s:e] for s, e in zip(self.starts.tolist(), self.ends.tolist(), strict=True)
                ]
            else:
                raws = self.block.split(eol)
                if len(raws) > self.count:
                    raws.pop()  # after the block's final line end
                self.raws = raws
        return self.raws


def split_block(block: bytes, source, layout: Layout, first_line: int) -> Records:
    """Records of ``block``; ``source`` is read further when a quoted field runs past it."""
    try:
        block.decode(layout.encoding)
    except UnicodeDecodeError:
        pass
    else:
        records = _split_vectorised(block, layout, first_line)
        if records is not None:
            return records
    return _split_with_csv(block, source, layout, first_line)


# -- Vectorised split ---------------------------------------------------------------------------

_LF, _CR, _QUOTE = ord("\n"), ord("\r"), ord('"')


def _split_vectorised(block: bytes, layout: Layout, first_line: int) -> Records | None:
    """Split a block with numpy; None when its quoting or line ends are irregular, for the
    csv module to sort out.

    Quoting follows RFC 4180: a quoted field starts with a quote right at the field start,
    doubles its inner quotes and closes right before a delimiter or line end. Then a
    delimiter or line feed is structural exactly when an even number of quotes precede it.
    """
    data = np.frombuffer(block, dtype=np.uint8)
    quoted = b'"' in block
    marks = (data == _LF) | (data == ord(layout.delimiter))
    if quoted:
        marks |= data == _QUOTE
    events = np.flatnonzero(marks)  # sorted positions of delimiters, line feeds (and quotes)
    quotes = np.empty(0, dtype=np.int64)
    if quoted:
        is_quote = data[events] == _QUOTE
        inside = ((np.cumsum(is_quote) - is_quote) & 1).astype(bool)
        quotes = events[is_quote]
        if len(quotes) % 2 or not _well_quoted(data, quotes, inside[is_quote], ord(layout.delimiter)):
            return None
        events = events[~is_quote & ~inside]
    record_ends = np.flatnonzero(data[events] == _LF)  # indexes into events
    if not _regular_line_ends(block, data, events[record_ends], quotes, layout.eol):
        return None

    complete = block.endswith(b"\n")
    if not complete:  # a last line without line end
        events = np.append(events, len(block))
        record_ends = np.append(record_ends, len(events) - 1)
    n = len(record_ends)
    first_events = np.empty(n, dtype=np.int64)
    first_events[0] = 0
    first_events[1:] = record_ends[:-1] + 1
    nfields = record_ends - first_events + 1
    starts = np.empty(n, dtype=np.int64)
    starts[0] = 0
    starts[1:] = events[record_ends[:-1]] + 1
    ends = events[record_ends] - (len(layout.eol) - 1)
    if not complete:
        ends[-1] = len(block)

    if quoted and not _one_line_per_record(block, len(record_ends) - (not complete), layout.eol):
        # Physical lines, as str.splitlines() counts them: a record may span several.
        lone_cr = data == _CR
        lone_cr[:-1] &= data[1:] != _LF
        breaks = np.flatnonzero((data == _LF) | lone_cr)
        breaks_before_start = np.searchsorted(breaks, starts)
        line_nos = first_line + breaks_before_start
        multiline = np.searchsorted(breaks, ends) > breaks_before_start
        physical_lines = len(breaks) + (not complete)
    else:
        line_nos = first_line + np.arange(n, dtype=np.int64)
        multiline = None
        physical_lines = n

    blank = starts == ends
    good = (nfields == layout.ncols) & ~blank
    errors: dict[int, str] = {}
    padding: dict[int, int] = {}
    for i in np.flatnonzero(~good & ~blank).tolist():
        errors[i] = field_count_message(int(nfields[i]), layout.ncols)
        padding[i] = max(0, layout.ncols - int(nfields[i]))

    rows = np.flatnonzero(good)
    row_starts, row_ends, row_first = starts[rows], ends[rows], first_events[rows]

    def field(j: int) -> tuple[np.ndarray, np.ndarray]:
        """Byte span of field j of the good rows, without its quotes."""
        field_start = row_starts if j == 0 else events[row_first + j - 1] + 1
        field_end = row_ends if j == layout.ncols - 1 else events[row_first + j]
        if quoted:
            in_quotes = (field_end > field_start) & (data[np.minimum(field_start, len(data) - 1)] == _QUOTE)
            field_start = field_start + in_quotes
            field_end = field_end - in_quotes
        return field_start, field_end

    lon_span, lat_span = field(layout.lon_idx), field(layout.lat_idx)
    lon_texts = _FieldTexts(block, *lon_span, rows, n)
    lat_texts = _FieldTexts(block, *lat_span, rows, n)
    lons = np.full(n, np.nan)
    lats = np.full(n, np.nan)
    if rows.size:
        padded = np.concatenate([np.zeros(_FAST_WIDTH, dtype=np.uint8), data, np.zeros(1, dtype=np.uint8)])
        lons[rows], lon_bad = _parse_numbers(padded, *lon_span, block, layout.encoding)
        lats[rows], lat_bad = _parse_numbers(padded, *lat_span, block, layout.encoding)
        for i in rows[lon_bad | lat_bad].tolist():
            errors[i] = coordinate_message(
                lon_texts[i].decode(layout.encoding), lat_texts[i].decode(layout.encoding)
            )

    return Records(
        count=n,
        line_nos=line_nos,
        blank=blank,
        lons=lons,
        lats=lats,
        lon_texts=lon_texts,
        lat_texts=lat_texts,
        errors=errors,
        padding=padding,
        physical_lines=physical_lines,
        block=block,
        starts=starts,
        ends=ends,
        multiline=multiline,
    )


def _one_line_per_record(block: bytes, line_ends: int, eol: bytes) -> bool:
    """No line break inside quoted fields (cheap byte counts rule out the general case)."""
    if block.count(b"\n") != line_ends:
        return False
    if eol == b"\n":
        return b"\r" not in block
    return block.count(b"\r") == line_ends


def _well_quoted(data: np.ndarray, quotes: np.ndarray, inside: np.ndarray, delimiter: int) -> bool:
    """Every quote opens a field, closes one, or is half of a doubled quote inside one.

    ``inside`` tells, per quote, whether an odd number of quotes precede it.
    """
    opening, closing = quotes[~inside], quotes[inside]
    # An opening quote follows a field start, or the closing-looking half of a "" pair.
    before = data[np.maximum(opening - 1, 0)]
    opening_ok = (opening == 0) | (before == delimiter) | (before == _LF) | (before == _QUOTE)
    # A closing quote precedes a field end or the other half of a "" pair.
    after = data[np.minimum(closing + 1, len(data) - 1)]
    closing_ok = (
        (closing == len(data) - 1)
        | (after == delimiter)
        | (after == _LF)
        | (after == _CR)
        | (after == _QUOTE)
    )
    return bool(opening_ok.all() and closing_ok.all())


def _regular_line_ends(block: bytes, data: np.ndarray, record_ends, quotes, eol: bytes) -> bool:
    """Outside quotes, lines end with the header's line end, and nothing else looks like one."""
    crlf = eol == b"\r\n"
    if crlf and len(record_ends) and (record_ends[0] == 0 or (data[record_ends - 1] != _CR).any()):
        return False
    if b"\r" not in block:
        return True
    carriage_returns = np.flatnonzero(data == _CR)
    allowed = (np.searchsorted(quotes, carriage_returns) & 1).astype(bool)  # inside quotes
    if crlf:
        allowed |= data[np.minimum(carriage_returns + 1, len(data) - 1)] == _LF
        allowed[carriage_returns == len(data) - 1] = False
    return bool(allowed.all())


class _FieldTexts:
    """One field of every record of a block, sliced out only when a message needs it."""

    def __init__(self, block: bytes, starts, ends, rows, n):
        self.block, self.starts, self.ends = block, starts, ends
        self.position = np.full(n, -1, dtype=np.int64)
        self.position[rows] = np.arange(len(rows))

    def __getitem__(self, i) -> bytes:
        k = self.position[i]
        # In a block split by numpy, "" can only be an escaped quote inside a quoted field.
        return b"" if k < 0 else self.block[self.starts[k] : self.ends[k]].replace(b'""', b'"')


def _parse_numbers(padded: np.ndarray, starts, ends, block: bytes, encoding: str):
    """Parse one number per row from the byte spans [starts, ends) of the block; return
    (values, bad), bad marking empty or non-numeric fields.

    ``padded`` is the block between _FAST_WIDTH zero bytes and one more. Plain decimals (optional
    sign, digits, at most one point or comma) are read by numpy from a right-aligned
    (width, rows) byte matrix; anything else (exponent, spaces, long mantissa) is left to
    float(), for that row only.
    """
    values, fast = _parse_plain_decimals(padded, starts, ends)
    bad = np.zeros(len(starts), dtype=bool)
    for k in np.flatnonzero(~fast).tolist():
        number = parse_number(block[starts[k] : ends[k]].decode(encoding, "replace"))
        values[k] = np.nan if number is None else number
        bad[k] = number is None
    return values, bad


def _parse_plain_decimals(padded: np.ndarray, starts, ends) -> tuple[np.ndarray, np.ndarray]:
    rows = len(starts)
    lengths = ends - starts
    width = int(min(lengths.max(initial=0), _FAST_WIDTH))
    if width == 0:
        return np.zeros(rows), np.zeros(rows, dtype=bool)
    # Row r of the matrix holds the r-th character counted from the right of each field
    # (right-aligned, so a column's weight is fixed), zeroed left of the field.
    chars = sliding_window_view(padded, width)[ends + _FAST_WIDTH - width].T.copy()
    chars *= np.arange(width)[:, None] >= (width - lengths)[None, :]
    digits = chars - np.uint8(ord("0"))
    is_digit = digits < 10
    is_point = (chars == ord(".")) | (chars == ord(","))
    n_digits = is_digit.sum(axis=0, dtype=np.uint8)
    n_points = is_point.sum(axis=0, dtype=np.uint8)
    first = padded[starts + _FAST_WIDTH]
    negative = first == ord("-")
    signed = negative | (first == ord("+"))
    fast = (n_digits + n_points + signed == lengths) & (n_points <= 1) & (n_digits >= 1) & (lengths <= width)

    # All digits as one integer, the point counting as a 0 digit: exact, < 10**15.
    digits *= is_digit
    total = _horner(digits[: max(0, width - 9)]) * 1e9 + _horner(digits[max(0, width - 9) :])
    # Drop the point's 0: digits left of it are one place too high.
    point = (is_point * np.arange(width - 1, -1, -1, dtype=np.uint8)[:, None]).sum(axis=0, dtype=np.uint8)
    scale = _POW10[np.minimum(point, _FAST_WIDTH)]  # clipped for rows with several points
    below = total - np.floor(total / scale) * scale  # digits right of the point, exactly
    mantissa = np.where(n_points > 0, below + (total - below) / 10, total)
    values = mantissa / scale
    np.negative(values, out=values, where=negative)
    return values, fast


def _horner(digits: np.ndarray) -> np.ndarray:
    """Rows of decimal digits (at most 9, most significant first) -> float64 integers."""
    value = np.zeros(digits.shape[1], dtype=np.uint32)
    for row in digits:
        value *= 10
        value += row
    return value.astype(np.float64)


def parse_number(text: str) -> float | None:
    """A coordinate as typed by a person: surrounding spaces and a decimal comma accepted;
    not the Python-only forms float() also takes (``1_000``, non-ASCII digits), nor NaN or
    infinities."""
    text = text.strip().replace(",", ".")
    if not text.isascii() or "_" in text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


# -- Blocks that need the csv module ------------------------------------------------------------


class _LineFeed:
    """Lines for csv.reader, remembering which raw lines each record used.

    When a quoted field runs past the end of the block, more lines are pulled from the file.
    """

    def __init__(self, block: bytes, source, encoding: str):
        self.lines = block.splitlines(keepends=True)
        self.source = source
        self.encoding = encoding
        self.position = 0
        self.undecodable: set[int] = set()

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.position == len(self.lines):
            more = self.source.readline()
            if not more:
                raise StopIteration
            self.lines.extend(more.splitlines(keepends=True))
        line = self.lines[self.position]
        self.position += 1
        try:
            return line.decode(self.encoding)
        except UnicodeDecodeError:
            self.undecodable.add(self.position - 1)
            return line.decode(self.encoding, "replace")


def _split_with_csv(block: bytes, source, layout: Layout, first_line: int) -> Records:
    feed = _LineFeed(block, source, layout.encoding)
    # strict: a quote left open at the end of the file, or text right after a closing
    # quote, is an error rather than silently glued into a field.
    reader = csv.reader(feed, delimiter=layout.delimiter, strict=True)
    raws, line_nos, blank, lon_texts, lat_texts = [], [], [], [], []
    errors: dict[int, str] = {}
    padding: dict[int, int] = {}
    while feed.position < len(feed.lines):
        start = feed.position
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error:
            fields = None
        i = len(raws)
        raws.append(_strip_line_end(b"".join(feed.lines[start : feed.position])))
        line_nos.append(first_line + start)
        blank.append(fields == [])
        lon_text = lat_text = ""
        if any(k in feed.undecodable for k in range(start, feed.position)):
            errors[i] = f"ligne illisible (caractères invalides pour l'encodage {layout.encoding})"
        elif fields is None:
            errors[i] = "ligne illisible (guillemets mal fermés ou champ trop long)"
        elif fields and len(fields) != layout.ncols:
            errors[i] = field_count_message(len(fields), layout.ncols)
            padding[i] = max(0, layout.ncols - len(fields))
        elif fields:
            lon_text, lat_text = fields[layout.lon_idx], fields[layout.lat_idx]
        lon_texts.append(lon_text)
        lat_texts.append(lat_text)

    n = len(raws)
    lons = np.full(n, np.nan)
    lats = np.full(n, np.nan)
    for i in range(n):
        if i in errors or blank[i]:
            continue
        lon, lat = parse_number(lon_texts[i]), parse_number(lat_texts[i])
        if lon is None or lat is None:
            errors[i] = coordinate_message(lon_texts[i], lat_texts[i])
        else:
            lons[i], lats[i] = lon, lat
    return Records(
        count=n,
        line_nos=np.array(line_nos, dtype=np.int64),
        blank=np.array(blank, dtype=bool),
        lons=lons,
        lats=lats,
        lon_texts=lon_texts,
        lat_texts=lat_texts,
        errors=errors,
        padding=padding,
        physical_lines=len(feed.lines),
        raws=raws,
    )


def _strip_line_end(raw: bytes) -> bytes:
    if raw.endswith(b"\r\n"):
        return raw[:-2]
    if raw.endswith((b"\n", b"\r")):
        return raw[:-1]
    return raw


# -- Messages (French: they end up in the output file) ------------------------------------------


def field_count_message(found: int, expected: int) -> str:
    return f"{found} champ{'s' if found > 1 else ''} au lieu de {expected}"


def coordinate_message(lon_text: str, lat_text: str) -> str:
    problems = []
    for name, text in (("longitude", lon_text), ("latitude", lat_text)):
        if not text.strip():
            problems.append(f"{name} manquante")
        elif parse_number(text) is None:
            problems.append(f"{name} « {text.strip()} » n'est pas un nombre")
    return ", ".join(problems)
