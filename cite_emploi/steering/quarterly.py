"""The quarterly report for the State and the ANCT: the Cité's activity by quarter of a year.

``quarterly_report(territory, year)`` returns JSON-ready rows (people identified and followed, the
plan's actions by axis, actions on barriers and barriers lifted, aller-vers and recruitment events,
hires, entries into employment and training, partners mobilised) with five columns: the four
quarters and the year. ``quarterly_xlsx`` writes it as a workbook, ``quarterly_pdf`` as a PDF.

Rules:

* **Every figure is an indicator of the registry** (``indicators.compute``), computed for each
  quarter (``Period.quarter``) and for the year (``Period.year``): the year of a stock (people
  followed) is not the sum of its quarters, and every column keeps the registry's definition.
* **Statistical secrecy** is the registry's, then once more across the columns: for a flow about
  people (entries, barriers lifted, outcomes, hires, people met or accompanied), the year is the sum
  of the quarters, so a hidden quarter could be found back from the year and the other quarters.
  Those rows are protected together (``core.secrecy.protect``), as are the outcomes' kinds with
  their total within each column and the « entries into employment » row (lasting plus transition
  jobs): hiding only grows, never shows a figure the registry hid. Hidden cells read « secret ».
* **Entries into employment** are outcomes of kind « emploi durable » and « emploi de transition »;
  **entries into training** are outcomes of kind « formation » (``followup.models.Outcome.Kind``).
* The workbook holds values, never formulas; numbers are numbers, with the thousands separator of
  the reader's spreadsheet (format ``#,##0``: « 1 234 » in a French Excel or LibreOffice), hidden
  cells are the text « secret ». A second sheet gives each indicator's definition and source.
* Pages read the report through ``cached_quarterly_report`` (computed lately, ``core.recent``); the
  command line computes it afresh.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.utils import timezone

from cite_emploi.core.pdf import render_pdf
from cite_emploi.core.recent import recent
from cite_emploi.core.secrecy import Figure, protect, secrecy_threshold
from cite_emploi.diagnostic import indicators
from cite_emploi.diagnostic.indicators import Period, display
from cite_emploi.followup.models import Outcome

from .models import Axis

QUARTERS = (1, 2, 3, 4)
# Flows of people: each record is dated once, so the year is the sum of its quarters.
ADDITIVE = {
    "personnes_rencontrees",
    "accompagnements_aller_vers",
    "entrees_suivi",
    "freins_leves",
    "recrutements_operations",
    "sorties",
}
JOBS = (Outcome.Kind.LASTING_JOB, Outcome.Kind.TRANSITION_JOB)
TRAINING = Outcome.Kind.TRAINING
SECRECY_NOTE = (
    "Secret statistique : « secret » remplace un nombre de moins de {threshold} personnes, et tout "
    "nombre qui permettrait d'en retrouver un par différence (entre trimestres et année compris)."
)


@dataclass
class _Row:
    key: str
    name: str
    unit: str
    kind: str
    figures: list[Figure]
    level: int = 0  # 1: a « dont » line under the row above it
    code: str = ""


@dataclass
class _Builder:
    territory: object
    periods: list[Period]
    rows: list[tuple[str, list[_Row]]] = field(default_factory=list)
    groups: list[tuple[Figure, list[Figure]]] = field(default_factory=list)
    used: dict[str, indicators.Indicator] = field(default_factory=dict)

    def tables(self, code: str, by=()) -> list[indicators.Table]:
        tables = [indicators.compute(code, self.territory, period, by=by) for period in self.periods]
        self.used.setdefault(code, tables[0].indicator)
        return tables

    def section(self, title: str) -> list[_Row]:
        rows: list[_Row] = []
        self.rows.append((title, rows))
        return rows

    def across_columns(self, figures: list[Figure]) -> None:
        """The year (last column) adds up the four quarters."""
        self.groups.append((figures[-1], figures[:-1]))

    def total_row(self, rows: list[_Row], code: str, name: str | None = None) -> _Row:
        tables = self.tables(code)
        indicator = tables[0].indicator
        row = _Row(
            code,
            name or indicator.label,
            indicator.unit,
            indicator.kind,
            [t.total for t in tables],
            code=code,
        )
        if indicator.people and code in ADDITIVE:
            self.across_columns(row.figures)
        rows.append(row)
        return row


def _people(builder: _Builder) -> None:
    rows = builder.section("Personnes repérées et suivies")
    builder.total_row(rows, "personnes_rencontrees", "Personnes repérées (rencontrées en aller-vers)")
    builder.total_row(rows, "accompagnements_aller_vers", "Personnes accompagnées à la suite de l'aller-vers")
    builder.total_row(rows, "beneficiaires_suivis", "Personnes suivies")
    builder.total_row(rows, "entrees_suivi", "Nouvelles entrées dans le suivi")


def _plan(builder: _Builder) -> None:
    rows = builder.section("Actions du plan d'actions")
    tables = builder.tables("actions_plan_par_axe", by=("axis",))
    indicator = tables[0].indicator
    rows.append(
        _Row(
            "actions_plan_par_axe",
            "Actions du plan en cours",
            indicator.unit,
            indicator.kind,
            [t.total for t in tables],
            code="actions_plan_par_axe",
        )
    )
    for axis, label in Axis.choices:
        rows.append(
            _Row(
                f"actions_plan_par_axe:{axis}",
                f"dont {label[0].lower()}{label[1:]}",
                indicator.unit,
                indicator.kind,
                [t.get(axis) for t in tables],
                level=1,
                code="actions_plan_par_axe",
            )
        )
    builder.total_row(rows, "actions_freins", "Actions de levée des freins en cours")
    builder.total_row(rows, "freins_leves", "Freins levés")


def _events(builder: _Builder) -> None:
    rows = builder.section("Aller-vers et opérations de recrutement")
    builder.total_row(rows, "actions_aller_vers", "Actions d'aller-vers réalisées")
    builder.total_row(rows, "operations_recrutement", "Opérations de recrutement réalisées")
    builder.total_row(rows, "recrutements_operations", "Recrutements lors des opérations de recrutement")


def _outcomes(builder: _Builder) -> None:
    rows = builder.section("Sorties vers l'emploi et la formation")
    tables = builder.tables("sorties", by=("kind",))
    indicator = tables[0].indicator
    kinds = [k for k, _ in tables[0].values["kind"]]
    # Within each column, the kinds add up to the column's total (the registry's own group).
    for table in tables:
        builder.groups.append((table.total, [table.get(k) for k in kinds]))
    per_kind = {k: [t.get(k) for t in tables] for k in kinds}
    for figures in per_kind.values():
        builder.across_columns(figures)
    jobs = []
    for column in range(len(tables)):
        parts = [per_kind[k][column] for k in JOBS]
        total = Figure(sum(p.value for p in parts), hidden=any(p.hidden for p in parts))
        builder.groups.append((total, parts))
        jobs.append(total)
    builder.across_columns(jobs)
    labels = dict(Outcome.Kind.choices)
    unit = indicator.unit
    rows.append(_Row("sorties:emploi", "Entrées en emploi", unit, indicator.kind, jobs, code="sorties"))
    for kind in JOBS:
        rows.append(
            _Row(
                f"sorties:{kind}",
                f"dont {labels[kind][0].lower()}{labels[kind][1:]}",
                unit,
                indicator.kind,
                per_kind[kind],
                level=1,
                code="sorties",
            )
        )
    rows.append(
        _Row(
            f"sorties:{TRAINING}",
            "Entrées en formation qualifiante",
            unit,
            indicator.kind,
            per_kind[TRAINING],
            code="sorties",
        )
    )


def _partners(builder: _Builder) -> None:
    rows = builder.section("Partenaires")
    builder.total_row(rows, "partenaires_mobilises", "Partenaires mobilisés par le plan d'actions")


def periods_of(year: int) -> list[Period]:
    return [*(Period.quarter(year, q) for q in QUARTERS), Period.year(year)]


def column_labels(year: int) -> list[str]:
    return [*(f"T{q} {year}" for q in QUARTERS), f"Année {year}"]


def quarterly_report(territory, year: int) -> dict:
    """The report of ``year`` for ``territory``: sections of rows, each with five cells (T1–T4, year)."""
    builder = _Builder(territory, periods_of(year))
    for part in (_people, _plan, _events, _outcomes, _partners):
        part(builder)
    protect(builder.groups)
    sections = []
    for title, rows in builder.rows:
        sections.append(
            {
                "title": title,
                "rows": [
                    {
                        "key": row.key,
                        "code": row.code,
                        "name": row.name,
                        "unit": row.unit,
                        "level": row.level,
                        "cells": [_cell(f, row.unit, row.kind) for f in row.figures],
                    }
                    for row in rows
                ],
            }
        )
    definitions = [
        {
            "code": code,
            "label": indicator.label,
            "definition": indicator.definition,
            "unit": indicator.unit,
            "source": indicator.source,
        }
        for code, indicator in builder.used.items()
    ]
    return {
        "territory": {"slug": territory.slug, "name": territory.name, "short_name": str(territory)},
        "year": year,
        "columns": column_labels(year),
        "periods": [{"start": p.start, "end": p.end, "label": p.label} for p in builder.periods],
        "sections": sections,
        "definitions": definitions,
        "jobs_definition": (
            "Entrées en emploi : sorties de nature « emploi durable » ou « emploi de transition » ; entrées "
            "en formation : sorties de nature « formation qualifiante » (indicateur « "
            f"{builder.used['sorties'].label} »)."
        ),
        "secrecy_note": SECRECY_NOTE.format(threshold=secrecy_threshold()),
        "computed_at": timezone.now(),
    }


def _cell(figure: Figure, unit: str, kind: str) -> dict:
    shown = None if figure.hidden or figure.value is None else figure.value
    if isinstance(shown, float) and shown.is_integer():
        shown = int(shown)
    return {"label": display(figure, unit, kind), "value": shown, "hidden": figure.hidden}


def rows_by_key(report: dict) -> dict[str, dict]:
    """Every row of the report by its key (``entrees_suivi``, ``sorties:emploi``…)."""
    return {row["key"]: row for section in report["sections"] for row in section["rows"]}


def cached_quarterly_report(territory, year: int) -> dict:
    return recent(f"steering:quarterly:{territory.pk}:{year}", lambda: quarterly_report(territory, year))


# --- files ---------------------------------------------------------------------------------------


def quarterly_xlsx(report: dict) -> bytes:
    """The report as a workbook: « Synthèse » (rows × T1–T4 and year) and « Définitions »."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Synthèse"
    bold = Font(bold=True)
    title = f"Rapport trimestriel de la Cité de l'emploi — {report['territory']['name']}"
    computed = timezone.localtime(report["computed_at"])
    sheet.append([title])
    sheet.append([f"Année {report['year']} — chiffres calculés le {computed:%d/%m/%Y à %H:%M}"])
    sheet.append([report["secrecy_note"]])
    sheet.append([])
    sheet["A1"].font = Font(bold=True, size=14)
    header = ["Indicateur", "Unité", *report["columns"]]
    sheet.append(header)
    header_row = sheet.max_row
    fill = PatternFill("solid", fgColor="E3E3FD")
    for cell in sheet[header_row]:
        cell.font = bold
        cell.fill = fill
    for section in report["sections"]:
        sheet.append([section["title"]])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        for row in section["rows"]:
            values = [row["name"], row["unit"]]
            for cell in row["cells"]:
                values.append(cell["label"] if cell["value"] is None else cell["value"])
            sheet.append(values)
            line = sheet.max_row
            if row["level"]:
                sheet.cell(row=line, column=1).alignment = Alignment(indent=2)
            for column in range(3, 3 + len(row["cells"])):
                cell = sheet.cell(row=line, column=column)
                cell.alignment = Alignment(horizontal="right")
                if isinstance(cell.value, int | float):
                    cell.number_format = "#,##0" if float(cell.value).is_integer() else "#,##0.0"
    sheet.append([])
    sheet.append([report["jobs_definition"]])
    _text_only(sheet)
    sheet.column_dimensions["A"].width = 62
    sheet.column_dimensions["B"].width = 14
    for letter in "CDEFG":
        sheet.column_dimensions[letter].width = 13
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)

    definitions = workbook.create_sheet("Définitions")
    definitions.append([f"Définitions des indicateurs — {title}, année {report['year']}"])
    definitions["A1"].font = Font(bold=True, size=12)
    definitions.append([])
    definitions.append(["Indicateur", "Code", "Définition", "Unité", "Source"])
    for cell in definitions[definitions.max_row]:
        cell.font = bold
        cell.fill = fill
    for item in report["definitions"]:
        definitions.append([item["label"], item["code"], item["definition"], item["unit"], item["source"]])
        definitions.cell(row=definitions.max_row, column=3).alignment = Alignment(
            wrap_text=True, vertical="top"
        )
    definitions.append([])
    definitions.append([report["jobs_definition"]])
    definitions.append([report["secrecy_note"]])
    _text_only(definitions)
    for letter, width in zip("ABCDE", (40, 26, 90, 14, 40), strict=True):
        definitions.column_dimensions[letter].width = width
    workbook.properties.title = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_only(sheet) -> None:
    # A text is a text: openpyxl would store a value starting with « = » as a formula.
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def quarterly_pdf(report: dict) -> bytes:
    """The report as an A4 landscape PDF (raises ``core.pdf.PdfUnavailable`` without WeasyPrint)."""
    return render_pdf("steering/dashboards/quarterly_print.html", {"report": report})


def filename(report: dict, extension: str) -> str:
    return f"rapport-trimestriel-{report['territory']['slug']}-{report['year']}.{extension}"
