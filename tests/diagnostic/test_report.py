"""The diagnostic report: its parts, its versions (frozen figures, numbering, sharing), compare() and the PDF."""

import re
import zlib
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from cite_emploi.core.models import AuditEntry
from cite_emploi.core.pdf import PdfUnavailable
from cite_emploi.diagnostic import content, report, services_report
from cite_emploi.diagnostic.models import ReportVersion
from cite_emploi.territory.models import Commune
from tests.accounts.factories import member
from tests.followup.factories import BarrierFactory, followed_by
from tests.outreach.factories import qpv

MONT_MESLY = "Mont Mesly - La Habette - Coteaux Du Sud"


def people_with_barriers(count: int, *, category: str = "sante", thematique: str = "sante--acces-aux-soins"):
    """``count`` people of Mont-Mesly (Créteil) followed for a month, each with a barrier still to lift."""
    referent = member("counsellor")
    quartier = qpv("QN09405M")
    creteil = Commune.objects.get(code="94028")
    opened = timezone.localdate() - timedelta(days=30)
    people = []
    for _ in range(count):
        person = followed_by(
            referent,
            commune=creteil,
            qpv=quartier,
            in_perimeter=True,
            first_name="Zéphyrine",
            last_name="Quintavalle",
        )
        person.follow_up.opened_on = opened
        person.follow_up.save(update_fields=["opened_on"])
        BarrierFactory(
            follow_up=person.follow_up, thematique=thematique, category=category, identified_on=opened
        )
        people.append(person)
    return people


def save(territory, by=None, **fields):
    values = {
        "as_of": timezone.localdate(),
        "title": "Diagnostic du comité de pilotage",
        "analysis": "",
        "action_contours": "",
        "is_shared": False,
        **fields,
    }
    return services_report.save_version(territory, by=by, **values)


def table_of(body: str, caption: str) -> str:
    start = body.index(f"<caption>{caption}")
    return body[start : body.index("</table>", start)]


def cell_of(table: str, row_label: str) -> str:
    start = table.index(f'<th scope="row">{row_label}')
    row = table[start : table.index("</tr>", start)]
    return row.split('class="diagnostic-number">')[1].split("<")[0]


def pdf_pages(data: bytes) -> int:
    """Pages of a PDF: with pypdf when installed, else from the page tree's /Count in its (deflated) streams."""
    try:
        import io

        from pypdf import PdfReader
    except ImportError:
        counts = [int(n) for n in re.findall(rb"/Count\s+(\d+)", data)]
        for match in re.finditer(rb"stream\r?\n", data):
            try:
                inflated = zlib.decompressobj().decompress(data[match.end() : match.end() + 4_000_000])
            except zlib.error:
                continue
            if b"/Pages" in inflated:
                counts += [int(n) for n in re.findall(rb"/Type\s*/Pages[^>]*?/Count\s+(\d+)", inflated)]
                counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages", inflated)]
        return max(counts, default=0)
    return len(PdfReader(io.BytesIO(data)).pages)


# -- the content --------------------------------------------------------------------------------------


def test_the_live_report_has_every_part_the_gaps_the_method_and_no_name(gpsea, settings):
    settings.SECRECY_THRESHOLD = 5
    people_with_barriers(6)
    body = report.render_html(content.snapshot(gpsea))
    titles = [title for _, title in report.PARTS]
    positions = [body.index(f">{title}</h2>") for title in titles]
    assert positions == sorted(positions), "the parts come in the report's order"
    assert "Diagnostic territorial partagé — Cité de l'emploi GPSEA" in body
    assert "Document de travail" in body
    # The three parts of the seed: statistics, partners (with the interactive map named), offer.
    assert "<caption>Personnes suivies (personnes)" in body
    assert "carte interactive des partenaires" in body
    assert "<caption>Services recensés par catégorie" in body
    assert "0</strong> = besoin potentiellement non couvert" in body
    # The gap: six barriers « Santé » in Mont-Mesly and no service of that category in the census.
    gaps = body[body.index('id="besoins-non-couverts"') : body.index('id="analyse-partagee"')]
    assert "Santé — " + MONT_MESLY in gaps
    assert "Besoin non couvert" in gaps
    assert "6 freins « Santé » restant à lever" in gaps
    synthesis = body[body.index('id="synthese"') : body.index('id="donnees-statistiques"')]
    assert "Santé à " + MONT_MESLY in synthesis
    # Unsaved: the written parts are still to write.
    assert body.count(report.TO_WRITE) == 2
    method = body[body.index('id="sources-methode"') :]
    assert "inférieur à 5" in method
    for attribution in report.ATTRIBUTIONS:
        assert escape(attribution) in method
    assert "Personnes dont le suivi partagé était ouvert" in method  # a definition
    assert "Quintavalle" not in body and "Zéphyrine" not in body


