"""Add QPV columns to a CSV of points, streaming it block by block.

Used by the ``locate_qpv`` command and measured by ``bench/qpv_locate.py``.

Contract
--------
* Every input row is written, in order, with its bytes unchanged (quoting, spacing and line
  breaks inside quoted fields included), followed by four columns: ``qpv_code``, ``qpv_nom``,
  ``dans_perimetre`` and ``erreur``. Lines end like the header does.
* ``dans_perimetre`` is ``oui``/``non`` when a perimeter is given, empty otherwise, and empty
  on error rows. A point outside every QPV is ``non``.
* A bad row (missing or non-numeric coordinate, point outside France, wrong number of fields,
  bytes that do not decode, broken quoting) is still written, with empty QPV columns and a
  French message in ``erreur`` starting with its line number. A row with too few fields is
  padded with empty fields so that the added columns stay aligned; a row with too many keeps
  them all.
* Line numbers are physical: the header is line 1, and a record whose quoted field spans
  several lines is numbered by its first line (the next record's number counts all of them).
  ``\\n``, ``\\r\\n`` and a lone ``\\r`` all end a line.
* A blank line is not a row: it is copied as is (so that output and input line numbers match)
  and not counted.
* A missing coordinate column raises ``LocateCsvError`` before anything is written.

Speed: the input is read in blocks of a few MB cut at line ends. A block without any quote
character (the usual case) is split with numpy: delimiter positions, field bounds and decimal
parsing are vectorised and no Python loop runs per row. A block with quotes, stray carriage
returns or undecodable bytes goes through the ``csv`` module instead, which is slower but
handles every case. Memory is bounded by the block size, whatever the number of rows.
"""

from __future__ import annotations

import codecs
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cite_emploi.territory.locator import Perimeter, QpvLocator, get_locator, in_france

BLOCK_SIZE = 4 << 20
ADDED_COLUMNS = ("qpv_code", "qpv_nom", "dans_perimetre", "erreur")
BOM = codecs.BOM_UTF8
# Beyond this, a field is not a plain decimal coordinate anyway: the numpy parser gives up
# on it and Python's float() decides.
_MAX_FAST_WIDTH = 24
# Mantissas of at most 15 digits are exact in a float64, so digits / 10**decimals is the
# correctly rounded value, bit for bit what float() returns.
_MAX_FAST_DIGITS = 15


class LocateCsvError(Exception):
    """The file cannot be processed at all; the message is in French, for the user."""


@dataclass
class Stats:
    rows: int = 0
    located: int = 0
    in_perimeter: int = 0
    errors: int = 0


def locate_csv(
    in_path,
    out_path,
    lon_col: str = "lon",
    lat_col: str = "lat",
    perimeter: Perimeter | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    *,
    locator: QpvLocator | None = None,
    block_size: int = BLOCK_SIZE,
) -> Stats:
    """Read ``in_path``, write ``out_path`` (a path, ``-`` for stdout, or a binary file)."""
    encoding = _check_encoding(encoding)
    with _open_in(in_path) as source:
        layout, header = _read_header(source, lon_col, lat_col, delimiter, encoding)
        locator = locator or get_locator()
        writer = _RowWriter(layout, locator, perimeter)
        with _open_out(out_path) as out:
            out.write(header)
            stats = Stats()
            line_no = 2
            while block := _read_block(source, block_size):
                records = _split_block(block, source, layout, line_no)
                line_no += records.physical_lines
                out.write(writer.render(records, stats))
    return stats


# -- Input and header ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    delimiter: str
    delimiter_byte: int
    eol: bytes
    ncols: int
    lon_idx: int
    lat_idx: int
    encoding: str


