"""Pages of the diagnostic report: who reads what, saving and sharing versions, the PDF, the comparison."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from cite_emploi.core.pdf import PdfUnavailable
from cite_emploi.diagnostic import report, services_report
from cite_emploi.diagnostic.models import ReportVersion
from tests.accounts.factories import member
from tests.diagnostic.test_report import MONT_MESLY, cell_of, people_with_barriers, table_of

REPORT = "/diagnostic/rapport/"
VERSIONS = "/diagnostic/rapport/versions/"


def version_url(number: int, suffix: str = "") -> str:
    return f"{VERSIONS}{number}/{suffix}"


def save(territory, **fields):
    values = {
        "as_of": timezone.localdate() - timedelta(days=1),
        "title": "Version de travail",
        "analysis": "",
        "action_contours": "",
        "is_shared": False,
        "by": None,
        **fields,
    }
    return services_report.save_version(territory, **values)


@pytest.fixture
def coordinator_client(client, db):
    client.force_login(member("coordinator"))
    return client


def login(client, role):
    client.force_login(member(role))
    return client


def unavailable(*args, **kwargs):
    raise PdfUnavailable("La génération de PDF n'est pas disponible sur ce serveur (WeasyPrint absent).")


# -- the live report ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "answer"), [("coordinator", 200), ("funder", 200), ("elected", 403)])
def test_the_live_report_is_for_the_coordination_and_the_funders(client, db, role, answer):
    assert login(client, role).get(REPORT).status_code == answer


def test_the_live_report_shows_the_report_the_pdf_button_and_the_save_form(coordinator_client, gpsea):
    people_with_barriers(6)
    body = coordinator_client.get(REPORT).content.decode()
    assert "Télécharger le PDF" in body
    assert f'href="/diagnostic/rapport/rapport.pdf?date={timezone.localdate():%Y-%m-%d}"' in body
    assert 'id="besoins-non-couverts"' in body and "Besoin non couvert" in body
    assert body.count(report.TO_WRITE) == 2
    for label in ("Titre de la version", "5. Analyse partagée", "Partager cette version avec les maires"):
        assert label in body
    assert "Quintavalle" not in body


def test_a_funder_reads_the_report_without_the_save_form(client, db):
    body = login(client, "funder").get(REPORT).content.decode()
    assert "Télécharger le PDF" in body
    assert "Enregistrer la version" not in body


def test_the_report_is_computed_at_the_date_asked(coordinator_client, gpsea):
    people_with_barriers(6)  # followed since a month ago
    long_ago = timezone.localdate() - timedelta(days=400)
    body = coordinator_client.get(REPORT, {"date": f"{long_ago:%Y-%m-%d}"}).content.decode()
    assert f"Données arrêtées au {long_ago.day}" in body.replace("1er", "1")
    assert cell_of(table_of(body, "Personnes suivies (personnes)"), MONT_MESLY) == "0"


@pytest.mark.parametrize("value", ["pas-une-date", "2999-01-01"])
def test_a_bad_date_is_a_form_error_and_shows_no_report(coordinator_client, value):
    response = coordinator_client.get(REPORT, {"date": value})
    assert response.status_code == 200
    body = response.content.decode()
    assert "fr-error-text" in body or "fr-message--error" in body
    assert 'id="synthese"' not in body


# -- saving a version ---------------------------------------------------------------------------------


def test_the_coordination_saves_a_version_and_lands_on_it(coordinator_client, gpsea):
    people_with_barriers(6)
    as_of = timezone.localdate() - timedelta(days=2)
    response = coordinator_client.post(
        REPORT,
        {
            "as_of": f"{as_of:%Y-%m-%d}",
            "title": "Diagnostic du COPIL",
            "analysis": "Premier constat.\n\nSecond constat.",
            "action_contours": "Une permanence santé.",
            "is_shared": "on",
        },
    )
    version = ReportVersion.objects.get(territory=gpsea)
    assert response.status_code == 302
    assert response["Location"] == version_url(1)
    assert (version.number, version.as_of, version.is_shared) == (1, as_of, True)
    assert version.snapshot["as_of"] == as_of.isoformat()
    body = coordinator_client.get(version_url(1)).content.decode()
    assert "Version 1 du diagnostic enregistrée." in body
    assert "<p>Premier constat.</p>" in body and "<p>Second constat.</p>" in body
    assert "Partagée avec les maires" in body


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": ""}, "Ce champ est obligatoire."),
        ({"as_of": "2999-01-01"}, "La date ne peut pas être dans le futur."),
    ],
)
def test_a_bad_version_form_keeps_nothing(coordinator_client, gpsea, fields, error):
    data = {"as_of": f"{timezone.localdate():%Y-%m-%d}", "title": "Titre", "analysis": "Gardé", **fields}
    response = coordinator_client.post(REPORT, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert error in body
    assert "Gardé" in body  # the text typed is given back
    assert not ReportVersion.objects.exists()


def test_a_service_error_is_a_form_error(coordinator_client, gpsea, monkeypatch):
    def refuse(*args, **kwargs):
        raise services_report.ReportError("Plusieurs versions sont enregistrées en même temps.")

    monkeypatch.setattr(services_report, "save_version", refuse)
    response = coordinator_client.post(REPORT, {"as_of": f"{timezone.localdate():%Y-%m-%d}", "title": "T"})
    assert response.status_code == 200
    assert "Plusieurs versions sont enregistrées en même temps." in response.content.decode()


def test_the_written_parts_are_prefilled_from_the_last_version(coordinator_client, gpsea):
    save(gpsea, analysis="Analyse de la version 1", action_contours="Pistes de la version 1")
    save(gpsea, analysis="Analyse de la version 2", action_contours="Pistes de la version 2")
    form = coordinator_client.get(REPORT).content.decode().split('id="enregistrer"')[1]
    assert "Analyse de la version 2" in form and "Pistes de la version 2" in form
    assert "version 1" not in form


def test_only_the_coordination_saves(client, gpsea):
    response = login(client, "funder").post(
        REPORT, {"as_of": f"{timezone.localdate():%Y-%m-%d}", "title": "T"}
    )
    assert response.status_code == 403
    assert not ReportVersion.objects.exists()


# -- versions -----------------------------------------------------------------------------------------


def test_elected_members_see_only_shared_versions(client, gpsea):
    draft = save(gpsea, title="Brouillon interne")
    shared = save(gpsea, title="Version présentée aux maires", is_shared=True)
    login(client, "elected")
    body = client.get(VERSIONS).content.decode()
    assert "Version présentée aux maires" in body and "Brouillon interne" not in body
    assert client.get(version_url(shared.number)).status_code == 200
    assert client.get(version_url(shared.number, "rapport.pdf")).status_code in (200, 302)
    assert client.get(version_url(draft.number)).status_code == 403
    assert client.get(version_url(draft.number, "rapport.pdf")).status_code == 403


@pytest.mark.parametrize("role", ["coordinator", "funder"])
def test_the_coordination_and_funders_see_every_version(client, gpsea, role):
    save(gpsea, title="Brouillon interne")
    save(gpsea, title="Version partagée", is_shared=True)
    body = login(client, role).get(VERSIONS).content.decode()
    assert "Brouillon interne" in body and "Version partagée" in body
    assert client.get(version_url(1)).status_code == 200


def test_a_version_of_another_territory_is_not_found(coordinator_client, other_territory):
    save(other_territory, is_shared=True)
    assert coordinator_client.get(version_url(1)).status_code == 404
    assert coordinator_client.get(version_url(1, "rapport.pdf")).status_code == 404
    assert coordinator_client.post(version_url(1, "partage/"), {"shared": "1"}).status_code == 404


def test_a_version_page_shows_its_frozen_figures(coordinator_client, gpsea, settings):
    settings.SECRECY_THRESHOLD = 5
    people_with_barriers(6)
    save(gpsea)
    people_with_barriers(5)
    frozen = coordinator_client.get(version_url(1)).content.decode()
    live = coordinator_client.get(REPORT).content.decode()
    assert cell_of(table_of(frozen, "Personnes suivies (personnes)"), MONT_MESLY) == "6"
    assert cell_of(table_of(live, "Personnes suivies (personnes)"), MONT_MESLY) == "11"


def test_the_versions_list_runs_the_same_queries_for_2_and_12_versions(
    client, gpsea, django_assert_max_num_queries
):
    coordinator = member("coordinator")
    client.force_login(coordinator)
    version = save(gpsea, by=coordinator)
    ReportVersion.objects.bulk_create(
        ReportVersion(
            territory=gpsea,
            number=n,
            as_of=version.as_of,
            title=f"Version {n}",
            snapshot=version.snapshot,
            created_by=coordinator,
        )
        for n in range(2, 3)
    )
    with django_assert_max_num_queries(30) as few:
        client.get(VERSIONS)
    ReportVersion.objects.bulk_create(
        ReportVersion(
            territory=gpsea, number=n, as_of=version.as_of, title=f"Version {n}", created_by=coordinator
        )
        for n in range(3, 13)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(VERSIONS)


# -- sharing ------------------------------------------------------------------------------------------


def test_the_coordination_shares_and_unshares_a_version(coordinator_client, gpsea):
    version = save(gpsea)
    response = coordinator_client.post(version_url(1, "partage/"), {"shared": "1"})
    assert response.status_code == 302 and response["Location"] == version_url(1)
    version.refresh_from_db()
    assert version.is_shared
    coordinator_client.post(version_url(1, "partage/"), {"shared": "0"})
    version.refresh_from_db()
    assert not version.is_shared


@pytest.mark.parametrize(("role", "answer"), [("funder", 403), ("elected", 403), ("coordinator", 405)])
def test_sharing_is_a_post_of_the_coordination(client, gpsea, role, answer):
    save(gpsea)
    assert login(client, role).get(version_url(1, "partage/")).status_code == answer
    if role != "coordinator":
        assert client.post(version_url(1, "partage/"), {"shared": "1"}).status_code == 403
        assert not ReportVersion.objects.get().is_shared


# -- PDF ----------------------------------------------------------------------------------------------


def test_the_live_pdf_is_a_pdf_file(coordinator_client, gpsea):
    response = coordinator_client.get("/diagnostic/rapport/rapport.pdf", {"date": "2025-06-30"})
    if response.status_code == 302:
        pytest.skip("WeasyPrint n'est pas installé")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="diagnostic-gpsea-2025-06-30.pdf"'
    assert response.content.startswith(b"%PDF")


def test_an_unavailable_pdf_is_a_message_not_an_error(coordinator_client, gpsea, monkeypatch):
    monkeypatch.setattr(report.pdf, "render_pdf", unavailable)
    save(gpsea)
    response = coordinator_client.get("/diagnostic/rapport/rapport.pdf", {"date": "2025-06-30"})
    assert response.status_code == 302 and response["Location"] == f"{REPORT}?date=2025-06-30"
    assert "WeasyPrint absent" in next(str(m) for m in get_messages(response.wsgi_request))
    response = coordinator_client.get(version_url(1, "rapport.pdf"), follow=True)
    assert response.redirect_chain == [(version_url(1), 302)]
    assert "WeasyPrint absent" in response.content.decode()


def test_a_pdf_at_a_bad_date_goes_back_to_the_report(coordinator_client):
    response = coordinator_client.get("/diagnostic/rapport/rapport.pdf", {"date": "31/02/2025"}, follow=True)
    assert response.redirect_chain == [(REPORT, 302)]
    assert response.status_code == 200


# -- comparison ---------------------------------------------------------------------------------------


def test_two_versions_are_compared_figure_by_figure(coordinator_client, gpsea, settings):
    settings.SECRECY_THRESHOLD = 5
    people_with_barriers(6)
    save(gpsea, title="Avant")
    people_with_barriers(5)
    save(gpsea, title="Après")
    response = coordinator_client.get("/diagnostic/rapport/comparer/", {"a": "1", "b": "2"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Écart" in body and "Version 1" in body and "Version 2" in body
    statistics = body[body.index("1. Données statistiques</h2>") :]
    start = re.search(rf'<th scope="row">Personnes suivies</th>\s*<td>{MONT_MESLY}</td>', statistics).start()
    row = statistics[start : statistics.index("</tr>", start)]
    assert [cell.split("<")[0] for cell in row.split('class="diagnostic-number">')[1:]] == ["6", "11", "+5"]


def test_the_comparison_needs_two_different_versions(coordinator_client, gpsea):
    save(gpsea)
    save(gpsea)
    body = coordinator_client.get("/diagnostic/rapport/comparer/", {"a": "1", "b": "1"}).content.decode()
    assert "Choisissez deux versions différentes." in body
    assert "Écart" not in body


def test_an_elected_member_compares_shared_versions_only(client, gpsea):
    save(gpsea, is_shared=True)
    save(gpsea)
    save(gpsea, is_shared=True)
    login(client, "elected")
    assert client.get("/diagnostic/rapport/comparer/", {"a": "1", "b": "2"}).status_code == 403
    body = client.get("/diagnostic/rapport/comparer/", {"a": "1", "b": "3"}).content.decode()
    assert "Écart" in body
    assert "Version 2" not in body.split('id="comparer-titre"')[1].split("</form>")[0]  # not offered


def test_a_version_of_another_territory_cannot_be_compared(coordinator_client, gpsea, other_territory):
    save(gpsea)
    save(gpsea)
    for _ in range(3):
        save(other_territory)
    assert coordinator_client.get("/diagnostic/rapport/comparer/", {"a": "1", "b": "3"}).status_code == 404
    body = coordinator_client.get("/diagnostic/rapport/comparer/", {"a": "un", "b": "1"}).content.decode()
    assert "Sélectionnez un choix valide" in body