def test_the_context_draws_bars_for_counts_and_maps_of_the_quartiers(gpsea):
    people_with_barriers(6)
    context = report.report_context(content.snapshot(gpsea))
    by_table = {(item["table"]["code"], tuple(item["table"]["dims"])): item for item in context["statistics"]}
    assert by_table[("beneficiaires_suivis", ("qpv",))]["chart"].startswith("<svg")
    assert by_table[("beneficiaires_suivis", ("age_group", "sex"))]["chart"].startswith("<svg")
    assert by_table[("delai_reponse_orientations", ("qpv",))]["chart"] is None  # a median: no bars
    followed = by_table[("beneficiaires_suivis", ("qpv",))]["map"]
    assert followed["title"] == report.MAPPED["beneficiaires_suivis"]
    assert "<svg" in followed["svg"] and MONT_MESLY in followed["svg"]
    assert by_table[("freins_a_lever", ("qpv",))]["map"] is not None
    assert by_table[("entrees_suivi", ("qpv",))]["map"] is None


def test_a_version_shows_its_written_parts_escaped_in_paragraphs(gpsea):
    author = member("coordinator")
    version = save(
        gpsea,
        by=author,
        is_shared=True,
        analysis="La santé d'abord <script>alert(1)</script>\n\nPuis la mobilité.",
        action_contours="Une permanence santé à Mont-Mesly.",
    )
    body = report.render_html(version.snapshot, version=version)
    assert "<p>La santé d&#x27;abord &lt;script&gt;alert(1)&lt;/script&gt;</p>" in body
    assert "<p>Puis la mobilité.</p>" in body
    assert "<p>Une permanence santé à Mont-Mesly.</p>" in body
    assert "<script>" not in body
    assert report.TO_WRITE not in body
    assert f"Version {version.number} — Diagnostic du comité de pilotage" in body
    assert author.get_full_name() in body
    assert "Document de travail" not in body  # shared


def test_a_version_keeps_its_figures_when_the_data_changes(gpsea, settings):
    settings.SECRECY_THRESHOLD = 5
    people_with_barriers(6)
    version = save(gpsea)
    people_with_barriers(4)
    version.refresh_from_db()

    frozen = table_of(report.render_html(version.snapshot, version=version), "Personnes suivies (personnes)")
    live = table_of(report.render_html(content.snapshot(gpsea)), "Personnes suivies (personnes)")
    assert cell_of(frozen, MONT_MESLY) == "6"
    assert cell_of(live, MONT_MESLY) == "10"


# -- saving and sharing -------------------------------------------------------------------------------


def test_versions_are_numbered_per_territory_and_audited(gpsea, other_territory):
    coordinator = member("coordinator")
    first = save(gpsea, by=coordinator, analysis="  Analyse.  ")
    second = save(gpsea, by=coordinator)
    elsewhere = save(other_territory)
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert first.analysis == "Analyse."
    assert first.created_by == coordinator
    assert first.snapshot["territory"]["slug"] == "gpsea"
    entry = AuditEntry.objects.get(object_type="diagnostic.reportversion", object_id=str(first.pk))
    assert entry.action == "create"
    assert entry.actor == coordinator
    assert entry.detail["event"] == "diagnostic.report_saved"
    assert entry.detail["number"] == 1


