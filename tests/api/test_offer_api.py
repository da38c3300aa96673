"""GET /api/v1/structures and /api/v1/services: data·inclusion v1 records, catalogue filters, pages."""

import pytest
from data_inclusion.schema import v1

from cite_emploi.partners.data_inclusion import service_record, structure_record, validation_errors
from cite_emploi.partners.models import OrganisationKind
from tests.accounts.factories import member
from tests.partners.factories import OrganisationFactory, located_site, saved_service, saved_service_at

pytestmark = pytest.mark.django_db

EMPLOI = "trouver-un-emploi--faire-des-candidatures-spontanees"
MOBILITE = "mobilite--acceder-a-un-vehicule"
BLEUETS, NEAR, CHANTEREINE = (2.4571, 48.8033), (2.4673, 48.8033), (2.42561, 48.78535)


@pytest.fixture
def api(client):
    client.force_login(member("counsellor", name="Agence du conseiller"))
    return client


def names(response):
    assert response.status_code == 200, response.content
    return [item["nom"] for item in response.json()["items"]]


def test_services_are_data_inclusion_records(api, gpsea):
    service = saved_service(
        name="Ateliers CV", thematiques=[EMPLOI], longitude=BLEUETS[0], latitude=BLEUETS[1]
    )
    body = api.get("/api/v1/services").json()
    assert body["count"] == 1
    record = body["items"][0]
    expected = service_record(service)
    assert record == {key: expected.get(key) for key in record}
    assert set(expected) <= set(record)  # the schema of the API does not drop a field of the record
    assert record["code_insee"] == "94028" and record["thematiques"] == [EMPLOI]
    assert validation_errors(v1.Service, record) == []


def test_structures_are_data_inclusion_records(api, gpsea):
    org = OrganisationFactory(
        name="Mission locale", kind=OrganisationKind.MISSION_LOCALE, networks=["mission-locale"]
    )
    body = api.get("/api/v1/structures", {"nature": "mission-locale"}).json()
    assert body["count"] == 1
    record = body["items"][0]
    expected = structure_record(org)
    assert set(expected) <= set(record)
    assert record == {key: expected.get(key) for key in record}
    assert validation_errors(v1.Structure, record) == []


def test_services_filters(api, gpsea):
    org = OrganisationFactory(name="Garage Émeraude")
    site = located_site(org, *CHANTEREINE)
    saved_service_at(
        [site], name="Garage", organisation=org, thematiques=[MOBILITE], publics=["seniors"], fees="payant"
    )
    saved_service(
        name="CV",
        thematiques=[EMPLOI],
        publics=["jeunes"],
        fees="gratuit",
        reception_modes=["a-distance"],
        longitude=BLEUETS[0],
        latitude=BLEUETS[1],
    )
    saved_service(
        name="Tous", thematiques=[EMPLOI], publics=["tous-publics"], longitude=NEAR[0], latitude=NEAR[1]
    )

    def get(**params):
        return names(api.get("/api/v1/services", params))

    assert get() == ["CV", "Garage", "Tous"]
    assert get(categorie="trouver-un-emploi") == ["CV", "Tous"]
    assert get(thematique=MOBILITE) == ["Garage"]
    assert get(categorie="mobilite", thematique=EMPLOI) == ["CV", "Garage", "Tous"]
    assert get(public="seniors") == ["Garage", "Tous"]
    assert get(commune="94002") == ["Garage"]
    assert get(qpv="QN09406I") == ["CV"]
    assert get(qpv=["QN09406I", "QN09404M"]) == ["CV", "Garage"]
    assert get(mode_accueil="a-distance") == ["CV"]
    assert get(frais="payant") == ["Garage"]
    assert get(q="EMERAUDE") == ["Garage"]
    assert get(lon=BLEUETS[0], lat=BLEUETS[1], rayon_m=1000) == ["CV", "Tous"]
    assert get(depuis_qpv="QN09406I", rayon_m=1000) == ["CV", "Tous"]
    assert get(adresse="1 place Salvador Allende", depuis_qpv="QN09404M", rayon_m=500) == ["Garage"]


