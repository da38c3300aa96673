"""Coverage of the QPV by the offer, checked by hand on three QPV of the GPSEA perimeter.

Places (distances to the QPV outlines measured once with the module's projection):
  Les Bleuets QN09406I (Créteil 94028): BLEUETS is inside; NEAR is 502 m east of its outline,
  FAR 1 496 m; both are more than 2 km from every other QPV of the perimeter.
  Chantereine QN09404M (Alfortville 94002): CHANTEREINE is inside (555 m from QN09439N Grand Ensemble).
  Fosse Rouge - Cité Verte QN09438N (Sucy-en-Brie 94071): FOSSE_ROUGE is inside.
  NOWHERE is more than 3 km from every QPV of the perimeter.
"""

import numpy as np
import pytest

from cite_emploi.partners import queries
from cite_emploi.partners.coverage import (
    METROPOLE_GRAND_PARIS,
    RULE_QPV,
    RULE_WALKING,
    RULE_ZONE,
    _within_walking,
    coverage_matrix,
    level,
    zone_codes,
)
from cite_emploi.territory.models import QPV
from tests.partners.factories import OrganisationFactory, located_site, saved_service, saved_service_at

pytestmark = pytest.mark.django_db

EMPLOI = "trouver-un-emploi--faire-des-candidatures-spontanees"
MOBILITE = "mobilite--acceder-a-un-vehicule"
FAMILLE = "famille--garde-denfants"
BLEUETS, NEAR, FAR = (2.4571, 48.8033), (2.4673, 48.8033), (2.4809, 48.8033)
CHANTEREINE, FOSSE_ROUGE, NOWHERE = (2.42561, 48.78535), (2.52279, 48.7745), (2.5900, 48.8300)
B, C, F = "QN09406I", "QN09404M", "QN09438N"


def at(point):
    return {"longitude": point[0], "latitude": point[1]}


@pytest.fixture
def offer(gpsea, other_territory):
    """Nine services; the expected counts are worked out rule by rule in the tests."""
    s = {}
    s["in_b"] = saved_service(name="S1 aux Bleuets", thematiques=[EMPLOI], **at(BLEUETS))
    s["near_b"] = saved_service(name="S2 près des Bleuets", thematiques=[EMPLOI], **at(NEAR))
    s["far_b_zone_alfortville"] = saved_service(
        name="S3 loin, zone Alfortville", thematiques=[EMPLOI], eligibility_zone=["94002"], **at(FAR)
    )
    s["zone_94"] = saved_service(name="S4 zone 94", thematiques=[MOBILITE], eligibility_zone=["94"])
    org = OrganisationFactory()
    permanence = located_site(org, *FOSSE_ROUGE, is_permanence=True)
    s["site_in_f"] = saved_service_at(
        [permanence], name="S5 permanence", organisation=org, thematiques=[EMPLOI], **at(NOWHERE)
    )
    s["zone_ept"] = saved_service(name="S6 zone GPSEA", thematiques=[EMPLOI], eligibility_zone=["200058006"])
    s["zone_montreuil"] = saved_service(
        name="S7 zone Montreuil", thematiques=[EMPLOI], eligibility_zone=["93048"]
    )
    s["france"] = saved_service(name="S8 France", thematiques=[FAMILLE], eligibility_zone=["france"])
    s["elsewhere"] = saved_service(
        name="S9 autre territoire",
        thematiques=[EMPLOI],
        organisation=OrganisationFactory(territory=other_territory),
        **at(BLEUETS),
    )
    return s


def counts(matrix, qpv, category):
    cell = matrix.cell(qpv, category)
    return cell.total, cell.in_qpv, cell.walking, cell.zone


def test_rows_are_the_qpv_of_the_current_perimeter_columns_the_categories(gpsea, offer):
    matrix = coverage_matrix(gpsea)
    assert {B, C, F, "QN09405M", "QN09424I", "QN09431M"} <= {r.qpv_code for r in matrix.rows}
    assert matrix.row("QN09424I").communes == [("94019", "Chennevières-sur-Marne")]  # not Champigny
    assert len(matrix.categories) == 16 and all(len(r.cells) == 16 for r in matrix.rows)
    assert matrix.walking_m == 1000