def test_a_number_taken_meanwhile_is_retried_with_the_next_one(gpsea, monkeypatch):
    save(gpsea)
    original = services_report._next_number
    calls = []

    def stale_then_fresh(territory):
        calls.append(territory)
        return 1 if len(calls) == 1 else original(territory)

    monkeypatch.setattr(services_report, "_next_number", stale_then_fresh)
    version = save(gpsea)
    assert version.number == 2
    assert len(calls) == 2
    assert ReportVersion.objects.filter(territory=gpsea).count() == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "   "}, "Donnez un titre"),
        ({"title": "x" * 201}, "200 caractères"),
        ({"as_of": timezone.localdate() + timedelta(days=1)}, "dans le futur"),
    ],
)
def test_a_version_needs_a_title_and_a_past_date(gpsea, fields, message):
    with pytest.raises(services_report.ReportError, match=message):
        save(gpsea, **fields)
    assert not ReportVersion.objects.exists()


def test_sharing_is_toggled_and_audited_once_per_change(gpsea):
    coordinator = member("coordinator")
    version = save(gpsea)
    services_report.share_version(version, shared=True, by=coordinator)
    services_report.share_version(version, shared=True, by=coordinator)  # already shared: nothing
    version.refresh_from_db()
    assert version.is_shared
    services_report.share_version(version, shared=False, by=coordinator)
    version.refresh_from_db()
    assert not version.is_shared
    events = list(
        AuditEntry.objects.filter(object_id=str(version.pk), action="update")
        .order_by("at", "pk")
        .values_list("detail__event", flat=True)
    )
    assert events == ["diagnostic.report_shared", "diagnostic.report_unshared"]


def test_an_elected_member_reads_only_shared_versions(gpsea, other_territory):
    draft = save(gpsea)
    shared = save(gpsea, is_shared=True)
    assert list(report.versions(gpsea, shared_only=True)) == [shared]
    assert report.get_version(gpsea, shared.number, shared_only=True) == shared
    with pytest.raises(report.VersionNotShared):
        report.get_version(gpsea, draft.number, shared_only=True)
    from django.http import Http404

    with pytest.raises(Http404):
        report.get_version(other_territory, shared.number)


# -- comparison ---------------------------------------------------------------------------------------


def snapshot_with(*, key_figures, statistics, coverage_cells):
    return {
        "key_figures": key_figures,
        "statistics": statistics,
        "imported": [],
        "partners": [],
        "offer": [],
        "coverage": {
            "walking_m": 1000,
            "categories": [{"code": "sante", "label": "Santé"}, {"code": "mobilite", "label": "Mobilité"}],
            "rows": [{"qpv_code": "QN09405M", "qpv_name": "Mont Mesly", "cells": coverage_cells}],
        },
    }


def figure(value, label=None):
    return {"label": label if label is not None else str(value), "value": value}


def one_d(code, rows, total, unit="personnes", kind="count"):
    return {
        "code": code,
        "label": code.capitalize(),
        "unit": unit,
        "kind": kind,
        "dims": ["qpv"],
        "columns": [unit.capitalize()],
        "rows": [{"key": key, "label": label, "cells": [cell]} for key, label, cell in rows],
        "total": total,
    }


def two_d(columns, rows, total_cells):
    return {
        "code": "suivis",
        "label": "Suivis",
        "unit": "personnes",
        "kind": "count",
        "dims": ["age_group", "sex"],
        "columns": columns,
        "rows": [{"key": key, "label": label, "cells": cells} for key, label, cells in rows],
        "total_cells": total_cells,
        "total": total_cells[-1],
    }


