"""Factories of the diagnostic app: imported datasets and their observations.

``DatasetFactory`` is a GPSEA dataset. ``ObservationFactory`` is a count of job seekers of the
Mont-Mesly QPV (QN09405M), all ages and both sexes, in a new dataset unless ``dataset`` is given;
its period is a different year each time, so that several observations of one dataset never break
the « one value per key » constraint. Give ``period`` (any form ``parse_period`` reads: 2021,
2021-T3, 2021-09, 2021-09-30) and the dates follow.
"""

from datetime import date

import factory

from cite_emploi.diagnostic.models import Dataset, Level, Observation
from cite_emploi.territory.models import Territory


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    territory = factory.LazyFunction(lambda: Territory.objects.get(slug="gpsea"))
    title = factory.Sequence(lambda n: f"Demandeurs d'emploi par QPV ({n})")
    source = "France Travail - Dares"
    licence = "Licence Ouverte 2.0"
    file_name = "demandeurs.csv"


class ObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Observation

    dataset = factory.SubFactory(DatasetFactory)
    indicator = "demandeurs_emploi_abc"
    indicator_label = "Demandeurs d'emploi inscrits en catégories A, B, C"
    level = Level.QPV
    geo_code = "QN09405M"
    age_group = ""
    sex = ""
    # Distinct periods by default, so that several observations of one dataset never collide.
    period = factory.Sequence(lambda n: str(1950 + n % 150))
    period_start = factory.LazyAttribute(lambda o: _bounds(o.period)[0])
    period_end = factory.LazyAttribute(lambda o: _bounds(o.period)[1])
    value = 100.0
    unit = "personnes"
    source = factory.LazyAttribute(lambda o: o.dataset.source)
    licence = factory.LazyAttribute(lambda o: o.dataset.licence)


def _bounds(period: str) -> tuple[date, date]:
    from cite_emploi.diagnostic.datasets import parse_period

    _, start, end = parse_period(period)
    return start, end
