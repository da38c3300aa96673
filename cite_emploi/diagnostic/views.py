"""Pages of the diagnostic: the territory overview, one page per QPV and per commune, the gaps and
the indicator catalogue with its exports.

Thin: read the date, ask ``content`` (which asks the indicator registry), render. Every figure is
aggregated and under statistical secrecy; no page of this part reads a person. An elected member
reads every page: the diagnostic is made to be shared with the mayors, and it shows no person.
"""

import csv
import io

from django.http import Http404, HttpResponse
from django.shortcuts import render

from cite_emploi.accounts.permissions import require_role

from . import content, indicators, maps
from . import gaps as gap_analysis
from .forms import AsOfForm, IndicatorExportForm
from .places import commune_values, qpv_communes, qpv_values

READERS = ("coordinator", "elected", "funder")


def _as_of(request):
    form = AsOfForm(request.GET or None)
    return form, form.as_of()


def _my_communes(scope) -> list:
    """The communes an elected member follows: their pages come first on the overview."""
    if not scope.commune_ids:
        return []
    from cite_emploi.territory.models import Commune

    return list(Commune.objects.filter(pk__in=scope.commune_ids).order_by("name").values_list("code", "name"))


@require_role(*READERS)
def overview(request):
    territory = request.scope.territory
    form, as_of = _as_of(request)
    computed = content.overview(territory, as_of)
    return render(
        request,
        "diagnostic/overview.html",
        {
            "form": form,
            "as_of": as_of,
            "period": content.period_at(as_of),
            **computed,
            "followed_map": maps.qpv_map(
                territory, computed["followed"], "Personnes suivies par quartier prioritaire"
            ),
            "to_lift_chart": maps.table_chart(computed["to_lift"], "Freins restant à lever, par catégorie"),
            "reached_map": maps.qpv_map(
                territory, computed["reached"], "Personnes rencontrées en aller-vers par quartier"
            ),
            "qpvs": [
                (code, name, qpv_communes(territory).get(code, [])) for code, name in qpv_values(territory)
            ],
            "communes": [(code, name) for code, name in commune_values(territory)],
            "my_communes": _my_communes(request.scope),
        },
    )


@require_role(*READERS)
def qpv(request, code: str):
    territory = request.scope.territory
    names = dict(qpv_values(territory))
    if code not in names:
        raise Http404("Ce quartier ne fait pas partie du périmètre du territoire.")
    communes = qpv_communes(territory).get(code, [])
    form, as_of = _as_of(request)
    period = content.period_at(as_of)
    where = {"qpv": code}
    barriers = content.table_dict(
        indicators.compute("freins_a_lever", territory, period, by=("category",), where=where)
    )
    publics = content.table_dict(
        indicators.compute("beneficiaires_suivis", territory, period, by=("age_group", "sex"), where=where)
    )
    imported = [
        content.table_dict(indicators.compute(i.code, territory, period, where=where))
        for i in indicators.all_for(territory)
        if i.imported
    ]
    return render(
        request,
        "diagnostic/place.html",
        {
            "form": form,
            "as_of": as_of,
            "period": period,
            "level": "qpv",
            "code": code,
            "name": names[code],
            "communes": communes,
            "comparison": content.place_comparison(territory, period, "qpv", code),
            "barriers": barriers,
            "barriers_chart": maps.table_chart(barriers, f"Freins restant à lever — {names[code]}"),
            "publics": publics,
            "imported": imported,
            "coverage": _coverage_row(territory, code),
            "gaps": [g for g in gap_analysis.gap_analysis(territory, period) if g.qpv_code == code],
        },
    )


def _coverage_row(territory, code: str) -> list[tuple[str, int]]:
    coverage = content.coverage_dict(territory)
    row = next((r for r in coverage["rows"] if r["qpv_code"] == code), None)
    if row is None:
        return []
    return [(c["label"], count) for c, count in zip(coverage["categories"], row["cells"], strict=True)]


