"""The diagnostic report: reads and rendering, from a snapshot (``content.snapshot``) and nothing else.

The report shows a snapshot dict: the live one computed at a date, or the one frozen in a saved
``ReportVersion``. Every figure comes from that dict, so a version reads the same whatever happened
to the data since; only the drawing around the figures is built here:

* a bar chart per one-dimension table of counts or values (medians get no chart: a median per
  quartier is not a quantity to compare by length), a grouped bar chart per two-dimension table;
* two choropleth maps of the quartiers, « personnes suivies » and « freins restant à lever »
  (``maps.qpv_map``: the official 2024 outlines over the perimeter's communes, reference data read
  at rendering, so a version's map draws today's outlines around its own figures);
* the list of indicator definitions and sources, the secrecy rule with the current threshold.

The same context renders the page (inside the site layout) and the standalone document (cover
page, table of contents, running footer) printed to PDF by WeasyPrint.

``compare(a, b)`` sets two snapshots side by side: every figure present in both — key figures, each
table cell identified by (table code, dimensions, row key, column label), each cell of the coverage
matrix — with the difference b − a, ``None`` when either side is hidden by secrecy. Columns are
matched by their label, not their position, because the « non précisé » column of a two-dimension
table only exists when it holds something.

Versions are read through ``versions`` and ``get_version``: a version of another territory does not
exist for the reader (404); an elected member only reads shared versions (``VersionNotShared``).
"""

from __future__ import annotations

from datetime import date

from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone

from cite_emploi.core import pdf
from cite_emploi.core.charts import SERIES_COLOURS, format_number, grouped_bar_chart
from cite_emploi.core.secrecy import secrecy_threshold
from cite_emploi.territory.models import Territory

from . import indicators, maps
from .models import ReportVersion

PRINT_TEMPLATE = "diagnostic/report/print.html"
SYNTHESIS_GAPS = 5
# Tables drawn as a map of the quartiers, in the « Données statistiques » part: code → map title.
MAPPED = {
    "beneficiaires_suivis": "Carte des personnes suivies par quartier prioritaire",
    "freins_a_lever": "Carte des freins restant à lever par quartier prioritaire",
}
ATTRIBUTIONS = (
    "ANCT – QPV 2024, data.gouv.fr",
    "IGN – ADMIN EXPRESS",
    "INSEE – COG",
    "GIP Plateforme de l'inclusion – data·inclusion",
)
TO_WRITE = "À rédiger sur la page du diagnostic."
# (anchor, title) of the report's parts, in order: the table of contents and the headings share them.
PARTS = (
    ("synthese", "Synthèse"),
    ("donnees-statistiques", "1. Données statistiques"),
    ("cartographie-partenaires", "2. Cartographie des partenaires"),
    ("offre-de-services", "3. Recensement de l'offre de services"),
    ("besoins-non-couverts", "4. Besoins non couverts ou mal couverts"),
    ("analyse-partagee", "5. Analyse partagée"),
    ("plan-actions", "6. Premiers contours du plan d'actions"),
    ("sources-methode", "Sources et méthode"),
)
COMPARED_SECTIONS = (
    ("key_figures", "Chiffres clés"),
    ("statistics", "1. Données statistiques"),
    ("imported", "1. Données statistiques — statistiques importées"),
    ("partners", "2. Cartographie des partenaires"),
    ("offer", "3. Recensement de l'offre de services"),
    ("coverage", "3. Recensement de l'offre de services — couverture par quartier"),
)


class VersionNotShared(Exception):
    """An elected member asked for a version the coordinator has not shared."""


# -- reads ------------------------------------------------------------------------------------------


def versions(territory: Territory, *, shared_only: bool = False):
    """The territory's versions, newest first, with their author (one query)."""
    result = ReportVersion.objects.filter(territory=territory).select_related("created_by")
    if shared_only:
        result = result.filter(is_shared=True)
    return result.order_by("-number")


def get_version(territory: Territory, number: int, *, shared_only: bool = False) -> ReportVersion:
    """Version ``number`` of the territory; 404 when there is none, ``VersionNotShared`` when hidden."""
    version = versions(territory).filter(number=number).first()
    if version is None:
        raise Http404("Cette version du diagnostic n'existe pas.")
    if shared_only and not version.is_shared:
        raise VersionNotShared
    return version


def latest_version(territory: Territory) -> ReportVersion | None:
    return versions(territory).first()


# -- rendering --------------------------------------------------------------------------------------


