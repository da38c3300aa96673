"""The catalogue's filters (search.py): each filter alone, their combination, free text, distance."""

import math

import pytest

from cite_emploi.partners.models import OrganisationKind
from cite_emploi.partners.search import (
    OrganisationFilters,
    Origin,
    ServiceFilters,
    haversine_m,
    resolve_origin,
    search_organisations,
    search_services,
    word_pattern,
)
from cite_emploi.partners.text import fold, words
from tests.partners.factories import OrganisationFactory, located_site, saved_service, saved_service_at

pytestmark = pytest.mark.django_db


EMPLOI = "trouver-un-emploi--faire-des-candidatures-spontanees"
EMPLOI_2 = "trouver-un-emploi--convaincre-un-recruteur-en-entretien"
MOBILITE = "mobilite--acceder-a-un-vehicule"
# Inside QPV QN09406I Les Bleuets (Créteil); 500 m and 1.5 km east of it; inside QN09404M (Alfortville).
BLEUETS = (2.4571, 48.8033)
NEAR_BLEUETS = (2.4673, 48.8033)
FAR_FROM_BLEUETS = (2.4809, 48.8033)
CHANTEREINE = (2.42561, 48.78535)


def names(territory, **filters):
    return [s.name for s in search_services(territory, ServiceFilters(**filters))[0:1000]]


def org_names(territory, **filters):
    return [o.name for o in search_organisations(territory, OrganisationFilters(**filters))]


def test_no_filter_lists_every_service_of_the_territory_by_name(gpsea, other_territory):
    saved_service(name="Bravo")
    saved_service(name="Alpha")
    saved_service(name="Ailleurs", organisation=OrganisationFactory(territory=other_territory))
    assert names(gpsea) == ["Alpha", "Bravo"]
    assert search_services(gpsea, ServiceFilters()).count() == 2


def test_a_category_matches_every_thematique_of_it_a_thematique_only_itself(gpsea):
    saved_service(name="Candidatures", thematiques=[EMPLOI])
    saved_service(name="Entretien", thematiques=[EMPLOI_2])
    saved_service(name="Garage", thematiques=[MOBILITE])
    assert names(gpsea, categories=("trouver-un-emploi",)) == ["Candidatures", "Entretien"]
    assert names(gpsea, thematiques=(EMPLOI_2,)) == ["Entretien"]
    assert names(gpsea, categories=("mobilite",), thematiques=(EMPLOI_2,)) == ["Entretien", "Garage"]


def test_tous_publics_matches_any_public(gpsea):
    saved_service(name="Jeunes", publics=["jeunes"])
    saved_service(name="Seniors", publics=["seniors"])
    saved_service(name="Tous", publics=["tous-publics"])
    assert names(gpsea, publics=("jeunes",)) == ["Jeunes", "Tous"]
    assert names(gpsea, publics=("jeunes", "seniors")) == ["Jeunes", "Seniors", "Tous"]


def test_commune_and_qpv_of_the_service_or_of_one_of_its_sites(gpsea):
    in_bleuets = saved_service(name="Sur place", longitude=BLEUETS[0], latitude=BLEUETS[1])
    org = OrganisationFactory()
    permanence = located_site(org, *CHANTEREINE, is_permanence=True)
    saved_service_at(
        [permanence],
        name="En permanence",
        organisation=org,
    )
    saved_service(name="À distance", reception_modes=["a-distance"])
    assert in_bleuets.qpv.code == "QN09406I" and in_bleuets.commune.code == "94028"
    assert names(gpsea, qpvs=("QN09406I",)) == ["Sur place"]
    assert names(gpsea, qpvs=("QN09404M",)) == ["En permanence"]
    assert names(gpsea, communes=("94002",)) == ["En permanence"]
    assert names(gpsea, communes=("94028", "94002")) == ["En permanence", "Sur place"]


def test_reception_mode_and_fees(gpsea):
    saved_service(name="Guichet", reception_modes=["en-presentiel"], fees="gratuit")
    saved_service(name="Visio", reception_modes=["a-distance"], fees="payant")
    saved_service(name="Les deux", reception_modes=["a-distance", "en-presentiel"])
    assert names(gpsea, reception_modes=("a-distance",)) == ["Les deux", "Visio"]
    assert names(gpsea, fees=("gratuit",)) == ["Guichet"]
    assert names(gpsea, reception_modes=("a-distance",), fees=("payant",)) == ["Visio"]