def _check_encoding(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise LocateCsvError(f"Encodage « {encoding} » inconnu.") from None
    if name == "utf-8-sig":
        name = "utf-8"  # the BOM is handled here, and written back when present
    # Blocks are split on raw bytes: the encoding must write ASCII as ASCII.
    probe = "\n\r,;\t\"'.-+0123456789 abcXYZ"
    try:
        compatible = probe.encode(name) == probe.encode("ascii")
    except UnicodeError:
        compatible = False
    if not compatible:
        raise LocateCsvError(
            f"Encodage « {encoding} » non pris en charge : utilisez utf-8, latin-1 ou cp1252."
        )
    return name


class _Opened:
    """Context manager that closes only what it opened (not stdin/stdout)."""

    def __init__(self, file, owned: bool):
        self.file, self.owned = file, owned

    def __enter__(self):
        return self.file

    def __exit__(self, *exc):
        if self.owned:
            self.file.close()
        else:
            self.file.flush()


def _open_in(path) -> _Opened:
    if hasattr(path, "read"):
        return _Opened(path, owned=False)
    if str(path) == "-":
        return _Opened(sys.stdin.buffer, owned=False)
    try:
        return _Opened(open(path, "rb"), owned=True)
    except OSError as exc:
        raise LocateCsvError(f"Impossible de lire « {path} » : {exc.strerror}.") from exc


def _open_out(path) -> _Opened:
    if hasattr(path, "write"):
        return _Opened(path, owned=False)
    if str(path) == "-":
        return _Opened(sys.stdout.buffer, owned=False)
    try:
        return _Opened(open(Path(path), "wb"), owned=True)
    except OSError as exc:
        raise LocateCsvError(f"Impossible d'écrire « {path} » : {exc.strerror}.") from exc


def _read_header(source, lon_col, lat_col, delimiter, encoding) -> tuple[_Layout, bytes]:
    """Parse the header; return the layout and the output header (BOM included if any)."""
    line = source.readline()
    bom = b""
    if encoding == "utf-8" and line.startswith(BOM):
        bom, line = BOM, line[len(BOM) :]
    if not line.strip():
        raise LocateCsvError("Le fichier est vide : une ligne d'en-tête est attendue.")
    eol = b"\r\n" if line.endswith(b"\r\n") else b"\n"
    raw = line.rstrip(b"\r\n")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise LocateCsvError(f"En-tête illisible : le fichier n'est pas encodé en {encoding}.") from None
    if delimiter is None:
        delimiter = ";" if text.count(";") > text.count(",") else ","
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise LocateCsvError(f"Séparateur « {delimiter} » invalide : un seul caractère est attendu.")
    try:
        columns = next(csv.reader([text], delimiter=delimiter, strict=True))
    except (csv.Error, StopIteration):
        raise LocateCsvError("En-tête illisible : guillemets mal fermés.") from None
    lon_idx = _column_index(columns, lon_col, "longitude")
    lat_idx = _column_index(columns, lat_col, "latitude")
    layout = _Layout(delimiter, ord(delimiter), eol, len(columns), lon_idx, lat_idx, encoding)
    added = delimiter.join(ADDED_COLUMNS).encode(encoding)
    return layout, bom + raw + delimiter.encode(encoding) + added + eol


def _column_index(columns: list[str], wanted: str, what: str) -> int:
    if wanted in columns:
        return columns.index(wanted)
    # Be lenient about case and stray spaces, as spreadsheets produce both.
    loose = [c.strip().casefold() for c in columns]
    if wanted.strip().casefold() in loose:
        return loose.index(wanted.strip().casefold())
    found = ", ".join(f"« {c} »" for c in columns)
    raise LocateCsvError(
        f"Colonne de {what} « {wanted} » absente de l'en-tête (colonnes trouvées : {found})."
    )


def _read_block(source, size: int) -> bytes:
    """Up to ``size`` bytes, completed to the end of the line."""
    block = source.read(size)
    if block and not block.endswith(b"\n"):
        block += source.readline()
    return block


# -- Splitting a block into records -------------------------------------------------------------


@dataclass
class _Records:
    raws: list[bytes]  # each record as in the file, without its line end
    line_nos: np.ndarray  # int64, first physical line of each record
    blank: np.ndarray  # bool
    lons: np.ndarray  # float64, NaN where unusable
    lats: np.ndarray
    lon_texts: object  # sequence of bytes or str, for messages
    lat_texts: object
    errors: dict[int, str]  # record index -> message without the "ligne N : " prefix
    padding: dict[int, int]  # record index -> missing fields
    physical_lines: int


def _split_block(block: bytes, source, layout: _Layout, first_line: int) -> _Records:
    if b'"' not in block and _plain_line_ends(block, layout.eol):
        try:
            block.decode(layout.encoding)
        except UnicodeDecodeError:
            pass
        else:
            return _split_plain(block, layout, first_line)
    return _split_with_csv(block, source, layout, first_line)


def _plain_line_ends(block: bytes, eol: bytes) -> bool:
    carriage_returns = block.count(b"\r")
    if eol == b"\n":
        return carriage_returns == 0
    return carriage_returns == block.count(b"\n") == block.count(b"\r\n")


def _split_plain(block: bytes, layout: _Layout, first_line: int) -> _Records:
    """Vectorised split of a block free of quotes: every line is one record."""
    eol = layout.eol
    raws = block.split(eol)
    if block.endswith(eol):
        raws.pop()
    n = len(raws)
    data = np.frombuffer(block, dtype=np.uint8)
    newlines = np.flatnonzero(data == 10)
    starts = np.empty(n, dtype=np.int64)
    starts[0] = 0
    starts[1:] = newlines[: n - 1] + 1
    ends = np.empty(n, dtype=np.int64)
    ends[: len(newlines)] = newlines[:n] - (len(eol) - 1)
    if len(newlines) < n:  # last line without a line end
        ends[-1] = len(block)

    delimiters = np.flatnonzero(data == layout.delimiter_byte)
    first_delim = np.searchsorted(delimiters, starts)
    nfields = np.searchsorted(delimiters, ends) - first_delim + 1
    blank = starts == ends
    good = (nfields == layout.ncols) & ~blank

    errors: dict[int, str] = {}
    padding: dict[int, int] = {}
    for i in np.flatnonzero(~good & ~blank).tolist():
        errors[i] = _field_count_message(int(nfields[i]), layout.ncols)
        padding[i] = max(0, layout.ncols - int(nfields[i]))

    lons = np.full(n, np.nan)
    lats = np.full(n, np.nan)
    rows = np.flatnonzero(good)
    bounds = _field_bounds(delimiters, first_delim[rows], starts[rows], ends[rows], layout)
    lon_texts = _FieldTexts(data, *bounds(layout.lon_idx), rows, n)
    lat_texts = _FieldTexts(data, *bounds(layout.lat_idx), rows, n)
    if rows.size:
        lons[rows], lon_bad = _parse_field(data, *bounds(layout.lon_idx), layout.encoding)
        lats[rows], lat_bad = _parse_field(data, *bounds(layout.lat_idx), layout.encoding)
        for i in rows[lon_bad | lat_bad].tolist():
            errors[i] = _coordinate_message(
                lon_texts[i].decode(layout.encoding), lat_texts[i].decode(layout.encoding)
            )

    return _Records(
        raws=raws,
        line_nos=first_line + np.arange(n, dtype=np.int64),
        blank=blank,
        lons=lons,
        lats=lats,
        lon_texts=lon_texts,
        lat_texts=lat_texts,
        errors=errors,
        padding=padding,
        physical_lines=n,
    )


def _field_bounds(delimiters, first_delim, starts, ends, layout: _Layout):
    last = layout.ncols - 1

    def bounds(j: int) -> tuple[np.ndarray, np.ndarray]:
        field_start = starts if j == 0 else delimiters[first_delim + j - 1] + 1
        field_end = ends if j == last else delimiters[first_delim + j]
        return field_start, field_end

    return bounds


class _FieldTexts:
    """One field of every record of a block, sliced out only when a message needs it."""

    def __init__(self, data, starts, ends, rows, n):
        self.data, self.starts, self.ends = data, starts, ends
        self.position = np.full(n, -1, dtype=np.int64)
        self.position[rows] = np.arange(len(rows))

    def __getitem__(self, i) -> bytes:
        k = self.position[i]
        return b"" if k < 0 else self.data[self.starts[k] : self.ends[k]].tobytes()


def _parse_field(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, encoding: str):
    """Parse one numeric field per row; return (values, bad) where bad marks empty or
    non-numeric fields.

    Plain decimals (optional sign, digits, one point or comma) are parsed by numpy, column
    by column of a zero-padded byte matrix. Anything else (exponent, spaces, long mantissa)
    falls back to float() for that row only.
    """
    lengths = ends - starts
    width = int(min(lengths.max(initial=0), _MAX_FAST_WIDTH))
    rows = len(starts)
    matrix = np.zeros((rows, width), dtype=np.uint8)
    for j in range(width):
        has = lengths > j
        matrix[has, j] = data[starts[has] + j]
    matrix[matrix == ord(",")] = ord(".")

    digit = (matrix >= ord("0")) & (matrix <= ord("9"))
    dot = matrix == ord(".")
    filled = np.arange(width) < lengths[:, None]
    allowed = digit | dot | ~filled
    if width:
        minus = matrix[:, 0] == ord("-")
        allowed[:, 0] |= minus | (matrix[:, 0] == ord("+"))
    else:
        minus = np.zeros(rows, dtype=bool)
    ndigits = digit.sum(axis=1)
    fast = (
        allowed.all(axis=1)
        & (dot.sum(axis=1) <= 1)
        & (ndigits >= 1)
        & (ndigits <= _MAX_FAST_DIGITS)
        & (lengths <= width)
    )

    mantissa = np.zeros(rows, dtype=np.int64)
    decimals = np.zeros(rows, dtype=np.int64)
    after_dot = np.zeros(rows, dtype=bool)
    for j in range(width):
        d = digit[:, j]
        mantissa = np.where(d, mantissa * 10 + (matrix[:, j].astype(np.int64) - ord("0")), mantissa)
        after_dot |= dot[:, j]
        decimals += d & after_dot
    values = mantissa / 10.0**decimals
    values[minus] = -values[minus]

    bad = np.zeros(rows, dtype=bool)
    for k in np.flatnonzero(~fast).tolist():
        text = data[starts[k] : ends[k]].tobytes().decode(encoding, "replace")
        number = _parse_text(text)
        values[k] = np.nan if number is None else number
        bad[k] = number is None
    return values, bad


def _parse_text(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if np.isfinite(value) else None


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


def _split_with_csv(block: bytes, source, layout: _Layout, first_line: int) -> _Records:
    """Record-by-record split with the csv module, for blocks with quotes or odd bytes."""
    feed = _LineFeed(block, source, layout.encoding)
    reader = csv.reader(feed, delimiter=layout.delimiter)
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
            errors[i] = _field_count_message(len(fields), layout.ncols)
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
        lon, lat = _parse_text(lon_texts[i]), _parse_text(lat_texts[i])
        if lon is None or lat is None:
            errors[i] = _coordinate_message(lon_texts[i], lat_texts[i])
        else:
            lons[i], lats[i] = lon, lat
    return _Records(
        raws=raws,
        line_nos=np.array(line_nos, dtype=np.int64),
        blank=np.array(blank, dtype=bool),
        lons=lons,
        lats=lats,
        lon_texts=lon_texts,
        lat_texts=lat_texts,
        errors=errors,
        padding=padding,
        physical_lines=len(feed.lines),
    )


def _strip_line_end(raw: bytes) -> bytes:
    if raw.endswith(b"\r\n"):
        return raw[:-2]
    if raw.endswith((b"\n", b"\r")):
        return raw[:-1]
    return raw


# -- Messages -----------------------------------------------------------------------------------


def _field_count_message(found: int, expected: int) -> str:
    return f"{found} champ{'s' if found > 1 else ''} au lieu de {expected}"


def _coordinate_message(lon_text: str, lat_text: str) -> str:
    problems = []
    for name, text in (("longitude", lon_text), ("latitude", lat_text)):
        if not text.strip():
            problems.append(f"{name} manquante")
        elif _parse_text(text) is None:
            problems.append(f"{name} « {text.strip()} » n'est pas un nombre")
    return ", ".join(problems)


def _as_text(value, encoding: str) -> str:
    return value.decode(encoding, "replace") if isinstance(value, bytes) else value


# -- Output -------------------------------------------------------------------------------------


class _RowWriter:
    """Renders records with their four added columns; suffixes of located rows are
    precomputed per QPV, so a block is assembled with numpy indexing and one join."""

    def __init__(self, layout: _Layout, locator: QpvLocator, perimeter: Perimeter | None):
        self.layout = layout
        self.locator = locator
        self.perimeter = perimeter
        d = layout.delimiter
        codes = ["", *locator.codes]
        noms = ["", *locator.noms]
        answers = ("",) if perimeter is None else ("non", "oui")
        # suffixes[answer, qpv_index + 1]
        self.suffixes = np.array(
            [
                [
                    self._encode(d + code + d + self._quote(nom) + d + answer + d) + layout.eol
                    for code, nom in zip(codes, noms, strict=True)
                ]
                for answer in answers
            ],
            dtype=object,
        )

    def _quote(self, text: str) -> str:
        d = self.layout.delimiter
        if any(c in text for c in (d, '"', "\n", "\r")):
            return '"' + text.replace('"', '""') + '"'
        return text

    def _encode(self, text: str) -> bytes:
        return text.encode(self.layout.encoding, "replace")

    def render(self, records: _Records, stats: Stats) -> bytes:
        layout = self.layout
        n = len(records.raws)
        errors = dict(records.errors)
        usable = ~records.blank
        usable[list(errors)] = False
        rows = np.flatnonzero(usable)
        inside = in_france(records.lons[rows], records.lats[rows])
        for i in rows[~inside].tolist():
            lon = _as_text(records.lon_texts[i], layout.encoding).strip()
            lat = _as_text(records.lat_texts[i], layout.encoding).strip()
            errors[i] = f"point hors de France (lon={lon}, lat={lat})"
        rows = rows[inside]

        result = self.locator.locate_batch(records.lons[rows], records.lats[rows], self.perimeter)
        answer = np.zeros(len(rows), dtype=np.intp)
        if result.dans_perimetre is not None:
            answer = result.dans_perimetre.astype(np.intp)
            stats.in_perimeter += int(result.dans_perimetre.sum())
        suffix = np.full(n, layout.eol, dtype=object)
        suffix[rows] = self.suffixes[answer, result.qpv_index + 1]
        d = layout.delimiter
        for i, message in errors.items():
            text = f"ligne {records.line_nos[i]} : {message}"
            pad = d * records.padding.get(i, 0)
            suffix[i] = self._encode(pad + d * 4 + self._quote(text)) + layout.eol

        stats.rows += n - int(records.blank.sum())
        stats.located += int((result.qpv_index >= 0).sum())
        stats.errors += len(errors)
        pieces = [b""] * (2 * n)
        pieces[0::2] = records.raws
        pieces[1::2] = suffix.tolist()
        return b"".join(pieces)