def test_compare_sets_every_common_figure_side_by_side_with_its_difference():
    a = snapshot_with(
        key_figures=[
            {"code": "suivis", "name": "Personnes suivies", "unit": "personnes", **figure(10)},
            {"code": "taux", "name": "Taux", "unit": "%", **figure(12.5, "12,5 %")},
            {"code": "disparu", "name": "Seulement dans a", "unit": "", **figure(1)},
        ],
        statistics=[
            one_d(
                "freins",
                [("QN09405M", "Mont Mesly", figure(8)), ("QN09420M", "Fabien", figure(None, "< 5"))],
                figure(11),
            ),
            two_d(
                ["Femmes", "Hommes", "Total"],
                [("jeunes", "Jeunes", [figure(5), figure(6), figure(11)])],
                [figure(5), figure(6), figure(11)],
            ),
        ],
        coverage_cells=[0, 3],
    )
    b = snapshot_with(
        key_figures=[
            {"code": "suivis", "name": "Personnes suivies", "unit": "personnes", **figure(7)},
            {"code": "taux", "name": "Taux", "unit": "%", **figure(14.0, "14 %")},
        ],
        statistics=[
            one_d(
                "freins",
                [("QN09405M", "Mont Mesly", figure(10)), ("QN09420M", "Fabien", figure(6))],
                figure(16),
            ),
            # A column « Sexe non précisé » appears: columns are matched by label, not position.
            two_d(
                ["Femmes", "Hommes", "Sexe non précisé", "Total"],
                [("jeunes", "Jeunes", [figure(7), figure(6), figure(2), figure(15)])],
                [figure(7), figure(6), figure(2), figure(15)],
            ),
        ],
        coverage_cells=[2, 3],
    )
    sections = {section["key"]: section for section in report.compare(a, b)}
    assert list(sections) == ["key_figures", "statistics", "coverage"]

    key_rows = {row["label"]: row for row in sections["key_figures"]["rows"]}
    assert set(key_rows) == {"Personnes suivies", "Taux"}
    assert key_rows["Personnes suivies"]["difference"] == -3
    assert key_rows["Personnes suivies"]["difference_label"] == "\u22123"
    assert (key_rows["Personnes suivies"]["a"]["label"], key_rows["Personnes suivies"]["b"]["label"]) == (
        "10",
        "7",
    )
    assert key_rows["Taux"]["difference"] == 1.5
    assert key_rows["Taux"]["difference_label"] == "+1,5\u00a0pt"

    statistics = {(row["label"], row["detail"]): row for row in sections["statistics"]["rows"]}
    assert statistics[("Freins", "Mont Mesly")]["difference_label"] == "+2"
    hidden = statistics[("Freins", "Fabien")]
    assert hidden["difference"] is None and hidden["difference_label"] == "—"
    assert hidden["a"]["label"] == "< 5"
    assert statistics[("Freins", "Total")]["difference"] == 5
    assert statistics[("Suivis", "Jeunes — Femmes")]["difference"] == 2
    assert statistics[("Suivis", "Jeunes — Hommes")]["difference_label"] == "0"
    assert statistics[("Suivis", "Jeunes — Total")]["difference"] == 4
    assert statistics[("Suivis", "Total — Femmes")]["difference"] == 2
    assert not [key for key in statistics if "non précisé" in key[1]]  # only in b: left out

    coverage = {row["label"]: row for row in sections["coverage"]["rows"]}
    assert coverage["Santé"]["detail"] == "Mont Mesly"
    assert coverage["Santé"]["difference"] == 2
    assert coverage["Mobilité"]["difference"] == 0


def test_signed_differences_read_the_french_way():
    assert report.signed(1234.5) == "+1\u202f234,5"
    assert report.signed(-0.25) == "\u22120,25"
    assert report.signed(0.0) == "0"
    assert report.signed(None) == "—"


# -- the PDF ------------------------------------------------------------------------------------------


def test_the_pdf_has_a_cover_contents_and_several_pages(gpsea):
    people_with_barriers(6)
    try:
        data = report.render_pdf_bytes(content.snapshot(gpsea))
    except PdfUnavailable:
        pytest.skip("WeasyPrint n'est pas installé")
    assert data.startswith(b"%PDF")
    assert pdf_pages(data) > 1
