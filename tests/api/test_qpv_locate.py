import pytest
from django.urls import reverse
from shapely.geometry import shape

from cite_emploi.territory.models import QPV
from tests.accounts.factories import member


@pytest.fixture
def api_client(client, db):
    client.force_login(member("counsellor"))
    return client


def inside(code):
    point = shape(QPV.objects.get(code=code).geometry).representative_point()
    return {"lon": point.x, "lat": point.y}


def test_locate_a_point_in_a_perimeter_qpv(api_client):
    response = api_client.get("/api/v1/qpv/locate", inside("QN09406I"))
    assert response.status_code == 200
    body = response.json()
    assert body["qpv_code"] == "QN09406I"
    assert body["qpv_nom"] == "Les Bleuets"
    assert body["communes"] == [{"code": "94028", "nom": "Créteil"}]
    assert body["dans_perimetre"] is True
    assert body["territoire"] == "gpsea"


def test_locate_the_champigny_side_of_a_shared_qpv_is_outside_gpsea(api_client):
    from cite_emploi.territory.models import Commune

    champigny = shape(Commune.objects.get(code="94017").geometry)
    qpv = shape(QPV.objects.get(code="QN09424I").geometry)
    point = qpv.intersection(champigny).buffer(-0.0005).representative_point()
    body = api_client.get("/api/v1/qpv/locate", {"lon": point.x, "lat": point.y}).json()
    assert body["qpv_code"] == "QN09424I"
    assert body["commune_code"] == "94017"
    assert body["dans_perimetre"] is False


def test_locate_outside_any_qpv(api_client):
    body = api_client.get("/api/v1/qpv/locate", {"lon": 2.3522, "lat": 48.8566}).json()
    assert body["qpv_code"] is None
    assert body["dans_perimetre"] is False


def test_locate_needs_a_session(client, db):
    response = client.get("/api/v1/qpv/locate", {"lon": 2.45, "lat": 48.78})
    assert response.status_code == 401
    assert "connectez-vous" in response.json()["detail"]


def test_errors_say_which_parameter_and_what_is_expected_in_french(api_client):
    body = api_client.get("/api/v1/qpv/locate", {"lon": "abc", "lat": 95}).json()
    assert {"champ": "lon", "message": "nombre décimal attendu (point comme séparateur, ex. 2.4551)"} in body[
        "erreurs"
    ]
    assert {"champ": "lat", "message": "valeur trop grande (maximum 90)"} in body["erreurs"]


@pytest.mark.parametrize("params", [{"lon": "abc", "lat": 48.7}, {"lon": 2.4}, {"lon": 500, "lat": 48.7}])
def test_bad_parameters_are_a_422_not_a_500(api_client, params):
    assert api_client.get("/api/v1/qpv/locate", params).status_code == 422


def test_openapi_schema_lists_the_route(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/qpv/locate" in schema["paths"]
    props = schema["components"]["schemas"]["LocateOut"]["properties"]
    assert {"qpv_code", "qpv_nom", "communes", "dans_perimetre"} <= set(props)


def test_url_reverses(db):
    assert reverse("api:openapi-json") == "/api/v1/openapi.json"
