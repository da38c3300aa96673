"""Reading a partner's spreadsheet of beneficiaries as a stream: CSV (any encoding a French office
suite produces) or XLSX.

The format is told from the content, not the name: a file starting with the ZIP signature is a
workbook, an OLE2 signature is an old .xls (refused with the way out), a NUL byte in the first
kilobytes is a binary file, anything else is read as CSV. CSV encoding: UTF-8 (with or without BOM)
when the whole file decodes as UTF-8, else Windows-1252 (what Excel « CSV (séparateur : point-virgule) »
writes in France). The delimiter is the most frequent of ; , and tab in the header line.

``inspect`` reads the file once (headers, encoding, number of lines for the progress bar) and
``rows`` reads it again, one row at a time: nothing holds the whole file in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

CSV, XLSX = "csv", "xlsx"
ZIP_SIGNATURE = b"PK\x03\x04"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0"
CHUNK = 1 << 16
# Excel's own limit, and a guard against a cell of a broken file filling the memory.
csv.field_size_limit(32767 * 4)


class ImportFileError(Exception):
    """A file that cannot be read at all; the message is French and says what to do."""


@dataclass
class ImportSource:
    """A file to import: its name (for messages) and how to open it in binary."""

    name: str
    open: Callable[[], BinaryIO]

    @classmethod
    def from_path(cls, path, name: str | None = None) -> ImportSource:
        path = Path(path)
        return cls(name or path.name, lambda: open(path, "rb"))


@dataclass
class FileInfo:
    format: str
    headers: list[str]
    header_line: int = 1
    encoding: str = "utf-8-sig"
    delimiter: str = ";"
    total_rows: int | None = None  # data lines, counted for the progress bar (None: unknown)
    sheet: str = ""
    warnings: list[str] = field(default_factory=list)


def _open(source: ImportSource) -> BinaryIO:
    try:
        return source.open()
    except FileNotFoundError as exc:
        raise ImportFileError(f"{source.name} : fichier introuvable.") from exc
    except OSError as exc:
        raise ImportFileError(f"{source.name} : impossible de lire le fichier (droits d'accès ?).") from exc


def inspect(source: ImportSource) -> FileInfo:
    """Format, encoding, delimiter, headers and number of data lines; ``ImportFileError`` if unreadable."""
    with _open(source) as stream:
        head = stream.read(4096)
        if not head.strip(b" \t\r\n\xef\xbb\xbf"):
            raise ImportFileError(f"{source.name} : le fichier est vide.")
        if head.startswith(ZIP_SIGNATURE):
            stream.seek(0)
            return _inspect_xlsx(stream, source.name)
        if head.startswith(OLE2_SIGNATURE):
            raise ImportFileError(
                f"{source.name} : ancien format Excel (.xls) non pris en charge. Dans votre tableur, "
                "« Enregistrer sous » au format Classeur Excel (.xlsx) ou CSV, puis recommencez."
            )
        if b"\x00" in head:
            raise ImportFileError(
                f"{source.name} : ce n'est ni un fichier CSV ni un classeur Excel (.xlsx). "
                "Exportez la liste depuis votre tableur au format CSV ou .xlsx."
            )
        stream.seek(0)
        encoding, lines = _scan_text(stream)
    info = _inspect_csv(source, encoding)
    info.total_rows = max(lines - info.header_line, 0)
    return info


def _scan_text(stream: BinaryIO) -> tuple[str, int]:
    """UTF-8 if every byte decodes as UTF-8, else Windows-1252; and the number of lines."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, lines, last = True, 0, b""
    while chunk := stream.read(CHUNK):
        lines += chunk.count(b"\n")
        last = chunk
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if last and not last.endswith(b"\n"):
        lines += 1
    return ("utf-8-sig" if utf8 else "cp1252"), lines


def _text(stream: BinaryIO, encoding: str) -> io.TextIOWrapper:
    # cp1252 leaves five bytes undefined: they become « � » rather than stop the import.
    return io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")


