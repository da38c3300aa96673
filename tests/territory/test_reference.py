from cite_emploi.territory.models import QPV, Commune, NafActivity, PerimeterArea, RomeAppellation, Territory
from cite_emploi.territory.queries import current_perimeter_pairs, territory_summary
from cite_emploi.territory.services import load_reference


def test_reference_tables_hold_the_shipped_files(db):
    assert QPV.objects.filter(geography_year=2024).count() == 1584
    assert Commune.objects.count() == 843
    assert RomeAppellation.objects.count() == 11061
    assert NafActivity.objects.filter(level="sous-classe").count() == 732
    mesly = QPV.objects.get(code="QN09405M")
    assert mesly.name == "Mont Mesly - La Habette - Coteaux Du Sud"
    assert list(mesly.communes.values_list("code", flat=True)) == ["94028"]
    assert mesly.geometry["type"] == "MultiPolygon"


def test_load_reference_twice_changes_nothing(db):
    before = {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (QPV, Commune, RomeAppellation, PerimeterArea, Territory)
    }
    report = load_reference()
    assert not report.changed, report.lines()
    after = {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (QPV, Commune, RomeAppellation, PerimeterArea, Territory)
    }
    assert before == after


def test_load_reference_repairs_a_changed_row(db):
    QPV.objects.filter(code="QN09406I").update(name="renommé")
    report = load_reference()
    assert report.tables["QPV 2024"].updated == 1
    assert QPV.objects.get(code="QN09406I").name == "Les Bleuets"


def test_gpsea_has_the_2021_and_2024_perimeters_and_2024_is_current(gpsea):
    years = {p.geography_year: p for p in gpsea.perimeters.all()}
    assert set(years) == {2015, 2024}
    assert years[2024].is_current and not years[2015].is_current
    assert gpsea.siren == "200058006"
    assert gpsea.communes.count() == 16


def test_2021_perimeter_keeps_the_seed_quartiers_and_their_2024_heirs(gpsea):
    perimeter = gpsea.perimeters.get(geography_year=2015)
    areas = {
        (a.commune.code, a.local_name): a for a in perimeter.areas.select_related("qpv", "city_contract")
    }
    assert len(areas) == 9
    assert {code for code, _ in areas} == {"94002", "94028", "94011", "94044", "94004", "94019"}
    assert areas[("94028", "Petit Pré – Sablières")].qpv is None
    assert areas[("94028", "Mont-Mesly – La Habette – Coteaux du Sud")].qpv.code == "QN09405M"
    assert (
        areas[("94044", "La Hêtraie")].qpv.code == areas[("94004", "La Haie Griselle")].qpv.code == "QN09403M"
    )
    assert areas[("94019", "Le Bois l'Abbé")].city_contract.name == "Haut Val-de-Marne"
    assert areas[("94002", "Chantereine")].city_contract.name == "Plaine centrale / Bonneuil"


def test_2024_perimeter_restricts_shared_qpv_to_gpsea_communes(gpsea):
    pairs = current_perimeter_pairs("gpsea")
    assert pairs == {
        ("QN09403M", "94004"),
        ("QN09403M", "94044"),
        ("QN09404M", "94002"),
        ("QN09405M", "94028"),
        ("QN09406I", "94028"),
        ("QN09420M", "94011"),
        ("QN09424I", "94019"),
        ("QN09431M", "94044"),
        ("QN09438N", "94071"),
        ("QN09439N", "94002"),
    }
    summary = territory_summary(gpsea)
    assert summary.qpv_count == 9
    assert summary.commune_count == 7


def test_other_territory_gets_only_its_own_side_of_a_shared_qpv(other_territory):
    pairs = current_perimeter_pairs(other_territory.slug)
    assert ("QN09424I", "94017") in pairs
    assert ("QN09424I", "94019") not in pairs
    assert {c for _, c in pairs} == {"94017", "94074", "94078"}