def report_context(snapshot: dict, *, version: ReportVersion | None = None) -> dict:
    """Everything the report templates need: the snapshot's figures, the charts and the written parts."""
    territory = version.territory if version is not None else _territory(snapshot)
    qpv_maps = _maps(snapshot, territory)
    statistics = [
        _item(table, qpv_maps.get(table["code"]) if table["dims"] == ["qpv"] else None)
        for table in snapshot["statistics"]
    ]
    gaps = snapshot.get("gaps", [])
    return {
        "snapshot": snapshot,
        "version": version,
        "author": _author(version),
        "is_shared": bool(version and version.is_shared),
        "territory_name": snapshot["territory"]["name"],
        "territory_short_name": snapshot["territory"]["short_name"],
        "as_of": date.fromisoformat(snapshot["as_of"]),
        "period_label": snapshot["period"]["label"],
        "parts": PARTS,
        "key_figures": snapshot.get("key_figures", []),
        "top_gaps": gaps[:SYNTHESIS_GAPS],
        "gaps": gaps,
        "statistics": statistics,
        "imported": [_item(table) for table in snapshot.get("imported", [])],
        "partners": [_item(table) for table in snapshot.get("partners", [])],
        "offer": [_item(table) for table in snapshot.get("offer", [])],
        "coverage": _coverage(snapshot.get("coverage")),
        "analysis": version.analysis if version is not None else None,
        "action_contours": version.action_contours if version is not None else None,
        "to_write": TO_WRITE,
        "methods": _methods(snapshot),
        "secrecy_threshold": secrecy_threshold(),
        "attributions": ATTRIBUTIONS,
        "generated_at": timezone.localtime(),
    }


def render_html(snapshot: dict, version: ReportVersion | None = None) -> str:
    """The standalone report (cover, contents, every part): the HTML that WeasyPrint prints."""
    return render_to_string(PRINT_TEMPLATE, report_context(snapshot, version=version))


def render_pdf_bytes(snapshot: dict, version: ReportVersion | None = None) -> bytes:
    """The report as an A4 PDF; raises ``core.pdf.PdfUnavailable`` (French message) without WeasyPrint."""
    return pdf.render_pdf(PRINT_TEMPLATE, report_context(snapshot, version=version))


def _territory(snapshot: dict) -> Territory | None:
    return Territory.objects.filter(slug=snapshot["territory"]["slug"]).first()


def _author(version: ReportVersion | None) -> str:
    if version is None or version.created_by is None:
        return ""
    user = version.created_by
    return user.get_full_name() or user.email


def _item(table: dict, map_svg=None) -> dict:
    return {"table": table, "chart": _chart(table), "map": map_svg}


def _chart(table: dict):
    """The table as bars: 1-D counts and values as bars, 2-D counts as grouped bars; else nothing."""
    if not table.get("rows"):
        return None
    # Only « % » is written after each bar's value; other units are named once, in the title.
    title = table["label"] if table["unit"] in ("", "%") else f"{table['label']} ({table['unit']})"
    if len(table["dims"]) == 1 and table["kind"] in ("count", "values"):
        return maps.table_chart(table, title) or None
    if (
        len(table["dims"]) == 2
        and table["kind"] == "count"
        and len(table["columns"]) - 1 <= len(SERIES_COLOURS)
    ):
        # The last column is the rows' total: the bars show the parts, the table shows the total.
        series = [
            (column, [row["cells"][i]["value"] for row in table["rows"]])
            for i, column in enumerate(table["columns"][:-1])
        ]
        categories = [row["label"] for row in table["rows"]]
        return grouped_bar_chart(
            title, categories, series, unit=table["unit"] if table["unit"] == "%" else ""
        )
    return None


def _maps(snapshot: dict, territory: Territory | None) -> dict:
    """Table code → {title, svg} of the choropleth of its values by QPV (``maps.qpv_map``)."""
    if territory is None:
        return {}
    result = {}
    for table in snapshot["statistics"]:
        if table["code"] in MAPPED and table["dims"] == ["qpv"]:
            svg = maps.qpv_map(territory, table, MAPPED[table["code"]])
            if svg:
                result[table["code"]] = {"title": MAPPED[table["code"]], "svg": svg}
    return result


def _coverage(coverage: dict | None) -> dict | None:
    """The coverage matrix turned around for reading: a row per category, a column per quartier."""
    if not coverage or not coverage.get("rows"):
        return None
    qpvs = coverage["rows"]
    return {
        "walking_m": coverage["walking_m"],
        "columns": [{"code": q["qpv_code"], "name": q["qpv_name"]} for q in qpvs],
        "rows": [
            {"label": category["label"], "cells": [q["cells"][i] for q in qpvs]}
            for i, category in enumerate(coverage["categories"])
        ],
    }


