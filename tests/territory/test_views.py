import pytest
from django.urls import reverse

from cite_emploi.territory.models import QPV
from tests.accounts.factories import member


@pytest.fixture
def mesly_point(db):
    from shapely.geometry import shape

    point = shape(QPV.objects.get(code="QN09405M").geometry).representative_point()
    return point.x, point.y


@pytest.fixture
def counsellor_client(client, db):
    client.force_login(member("counsellor"))
    return client


def test_overview_shows_the_current_perimeter_with_its_table(counsellor_client):
    response = counsellor_client.get(reverse("territory:overview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Géographie prioritaire 2024" in html
    assert "QN09438N" in html  # Fosse Rouge - Cité Verte, Sucy-en-Brie: new in 2024
    assert "<caption>" in html and 'scope="col"' in html


def test_overview_shows_the_2021_perimeter_with_quartiers_no_longer_prioritaires(counsellor_client):
    html = counsellor_client.get(reverse("territory:overview"), {"geographie": 2015}).content.decode()
    assert "Petit Pré – Sablières" in html
    assert "plus prioritaire en 2024" in html
    assert "Haut Val-de-Marne" in html


def test_unknown_geography_is_a_404(counsellor_client):
    assert counsellor_client.get(reverse("territory:overview"), {"geographie": 1999}).status_code == 404


def test_perimeter_geojson_has_qpv_and_communes(counsellor_client):
    data = counsellor_client.get(reverse("territory:perimeter_geojson")).json()
    layers = {}
    for f in data["features"]:
        layers.setdefault(f["properties"]["layer"], []).append(f)
    assert len(layers["qpv"]) == 9
    bois = next(f for f in layers["qpv"] if f["properties"]["code"] == "QN09424I")
    assert bois["properties"]["communes_couvertes"] == ["94019"]
    assert len(layers["territoire"]) == 1


def test_overview_queries_do_not_grow_with_the_perimeter(counsellor_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        counsellor_client.get(reverse("territory:overview"))


def test_check_address_by_point(counsellor_client, mesly_point):
    lon, lat = mesly_point
    response = counsellor_client.get(reverse("territory:check_address"), {"lon": lon, "lat": lat})
    html = response.content.decode()
    assert "Dans le périmètre de la Cité" in html
    assert "QN09405M" in html


def test_check_address_outside_any_qpv(counsellor_client):
    html = counsellor_client.get(
        reverse("territory:check_address"), {"lon": 2.3522, "lat": 48.8566}
    ).content.decode()
    assert "Hors quartier prioritaire" in html


def test_check_address_without_geocoder_tells_the_user_and_offers_the_manual_choice(
    counsellor_client, settings
):
    settings.GEOCODER = {"URL": "", "TIMEOUT": 1, "RETRIES": 0}
    response = counsellor_client.get(
        reverse("territory:check_address"), {"adresse": "1 rue de Paris, Créteil"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Aucun service de géocodage" in html
    assert 'name="qpv"' in html


def test_check_address_with_the_fake_geocoder(counsellor_client, fake_geocoder):
    response = counsellor_client.get(
        reverse("territory:check_address"), {"adresse": "place Salvador Allende Créteil"}
    )
    html = response.content.decode()
    assert "Adresse retenue" in html


def test_check_address_when_the_geocoder_is_down(counsellor_client, settings):
    settings.GEOCODER = {"URL": "http://127.0.0.1:9", "TIMEOUT": 0.5, "RETRIES": 0}
    response = counsellor_client.get(
        reverse("territory:check_address"), {"adresse": "1 rue de Paris, Créteil"}
    )
    assert response.status_code == 200
    assert "Adresse non localisée" in response.content.decode()


def test_manual_choice_lists_only_the_perimeter_qpv(counsellor_client):
    page = counsellor_client.get(reverse("territory:check_address"))
    choices = [str(q) for q in page.context["manual_form"].fields["qpv"].queryset]
    assert len(choices) == 9
    chosen = QPV.objects.get(code="QN09424I")
    html = counsellor_client.get(reverse("territory:check_address"), {"qpv": chosen.pk}).content.decode()
    assert "Dans le périmètre pour : 94019" in html


def test_manual_choice_refuses_a_qpv_of_another_territory(counsellor_client):
    outside = QPV.objects.get(code="QN09421M")  # Champigny
    response = counsellor_client.get(reverse("territory:check_address"), {"qpv": outside.pk})
    assert "Quartier choisi à la main" not in response.content.decode()


def test_another_territory_sees_its_own_perimeter(client, other_territory):
    client.force_login(member("coordinator", territory=other_territory))
    data = client.get(reverse("territory:perimeter_geojson")).json()
    codes = {f["properties"]["code"] for f in data["features"] if f["properties"]["layer"] == "qpv"}
    assert "QN09405M" not in codes and "QN09421M" in codes


def test_bad_coordinates_are_a_form_error_not_a_crash(counsellor_client):
    response = counsellor_client.get(reverse("territory:check_address"), {"lon": "abc", "lat": "999"})
    assert response.status_code == 200
    assert response.context["point_form"].errors


@pytest.mark.parametrize("role", ["coordinator", "counsellor", "elected", "funder", "employer"])
def test_every_role_reads_the_territory_page(client, db, role):
    client.force_login(member(role))
    assert client.get(reverse("territory:overview")).status_code == 200