@require_role(*READERS)
def commune(request, code: str):
    territory = request.scope.territory
    names = dict(commune_values(territory))
    if code not in names:
        raise Http404("Cette commune ne fait pas partie du territoire.")
    form, as_of = _as_of(request)
    period = content.period_at(as_of)
    where = {"commune": code}
    barriers = content.table_dict(
        indicators.compute("freins_a_lever", territory, period, by=("category",), where=where)
    )
    publics = content.table_dict(
        indicators.compute("beneficiaires_suivis", territory, period, by=("age_group", "sex"), where=where)
    )
    imported = [
        content.table_dict(indicators.compute(i.code, territory, period, where=where))
        for i in indicators.all_for(territory)
        if i.imported
    ]
    qpvs = [
        (q, n) for q, n in qpv_values(territory) if code in [c for c, _ in qpv_communes(territory).get(q, [])]
    ]
    return render(
        request,
        "diagnostic/place.html",
        {
            "form": form,
            "as_of": as_of,
            "period": period,
            "level": "commune",
            "code": code,
            "name": names[code],
            "qpvs": qpvs,
            "key_figures": content.key_figures(territory, period, where=where),
            "comparison": content.place_comparison(territory, period, "commune", code),
            "barriers": barriers,
            "barriers_chart": maps.table_chart(barriers, f"Freins restant à lever — {names[code]}"),
            "publics": publics,
            "imported": imported,
        },
    )


@require_role(*READERS)
def gaps(request):
    territory = request.scope.territory
    form, as_of = _as_of(request)
    period = content.period_at(as_of)
    return render(
        request,
        "diagnostic/gaps.html",
        {
            "form": form,
            "as_of": as_of,
            "period": period,
            "gaps": gap_analysis.gap_analysis(territory, period),
            "barriers_per_service": gap_analysis.BARRIERS_PER_SERVICE,
            "unmet_share": round(100 * gap_analysis.UNMET_SHARE),
        },
    )


def _csv_response(filename: str, header: list[str], rows: list[list]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    # A BOM so that spreadsheets open the accents right.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_role(*READERS)
def gaps_csv(request):
    territory = request.scope.territory
    _, as_of = _as_of(request)
    ranked = gap_analysis.gap_analysis(territory, content.period_at(as_of))
    rows = [
        [
            i,
            g.level_label,
            g.qpv_code,
            g.qpv_name,
            g.category_label,
            f"{g.score:.2f}".replace(".", ","),
            " ".join(g.evidence),
        ]
        for i, g in enumerate(ranked, start=1)
    ]
    header = ["rang", "niveau", "code QPV", "quartier", "catégorie", "score", "éléments"]
    return _csv_response(f"besoins-non-couverts-{as_of.isoformat()}.csv", header, rows)


@require_role(*READERS)
def indicator_list(request):
    territory = request.scope.territory
    return render(request, "diagnostic/indicators.html", {"indicators": indicators.all_for(territory)})


@require_role(*READERS)
def indicator_csv(request, code: str):
    """One indicator at a date, by the asked breakdown, as the pages show it (secrecy applied)."""
    territory = request.scope.territory
    try:
        indicator = indicators.get(code, territory)
    except indicators.UnknownIndicator as error:
        raise Http404(str(error)) from error
    form = IndicatorExportForm(request.GET or None, indicator=indicator)
    as_of = form.as_of()
    by = (form.cleaned_data.get("par") or "",) if form.is_valid() else ("",)
    by = tuple(b for b in by if b)
    table = indicators.compute(indicator.code, territory, content.period_at(as_of), by=by)
    period = table.period
    rows = []
    if by:
        for key, label, figure in table.series(by[0], keep_empty=True):
            rows.append([key, label, table.label(figure)])
    rows.append(["", "Ensemble du territoire", table.label(table.total)])
    header = [
        indicators.DIMENSION_LABELS.get(by[0], by[0]) + " (code)" if by else "code",
        "libellé",
        f"{indicator.label} ({indicator.unit})",
    ]
    rows.append([])
    rows.append(["période", period.label, ""])
    rows.append(["source", indicator.source, ""])
    return _csv_response(f"{indicator.code}-{as_of.isoformat()}.csv", header, rows)