def test_filters_add_up(gpsea):
    saved_service(name="A", thematiques=[EMPLOI], publics=["jeunes"], fees="gratuit")
    saved_service(name="B", thematiques=[EMPLOI], publics=["seniors"], fees="gratuit")
    saved_service(name="C", thematiques=[MOBILITE], publics=["jeunes"], fees="gratuit")
    assert names(gpsea, categories=("trouver-un-emploi",), publics=("jeunes",), fees=("gratuit",)) == ["A"]


def test_fold_and_patterns():
    assert fold("Créteil ÉCOLE Cœur") == "creteil ecole coeur"
    assert words("  l'Élan, 2e étage !") == ["l", "elan", "2e", "etage"]
    assert word_pattern("ce") == "[cçCÇ][eéèêëEÉÈÊË]"
    assert word_pattern("b2") == "[bB]2"


@pytest.mark.parametrize(
    "query",
    ["creteil", "CRÉTEIL", "Creteil", "créteil", "ateliers emploi", "ÉLAN", "elan creteil"],
)
def test_free_text_ignores_accents_and_case_on_this_engine(gpsea, query):
    org = OrganisationFactory(name="Association L'Élan")
    saved_service(
        name="Ateliers Emploi Créteil",
        organisation=org,
        description="Des ateliers collectifs chaque semaine pour les habitants du Mont-Mesly.",
    )
    saved_service(name="Autre chose", description="Rien à voir, vraiment rien du tout ici.")
    assert names(gpsea, q=query) == ["Ateliers Emploi Créteil"]


def test_free_text_searches_name_description_and_organisation_every_word(gpsea):
    saved_service(name="Permis de conduire", description="Préparation au code de la route, en groupe.")
    saved_service(
        name="Garage solidaire",
        description="Réparer sa voiture à prix réduit.",
        organisation=OrganisationFactory(name="Mobilité Émeraude"),
    )
    assert names(gpsea, q="route") == ["Permis de conduire"]
    assert names(gpsea, q="emeraude") == ["Garage solidaire"]
    assert names(gpsea, q="permis route") == ["Permis de conduire"]
    assert names(gpsea, q="permis emeraude") == []
    assert names(gpsea, q="  ,; ") == ["Garage solidaire", "Permis de conduire"]


def test_free_text_is_literal(gpsea):
    saved_service(name="Ateliers 100% emploi")
    assert names(gpsea, q="100%") == ["Ateliers 100% emploi"]
    assert names(gpsea, q="[a-t]*") == ["Ateliers 100% emploi"]  # punctuation is not a pattern
    assert names(gpsea, q="zzz") == []


def test_haversine():
    # One degree of latitude is about 111.2 km.
    assert haversine_m(2.45, 48.0, 2.45, 49.0) == pytest.approx(111_195, rel=1e-3)
    assert haversine_m(2.4571, 48.8033, 2.4673, 48.8033) == pytest.approx(748, abs=3)


def test_distance_keeps_services_within_the_radius_nearest_first(gpsea):
    saved_service(name="Loin", longitude=FAR_FROM_BLEUETS[0], latitude=FAR_FROM_BLEUETS[1])
    saved_service(name="Près", longitude=NEAR_BLEUETS[0], latitude=NEAR_BLEUETS[1])
    saved_service(name="Sur place", longitude=BLEUETS[0], latitude=BLEUETS[1])
    saved_service(name="À distance seulement", reception_modes=["a-distance"])
    origin = Origin(*BLEUETS, "test")
    results = search_services(gpsea, ServiceFilters(origin=origin, radius_m=1000))
    rows = results[0:10]
    assert [s.name for s in rows] == ["Sur place", "Près"]
    assert rows[0].distance_m == pytest.approx(0, abs=1)
    assert rows[1].distance_m == pytest.approx(748, abs=3)
    assert results.count() == 2 and len(results) == 2
    assert names(gpsea, origin=origin, radius_m=5000) == ["Sur place", "Près", "Loin"]


