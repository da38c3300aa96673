"""The QPV locator on the real QPV 2024 outlines: no database needed."""

from decimal import Decimal

import numpy as np
import pytest
import shapely

from cite_emploi.territory.locator import (
    COMMUNES_GEOJSON,
    QPV_GEOJSON,
    Location,
    QpvLocator,
    get_locator,
    in_france,
)

LUXEMBOURG_GARDEN = (2.3372, 48.8462)  # Paris 6e, in no QPV
BAY_OF_BISCAY = (-3.5, 46.5)
NEW_YORK = (-73.99, 40.73)


@pytest.fixture(scope="module")
def locator():
    return get_locator()


def interior_point(geometry) -> tuple[float, float]:
    point = geometry.representative_point()
    return point.x, point.y


def part_in_commune(locator, qpv_code, commune_code):
    """The part of a QPV inside one commune outline and outside the other communes' ones."""
    info = locator.qpv(qpv_code)
    others = [locator.commune_geometry(c) for c in info.communes if c != commune_code]
    part = info.geometry.intersection(locator.commune_geometry(commune_code))
    return part.difference(shapely.union_all(others))


def test_reference_data(locator):
    codes = locator.qpv_codes()
    assert len(codes) == 1584
    assert codes == sorted(codes)
    info = locator.qpv("QN09405M")
    assert info.nom == "Mont Mesly - La Habette - Coteaux Du Sud"
    assert info.communes == ("94028",)
    assert info.geometry.geom_type == "MultiPolygon"
    with pytest.raises(KeyError):
        locator.qpv("QN00000X")


def test_point_in_mont_mesly(locator):
    lon, lat = interior_point(locator.qpv("QN09405M").geometry)
    assert locator.locate(lon, lat) == Location(
        qpv_code="QN09405M",
        qpv_nom="Mont Mesly - La Habette - Coteaux Du Sud",
        communes=("94028",),
        commune_code="94028",
        dans_perimetre=None,
    )


def test_coordinates_as_decimal(locator):
    lon, lat = interior_point(locator.qpv("QN09405M").geometry)
    assert locator.locate(Decimal(str(lon)), Decimal(str(lat))).qpv_code == "QN09405M"


def test_single_commune_qpv_needs_no_outline(locator):
    # A sliver of Mont-Mesly lies outside the coarse Créteil outline: still Créteil.
    qpv = locator.qpv("QN09405M").geometry
    outside = qpv.difference(locator.commune_geometry("94028"))
    assert not outside.is_empty
    assert locator.locate(*interior_point(outside)).commune_code == "94028"


@pytest.mark.parametrize(
    ("qpv_code", "commune_code"),
    [
        ("QN09424I", "94017"),  # Le Bois l'Abbé, Champigny side
        ("QN09424I", "94019"),  # Le Bois l'Abbé, Chennevières side
        ("QN09431M", "94044"),
        ("QN09431M", "94074"),
        ("QN09431M", "94078"),
        ("QN09403M", "94004"),
        ("QN09403M", "94044"),
    ],
)
def test_commune_of_a_multi_commune_qpv(locator, qpv_code, commune_code):
    lon, lat = interior_point(part_in_commune(locator, qpv_code, commune_code))
    found = locator.locate(lon, lat)
    assert found.qpv_code == qpv_code
    assert commune_code in found.communes
    assert found.commune_code == commune_code
    assert locator.locate_batch([lon], [lat]).location(0) == found


def test_point_outside_every_outline_takes_the_nearest_commune(locator):
    info = locator.qpv("QN09424I")
    outlines = [locator.commune_geometry(c) for c in info.communes]
    rest = info.geometry.difference(shapely.union_all(outlines))
    assert not rest.is_empty
    lon, lat = interior_point(rest)
    point = shapely.Point(lon, lat)
    nearest = min(info.communes, key=lambda c: locator.commune_geometry(c).distance(point))
    assert locator.locate(lon, lat).commune_code == nearest
    assert locator.locate_batch([lon], [lat]).commune_code(0) == nearest