def test_counts_of_each_rule_by_hand(gpsea, offer):
    matrix = coverage_matrix(gpsea)
    # Bleuets, emploi: S1 inside (QPV and walking), S2 at 502 m (walking), S6 zone GPSEA.
    assert counts(matrix, B, "trouver-un-emploi") == (3, 1, 2, 1)
    # Chantereine, emploi: S3 by its Alfortville zone, S6 by the EPT; nothing located near.
    assert counts(matrix, C, "trouver-un-emploi") == (2, 0, 0, 2)
    # Fosse Rouge, emploi: S5 through its permanence (QPV and walking), S6 by the EPT.
    assert counts(matrix, F, "trouver-un-emploi") == (2, 1, 1, 1)
    # Mobilité: S4 everywhere in the Val-de-Marne; famille: S8 everywhere in France.
    for qpv in (B, C, F):
        assert counts(matrix, qpv, "mobilite") == (1, 0, 0, 1)
        assert counts(matrix, qpv, "famille") == (1, 0, 0, 1)
        assert counts(matrix, qpv, "sante") == (0, 0, 0, 0)


def test_walking_distance_is_configurable(gpsea, offer, settings):
    assert counts(coverage_matrix(gpsea, walking_m=300), B, "trouver-un-emploi") == (2, 1, 1, 1)
    assert counts(coverage_matrix(gpsea, walking_m=1400), B, "trouver-un-emploi") == (3, 1, 2, 1)
    assert counts(coverage_matrix(gpsea, walking_m=1500), B, "trouver-un-emploi") == (4, 1, 3, 1)
    settings.COVERAGE_WALKING_METERS = 400
    matrix = queries.coverage_matrix(gpsea)
    assert matrix.walking_m == 400 and counts(matrix, B, "trouver-un-emploi") == (2, 1, 1, 1)


def test_drill_down_gives_the_services_of_a_cell_and_why(gpsea, offer):
    matrix = coverage_matrix(gpsea)
    assert matrix.services(B, "trouver-un-emploi") == {
        offer["in_b"].pk: [RULE_QPV, RULE_WALKING],
        offer["near_b"].pk: [RULE_WALKING],
        offer["zone_ept"].pk: [RULE_ZONE],
    }
    assert matrix.services(B, "sante") == {}
    assert matrix.services("QN00000X", "sante") == {}


def test_gaps_are_the_empty_cells(gpsea, offer):
    matrix = coverage_matrix(gpsea)
    gaps = {(row.qpv_code, cell.category) for row, cell in matrix.gaps()}
    assert (B, "sante") in gaps and (B, "trouver-un-emploi") not in gaps
    assert len(gaps) == sum(1 for r in matrix.rows for c in r.cells if c.total == 0)


def test_an_empty_offer_and_a_territory_without_perimeter(gpsea):
    matrix = coverage_matrix(gpsea)
    assert matrix.rows and all(c.total == 0 for r in matrix.rows for c in r.cells)
    assert matrix.services(B, "sante") == {}
    from cite_emploi.territory.models import Territory

    empty = Territory.objects.create(slug="vide", name="Vide")
    assert coverage_matrix(empty).rows == []


def test_zone_codes_of_a_commune():
    assert zone_codes("94028", "94", "200058006", True) == {
        "94028",
        "94",
        "200058006",
        METROPOLE_GRAND_PARIS,
        "france",
        "99100",
    }
    # A commune outside the territory is not in its EPT; Argenteuil (95) is in the Métropole.
    assert zone_codes("95018", "95", "200058006", False) == {
        "95018",
        "95",
        METROPOLE_GRAND_PARIS,
        "france",
        "99100",
    }
    assert zone_codes("69123", "69", "", False) == {"69123", "69", "france", "99100"}


def test_metropole_and_country_codes_cover_every_qpv(gpsea):
    saved_service(name="MGP", thematiques=[MOBILITE], eligibility_zone=[METROPOLE_GRAND_PARIS])
    saved_service(name="Pays", thematiques=[MOBILITE], eligibility_zone=["99100"])
    matrix = coverage_matrix(gpsea)
    assert {counts(matrix, r.qpv_code, "mobilite") for r in matrix.rows} == {(2, 0, 0, 2)}


def test_within_walking_is_the_distance_to_the_outline():
    outline = QPV.objects.get(code=B, geography_year=2024).geometry
    lons = np.array([BLEUETS[0], NEAR[0], FAR[0]])
    lats = np.array([BLEUETS[1], NEAR[1], FAR[1]])
    assert _within_walking(outline, lons, lats, 501).tolist() == [True, False, False]
    assert _within_walking(outline, lons, lats, 503).tolist() == [True, True, False]
    assert _within_walking(outline, lons, lats, 1497).tolist() == [True, True, True]