def test_structures_filters(api, gpsea):
    from cite_emploi.partners.services import save_organisation

    seat = save_organisation(
        OrganisationFactory.build(
            name="Siège Bleuets", longitude=BLEUETS[0], latitude=BLEUETS[1], networks=["ai"]
        )
    )
    saved_service(organisation=seat, thematiques=[MOBILITE])
    perm = OrganisationFactory(name="Permanente", kind=OrganisationKind.PLIE)
    located_site(perm, *CHANTEREINE, is_permanence=True)

    def get(**params):
        return names(api.get("/api/v1/structures", params))

    assert get() == ["Agence du conseiller", "Permanente", "Siège Bleuets"]
    assert get(nature="plie") == ["Permanente"]
    assert get(reseau="ai") == ["Siège Bleuets"]
    assert get(categorie="mobilite") == ["Siège Bleuets"]
    assert get(thematique=EMPLOI) == []
    assert get(en_qpv="true") == ["Permanente", "Siège Bleuets"]
    assert get(qpv="QN09404M") == ["Permanente"]
    assert get(commune="94028") == ["Siège Bleuets"]
    assert get(q="siege") == ["Siège Bleuets"]


def test_pages_are_bounded(api, gpsea):
    for i in range(7):
        saved_service(name=f"Service {i}")
    body = api.get("/api/v1/services", {"taille": 3, "page": 3}).json()
    assert body["count"] == 7 and [s["nom"] for s in body["items"]] == ["Service 6"]
    too_big = api.get("/api/v1/services", {"taille": 201})
    assert too_big.status_code == 422
    assert too_big.json()["erreurs"] == [{"champ": "taille", "message": "valeur trop grande (maximum 200)"}]
    assert api.get("/api/v1/services", {"page": 0}).status_code == 422
    distance = api.get(
        "/api/v1/services", {"lon": BLEUETS[0], "lat": BLEUETS[1], "taille": 2, "page": 2}
    ).json()
    assert distance["count"] == 0


def test_french_errors(api, gpsea):
    unknown = api.get("/api/v1/services", {"categorie": "pas-une-categorie"})
    assert unknown.status_code == 422 and unknown.json()["erreurs"][0]["champ"] == "categorie.0"
    no_origin = api.get("/api/v1/services", {"adresse": "1 place Salvador Allende"})
    assert no_origin.status_code == 422
    assert "géocodage" in no_origin.json()["detail"]
    assert api.get("/api/v1/services", {"commune": "1"}).status_code == 422


def test_query_count_is_constant(api, gpsea, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        saved_service(thematiques=[EMPLOI])
    with CaptureQueriesContext(connection) as five:
        assert api.get("/api/v1/services").json()["count"] == 5
    for _ in range(45):
        saved_service(thematiques=[EMPLOI])
    with django_assert_max_num_queries(len(five)):
        assert len(api.get("/api/v1/services").json()["items"]) == 50


def test_access(client, gpsea, other_territory):
    saved_service(name="Service GPSEA")
    assert client.get("/api/v1/services").status_code == 401
    client.force_login(member("employer"))
    refused = client.get("/api/v1/services")
    assert refused.status_code == 403 and "rôle" in refused.json()["detail"]
    assert client.get("/api/v1/structures").status_code == 403
    for role in ("coordinator", "elected", "funder"):
        client.force_login(member(role))
        assert client.get("/api/v1/services").status_code == 200, role
    client.force_login(member("coordinator", territory=other_territory))
    assert client.get("/api/v1/services").json() == {"items": [], "count": 0}
    assert "GPSEA" not in client.get("/api/v1/structures").content.decode()


def test_openapi_documents_the_routes(client, gpsea):
    schema = client.get("/api/v1/openapi.json").json()
    services = schema["paths"]["/api/v1/services"]["get"]
    params = {p["name"] for p in services["parameters"]}
    assert {"q", "categorie", "thematique", "public", "commune", "qpv", "mode_accueil", "frais"} <= params
    assert {"adresse", "depuis_qpv", "lon", "lat", "rayon_m", "page", "taille"} <= params
    assert "/api/v1/structures" in schema["paths"]
