"""The diagnostic report's content costs the same number of SQL queries whatever the data's size.

``content.snapshot`` is computed once on a little of every kind of record, then again after ten
times as much has been added (same indicator codes in the imported statistics: one more code is one
more indicator, hence more queries by design). The cache is emptied before each run so that both
runs compute everything.
"""

from datetime import date, datetime, timedelta
from itertools import cycle
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cite_emploi.diagnostic import content
from cite_emploi.diagnostic.models import Level
from cite_emploi.followup.models import Outcome, Referral
from cite_emploi.outreach.models import ActionOrigin, Interview
from cite_emploi.territory.models import QPV, Commune
from tests.accounts.factories import UserFactory
from tests.diagnostic.factories import DatasetFactory, ObservationFactory
from tests.followup.factories import BarrierFactory, BeneficiaryFactory, FollowUpFactory
from tests.outreach.factories import InterviewFactory, OutreachActionFactory, ReachedCountFactory
from tests.partners.factories import OrganisationFactory, saved_service

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
AS_OF = date(2024, 6, 30)
PLACES = [("QN09405M", "94028"), ("QN09404M", "94002"), ("QN09403M", "94004"), ("QN09438N", "94071")]
THEMATIQUES = [
    "trouver-un-emploi--faire-des-candidatures-spontanees",
    "mobilite--acceder-a-un-vehicule",
    "sante--acces-aux-soins",
]


def add_records(n: int, start: int = 0) -> None:
    """``n`` of each: people with barriers, referrals and outcomes, actions, hires, services, statistics."""
    sender, sending = UserFactory(), OrganisationFactory()
    dataset = DatasetFactory(source="INSEE", licence="Licence Ouverte 2.0")
    places = cycle(PLACES)
    for i in range(start, start + n):
        qpv_code, commune_code = next(places)
        qpv, commune = (
            QPV.objects.get(code=qpv_code, geography_year=2024),
            Commune.objects.get(code=commune_code),
        )
        day = date(2023, 9, 1) + timedelta(days=i % 200)
        service = saved_service(thematiques=[THEMATIQUES[i % 3]], eligibility_zone=["94"])
        follow_up = FollowUpFactory(
            beneficiary=BeneficiaryFactory(qpv=qpv, commune=commune, birth_date=date(1960 + i % 45, 3, 1)),
            opened_on=day,
        )
        need = BarrierFactory(
            follow_up=follow_up,
            thematique=THEMATIQUES[i % 3],
            identified_on=day,
            status_changed_on=day,
        )
        sent = datetime.combine(day, datetime.min.time(), tzinfo=PARIS) + timedelta(hours=10)
        Referral.objects.create(
            follow_up=follow_up,
            barrier=need,
            service=service,
            sender=sender,
            sender_organisation=sending,
            receiving_organisation=service.organisation,
            status=("accepted", "refused", "expired")[i % 3],
            sent_at=sent,
            answered_at=sent + timedelta(days=1 + i % 9),
        )
        Outcome.objects.create(follow_up=follow_up, kind="formation", occurred_on=day + timedelta(days=30))
        action = OutreachActionFactory(qpv=qpv, starts_at=sent)
        ReachedCountFactory(action=action, count=3 + i % 7)
        ActionOrigin.objects.create(action=action, follow_up=follow_up)
        InterviewFactory(
            candidate__follow_up=follow_up, result=Interview.Result.HIRED, hired_on=day + timedelta(days=40)
        )
        for indicator, label, unit in [
            ("part_menages_sans_voiture", "Part des ménages sans voiture", "%"),
            ("demandeurs_emploi_abc", "Demandeurs d'emploi inscrits en catégories A, B, C", "personnes"),
        ]:
            ObservationFactory(
                dataset=dataset,
                indicator=indicator,
                indicator_label=label,
                unit=unit,
                level=Level.QPV,
                geo_code=qpv_code,
                value=10 + i,
            )
            ObservationFactory(
                dataset=dataset,
                indicator=indicator,
                indicator_label=label,
                unit=unit,
                level=Level.EPT,
                geo_code="200058006",
                value=12,
            )


def queries_of_a_snapshot(territory) -> list[str]:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        snapshot = content.snapshot(territory, AS_OF)
    assert snapshot["key_figures"] and snapshot["statistics"]
    return [query["sql"] for query in captured.captured_queries]


def test_the_report_content_runs_as_many_queries_for_ten_times_the_data(gpsea, settings):
    settings.SECRECY_THRESHOLD = 5
    add_records(4)
    little = queries_of_a_snapshot(gpsea)
    add_records(36, start=4)
    more = queries_of_a_snapshot(gpsea)
    assert len(more) == len(little), "\n".join(q for q in more if q not in little)
    # The added records are really read: more people followed, more statistics, more services.
    snapshot = content.snapshot(gpsea, AS_OF)
    followed = next(f for f in snapshot["key_figures"] if f["code"] == "beneficiaires_suivis")
    assert followed["value"] == 40
    assert len(snapshot["imported"]) == 2