def test_colour_levels():
    assert [level(n) for n in (0, 1, 2, 3, 5, 6, 10, 11, 500)] == [0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_queries_stay_constant(gpsea, offer, django_assert_num_queries):
    with django_assert_num_queries(6):
        coverage_matrix(gpsea)
    for i in range(10):
        saved_service(name=f"Plus {i}", thematiques=[EMPLOI, MOBILITE], eligibility_zone=["94"], **at(NEAR))
    with django_assert_num_queries(6):
        matrix = coverage_matrix(gpsea)
    assert counts(matrix, B, "trouver-un-emploi") == (13, 1, 12, 11)


def test_bit_masks_split_into_several_columns(gpsea, offer, monkeypatch):
    """Territories with more QPV or zone codes than one 64-bit mask holds get several columns."""
    from cite_emploi.partners import coverage

    expected = [
        (r.qpv_code, [(c.total, c.in_qpv, c.walking, c.zone) for c in r.cells])
        for r in coverage_matrix(gpsea).rows
    ]
    monkeypatch.setattr(coverage, "MASK_BITS", 3)
    assert [
        (r.qpv_code, [(c.total, c.in_qpv, c.walking, c.zone) for c in r.cells])
        for r in coverage_matrix(gpsea).rows
    ] == expected


def test_within_walking_is_exact_near_the_limit():
    """Points scattered around the outline: the widened outlines never replace the exact distance."""
    import shapely
    import shapely.geometry

    from cite_emploi.partners.coverage import _project

    outline = QPV.objects.get(code=B, geography_year=2024).geometry
    geometry = shapely.geometry.shape(outline)
    lon0, lat0 = geometry.centroid.x, geometry.centroid.y
    rng = np.random.default_rng(3)
    lons = lon0 + rng.uniform(-0.03, 0.03, 5000)
    lats = lat0 + rng.uniform(-0.02, 0.02, 5000)
    projected = shapely.transform(
        geometry, lambda xy: np.column_stack(_project(xy[:, 0], xy[:, 1], lon0, lat0))
    )
    xs, ys = _project(lons, lats, lon0, lat0)
    exact = shapely.distance(projected, shapely.points(xs, ys))
    for metres in (300, 1000):
        assert (_within_walking(outline, lons, lats, metres) == (exact <= metres)).all()


def test_the_page_reads_the_matrix_from_the_cache_until_the_offer_changes(gpsea, offer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as computed:
        first = queries.coverage_matrix(gpsea)
    with CaptureQueriesContext(connection) as cached:
        again = queries.coverage_matrix(gpsea)
    assert len(cached) == 5  # the stamp only
    assert len(computed) == 5 + 6
    assert counts(again, B, "trouver-un-emploi") == counts(first, B, "trouver-un-emploi")
    stamp = queries.offer_stamp(gpsea)

    added = saved_service(name="S10 aux Bleuets", thematiques=[EMPLOI], **at(BLEUETS))
    assert queries.offer_stamp(gpsea) != stamp
    assert (
        counts(queries.coverage_matrix(gpsea), B, "trouver-un-emploi")[0]
        == counts(first, B, "trouver-un-emploi")[0] + 1
    )

    stamp = queries.offer_stamp(gpsea)
    added.delete()
    assert queries.offer_stamp(gpsea) != stamp
    assert counts(queries.coverage_matrix(gpsea), B, "trouver-un-emploi") == counts(
        first, B, "trouver-un-emploi"
    )


def test_moving_a_site_changes_the_stamp(gpsea, offer):
    from cite_emploi.partners.services import save_site

    site = offer["site_in_f"].sites.get()
    stamp = queries.offer_stamp(gpsea)
    site.longitude, site.latitude = BLEUETS
    save_site(site)
    assert queries.offer_stamp(gpsea) != stamp
    assert counts(queries.coverage_matrix(gpsea), B, "trouver-un-emploi")[1] == 2  # S1 and now S5


def test_the_walking_distance_is_part_of_the_cache_key(gpsea, offer):
    near = queries.coverage_matrix(gpsea, walking_m=100)
    far = queries.coverage_matrix(gpsea, walking_m=3000)
    assert (near.walking_m, far.walking_m) == (100, 3000)
    assert counts(far, B, "trouver-un-emploi")[2] > counts(near, B, "trouver-un-emploi")[2]
