"""Add QPV columns to a CSV of points, streaming it block by block.

Used by the ``locate_qpv`` command and measured by ``bench/qpv_locate.py``.

Contract
--------
* Every input row is written, in order, with its bytes unchanged (quoting, spacing and line
  breaks inside quoted fields included), followed by four columns: ``qpv_code``, ``qpv_nom``,
  ``dans_perimetre`` and ``erreur``. Every output line ends like the header does.
* ``dans_perimetre`` is ``oui``/``non`` when a perimeter is given, empty otherwise, and empty
  on error rows. A point in no QPV is ``non``.
* A bad row (missing or non-numeric coordinate, point outside France, wrong number of fields,
  bytes that do not decode, broken quoting) is still written, with empty QPV columns and a
  French message in ``erreur`` that starts with its line number. A row with too few fields
  is padded with empty fields so that the added columns stay aligned; a row with too many
  keeps them all.
* Line numbers are physical: the header is line 1, and a record whose quoted field spans
  several lines is numbered by its first line (the next record's number counts all of them).
  ``\\n``, ``\\r\\n`` and a lone ``\\r`` all end a line.
* A blank line is not a row: it is copied as is (so that output and input line numbers
  match) and not counted.
* Coordinates accept a decimal comma (``2,45``, unquoted with ``;`` as delimiter) and
  surrounding spaces.
* A missing coordinate column raises ``LocateCsvError`` before anything is written.

Memory is bounded by the block size (a few MB), whatever the number of rows. Speed comes
from csv_blocks (numpy splitting and number parsing), qpv_grid (most points answered by a
grid lookup) and the writer below (one bytes.replace() for the many rows in no QPV).
"""

from __future__ import annotations

import codecs
import csv
import os
import sys
from dataclasses import dataclass

import numpy as np

from cite_emploi.territory.csv_blocks import Layout, Records, split_block
from cite_emploi.territory.locator import Perimeter, QpvLocator, get_locator, in_france

BLOCK_SIZE = 4 << 20
ADDED_COLUMNS = ("qpv_code", "qpv_nom", "dans_perimetre", "erreur")
BOM = codecs.BOM_UTF8
_MAX_EXTENSION = 1 << 20


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
    """Read ``in_path``, write ``out_path``: each a path, ``-`` for stdin/stdout, or a binary
    file object. ``delimiter`` None sniffs ``;`` or ``,`` from the header."""
    encoding = _check_encoding(encoding)
    _refuse_same_file(in_path, out_path)
    with _Open(in_path, "rb") as source:
        layout, header = _read_header(source, lon_col, lat_col, delimiter, encoding)
        writer = _RowWriter(layout, locator or get_locator(), perimeter)
        with _Open(out_path, "wb") as out:
            out.write(header)
            stats = Stats()
            line_no = 2
            while block := _read_block(source, block_size):
                records = split_block(block, source, layout, line_no)
                line_no += records.physical_lines
                out.write(writer.render(records, stats))
    return stats


# -- Files and header ---------------------------------------------------------------------------


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


def _refuse_same_file(in_path, out_path) -> None:
    if isinstance(in_path, str | os.PathLike) and isinstance(out_path, str | os.PathLike):
        try:
            same = os.path.samefile(in_path, out_path)
        except OSError:
            return
        if same:
            raise LocateCsvError("Le fichier de sortie doit être différent du fichier d'entrée.")


class _Open:
    """open() for a path, or pass through a binary file object; ``-`` is stdin/stdout.
    Closes only what it opened."""

    def __init__(self, target, mode: str):
        self.owned = False
        if hasattr(target, "read" if mode == "rb" else "write"):
            self.file = target
        elif str(target) == "-":
            self.file = sys.stdin.buffer if mode == "rb" else sys.stdout.buffer
        else:
            try:
                self.file = open(target, mode)  # noqa: SIM115 - closed in __exit__
            except OSError as exc:
                verb = "lire" if mode == "rb" else "écrire"
                raise LocateCsvError(f"Impossible de {verb} « {target} » : {exc.strerror}.") from exc
            self.owned = True

    def __enter__(self):
        return self.file

    def __exit__(self, *exc):
        if self.owned:
            self.file.close()
        elif hasattr(self.file, "flush"):
            self.file.flush()


def _read_header(source, lon_col, lat_col, delimiter, encoding) -> tuple[Layout, bytes]:
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
    if len(delimiter) != 1 or delimiter in '"\r\n' or not delimiter.isascii():
        raise LocateCsvError(f"Séparateur « {delimiter} » invalide : un seul caractère ASCII est attendu.")
    try:
        columns = next(csv.reader([text], delimiter=delimiter, strict=True))
    except (csv.Error, StopIteration):
        raise LocateCsvError("En-tête illisible : guillemets mal fermés.") from None
    lon_idx = _column_index(columns, lon_col, "longitude")
    lat_idx = _column_index(columns, lat_col, "latitude")
    if lon_idx == lat_idx:
        raise LocateCsvError("La longitude et la latitude doivent être deux colonnes différentes.")
    layout = Layout(delimiter, eol, len(columns), lon_idx, lat_idx, encoding)
    added = delimiter.join(ADDED_COLUMNS).encode(encoding)
    return layout, bom + raw + delimiter.encode(encoding) + added + eol


