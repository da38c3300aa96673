"""Pages of the catalogue, the partner map, the network, the coverage table and the directory export."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cite_emploi.partners.models import OrganisationKind, Partnership
from cite_emploi.partners.services import save_organisation
from tests.accounts.factories import member
from tests.partners.factories import (
    OrganisationFactory,
    PartnershipFactory,
    located_site,
    saved_service,
    saved_service_at,
)

pytestmark = pytest.mark.django_db

EMPLOI = "trouver-un-emploi--faire-des-candidatures-spontanees"
MOBILITE = "mobilite--acceder-a-un-vehicule"
BLEUETS, NEAR, CHANTEREINE = (2.4571, 48.8033), (2.4673, 48.8033), (2.42561, 48.78535)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def counsellor(client):
    client.force_login(member("counsellor", name="Pôle du conseiller", kind=OrganisationKind.CITE_TEAM))
    return client


def get(client, name, *args, **params):
    return client.get(reverse(f"partners:{name}", args=args), params)


# -- Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "counsellor", "elected", "funder"])
def test_readers_of_the_census_open_every_page(client, gpsea, role):
    client.force_login(member(role))
    for name, args in [
        ("catalogue", ()),
        ("catalogue_map_json", ()),
        ("partner_map", ()),
        ("partner_map_json", ()),
        ("network", ()),
        ("coverage", ()),
        ("coverage_cell", ("QN09406I", "sante")),
        ("directory_export", ("csv",)),
    ]:
        assert get(client, name, *args).status_code == 200, name


def test_an_employer_is_refused_and_a_visitor_sent_to_login(client, gpsea):
    assert get(client, "catalogue").status_code == 302
    client.force_login(member("employer"))
    for name, args in [
        ("catalogue", ()),
        ("catalogue_map_json", ()),
        ("coverage", ()),
        ("directory_export", ("xlsx",)),
    ]:
        assert get(client, name, *args).status_code == 403, name


def test_another_territory_never_sees_our_services(client, gpsea, other_territory):
    ours = saved_service(
        name="Service secret GPSEA",
        thematiques=[EMPLOI],
        **dict(zip(("longitude", "latitude"), BLEUETS, strict=True)),
    )
    PartnershipFactory(source=ours.organisation, target=OrganisationFactory(name="Partenaire GPSEA"))
    client.force_login(member("coordinator", territory=other_territory))
    for name, args in [
        ("catalogue", ()),
        ("catalogue_map_json", ()),
        ("partner_map", ()),
        ("partner_map_json", ()),
        ("network", ()),
        ("coverage", ()),
        ("directory_export", ("csv",)),
    ]:
        body = get(client, name, *args).content.decode("utf-8-sig")
        assert "secret GPSEA" not in body and ours.organisation.name not in body and "QN09406I" not in body, (
            name
        )
    assert get(client, "catalogue", q="secret").context["count"] == 0
    assert get(client, "coverage_cell", "QN09406I", "trouver-un-emploi").status_code == 404
    assert client.get(reverse("partners:service", args=[ours.pk])).status_code == 404


# -- Catalogue ----------------------------------------------------------------------------------


def test_catalogue_lists_links_and_filters(counsellor, gpsea):
    jobs = saved_service(
        name="Ateliers emploi Créteil", thematiques=[EMPLOI], publics=["jeunes"], fees="gratuit"
    )
    saved_service(name="Garage solidaire", thematiques=[MOBILITE], publics=["seniors"], fees="payant")
    page = get(counsellor, "catalogue")
    assert page.status_code == 200 and page.context["count"] == 2
    body = page.content.decode()
    assert reverse("partners:service", args=[jobs.pk]) in body
    assert 'id="resultats"' in body and "catalogue_map.js" in body and "<script>" not in body
    for params, expected in [
        ({"thematique": "trouver-un-emploi"}, ["Ateliers emploi Créteil"]),
        ({"thematique": MOBILITE}, ["Garage solidaire"]),
        ({"public": "seniors"}, ["Garage solidaire"]),
        ({"frais": "gratuit"}, ["Ateliers emploi Créteil"]),
        ({"q": "CRETEIL"}, ["Ateliers emploi Créteil"]),
        ({"accueil": "a-distance"}, []),
    ]:
        rows = get(counsellor, "catalogue", **params).context["rows"]
        assert [r["service"].name for r in rows] == expected, params


def test_catalogue_commune_and_qpv_filters(counsellor, gpsea):
    org = OrganisationFactory()
    site = located_site(org, *CHANTEREINE, is_permanence=True)
    saved_service_at([site], name="Permanence Chantereine", organisation=org)
    saved_service(name="Aux Bleuets", longitude=BLEUETS[0], latitude=BLEUETS[1])

    def names(**params):
        return [r["service"].name for r in get(counsellor, "catalogue", **params).context["rows"]]

    assert names(qpv="QN09404M") == ["Permanence Chantereine"]
    assert names(commune="94028") == ["Aux Bleuets"]
    form = get(counsellor, "catalogue", qpv="QN99999X").context["form"]
    assert "qpv" in form.errors  # not a QPV of the perimeter: the filter is refused, not ignored silently


def test_htmx_gets_the_results_fragment_only(counsellor, gpsea):
    saved_service(name="Ateliers")
    response = counsellor.get(reverse("partners:catalogue"), {"q": "atelier"}, **HTMX)
    body = response.content.decode()
    assert "<html" not in body and "Ateliers" in body and "data-map-url" in body
    assert "HX-Request" in response["Vary"]
    restore = counsellor.get(
        reverse("partners:catalogue"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restore.content.decode()


def test_pagination_keeps_the_filters(counsellor, gpsea):
    for i in range(25):
        saved_service(name=f"Atelier {i:02d}", thematiques=[EMPLOI])
    saved_service(name="Autre", thematiques=[MOBILITE])
    first = get(counsellor, "catalogue", thematique="trouver-un-emploi")
    assert first.context["count"] == 25 and len(first.context["rows"]) == 20
    assert "thematique=trouver-un-emploi" in first.content.decode() and "page=2" in first.content.decode()
    second = get(counsellor, "catalogue", thematique="trouver-un-emploi", page=2)
    assert [r["service"].name for r in second.context["rows"]] == [f"Atelier {i}" for i in range(20, 25)]


def test_distance_from_a_qpv_without_geocoder(counsellor, gpsea):
    saved_service(name="Près", longitude=NEAR[0], latitude=NEAR[1])
    saved_service(name="Loin", longitude=CHANTEREINE[0], latitude=CHANTEREINE[1])
    page = get(
        counsellor,
        "catalogue",
        adresse="1 place Salvador Allende Créteil",
        depuis_qpv="QN09406I",
        rayon="1000",
    )
    assert page.status_code == 200
    assert [r["service"].name for r in page.context["rows"]] == ["Près"]
    assert page.context["rows"][0]["distance"].endswith(" m")
    body = page.content.decode()
    assert "centre du quartier Les Bleuets" in body and "géocodage" in body
    assert "lon=" in page.context["map_url"] and "adresse" not in page.context["map_url"]
    alone = get(counsellor, "catalogue", adresse="1 place Salvador Allende Créteil")
    assert alone.status_code == 200 and alone.context["count"] == 2  # distance ignored, explained
    assert "Choisissez un quartier de départ" in alone.content.decode()


def test_map_json_uses_the_same_filters(counsellor, gpsea):
    org = OrganisationFactory(name="Structure")
    site = located_site(org, *CHANTEREINE, name="Antenne")
    jobs = saved_service_at(
        [site],
        name="Emploi",
        organisation=org,
        thematiques=[EMPLOI],
        longitude=BLEUETS[0],
        latitude=BLEUETS[1],
    )
    saved_service(name="Garage", thematiques=[MOBILITE], longitude=NEAR[0], latitude=NEAR[1])
    data = get(counsellor, "catalogue_map_json", thematique="trouver-un-emploi").json()
    assert data["type"] == "FeatureCollection" and data["tronque"] is False
    assert sorted(f["properties"]["lieu"] for f in data["features"]) == ["", "Antenne"]
    feature = data["features"][0]
    assert feature["properties"]["url"] == reverse("partners:service", args=[jobs.pk])
    assert feature["properties"]["organisation"] == "Structure"
    near = get(counsellor, "catalogue_map_json", lon=BLEUETS[0], lat=BLEUETS[1], rayon="1000").json()
    layers = sorted((f["properties"]["layer"], f["properties"].get("nom")) for f in near["features"])
    assert layers == [("origine", "point 48.80330, 2.45710"), ("service", "Emploi"), ("service", "Garage")]


def test_a_result_card_shows_what_the_service_says(counsellor, gpsea):
    from cite_emploi.partners import enums

    emploi = [*[v for v, _ in enums.THEMATIQUES if v.startswith("trouver-un-emploi--")][:5], MOBILITE]
    service = saved_service(
        name="Atelier <emploi>",
        organisation=OrganisationFactory(name="Tremplin & Co"),
        commune_name="Bonneuil-sur-Marne",
        description="Un atelier. " * 40,
        thematiques=emploi,
        publics=["jeunes", "seniors"],
        fees="gratuit",
    )
    body = get(counsellor, "catalogue", thematique="trouver-un-emploi", beneficiary="7").content.decode()
    url = reverse("partners:service", args=[service.pk])
    assert f'<a href="{url}?beneficiary=7">Atelier &lt;emploi&gt;</a>' in body
    assert "<strong>Tremplin &amp; Co</strong>\n       · Bonneuil-sur-Marne\n" in body
    assert f"{('Un atelier. ' * 40)[:239]}…</p>" in body
    tags = [f'<li><p class="fr-tag fr-tag--sm">{enums.label(t)}</p></li>' for t in service.thematiques[:4]]
    assert "".join(tags) + '<li><p class="fr-tag fr-tag--sm">+ 2</p></li></ul>' in body
    assert f"Publics : {enums.label('jeunes')}, {enums.label('seniors')}</p>" in body
    assert f" · {enums.label('gratuit')}\n" in body


def test_catalogue_queries_do_not_grow_with_the_results(client, gpsea, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(member("counsellor"))

    def add(n):
        for _ in range(n):
            org = OrganisationFactory()
            site = located_site(org, *CHANTEREINE, is_permanence=True)
            saved_service_at(
                [site],
                organisation=org,
                thematiques=[EMPLOI, MOBILITE],
                longitude=BLEUETS[0],
                latitude=BLEUETS[1],
            )

    searches = (
        {},
        {"thematique": "trouver-un-emploi", "q": "atelier"},
        {"depuis_qpv": "QN09406I", "rayon": "2000"},
    )
    add(5)
    measured = []
    for params in searches:
        with CaptureQueriesContext(connection) as page:
            assert get(client, "catalogue", **params).context["count"] == 5
        with CaptureQueriesContext(connection) as json:
            get(client, "catalogue_map_json", **params)
        measured.append((len(page), len(json)))
    add(45)
    for params, (page_queries, json_queries) in zip(searches, measured, strict=True):
        with django_assert_max_num_queries(page_queries):
            assert get(client, "catalogue", **params).context["count"] == 50
        with django_assert_max_num_queries(json_queries):
            assert len(get(client, "catalogue_map_json", **params).json()["features"]) > 50


# -- Partner map and directory -----------------------------------------------------------------------


@pytest.fixture
def partners(gpsea):
    seat = save_organisation(
        OrganisationFactory.build(
            name="Mission locale",
            kind=OrganisationKind.MISSION_LOCALE,
            longitude=BLEUETS[0],
            latitude=BLEUETS[1],
        )
    )
    other = OrganisationFactory(name="Association Élan", kind=OrganisationKind.ASSOCIATION, networks=["ai"])
    located_site(other, *CHANTEREINE, name="Permanence Chantereine", is_permanence=True)
    saved_service(organisation=other, thematiques=[MOBILITE])
    OrganisationFactory(name="Bailleur", kind=OrganisationKind.SOCIAL_LANDLORD)
    return seat, other


def test_partner_map_filters_and_table(counsellor, partners):
    page = get(counsellor, "partner_map")
    assert [o.name for o in page.context["organisations"]] == [
        "Association Élan",
        "Bailleur",
        "Mission locale",
        "Pôle du conseiller",
    ]
    for params, expected in [
        ({"nature": "mission-locale"}, ["Mission locale"]),
        ({"reseau": "ai"}, ["Association Élan"]),
        ({"thematique": "mobilite"}, ["Association Élan"]),
        ({"presence": "tous"}, ["Association Élan", "Mission locale"]),
        ({"presence": "QN09404M"}, ["Association Élan"]),
        ({"q": "elan"}, ["Association Élan"]),
    ]:
        assert [
            o.name for o in get(counsellor, "partner_map", **params).context["organisations"]
        ] == expected, params
    fragment = counsellor.get(
        reverse("partners:partner_map"), {"nature": "bailleur"}, **HTMX
    ).content.decode()
    assert "<html" not in fragment and "Bailleur" in fragment and "annuaire.csv?nature=bailleur" in fragment


def test_partner_map_json_has_seats_and_permanences(counsellor, partners):
    other = partners[1]
    data = get(counsellor, "partner_map_json").json()
    found = sorted(
        (f["properties"]["layer"], f["properties"]["nom"], f["properties"]["qpv"]) for f in data["features"]
    )
    assert found == [
        ("permanence", "Association Élan", "Chantereine"),
        ("siege", "Mission locale", "Les Bleuets"),
    ]
    permanence = next(f for f in data["features"] if f["properties"]["layer"] == "permanence")
    assert permanence["properties"]["url"] == reverse("partners:organisation", args=[other.pk])
    assert get(counsellor, "partner_map_json", nature="bailleur").json()["features"] == []


def test_directory_exports(counsellor, partners, gpsea):
    csv_response = get(counsellor, "directory_export", "csv", nature="mission-locale")
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response["Content-Disposition"].startswith('attachment; filename="annuaire-partenaires-gpsea-')
    text = csv_response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Organisation;Nature;Réseaux porteurs")
    assert len(text.splitlines()) == 2 and "Mission locale" in text
    xlsx = get(counsellor, "directory_export", "xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content))["Annuaire"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "Association Élan",
        "Bailleur",
        "Mission locale",
        "Pôle du conseiller",
    ]
    assert get(counsellor, "directory_export", "doc").status_code == 404


def test_directory_pdf(counsellor, partners):
    pytest.importorskip("weasyprint")
    response = get(counsellor, "directory_export", "pdf", presence="tous")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF-")


def test_directory_pdf_unavailable_goes_back_with_a_message(counsellor, partners, monkeypatch):
    from cite_emploi.partners import directory

    def unavailable(*args, **kwargs):
        raise directory.PdfUnavailable("L'export PDF n'est pas disponible sur ce serveur.")

    monkeypatch.setattr(directory, "to_pdf", unavailable)
    response = get(counsellor, "directory_export", "pdf", nature="bailleur")
    assert response.status_code == 302 and response["Location"].endswith(
        "/partenaires/carte/?nature=bailleur"
    )


# -- Network and coverage ---------------------------------------------------------------------------


def test_network_page_shows_the_svg_and_its_table(counsellor, partners):
    seat, other = partners
    PartnershipFactory(source=seat, target=other, kind=Partnership.Kind.PERMANENCE, description="Le mardi")
    body = get(counsellor, "network").content.decode()
    assert (
        "<svg" in body
        and 'role="img"' in body
        and "Le mardi" in body
        and "Accueil d&#x27;une permanence" in body
    )
    assert "Bailleur" in body  # listed among the organisations without partnership
    empty = get(counsellor, "network", nature="convention").content.decode()
    assert "<svg" not in empty and "Aucun partenariat en cours" in empty
    assert get(counsellor, "network", nature="n-importe-quoi").context["chosen"] == ""


def test_coverage_page_and_drill_down(counsellor, gpsea):
    service = saved_service(
        name="Aux Bleuets", thematiques=[EMPLOI], longitude=BLEUETS[0], latitude=BLEUETS[1]
    )
    page = get(counsellor, "coverage")
    body = page.content.decode()
    assert "cite-heat--1" in body and "cite-heat--0" in body
    cell_url = reverse("partners:coverage_cell", args=["QN09406I", "trouver-un-emploi"])
    assert cell_url in body
    assert "besoin potentiellement non couvert" in body
    assert page.context["gap_count"] == len(page.context["matrix"].gaps())
    cell = counsellor.get(cell_url)
    assert cell.status_code == 200
    rows = cell.context["rows"]
    assert [(r["service"].name, r["reasons"]) for r in rows] == [
        ("Aux Bleuets", ["dans le quartier", "à distance de marche"])
    ]
    assert reverse("partners:service", args=[service.pk]) in cell.content.decode()
    assert get(counsellor, "coverage_cell", "QN09406I", "pas-une-categorie").status_code == 404
    assert get(counsellor, "coverage", marche="300").context["walking_m"] == 300
    assert get(counsellor, "coverage", marche="12345").context["walking_m"] == 1000
    assert "?marche=300" in get(counsellor, "coverage", marche="300").content.decode()


def test_coverage_queries_do_not_grow(client, gpsea, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(member("coordinator"))
    for _ in range(5):
        saved_service(thematiques=[EMPLOI], eligibility_zone=["94"])
    with CaptureQueriesContext(connection) as five:
        get(client, "coverage")
    for _ in range(45):
        saved_service(thematiques=[EMPLOI], eligibility_zone=["94"])
    with django_assert_max_num_queries(len(five)):
        get(client, "coverage")


def test_the_partner_map_table_gives_each_kind_its_colour(client, db):
    from cite_emploi.partners.network import KIND_COLOURS

    OrganisationFactory(name="France Travail Test", kind=OrganisationKind.FRANCE_TRAVAIL)
    client.force_login(member("coordinator"))
    page = client.get(reverse("partners:partner_map")).content.decode()
    assert f"background:{KIND_COLOURS[OrganisationKind.FRANCE_TRAVAIL]}" in page
