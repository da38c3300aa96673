"""What the diagnostic shows, as plain data: the same content serves the pages, the report and its versions.

``snapshot(territory, as_of)`` computes everything the report holds at a date, through the indicator
registry only, and returns JSON-ready dicts (figures already under statistical secrecy, as French
labels and as numbers, ``None`` where hidden). A saved version keeps this dict: it reads the same
later, and two versions are compared figure by figure.

The period of the diagnostic at a date is the twelve months that end on it; stocks (people followed,
barriers to lift) are those of that period.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from cite_emploi.core.recent import recent

from . import gaps, indicators
from .indicators import Period, Table
from .places import qpv_communes

SNAPSHOT_FORMAT = 1

# The figures of the first screen, in the seed's order: the territory, the people, the offer.
KEY_FIGURES = (
    "population",
    "nombre_qpv",
    "beneficiaires_suivis",
    "entrees_suivi",
    "freins_identifies",
    "freins_leves",
    "orientations",
    "delai_reponse_orientations",
    "sorties",
    "personnes_rencontrees",
    "accompagnements_aller_vers",
    "recrutements_operations",
    "services_par_categorie",
    "partenaires_par_nature",
)

# « Données statistiques »: (indicator, breakdown) in the order of the report.
STATISTICS = (
    ("population", ("commune",)),
    ("superficie_qpv", ("qpv",)),
    ("beneficiaires_suivis", ("qpv",)),
    ("beneficiaires_suivis", ("age_group", "sex")),
    ("entrees_suivi", ("qpv",)),
    ("freins_identifies", ("category",)),
    ("freins_leves", ("category",)),
    ("freins_a_lever", ("qpv",)),
    ("orientations", ("status",)),
    ("delai_reponse_orientations", ("qpv",)),
    ("sorties", ("kind",)),
    ("personnes_rencontrees", ("qpv",)),
    ("personnes_rencontrees", ("age_group", "sex")),
    ("accompagnements_aller_vers", ("qpv",)),
    ("recrutements_operations", ("qpv",)),
)

# « Cartographie des partenaires » and « Recensement de l'offre de services ».
PARTNERS = (("partenaires_par_nature", ("kind",)), ("partenaires_mobilisables", ("qpv",)))
OFFER = (("services_par_categorie", ("category",)), ("services_accessibles", ("qpv",)))

# Comparisons on a QPV's or a commune's page: the indicators that have a value at both levels.
COMPARED = (
    "beneficiaires_suivis",
    "entrees_suivi",
    "freins_identifies",
    "freins_leves",
    "freins_a_lever",
    "orientations",
    "delai_reponse_orientations",
    "sorties",
    "personnes_rencontrees",
    "accompagnements_aller_vers",
    "recrutements_operations",
)


def period_at(as_of: date) -> Period:
    return Period.twelve_months_to(as_of)


def figure_dict(table: Table, figure) -> dict:
    shown = None if figure.hidden or figure.value is None else figure.value
    return {"label": table.label(figure), "value": shown}


def table_dict(table: Table) -> dict:
    """One indicator table: rows along the first dimension, columns along the second if any."""
    indicator = table.indicator
    result = {
        "code": indicator.code,
        "label": indicator.label,
        "definition": indicator.definition,
        "unit": indicator.unit,
        "source": indicator.source,
        "kind": indicator.kind,
        "dims": list(table.dims),
        "row_header": indicators.DIMENSION_LABELS.get(table.dims[0], table.dims[0]) if table.dims else "",
        "total": figure_dict(table, table.total),
    }
    if len(table.dims) == 1:
        result["columns"] = [indicator.unit.capitalize() or "Valeur"]
        result["rows"] = [
            {"key": key, "label": label, "cells": [figure_dict(table, figure)]}
            for key, label, figure in table.series(table.dims[0])
        ]
    elif len(table.dims) == 2:
        rows_dim, columns_dim = table.dims
        grid = table.grid(rows_dim, columns_dim)
        columns = table.values[columns_dim]
        # The « non précisé » column is left out when it is empty everywhere.
        kept = [
            i
            for i, (key, _) in enumerate(columns)
            if key != "" or any(cells[i].value or cells[i].hidden for _, _, cells, _ in grid)
        ]
        result["columns"] = [columns[i][1] for i in kept] + ["Total"]
        result["rows"] = []
        result["total_cells"] = []
        for key, label, cells, total in grid:
            figures = [figure_dict(table, c) for c in [*(cells[i] for i in kept), total]]
            if key is None:
                result["total_cells"] = figures
            elif key != "" or any(c.value or c.hidden for c in cells):
                result["rows"].append({"key": key, "label": label, "cells": figures})
    return result


def _compute(code: str, territory, period: Period, by=(), where=None) -> dict:
    return table_dict(indicators.compute(code, territory, period, by=by, where=where))


# A key figure is the indicator's total: these read better without their breakdown's name.
KEY_FIGURE_NAMES = {
    "services_par_categorie": "Services recensés",
    "partenaires_par_nature": "Partenaires recensés",
}


def key_figures(territory, period: Period, where: dict | None = None) -> list[dict]:
    result = []
    for code in KEY_FIGURES:
        indicator = indicators.get(code)
        if where and any(w not in indicator.breakdowns for w in where):
            continue
        table = indicators.compute(code, territory, period, where=where)
        result.append(
            {
                "code": code,
                "name": KEY_FIGURE_NAMES.get(code, indicator.label),
                "unit": indicator.unit,
                "theme": indicator.theme,
                **figure_dict(table, table.total),
            }
        )
    return result


def imported_tables(territory, period: Period, by=("qpv",)) -> list[dict]:
    from .imported import imported_indicators

    return [_compute(i.code, territory, period, by=by) for i in imported_indicators(territory)]


def snapshot(territory, as_of: date | None = None) -> dict:
    """Everything the diagnostic report shows at ``as_of`` (default: today), JSON-ready."""
    as_of = as_of or timezone.localdate()
    period = period_at(as_of)
    return {
        "format": SNAPSHOT_FORMAT,
        "territory": {"slug": territory.slug, "name": territory.name, "short_name": str(territory)},
        "as_of": as_of.isoformat(),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "label": period.label},
        "key_figures": key_figures(territory, period),
        "statistics": [_compute(code, territory, period, by) for code, by in STATISTICS],
        "imported": imported_tables(territory, period),
        "partners": [_compute(code, territory, period, by) for code, by in PARTNERS],
        "offer": [_compute(code, territory, period, by) for code, by in OFFER],
        "coverage": coverage_dict(territory),
        "gaps": [gap.as_dict() for gap in gaps.gap_analysis(territory, period)],
    }


def overview(territory, as_of: date) -> dict:
    """The territory overview's figures at a date, computed lately (``core.recent``).

    The first screen of the diagnostic reads every follow-up, barrier and referral of the year:
    about two seconds at 100,000 people. It is computed at the first view, then served from the
    cache and recomputed behind the readers every five minutes; the page says when it was computed.
    Pages of a QPV or a commune are computed each time.
    """

    def compute() -> dict:
        period = period_at(as_of)
        ranked = [gap.as_dict() for gap in gaps.gap_analysis(territory, period)]
        return {
            "computed_at": timezone.now(),
            "key_figures": key_figures(territory, period),
            "followed": _compute("beneficiaires_suivis", territory, period, ("qpv",)),
            "to_lift": _compute("freins_a_lever", territory, period, ("category",)),
            "reached": _compute("personnes_rencontrees", territory, period, ("qpv",)),
            "gaps": ranked[:5],
            "gap_count": len(ranked),
        }

    return recent(f"diagnostic:overview:{territory.pk}:{as_of.isoformat()}", compute)


def coverage_dict(territory) -> dict:
    """The QPV × category coverage of the partner census (counts of services; no people, no secrecy)."""
    from cite_emploi.partners.queries import coverage_matrix

    matrix = coverage_matrix(territory)
    return {
        "walking_m": matrix.walking_m,
        "categories": [{"code": code, "label": label} for code, label in matrix.categories],
        "rows": [
            {"qpv_code": row.qpv_code, "qpv_name": row.qpv_name, "cells": [cell.total for cell in row.cells]}
            for row in matrix.rows
        ],
    }


def place_comparison(territory, period: Period, level: str, code: str) -> list[dict]:
    """Each compared indicator for a QPV or a commune, beside its commune(s) (for a QPV) and the territory.

    Two computations per indicator (by QPV and by commune), whatever the place.
    """
    communes = [c for c, _ in qpv_communes(territory).get(code, [])] if level == "qpv" else [code]
    rows = []
    for indicator_code in COMPARED:
        by_commune = indicators.compute(indicator_code, territory, period, by=("commune",))
        place = by_commune
        if level == "qpv":
            place = indicators.compute(indicator_code, territory, period, by=("qpv",))
        rows.append(
            {
                "code": indicator_code,
                "label": place.indicator.label,
                "unit": place.indicator.unit,
                "place": figure_dict(place, place.get(code)),
                "communes": [figure_dict(by_commune, by_commune.get(c)) for c in communes]
                if level == "qpv"
                else [],
                "territory": figure_dict(by_commune, by_commune.total),
            }
        )
    return rows
