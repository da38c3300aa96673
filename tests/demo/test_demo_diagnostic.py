"""The demo's diagnostic: a fictitious dataset of statistics by quartier and a shared working version."""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from cite_emploi.demo import diagnostic as demo_diagnostic
from cite_emploi.demo.services import load_demo
from cite_emploi.diagnostic import indicators
from cite_emploi.diagnostic.content import period_at
from cite_emploi.diagnostic.models import Dataset, Level, Observation, ReportVersion
from cite_emploi.territory.models import Territory
from cite_emploi.territory.queries import perimeter_pairs


@pytest.fixture
def demo(db):
    load_demo()
    return Territory.objects.get(slug="gpsea")


def test_a_fictitious_dataset_for_each_quartier_commune_and_the_territory(demo):
    dataset = Dataset.objects.get(territory=demo)
    assert dataset.is_demo and dataset.rejected_lines == 0
    assert dataset.title == "Données fictives de démonstration — statistiques par quartier"
    assert dataset.source == "Données fictives générées pour la démonstration (ne pas citer)"
    assert dataset.licence == "Licence Ouverte 2.0"
    assert dataset.imported_by.email == "coordinator@demo.test"

    pairs = perimeter_pairs(demo.current_perimeter)
    places = {(Level.QPV, q) for q, _ in pairs} | {(Level.COMMUNE, c) for _, c in pairs}
    places.add((Level.EPT, demo.siren))
    observations = Observation.objects.filter(dataset=dataset)
    assert set(observations.values_list("level", "geo_code").distinct()) == places
    # Per place: the 12 lines (3 age groups × 2 sexes with their margins) of two periods, 4 rates.
    assert observations.count() == len(places) * (2 * 12 + 4)
    per_place = observations.values("level", "geo_code").annotate(n=Count("pk")).values_list("n", flat=True)
    assert set(per_place) == {28}
    assert set(observations.values_list("period", flat=True)) == {"2024-T4", "2025-T4", "2021"}

    seekers = observations.filter(indicator="demandeurs_emploi_abc", unit="personnes")
    for level, code in places:
        for period in ("2024-T4", "2025-T4"):
            cells = {
                (o.age_group, o.sex): o.value
                for o in seekers.filter(level=level, geo_code=code, period=period)
            }
            assert cells[("", "")] == sum(v for (a, s), v in cells.items() if a and s)
            assert cells[("", "F")] == sum(cells[(a, "F")] for a in ("jeunes", "adultes", "seniors"))

    # The quartiers fare worse than the territory: the gap analysis has evidence to read.
    for code in ("taux_chomage", "part_menages_sans_voiture", "taux_pauvrete", "part_non_diplomes"):
        rates = observations.filter(indicator=code, unit="%")
        territory_rate = rates.get(level=Level.EPT).value
        assert all(v > territory_rate for v in rates.filter(level=Level.QPV).values_list("value", flat=True))

    # Through the registry, as every page reads it.
    table = indicators.compute("demandeurs_emploi_abc", demo, period_at(timezone.localdate()), by=("qpv",))
    assert table.total.value == seekers.get(level=Level.EPT, period="2025-T4", age_group="", sex="").value
    assert all(f.value for key, _, f in table.series("qpv") if key)

    # Loading the demo again writes nothing more.
    assert demo_diagnostic.load_diagnostic_demo(demo) == {}
    assert Observation.objects.count() == len(places) * 28


def test_a_shared_working_version_of_the_report_as_of_yesterday(demo):
    version = ReportVersion.objects.get(territory=demo)
    assert version.number == 1
    assert version.title == "Diagnostic partagé — version de travail"
    assert version.is_shared
    assert version.as_of == timezone.localdate() - timedelta(days=1)
    assert version.created_by.email == "coordinator@demo.test"
    for text in (version.analysis, version.action_contours):
        assert text.startswith("[Texte fictif de démonstration]")
        assert 3 <= len(text.split("\n\n")) <= 5
    written = (version.analysis + version.action_contours).lower()
    for axis in (
        "opérations de recrutement innovantes",
        "présence du service public de l'emploi dans les quartiers",
        "valorisation des cv",
        "levée des freins périphériques",
    ):
        assert axis in written
    # The snapshot holds the rest of the demo and the imported statistics, with their evidence.
    snapshot = version.snapshot
    assert snapshot["as_of"] == version.as_of.isoformat()
    assert "demandeurs_emploi_abc" in {t["code"] for t in snapshot["imported"]}
    assert any("ne pas citer" in line for gap in snapshot["gaps"] for line in gap["evidence"])
    followed = next(k for k in snapshot["key_figures"] if k["code"] == "beneficiaires_suivis")
    assert followed["value"] > 1000