def test_distance_finds_places_at_the_edge_of_the_circle(gpsea):
    """Just inside the radius due north, east, south and west; just outside diagonally."""
    degree = 6_371_008.8 * 3.141592653589793 / 180  # metres per degree of latitude
    lon, lat = BLEUETS
    dlon = 1 / (degree * math.cos(math.radians(lat)))
    for name, (x, y) in {
        "N": (lon, lat + 1999 / degree),
        "S": (lon, lat - 1999 / degree),
        "E": (lon + 1999 * dlon, lat),
        "O": (lon - 1999 * dlon, lat),
        "loin": (lon + 1450 * dlon, lat + 1450 / degree),
    }.items():
        saved_service(name=name, longitude=x, latitude=y)
    found = search_services(gpsea, ServiceFilters(origin=Origin(lon, lat, "test"), radius_m=2000))
    assert sorted(s.name for s in found[0:10]) == ["E", "N", "O", "S"]
    assert all(1998 < s.distance_m <= 2000 for s in found[0:10])


def test_distance_counts_the_nearest_site_and_combines_with_filters(gpsea):
    org = OrganisationFactory()
    site = located_site(org, *NEAR_BLEUETS, name="Permanence du marché")
    saved_service_at(
        [site],
        name="Siège lointain",
        organisation=org,
        longitude=CHANTEREINE[0],
        latitude=CHANTEREINE[1],
        thematiques=[MOBILITE],
    )
    saved_service(name="Emploi près", longitude=NEAR_BLEUETS[0], latitude=NEAR_BLEUETS[1])
    origin = Origin(*BLEUETS, "test")
    results = search_services(gpsea, ServiceFilters(origin=origin, radius_m=1000))
    assert sorted(s.name for s in results[0:10]) == ["Emploi près", "Siège lointain"]
    assert names(gpsea, origin=origin, radius_m=1000, categories=("mobilite",)) == ["Siège lointain"]
    places, truncated = results.places()
    assert not truncated
    assert {p.site for p in places} == {"", "Permanence du marché"}  # the far seat is not shown


def test_places_for_the_map_without_distance(gpsea):
    org = OrganisationFactory()
    site = located_site(org, *CHANTEREINE, name="Antenne")
    service = saved_service_at(
        [site],
        organisation=org,
        longitude=BLEUETS[0],
        latitude=BLEUETS[1],
    )
    saved_service(name="Sans lieu")
    results = search_services(gpsea, ServiceFilters())
    places, _ = results.places()
    assert sorted((p.service_id, p.site) for p in places) == [(service.pk, ""), (service.pk, "Antenne")]
    assert results.places(limit=1) == (places[:1], True)
    assert results.names([service.pk]) == {service.pk: (service.name, org.name)}


def test_resolve_origin_without_geocoder_falls_back_to_the_qpv_centre(gpsea):
    origin, problem = resolve_origin(address="1 place Salvador Allende Créteil", qpv_code="QN09406I")
    assert origin is not None and "Les Bleuets" in origin.label
    assert 2.453 < origin.lon < 2.461 and 48.802 < origin.lat < 48.805
    assert "géocodage" in problem and "centre du quartier" in problem
    assert resolve_origin(address="1 place Salvador Allende Créteil") == (
        None,
        "Aucun service de géocodage n'est configuré : l'adresse ne peut pas être localisée. "
        "Choisissez un quartier de départ pour chercher par distance.",
    )
    assert resolve_origin(qpv_code="QN00000X") == (None, "")
    assert resolve_origin(lon=2.45, lat=48.8)[0] == Origin(2.45, 48.8, "point 48.80000, 2.45000")


def test_resolve_origin_with_the_geocoder(gpsea, fake_geocoder):
    origin, problem = resolve_origin(address="1 place Salvador Allende Créteil", qpv_code="QN09406I")
    assert problem == ""
    assert (origin.lon, origin.lat) == (2.4553, 48.7793)
    assert "Salvador Allende" in origin.label


def test_resolve_origin_when_the_geocoder_fails(gpsea, fake_geocoder):
    fake_geocoder.fail_first(10, status=503)
    origin, problem = resolve_origin(address="1 place Salvador Allende Créteil", qpv_code="QN09406I")
    assert "Les Bleuets" in origin.label
    assert "indisponible" in problem


# -- Organisations (partner map) ---------------------------------------------------------------


