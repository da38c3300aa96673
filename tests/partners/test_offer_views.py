import json
from pathlib import Path

import pytest
from data_inclusion.schema import v1
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cite_emploi.core.models import AuditEntry
from cite_emploi.partners.models import Organisation, Service
from tests.accounts.factories import member
from tests.partners.factories import OrganisationFactory, ServiceFactory

DATA = Path(__file__).parent / "data"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def sample() -> SimpleUploadedFile:
    return upload("offre.json", (DATA / "offre_v1.json").read_bytes())


@pytest.fixture
def coordinator(client, db):
    user = member("coordinator")
    client.force_login(user)
    return user


# -- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["partners:offer_io", "partners:offer_import", "partners:offer_export"])
@pytest.mark.parametrize("role", ["counsellor", "elected", "funder", "employer"])
def test_only_coordinators_reach_the_pages(client, db, name, role):
    client.force_login(member(role))

    assert client.get(reverse(name), {"format": "xlsx"}).status_code == 403


def test_a_non_coordinator_cannot_post_an_import(client, db):
    client.force_login(member("counsellor"))

    response = client.post(reverse("partners:offer_import"), {"fichier": sample()})

    assert response.status_code == 403
    assert not Organisation.objects.filter(source="dora").exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    response = client.get(reverse("partners:offer_io"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_a_coordinator_imports_into_their_own_territory_only(client, gpsea, other_territory):
    client.force_login(member("coordinator", territory=other_territory))

    response = client.post(reverse("partners:offer_import"), {"fichier": sample()})

    assert response.status_code == 200
    assert Organisation.objects.filter(source="dora", territory=other_territory).count() == 2
    assert not Organisation.objects.filter(source="dora", territory=gpsea).exists()


def test_a_coordinator_exports_their_own_territory_only(client, gpsea, other_territory):
    OrganisationFactory(territory=gpsea, name="Structure de GPSEA")
    OrganisationFactory(territory=other_territory, name="Structure voisine")
    client.force_login(member("coordinator", territory=other_territory))

    response = client.get(reverse("partners:offer_export"), {"format": "data-inclusion-json"})

    names = {r["nom"] for r in json.loads(b"".join(response.streaming_content))["structures"]}
    assert "Structure voisine" in names and "Structure de GPSEA" not in names


# -- The « Import / export » page -----------------------------------------------------------------


def test_the_page_offers_the_three_formats_and_lists_incomplete_services(client, coordinator):
    org = Organisation.objects.get(memberships__user=coordinator)
    ServiceFactory(organisation=org, name="Sans description", description="abc")

    page = client.get(reverse("partners:offer_io")).content.decode()

    for fmt in ("data-inclusion-json", "csv", "xlsx"):
        assert f"?format={fmt}" in page
    assert "Sans description" in page and "ne sera pas exporté" in page


@pytest.mark.parametrize(
    "fmt,suffix,content_type",
    [
        ("data-inclusion-json", ".json", "application/json"),
        ("csv", ".zip", "application/zip"),
        ("xlsx", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_exports_are_downloads(client, coordinator, fmt, suffix, content_type):
    response = client.get(reverse("partners:offer_export"), {"format": fmt})

    assert response.status_code == 200 and response["Content-Type"] == content_type
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and suffix in response["Content-Disposition"]
    )
    assert AuditEntry.objects.filter(action="export", actor=coordinator).exists()


def test_an_unknown_export_format_is_a_message_not_an_error(client, coordinator):
    response = client.get(reverse("partners:offer_export"), {"format": "pdf"}, follow=True)

    assert response.status_code == 200
    assert "export inconnu" in response.content.decode()


def test_the_exported_json_validates(client, coordinator):
    client.post(reverse("partners:offer_import"), {"fichier": sample()})

    response = client.get(reverse("partners:offer_export"), {"format": "data-inclusion-json"})

    data = json.loads(b"".join(response.streaming_content))
    assert len(data["services"]) == 3
    for record in data["services"]:
        v1.Service.model_validate(record)


# -- Import ---------------------------------------------------------------------------------------


def test_an_import_shows_the_report(client, coordinator):
    response = client.post(reverse("partners:offer_import"), {"fichier": sample()})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Import réussi" in page and "Compte rendu" in page
    assert Service.objects.filter(source="dora").count() == 3
    entry = AuditEntry.objects.get(object_type="partners.offer_import")
    assert entry.actor == coordinator and entry.action == "create"


def _bad_file() -> SimpleUploadedFile:
    records = {
        "structures": [{"source": "t", "id": "s1", "nom": "Structure valide", "date_maj": "2025-01-10"}],
        "services": [
            {
                "source": "t",
                "id": "ok",
                "structure_id": "s1",
                "nom": "Service",
                "description": "Assez long.",
                "date_maj": "2025-01-10",
            },
            {
                "source": "t",
                "id": "ko",
                "structure_id": "s1",
                "nom": "Service",
                "description": "abc",
                "date_maj": "2025-01-10",
            },
        ],
    }
    return upload("offre.json", json.dumps(records).encode())


def test_a_bad_record_is_listed_with_its_line_and_nothing_is_imported(client, coordinator):
    response = client.post(reverse("partners:offer_import"), {"fichier": _bad_file()})

    page = response.content.decode()
    assert "Rien n&#x27;a été importé" in page or "Rien n'a été importé" in page
    assert "<td>services</td><td>2</td><td>ko</td>" in page
    assert "texte trop court (au moins 5 caractères)" in page
    assert not Organisation.objects.filter(source="t").exists()


def test_partial_import_keeps_the_good_records(client, coordinator):
    response = client.post(reverse("partners:offer_import"), {"fichier": _bad_file(), "partiel": "on"})

    assert "Import partiel réussi" in response.content.decode()
    assert list(Service.objects.filter(source="t").values_list("external_id", flat=True)) == ["ok"]


def test_a_simulation_writes_nothing(client, coordinator):
    response = client.post(reverse("partners:offer_import"), {"fichier": sample(), "simulation": "on"})

    assert "Simulation" in response.content.decode()
    assert not Organisation.objects.filter(source="dora").exists()


def test_conversions_of_the_older_schema_are_shown(client, coordinator):
    response = client.post(
        reverse("partners:offer_import"),
        {"fichier": upload("v0.json", (DATA / "offre_v0.json").read_bytes())},
    )

    page = response.content.decode()
    assert "Conversions depuis l" in page
    assert "zone_diffusion_type=commune + zone_diffusion_code=94028 → zone_eligibilite=[94028]" in page


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("offre.json", b"\x89PNG\r\n\x1a\n", "UTF-8"),
        ("offre.json", b"pas du json", "ce n&#x27;est pas un fichier JSON"),
        ("offre.csv", "source;id;nom;date_maj\nt;1;Crèche;2025-01-10\n".encode("cp1252"), "UTF-8"),
        ("offre.xlsx", b"PK\x03\x04 faux", "classeur Excel"),
        ("services.csv", b"id,nom\n1,a\n", "colonnes obligatoires absentes"),
        ("offre.pdf", b"%PDF", "format non reconnu"),
    ],
)
def test_bad_files_give_a_french_message_never_a_500(client, coordinator, name, content, message):
    response = client.post(reverse("partners:offer_import"), {"fichier": upload(name, content)})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Organisation.objects.exclude(memberships__user=coordinator).exists()


def test_an_empty_upload_is_a_form_error(client, coordinator):
    response = client.post(reverse("partners:offer_import"), {"fichier": upload("offre.json", b"")})

    assert response.status_code == 200
    assert "fr-upload-group--error" in response.content.decode() or "vide" in response.content.decode()


def test_the_import_page_uses_the_dsfr_upload_field(client, coordinator):
    page = client.get(reverse("partners:offer_import")).content.decode()

    assert 'class="fr-upload"' in page and "fr-upload-group" in page
    assert 'enctype="multipart/form-data"' in page


def test_the_exported_xlsx_can_be_reimported_through_the_page(client, coordinator):
    client.post(reverse("partners:offer_import"), {"fichier": sample()})
    response = client.get(reverse("partners:offer_export"), {"format": "xlsx"})
    content = b"".join(response.streaming_content)

    again = client.post(reverse("partners:offer_import"), {"fichier": upload("offre.xlsx", content)})

    page = again.content.decode()
    assert "Import réussi" in page
    assert Service.objects.filter(source="dora").count() == 3