def _inspect_csv(source: ImportSource, encoding: str) -> FileInfo:
    with _open(source) as stream:
        text = _text(stream, encoding)
        line_number = 0
        for line in text:
            line_number += 1
            if line.strip().strip(";,\t"):
                break
        else:
            raise ImportFileError(f"{source.name} : le fichier ne contient aucune ligne.")
        delimiter = max((";", ",", "\t"), key=line.count)
        try:
            headers = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration) as exc:
            raise ImportFileError(f"{source.name}, ligne {line_number} : ligne d'en-tête illisible.") from exc
        text.detach()
    return FileInfo(
        CSV, _clean_headers(headers, source.name), line_number, encoding=encoding, delimiter=delimiter
    )


def _clean_headers(headers: list, name: str) -> list[str]:
    cleaned = [("" if h is None else str(h)).strip() for h in headers]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    if not any(cleaned):
        raise ImportFileError(f"{name} : la première ligne doit contenir les titres des colonnes.")
    return cleaned


def _workbook(stream: BinaryIO, name: str):
    import openpyxl

    try:
        return openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors for a file that is not a workbook
        raise ImportFileError(
            f"{name} : ce n'est pas un classeur Excel (.xlsx) lisible. Enregistrez-le à nouveau depuis "
            "votre tableur, ou exportez-le en CSV."
        ) from exc


def _first_sheet(workbook, name: str):
    sheets = [ws for ws in workbook.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
    if not sheets:
        raise ImportFileError(f"{name} : le classeur ne contient aucune feuille.")
    return sheets[0]


def _inspect_xlsx(stream: BinaryIO, name: str) -> FileInfo:
    workbook = _workbook(stream, name)
    try:
        sheet = _first_sheet(workbook, name)
        header_line = 0
        try:
            for header_line, row in enumerate(sheet.iter_rows(values_only=True), 1):  # noqa: B007
                if any(v not in (None, "") for v in row):
                    headers = _clean_headers(list(row), name)
                    break
            else:
                raise ImportFileError(f"{name} : la première feuille du classeur est vide.")
        except ImportFileError:
            raise
        except Exception as exc:  # a damaged sheet inside a valid ZIP
            raise ImportFileError(f"{name} : la feuille « {sheet.title} » est illisible.") from exc
        max_row = sheet.max_row
        total = max(max_row - header_line, 0) if isinstance(max_row, int) else None
        warnings = []
        if len(workbook.worksheets) > 1:
            warnings.append(f"Seule la première feuille, « {sheet.title} », est lue.")
        return FileInfo(XLSX, headers, header_line, total_rows=total, sheet=sheet.title, warnings=warnings)
    finally:
        workbook.close()


def rows(source: ImportSource, info: FileInfo) -> Iterator[tuple[int, list]]:
    """(line number as the spreadsheet shows it, cells) for each non-empty line after the headers."""
    if info.format == XLSX:
        yield from _xlsx_rows(source, info)
    else:
        yield from _csv_rows(source, info)


def _csv_rows(source: ImportSource, info: FileInfo) -> Iterator[tuple[int, list]]:
    with _open(source) as stream:
        text = _text(stream, info.encoding)
        reader = csv.reader(text, delimiter=info.delimiter)
        line = 0
        try:
            for _ in itertools.islice(reader, info.header_line):
                pass
            line = reader.line_num
            for cells in reader:
                start, line = line + 1, reader.line_num
                if any(c.strip() for c in cells):
                    yield start, cells
        except csv.Error as exc:
            raise ImportFileError(f"{source.name}, ligne {line + 1} : ligne CSV illisible ({exc}).") from exc
        finally:
            text.detach()


def _xlsx_rows(source: ImportSource, info: FileInfo) -> Iterator[tuple[int, list]]:
    with _open(source) as stream:
        workbook = _workbook(stream, source.name)
        try:
            sheet = _first_sheet(workbook, source.name)
            line = info.header_line
            try:
                for line, cells in enumerate(sheet.iter_rows(min_row=info.header_line + 1, values_only=True),
                                             info.header_line + 1):  # fmt: skip
                    if any(v is not None and (not isinstance(v, str) or v.strip()) for v in cells):
                        yield line, list(cells)
            except ImportFileError:
                raise
            except Exception as exc:
                raise ImportFileError(
                    f"{source.name}, ligne {line + 1} : le classeur est illisible."
                ) from exc
        finally:
            workbook.close()