def test_organisations_by_kind_network_and_name(gpsea, other_territory):
    OrganisationFactory(
        name="Agence France Travail", kind=OrganisationKind.FRANCE_TRAVAIL, networks=["france-travail"]
    )
    OrganisationFactory(name="Association intermédiaire", networks=["ai"])
    OrganisationFactory(name="Élan solidaire", networks=["adie", "ai"])
    OrganisationFactory(name="Ailleurs", territory=other_territory, networks=["ai"])
    assert org_names(gpsea, kinds=(OrganisationKind.FRANCE_TRAVAIL,)) == ["Agence France Travail"]
    assert org_names(gpsea, networks=("ai",)) == ["Association intermédiaire", "Élan solidaire"]
    assert org_names(gpsea, networks=("adie", "france-travail")) == [
        "Agence France Travail",
        "Élan solidaire",
    ]
    assert org_names(gpsea, networks=("a",)) == []
    assert org_names(gpsea, q="elan") == ["Élan solidaire"]


def test_organisations_by_thematique_of_their_services_and_commune(gpsea):
    emploi = OrganisationFactory(name="Emploi", commune_id=None)
    saved_service(organisation=emploi, thematiques=[EMPLOI])
    mobilite = OrganisationFactory(name="Mobilité")
    saved_service(organisation=mobilite, thematiques=[MOBILITE])
    OrganisationFactory(name="Sans service")
    assert org_names(gpsea, categories=("trouver-un-emploi",)) == ["Emploi"]
    assert org_names(gpsea, thematiques=(MOBILITE,)) == ["Mobilité"]
    from cite_emploi.territory.models import Commune

    mobilite.commune = Commune.objects.get(code="94028")
    mobilite.save()
    assert org_names(gpsea, communes=("94028",)) == ["Mobilité"]


def test_presence_in_a_qpv_is_the_seat_or_a_permanence(gpsea):
    from cite_emploi.partners.services import save_organisation

    seat = save_organisation(
        OrganisationFactory.build(name="Siège aux Bleuets", longitude=BLEUETS[0], latitude=BLEUETS[1])
    )
    with_permanence = OrganisationFactory(name="Permanence à Chantereine")
    located_site(with_permanence, *CHANTEREINE, is_permanence=True)
    with_premises = OrganisationFactory(name="Locaux à Chantereine")
    located_site(with_premises, *CHANTEREINE, is_permanence=False)
    OrganisationFactory(name="Nulle part")
    assert seat.qpv.code == "QN09406I"
    assert org_names(gpsea, in_qpv=True) == ["Permanence à Chantereine", "Siège aux Bleuets"]
    assert org_names(gpsea, qpvs=("QN09404M",)) == ["Permanence à Chantereine"]
    assert org_names(gpsea, qpvs=("QN09406I", "QN09404M")) == [
        "Permanence à Chantereine",
        "Siège aux Bleuets",
    ]


def test_services_keep_a_folded_copy_of_their_name_and_description(gpsea):
    service = saved_service(name="Œuvre Émeraude", description="Atelier à CRÉTEIL.")
    assert service.search_text == "oeuvre emeraude\natelier a creteil."
    service.description = "Ailleurs."
    service.save(update_fields=["description"])
    service.refresh_from_db()
    assert service.search_text == "oeuvre emeraude\nailleurs."
    assert names(gpsea, q="oeuvre ailleurs") == ["Œuvre Émeraude"]
    assert names(gpsea, q="creteil") == []


def test_pages_are_read_in_order_with_a_separate_count(gpsea):
    for name in ["Delta", "alpha", "Charlie", "Bravo", "Echo"]:
        saved_service(name=name)
    results = search_services(gpsea, ServiceFilters())
    assert results.count() == len(results) == 5
    every = [s.name for s in results[0:10]]
    assert [s.name for s in results[1:3]] == every[1:3]
    assert [s.name for s in results[-2:]] == every[-2:]
    assert results[0].name == every[0]
    with pytest.raises(IndexError):
        results[7]


def test_distance_checks_the_filters_of_services_found_at_a_site_in_the_box(gpsea):
    org = OrganisationFactory()
    site = located_site(org, *BLEUETS)
    saved_service_at([site], name="Au local", organisation=org, thematiques=[EMPLOI])
    saved_service_at([site], name="Au local, autre thème", organisation=org, thematiques=[MOBILITE])
    origin = Origin(*NEAR_BLEUETS, "")
    found = search_services(
        gpsea, ServiceFilters(origin=origin, radius_m=1000, categories=("trouver-un-emploi",))
    )
    assert [s.name for s in found[0:10]] == ["Au local"]
    assert round(found[0].distance_m, -1) == 750
