"""Export of a territory's offer (structures and services) in the national formats and in XLSX.

Formats (``FORMATS``):

* ``data-inclusion-json``: one object ``{"structures": [...], "services": [...]}``, UTF-8;
* ``csv``: a zip archive holding ``structures.csv`` and ``services.csv`` (UTF-8, comma-separated,
  header = the schema's field names, lists joined with ``,``): one download, two national tables;
* ``xlsx``: a workbook with the sheets « structures » and « services »; row 1 holds the French
  column names, row 2 the schema's field names (what the import reads), lists joined with ``,``.

Every record is validated with the official package before it is written: a record that would
not validate (a description of less than five characters…) is left out and listed in the result,
so that an export always validates 100 %. Records are read from the database in chunks and
written as they come: memory stays flat whatever the size of the territory.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from data_inclusion.schema import v1
from django.utils import timezone

from cite_emploi.core import audit
from cite_emploi.territory.models import Territory

from .data_inclusion import FIELD_LABELS, service_record, structure_record, validation_errors
from .models import Organisation, Service

FORMATS = {
    "data-inclusion-json": ("JSON data·inclusion", ".json", "application/json"),
    "csv": ("CSV data·inclusion (archive .zip)", ".zip", "application/zip"),
    "xlsx": ("Classeur Excel", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
STRUCTURE_COLUMNS = tuple(v1.Structure.model_fields)
SERVICE_COLUMNS = tuple(v1.Service.model_fields)
CHUNK = 2000
# Characters a worksheet cannot hold (C0 controls but tab, newline and carriage return).
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class ExportResult:
    structures: int = 0
    services: int = 0
    skipped: list[tuple[str, str, str, str]] = field(default_factory=list)  # kind, id, name, errors

    @property
    def summary(self) -> str:
        text = (
            f"{self.structures} structure{'s' if self.structures > 1 else ''} et "
            f"{self.services} service{'s' if self.services > 1 else ''} exportés"
        )
        if self.skipped:
            text += f" ; {len(self.skipped)} enregistrement{'s' if len(self.skipped) > 1 else ''} incomplet{'s' if len(self.skipped) > 1 else ''} non exporté{'s' if len(self.skipped) > 1 else ''}"
        return text + "."


def filename_for(territory: Territory, fmt: str) -> str:
    return f"offre-{territory.slug}-{timezone.localdate():%Y-%m-%d}{FORMATS[fmt][1]}"


def _ordered(record: dict, columns: tuple[str, ...]) -> dict:
    return {name: record.get(name) for name in columns}


def structure_records(territory: Territory, result: ExportResult) -> Iterator[dict]:
    orgs = Organisation.objects.in_territory(territory).select_related("commune").order_by("name", "pk")
    for org in orgs.iterator(chunk_size=CHUNK):
        record = _ordered(structure_record(org), STRUCTURE_COLUMNS)
        if errors := validation_errors(v1.Structure, record):
            result.skipped.append(("structure", record["id"], org.name, "; ".join(map(str, errors))))
            continue
        result.structures += 1
        yield record


def service_records(territory: Territory, result: ExportResult) -> Iterator[dict]:
    services = (
        Service.objects.in_territory(territory)
        .select_related("organisation", "commune")
        .order_by("organisation__name", "name", "pk")
    )
    for service in services.iterator(chunk_size=CHUNK):
        record = _ordered(service_record(service), SERVICE_COLUMNS)
        if errors := validation_errors(v1.Service, record):
            result.skipped.append(("service", record["id"], service.name, "; ".join(map(str, errors))))
            continue
        result.services += 1
        yield record


def _json(territory: Territory, out: BinaryIO, result: ExportResult) -> None:
    for index, (key, records) in enumerate(
        (
            ("structures", structure_records(territory, result)),
            ("services", service_records(territory, result)),
        )
    ):
        out.write(('{\n"' if index == 0 else ',\n"').encode() + key.encode() + b'": [')
        for n, record in enumerate(records):
            out.write((b",\n" if n else b"\n") + json.dumps(record, ensure_ascii=False).encode("utf-8"))
        out.write(b"\n]")
    out.write(b"\n}\n")


def cell_text(value) -> str:
    """A value as the national CSV writes it: lists joined with commas, nothing for empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _csv(territory: Territory, out: BinaryIO, result: ExportResult) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, columns, records in (
            ("structures.csv", STRUCTURE_COLUMNS, structure_records(territory, result)),
            ("services.csv", SERVICE_COLUMNS, service_records(territory, result)),
        ):
            with archive.open(name, "w") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                writer = csv.writer(text)
                writer.writerow(columns)
                for record in records:
                    writer.writerow([cell_text(record[c]) for c in columns])
                text.flush()
                text.detach()


def _xlsx_value(value):
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    if isinstance(value, str):
        return _ILLEGAL_XLSX.sub("", value)
    return value


def _xlsx(territory: Territory, out: BinaryIO, result: ExportResult) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, columns, records in (
        ("structures", STRUCTURE_COLUMNS, structure_records(territory, result)),
        ("services", SERVICE_COLUMNS, service_records(territory, result)),
    ):
        sheet = workbook.create_sheet(title)
        sheet.freeze_panes = "A3"
        labels = []
        for name in columns:
            cell = WriteOnlyCell(sheet, value=FIELD_LABELS.get(name, name).capitalize())
            cell.font = bold
            labels.append(cell)
        sheet.append(labels)
        sheet.append(list(columns))
        for record in records:
            row = []
            for name in columns:
                value = _xlsx_value(record[name])
                if isinstance(value, str) and value.startswith("="):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"  # text, never a formula
                    row.append(cell)
                else:
                    row.append(value)
            sheet.append(row)
    workbook.save(out)


WRITERS = {"data-inclusion-json": _json, "csv": _csv, "xlsx": _xlsx}


def export_offer(territory: Territory, fmt: str, out: BinaryIO, *, by=None, request=None) -> ExportResult:
    """Write the offer of ``territory`` to the binary stream ``out`` in format ``fmt``."""
    if fmt not in WRITERS:
        raise ValueError(f"Format inconnu : {fmt}.")
    result = ExportResult()
    WRITERS[fmt](territory, out, result)
    audit.record(
        "export",
        actor=by,
        object_type="partners.offer_export",
        territory_id=territory.pk,
        request=request,
        format=fmt,
        structures=result.structures,
        services=result.services,
        skipped=len(result.skipped),
    )
    return result