def test_multi_commune_qpv_without_outline_has_no_commune(locator):
    info = locator.qpv("QN00201M")  # Saint-Quentin (Aisne), two communes, none outlined
    assert len(info.communes) == 2
    lon, lat = interior_point(info.geometry)
    found = locator.locate(lon, lat)
    assert (found.qpv_code, found.commune_code) == ("QN00201M", None)
    assert locator.locate_batch([lon], [lat]).location(0) == found


def test_points_in_no_qpv(locator):
    for lon, lat in (LUXEMBOURG_GARDEN, BAY_OF_BISCAY, NEW_YORK):
        assert locator.locate(lon, lat) == Location(None, None, (), None, None)
        assert locator.locate(lon, lat, perimeter=frozenset()).dans_perimetre is False
    result = locator.locate_batch(*np.array([LUXEMBOURG_GARDEN, BAY_OF_BISCAY]).T)
    assert result.qpv_index.tolist() == [-1, -1]
    assert result.codes().tolist() == [None, None]
    assert result.dans_perimetre is None


def test_boundary_counts_as_inside(locator):
    geometry = locator.qpv("QN09405M").geometry
    ring = np.asarray(geometry.geoms[0].exterior.coords)
    vertex = ring[3]
    midpoint = (ring[3] + ring[4]) / 2
    for lon, lat in (vertex, midpoint):
        assert geometry.intersects(shapely.Point(lon, lat))
        assert locator.locate(lon, lat).qpv_code == "QN09405M"
    result = locator.locate_batch([vertex[0], midpoint[0]], [vertex[1], midpoint[1]])
    assert result.codes().tolist() == ["QN09405M", "QN09405M"]


def test_point_in_two_qpv_gets_the_lowest_code(locator):
    # The rounding of the outlines left slivers shared by two QPV.
    a, b = locator.qpv("QN01330M").geometry, locator.qpv("QN01332M").geometry
    overlap = a.intersection(b)
    assert overlap.area > 0
    lon, lat = interior_point(overlap)
    assert locator.locate(lon, lat).qpv_code == "QN01330M"
    assert locator.locate_batch([lon] * 3000, [lat] * 3000).codes()[0] == "QN01330M"


def test_non_finite_coordinates(locator):
    assert locator.locate(float("nan"), 48.8).qpv_code is None
    result = locator.locate_batch([np.nan, np.inf, 2.4], [48.8, 48.8, np.nan])
    assert result.qpv_index.tolist() == [-1, -1, -1]


def perimeter_case(locator):
    bois_abbe_champigny = interior_point(part_in_commune(locator, "QN09424I", "94017"))
    bois_abbe_chennevieres = interior_point(part_in_commune(locator, "QN09424I", "94019"))
    mont_mesly = interior_point(locator.qpv("QN09405M").geometry)
    haie_griselle_boissy = interior_point(part_in_commune(locator, "QN09403M", "94004"))
    return [bois_abbe_champigny, bois_abbe_chennevieres, mont_mesly, haie_griselle_boissy, LUXEMBOURG_GARDEN]


@pytest.mark.parametrize(
    ("perimeter", "expected"),
    [
        (None, [None] * 5),
        (frozenset(), [False] * 5),
        # Only the Chennevières part of Le Bois l'Abbé, and all of Mont-Mesly.
        (
            frozenset({("QN09424I", "94019"), ("QN09405M", "94028")}),
            [False, True, True, False, False],
        ),
        # Both parts of Le Bois l'Abbé, and La Haie Griselle on the Boissy side only.
        (
            frozenset({("QN09424I", "94017"), ("QN09424I", "94019"), ("QN09403M", "94004")}),
            [True, True, False, True, False],
        ),
        # Pairs of an unknown QPV, or of a commune foreign to the QPV, change nothing.
        (frozenset({("QN99999X", "94028"), ("QN09405M", "75056")}), [False] * 5),
    ],
)
def test_perimeter(locator, perimeter, expected):
    points = perimeter_case(locator)
    assert [locator.locate(lon, lat, perimeter).dans_perimetre for lon, lat in points] == expected
    result = locator.locate_batch(*np.array(points).T, perimeter=perimeter)
    assert [result.location(i).dans_perimetre for i in range(len(points))] == expected


