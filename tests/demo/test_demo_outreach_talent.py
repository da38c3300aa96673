"""The demo's aller-vers, recruitment events and CV library: the sizes the issue names, consistent records."""

import itertools
import re

import pytest
from django.db.models import Count, F
from django.utils import timezone

from cite_emploi.demo.services import load_demo
from cite_emploi.followup.models import FollowUpMember, Outcome
from cite_emploi.outreach import models as o
from cite_emploi.talent import models as t
from cite_emploi.territory.models import Territory


@pytest.fixture
def demo(db):
    load_demo()
    return Territory.objects.get(slug="gpsea")


def test_a_year_of_outreach_with_a_weekly_permanence_in_each_qpv(demo):
    series = o.OutreachSeries.objects.filter(territory=demo)
    assert series.count() == 9 and set(series.values_list("every_weeks", flat=True)) == {1}
    assert len(set(series.values_list("qpv", flat=True))) == 9
    for s in series:
        days = sorted(timezone.localdate(a.starts_at) for a in s.occurrences.all())
        assert (days[-1] - days[0]).days >= 365
        assert {(b - a).days for a, b in itertools.pairwise(days)} == {7}
    one_off = o.OutreachAction.objects.filter(territory=demo, series__isnull=True)
    assert one_off.count() >= 30 and len(set(one_off.values_list("kind", flat=True))) >= 4
    held = o.OutreachAction.objects.filter(status=o.OutreachAction.Status.DONE)
    assert o.ReachedCount.objects.filter(action__in=held).count() > 1000
    assert not o.ReachedCount.objects.exclude(action__status=o.OutreachAction.Status.DONE).exists()
    assert o.OutreachAction.objects.filter(status="prevue", starts_at__gt=timezone.now()).exists()


def test_follow_ups_started_from_actions_held_in_their_qpv_before_they_opened(demo):
    origins = o.ActionOrigin.objects.select_related("action", "follow_up__beneficiary")
    assert origins.count() > 100
    for origin in origins:
        assert origin.action.status == o.OutreachAction.Status.DONE
        assert origin.action.qpv_id == origin.follow_up.beneficiary.qpv_id
        assert timezone.localdate(origin.action.starts_at) <= origin.follow_up.opened_on


def test_twelve_recruitment_events_whose_hires_are_outcomes_of_the_follow_up(demo):
    events = o.RecruitmentEvent.objects.filter(territory=demo)
    assert events.count() == 12
    assert events.filter(status="prevue").count() == 2
    assert not events.annotate(n=Count("employers")).filter(n=0).exists()
    hires = o.Interview.objects.filter(result=o.Interview.Result.HIRED).select_related("outcome", "candidate")
    assert hires.count() >= 12
    for hire in hires:
        assert hire.outcome.follow_up_id == hire.candidate.follow_up_id
        assert hire.outcome.kind in Outcome.Kind.values
    assert not o.Interview.objects.filter(result="recrute", outcome__isnull=True).exists()
    # Every candidate was invited by an active member of their follow-up.
    members = set(FollowUpMember.objects.filter(ended_on__isnull=True).values_list("follow_up_id", "user_id"))
    assert all(
        pair in members for pair in o.EventCandidate.objects.values_list("follow_up_id", "invited_by_id")
    )


def test_cv_library_of_150_profiles_and_60_offers_without_identifying_text(demo):
    profiles = t.TalentProfile.objects.filter(territory=demo).select_related(
        "follow_up__beneficiary", "commune"
    )
    assert profiles.count() == 150 and profiles.filter(status="publie").count() >= 100
    assert t.JobOffer.objects.filter(territory=demo).count() == 60
    assert t.JobOffer.objects.filter(status="ouverte").count() >= 40
    assert not t.JobOffer.objects.exclude(rome_code=F("appellation__occupation__code")).exists()
    for profile in profiles:
        person = profile.follow_up.beneficiary
        assert profile.initial == person.first_name[0].upper()
        text = " ".join([profile.headline, profile.experience_summary, *profile.skills]).lower()
        assert not re.search(rf"\b{re.escape(person.last_name.lower())}\b", text)
        assert not person.address or person.address.lower() not in text
        assert profile.commune_id == person.commune_id and profile.latitude is not None
        assert profile.jobs.exists()
    assert set(t.ContactRequest.objects.values_list("status", flat=True)) == set(
        t.ContactRequest.Status.values
    )
    assert not t.ContactRequest.objects.exclude(profile__status="publie").exists()


def test_the_demo_counsellors_follow_people_with_profiles_and_the_employer_has_offers(demo):
    followed = FollowUpMember.objects.filter(user__email="counsellor.ft@demo.test", ended_on__isnull=True)
    assert t.TalentProfile.objects.filter(follow_up__in=followed.values("follow_up")).count() >= 10
    assert t.JobOffer.objects.filter(organisation__memberships__user__email="employer@demo.test").count() >= 5
