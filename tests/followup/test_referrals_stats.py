"""The median answer time of referrals (sent → accepted or refused), an aggregate under secrecy."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cite_emploi.followup import queries_referrals
from cite_emploi.followup.models import Referral
from tests.accounts.factories import member
from tests.followup.factories import followed_by, organisation_of
from tests.partners.factories import OrganisationFactory, saved_service

PARIS = ZoneInfo("Europe/Paris")
SENT = datetime(2025, 3, 3, 9, 0, tzinfo=PARIS)


@pytest.fixture
def sender(db):
    return member("counsellor")


def answered(sender, organisation, delays_in_hours, *, sent=SENT, status=Referral.Status.ACCEPTED):
    """Referrals to ``organisation`` answered after each delay (None: never answered)."""
    service = saved_service(organisation=organisation)
    for hours in delays_in_hours:
        person = followed_by(sender)
        Referral.objects.create(
            follow_up=person.follow_up,
            service=service,
            sender=sender,
            sender_organisation=organisation_of(sender),
            receiving_organisation=organisation,
            status=status if hours is not None else Referral.Status.EXPIRED,
            sent_at=sent,
            answered_at=sent + timedelta(hours=hours) if hours is not None else None,
        )


def test_odd_count_takes_the_middle_delay(gpsea, sender):
    org = OrganisationFactory()
    answered(sender, org, [24, 48, 72, 96, 240])
    result = queries_referrals.median_answer_time(gpsea)
    assert result.count == 5 and result.median == timedelta(days=3) and not result.hidden
    assert result.median_label == "3 jours" and result.median_days == 3.0


def test_even_count_averages_the_two_middle_delays(gpsea, sender):
    org = OrganisationFactory()
    answered(sender, org, [24, 48, 72, 240, 2, 3])
    result = queries_referrals.median_answer_time(gpsea)
    assert result.count == 6 and result.median == timedelta(hours=36)
    assert result.median_label == "36 h"


def test_refusals_count_expired_and_drafts_do_not(gpsea, sender):
    org = OrganisationFactory()
    answered(sender, org, [10, 20, 30], status=Referral.Status.REFUSED)
    answered(sender, org, [40, 50], status=Referral.Status.COMPLETED)  # accepted, then went on
    answered(sender, org, [None, None])  # expired without an answer
    service = saved_service(organisation=org)
    Referral.objects.create(
        follow_up=followed_by(sender).follow_up,
        service=service,
        sender=sender,
        sender_organisation=organisation_of(sender),
        receiving_organisation=org,
    )
    result = queries_referrals.median_answer_time(gpsea)
    assert result.count == 5 and result.median == timedelta(hours=30)


def test_below_the_threshold_nothing_is_shown(gpsea, sender):
    answered(sender, OrganisationFactory(), [5, 6, 7, 8])
    result = queries_referrals.median_answer_time(gpsea)
    assert result.hidden and result.count_label == "secret" and result.median_label == "non diffusé"
    assert result.median_days is None


def test_by_organisation_with_secondary_secrecy(gpsea, sender):
    a = OrganisationFactory(name="A — France Travail")
    b = OrganisationFactory(name="B — Association")
    c = OrganisationFactory(name="C — Mission locale")
    answered(sender, a, [1, 2, 3, 4, 5])
    answered(sender, b, [10, 20])
    answered(sender, c, [1, 1, 1, 1, 1, 1])
    rows = {r.organisation.name: r.answer_time for r in queries_referrals.answer_times_by_organisation(gpsea)}
    assert rows["B — Association"].hidden  # 2 < 5
    assert rows["A — France Travail"].hidden  # else B = total − A − C
    assert not rows["C — Mission locale"].hidden and rows["C — Mission locale"].median == timedelta(hours=1)
    overall = queries_referrals.median_answer_time(gpsea)
    assert overall.count == 13 and not overall.hidden


def test_organisation_and_period_filters(gpsea, sender):
    a, b = OrganisationFactory(), OrganisationFactory()
    answered(sender, a, [1, 2, 3, 4, 5])
    answered(sender, b, [100] * 5, sent=SENT + timedelta(days=40))
    assert queries_referrals.median_answer_time(gpsea, organisation=a).median == timedelta(hours=3)
    march = (date(2025, 3, 1), date(2025, 3, 31))
    result = queries_referrals.median_answer_time(gpsea, period=march)
    assert result.count == 5 and result.median == timedelta(hours=3)
    assert queries_referrals.median_answer_time(gpsea, period=(date(2025, 4, 1), None)).count == 5
    assert queries_referrals.median_answer_time(gpsea, period=(None, date(2025, 3, 2))).count == 0


def test_other_territories_do_not_count(gpsea, sender, other_territory):
    foreign = member("counsellor", territory=other_territory)
    answered(foreign, OrganisationFactory(territory=other_territory), [1, 2, 3, 4, 5])
    assert queries_referrals.median_answer_time(gpsea).count == 0
    assert queries_referrals.answer_times_by_organisation(gpsea) == []


def test_one_query_whatever_the_number_of_organisations(gpsea, sender, django_assert_num_queries):
    for _ in range(4):
        answered(sender, OrganisationFactory(), [1, 2, 3, 4, 5, 6])
    with django_assert_num_queries(2):  # the medians, then the organisations' names
        rows = queries_referrals.answer_times_by_organisation(gpsea)
    assert len(rows) == 4 and all(r.answer_time.median == timedelta(hours=3, minutes=30) for r in rows)


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (None, "—"),
        (timedelta(minutes=20), "moins d'une heure"),
        (timedelta(hours=5, minutes=20), "5 h"),
        (timedelta(days=2), "2 jours"),
        (timedelta(days=2, hours=12), "2,5 jours"),
    ],
)
def test_duration_labels_are_french(value, label):
    assert queries_referrals.duration_label(value) == label