def _methods(snapshot: dict) -> list[dict]:
    """Each indicator shown, once, with its definition and source (those the snapshot recorded)."""
    seen: dict[str, dict] = {}
    for section in ("statistics", "imported", "partners", "offer"):
        for table in snapshot.get(section, []):
            seen.setdefault(
                table["code"],
                {"label": table["label"], "definition": table["definition"], "source": table["source"]},
            )
    for figure in snapshot.get("key_figures", []):
        if figure["code"] in seen:
            continue
        try:
            indicator = indicators.get(figure["code"])
        except indicators.UnknownIndicator:
            continue
        seen[figure["code"]] = {
            "label": indicator.label,
            "definition": indicator.definition,
            "source": indicator.source,
        }
    return list(seen.values())


# -- comparison -------------------------------------------------------------------------------------


def compare(a: dict, b: dict) -> list[dict]:
    """The figures present in both snapshots, by section: both labels and values, and b − a.

    Each section is ``{"key", "title", "rows"}``; each row ``{"label", "detail", "unit", "a", "b",
    "difference", "difference_label"}`` where ``a`` and ``b`` are the snapshot's ``{label, value}``.
    Sections without a common figure are left out.
    """
    figures_a, figures_b = _figures(a), _figures(b)
    result = []
    for key, title in COMPARED_SECTIONS:
        right = figures_b.get(key, {})
        rows = []
        for identity, (label, detail, unit, figure_a) in figures_a.get(key, {}).items():
            if identity not in right:
                continue
            figure_b = right[identity][3]
            difference = _difference(figure_a["value"], figure_b["value"])
            rows.append(
                {
                    "label": label,
                    "detail": detail,
                    "unit": unit,
                    "a": figure_a,
                    "b": figure_b,
                    "difference": difference,
                    "difference_label": signed(difference, unit),
                }
            )
        if rows:
            result.append({"key": key, "title": title, "rows": rows})
    return result


def signed(value: float | None, unit: str = "") -> str:
    """A difference in French: « +12 », « −3,5 », « 0 »; percentages move in points; « — » when hidden."""
    if value is None:
        return "—"
    text = format_number(abs(value))
    if text != "0":
        text = ("+" if value > 0 else "\u2212") + text
    return f"{text}\u00a0pt" if unit == "%" else text


def _difference(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    # Rounded so that two decimal figures do not differ by a binary remainder (0.30000000000000004).
    return round(b - a, 6)


def _figures(snapshot: dict) -> dict[str, dict[tuple, tuple[str, str, str, dict]]]:
    """Section → {identity: (label, detail, unit, {label, value})}, in the snapshot's order."""
    result: dict[str, dict] = {key: {} for key, _ in COMPARED_SECTIONS}
    for figure in snapshot.get("key_figures", []):
        result["key_figures"][(figure["code"],)] = (
            figure.get("name", figure["code"]),
            "",
            figure.get("unit", ""),
            {"label": figure["label"], "value": figure["value"]},
        )
    for section in ("statistics", "imported", "partners", "offer"):
        for table in snapshot.get(section, []):
            result[section].update(_table_figures(table))
    coverage = snapshot.get("coverage") or {}
    categories = coverage.get("categories", [])
    for row in coverage.get("rows", []):
        for category, count in zip(categories, row["cells"], strict=False):
            result["coverage"][("coverage", row["qpv_code"], category["code"])] = (
                category["label"],
                row["qpv_name"],
                "services",
                {"label": format_number(count), "value": count},
            )
    return result


def _table_figures(table: dict) -> dict[tuple, tuple[str, str, str, dict]]:
    code, dims, unit = table["code"], tuple(table["dims"]), table["unit"]
    found = {}
    columns = table.get("columns", [])
    two_d = len(dims) == 2
    rows = [(row["key"], row["label"], row["cells"]) for row in table.get("rows", [])]
    if two_d and table.get("total_cells"):
        rows.append((None, "Total", table["total_cells"]))
    for key, row_label, cells in rows:
        for column, cell in zip(columns, cells, strict=False):
            identity = (code, dims, key, column if two_d else "")
            detail = f"{row_label} — {column}" if two_d else row_label
            found[identity] = (table["label"], detail, unit, cell)
    if not two_d:
        total_label = "Total" if table["kind"] == "count" else "Territoire"
        found[(code, dims, None, "")] = (table["label"], total_label, unit, table["total"])
    return found