def test_perimeter_may_be_a_plain_set(locator):
    lon, lat = interior_point(locator.qpv("QN09405M").geometry)
    result = locator.locate_batch([lon], [lat], perimeter={("QN09405M", "94028")})
    assert result.dans_perimetre.tolist() == [True]


def random_points(locator, n, seed=12):
    """Points where answers are hard: around QPV vertices, in the Val-de-Marne, and anywhere
    in Île-de-France."""
    rng = np.random.default_rng(seed)
    vertices = shapely.get_coordinates(locator.geometries)
    near = vertices[rng.integers(0, len(vertices), n // 2)] + rng.normal(0, 3e-4, (n // 2, 2))
    val_de_marne = np.column_stack([rng.uniform(2.40, 2.62, n // 4), rng.uniform(48.70, 48.86, n // 4)])
    rest = n - len(near) - len(val_de_marne)
    ile_de_france = np.column_stack([rng.uniform(1.44, 3.56, rest), rng.uniform(48.12, 49.24, rest)])
    return np.concatenate([near, val_de_marne, ile_de_france])


def test_batch_answers_like_single_points(locator):
    points = random_points(locator, 4000)
    perimeter = frozenset(
        {("QN09424I", "94019"), ("QN09431M", "94044"), ("QN09431M", "94078"), ("QN09405M", "94028")}
    )
    result = locator.locate_batch(points[:, 0], points[:, 1], perimeter)
    located = 0
    for i, (lon, lat) in enumerate(points):
        expected = locator.locate(lon, lat, perimeter)
        assert result.location(i) == expected, (lon, lat)
        located += expected.qpv_code is not None
    assert located > 500  # the sample does reach into QPV


def test_batch_without_grid_answers_like_with_it():
    fresh = QpvLocator(QPV_GEOJSON, COMMUNES_GEOJSON)
    points = random_points(fresh, 1000, seed=3)
    small = fresh.locate_batch(points[:, 0], points[:, 1])  # below GRID_MIN_POINTS: no grid
    assert fresh._grid is None
    fresh.grid  # noqa: B018 - build it
    assert np.array_equal(fresh.locate_batch(points[:, 0], points[:, 1]).qpv_index, small.qpv_index)


def test_grid_agrees_with_exact_test_on_many_points(locator):
    points = random_points(locator, 200_000, seed=7)
    result = locator.locate_batch(points[:, 0], points[:, 1])
    tree = shapely.STRtree(locator.geometries)
    point_index, qpv_index = tree.query(shapely.points(points), predicate="intersects")
    expected = np.full(len(points), len(locator.geometries))
    np.minimum.at(expected, point_index, qpv_index)
    expected[expected == len(locator.geometries)] = -1
    assert np.array_equal(result.qpv_index, expected)


def test_in_france():
    assert in_france(2.35, 48.85) is True  # Paris
    assert in_france(9.45, 42.7) is True  # Corse
    assert in_france(55.45, -20.9) is True  # La Réunion
    assert in_france(-149.57, -17.54) is True  # Papeete
    assert in_france(*NEW_YORK) is False
    assert in_france(0.0, 0.0) is False
    assert in_france(float("nan"), 48.85) is False
    lons = np.array([2.35, -73.99, -61.53, np.nan])
    lats = np.array([48.85, 40.73, 16.24, 48.0])
    assert in_france(lons, lats).tolist() == [True, False, True, False]


def test_every_qpv_is_in_france(locator):
    bounds = shapely.bounds(locator.geometries)
    assert in_france(bounds[:, 0], bounds[:, 1]).all()
    assert in_france(bounds[:, 2], bounds[:, 3]).all()