def _column_index(columns: list[str], wanted: str, what: str) -> int:
    if wanted in columns:
        return columns.index(wanted)
    # Be lenient about case and stray spaces: spreadsheets produce both.
    loose = [c.strip().casefold() for c in columns]
    if wanted.strip().casefold() in loose:
        return loose.index(wanted.strip().casefold())
    found = ", ".join(f"« {c} »" for c in columns)
    raise LocateCsvError(
        f"Colonne de {what} « {wanted} » absente de l'en-tête (colonnes trouvées : {found})."
    )


def _read_block(source, size: int) -> bytes:
    """About ``size`` bytes, completed to the end of a line, and on until the quotes balance:
    a line feed inside a quoted field does not end a record. Malformed quoting stops the
    extension after _MAX_EXTENSION bytes; the csv module then deals with the block."""
    block = source.read(size)
    if block and not block.endswith(b"\n"):
        block += source.readline()
    if block.count(b'"') % 2:
        lines = []
        extension = 0
        odd = True
        while odd and extension < _MAX_EXTENSION:
            line = source.readline()
            if not line:
                break
            lines.append(line)
            extension += len(line)
            odd ^= bool(line.count(b'"') % 2)
        block += b"".join(lines)
    return block


# -- Output -------------------------------------------------------------------------------------


class _RowWriter:
    """Appends the four columns to each record.

    The suffix of a located row is precomputed per QPV. Most rows of a typical file are in no
    QPV and share one suffix: those are written with a single bytes.replace() of the line
    ends per stretch of such rows, and only the other rows are handled one by one.
    """

    def __init__(self, layout: Layout, locator: QpvLocator, perimeter: Perimeter | None):
        self.layout = layout
        self.locator = locator
        self.perimeter = perimeter
        d = layout.delimiter
        answers = ("",) if perimeter is None else ("non", "oui")
        # suffixes[answer, qpv_index + 1], line end included
        self.suffixes = np.array(
            [
                [
                    self._encode(d + code + d + self._quote(nom) + d + answer + d) + layout.eol
                    for code, nom in zip(["", *locator.codes], ["", *locator.noms], strict=True)
                ]
                for answer in answers
            ],
            dtype=object,
        )
        self.default = self.suffixes[0, 0]

    def _quote(self, text: str) -> str:
        if any(c in text for c in (self.layout.delimiter, '"', "\n", "\r")):
            return '"' + text.replace('"', '""') + '"'
        return text

    def _encode(self, text: str) -> bytes:
        return text.encode(self.layout.encoding, "replace")

    def render(self, records: Records, stats: Stats) -> bytes:
        layout = self.layout
        n = records.count
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
        stats.rows += n - int(records.blank.sum())
        stats.located += int((result.qpv_index >= 0).sum())
        stats.errors += len(errors)

        # Rows whose suffix is not the default one: located or perimeter rows, errors,
        # blank lines, and a last line without line end.
        special = np.zeros(n, dtype=bool)
        special[rows] = (result.qpv_index >= 0) | (answer > 0)
        special[list(errors)] = True
        special |= records.blank
        if records.multiline is not None:
            special |= records.multiline  # their inner line ends must not get a suffix
        suffix = np.full(n, None, dtype=object)
        suffix[rows] = self.suffixes[answer, result.qpv_index + 1]
        suffix[records.blank] = layout.eol
        d = layout.delimiter
        for i, message in errors.items():
            text = f"ligne {records.line_nos[i]} : {message}"
            pad = d * records.padding.get(i, 0)
            suffix[i] = self._encode(pad + d * 4 + self._quote(text)) + layout.eol

        special_rows = np.flatnonzero(special)
        if records.raws is None and len(special_rows) < n // 8:
            return self._splice(records, special_rows, suffix)
        pieces = [b""] * (2 * n)
        pieces[0::2] = records.raw_list(layout.eol)
        pieces[1::2] = suffix.tolist()
        return b"".join(pieces)

    def _splice(self, records: Records, special_rows: np.ndarray, suffix: np.ndarray) -> bytes:
        """Rewrite a block split by numpy: the default suffix goes in with bytes.replace(),
        the few special rows are cut out and given their own."""
        block, eol, default = records.block, self.layout.eol, self.default
        if not block.endswith(eol) and (len(special_rows) == 0 or special_rows[-1] != records.count - 1):
            special_rows = np.append(special_rows, records.count - 1)  # no line end to replace
        pieces = []
        position = 0
        starts, ends = records.starts, records.ends
        for i in special_rows.tolist():
            pieces.append(block[position : starts[i]].replace(eol, default))
            pieces.append(block[starts[i] : ends[i]])
            pieces.append(suffix[i])
            position = ends[i] + len(eol)
        pieces.append(block[position:].replace(eol, default))
        return b"".join(pieces)


def _as_text(value, encoding: str) -> str:
    return value.decode(encoding, "replace") if isinstance(value, bytes) else value
