"""The directory of partners (annuaire), exported as XLSX, CSV or PDF.

One row per organisation: address, commune, QPV, networks, function-based contacts (a reception
desk, never a person's own line: no personal data) and the number of services. The rows are read
in three queries whatever their number, then written by one writer per format.

CSV: UTF-8 with a byte order mark and « ; » as separator, because Excel in French opens such a
file directly with its accents and columns right (it expects « ; » where « , » is the decimal
separator); any other tool reads it as ordinary CSV. Cells that a spreadsheet would run as a
formula (starting with =, +, -, @) are neutralised with a leading apostrophe, except plain
phone numbers.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from . import enums
from .models import Contact

HEADERS = (
    "Organisation",
    "Nature",
    "Réseaux porteurs",
    "SIRET",
    "Adresse",
    "Code postal",
    "Commune",
    "Code INSEE",
    "QPV",
    "Code QPV",
    "Téléphone d'accueil",
    "Courriel d'accueil",
    "Site web",
    "Contacts (fonction)",
    "Nombre de services",
)
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PHONE_OR_NUMBER = re.compile(r"^[+-]?[\d\s.()]+$")


@dataclass
class DirectoryRow:
    name: str
    kind: str
    networks: list[str]
    siret: str
    address: str
    postcode: str
    commune: str
    commune_code: str
    qpv: str
    qpv_code: str
    phone: str
    email: str
    website: str
    contacts: list[str]
    service_count: int

    def cells(self, joiner: str = "\n") -> list:
        return [
            self.name,
            self.kind,
            ", ".join(self.networks),
            self.siret,
            self.address,
            self.postcode,
            self.commune,
            self.commune_code,
            self.qpv,
            self.qpv_code,
            self.phone,
            self.email,
            self.website,
            joiner.join(self.contacts),
            self.service_count,
        ]


def _contact_line(contact: Contact) -> str:
    means = " · ".join(v for v in (contact.email, contact.phone) if v)
    return f"{contact.function} : {means}" if means else contact.function


def directory_rows(organisations: QuerySet) -> list[DirectoryRow]:
    """The directory of a queryset of organisations (already scoped and filtered)."""
    queryset = (
        organisations.select_related("commune", "qpv")
        .annotate(directory_service_count=Count("services", distinct=True))
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.order_by("function", "pk")))
        .order_by("name", "pk")
    )
    rows = []
    for org in queryset:
        address = ", ".join(v for v in (org.address, org.address_complement) if v)
        rows.append(
            DirectoryRow(
                name=org.name,
                kind=org.get_kind_display(),
                networks=[enums.label(n) for n in org.networks],
                siret=org.siret,
                address=address,
                postcode=org.postcode,
                commune=org.commune.name if org.commune_id else org.commune_name,
                commune_code=org.commune.code if org.commune_id else "",
                qpv=org.qpv.name if org.qpv_id else "",
                qpv_code=org.qpv.code if org.qpv_id else "",
                phone=org.phone,
                email=org.email,
                website=org.website,
                contacts=[_contact_line(c) for c in org.contacts.all()],
                service_count=org.directory_service_count,
            )
        )
    return rows


def safe_cell(value):
    """A text a spreadsheet will show, never run: formulas get a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PHONE_OR_NUMBER.match(value):
        return "'" + value
    return value


def to_csv(rows: list[DirectoryRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row.cells(joiner=" | ")])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[DirectoryRow], title: str = "Annuaire des partenaires") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Annuaire"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row.cells())
    # Text is text: openpyxl would otherwise store a value starting with « = » as a formula.
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                if "\n" in cell.value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = (36, 24, 30, 16, 34, 10, 22, 10, 30, 11, 16, 28, 28, 50, 10)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    workbook.properties.title = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class PdfUnavailable(Exception):
    """WeasyPrint (or the system libraries it needs) is missing; the message is French."""


def to_pdf(rows: list[DirectoryRow], *, territory, filters_label: str = "") -> bytes:
    """A landscape A4 PDF through WeasyPrint (HTML and CSS, the same engine as the other PDFs)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:
        raise PdfUnavailable(
            "L'export PDF n'est pas disponible sur ce serveur (WeasyPrint absent) : utilisez le tableur."
        ) from error
    html = render_to_string(
        "partners/catalogue/directory_pdf.html",
        {
            "rows": rows,
            "headers": HEADERS,
            "territory": territory,
            "filters_label": filters_label,
            "generated_at": timezone.localtime(),
        },
    )
    return HTML(string=html).write_pdf()


def export(rows: list[DirectoryRow], fmt: str, *, territory, filters_label: str = "") -> bytes:
    if fmt == "csv":
        return to_csv(rows)
    if fmt == "xlsx":
        return to_xlsx(rows)
    if fmt == "pdf":
        return to_pdf(rows, territory=territory, filters_label=filters_label)
    raise ValueError(fmt)
