"""When the follow-up ends, the CV library follows (followup.signals → talent and outreach receivers)."""

import pytest

from cite_emploi.followup import services
from cite_emploi.outreach.models import EventCandidate
from cite_emploi.talent.models import ContactRequest, TalentProfile
from tests.accounts.factories import member
from tests.followup.factories import followed_by
from tests.outreach.factories import EventCandidateFactory
from tests.talent.factories import ContactRequestFactory, profile_of

pytestmark = pytest.mark.django_db


def test_closing_the_follow_up_suspends_the_profile_and_declines_waiting_requests(mailoutbox):
    referent = member("counsellor")
    person = followed_by(referent)
    profile = profile_of(person)
    waiting = ContactRequestFactory(profile=profile)
    answered = ContactRequestFactory(profile=profile, status=ContactRequest.Status.ACCEPTED, answer="Oui.")
    services.close_follow_up(person.follow_up, by=referent, reason="reprise d'emploi")
    profile.refresh_from_db()
    waiting.refresh_from_db()
    answered.refresh_from_db()
    assert profile.status == TalentProfile.Status.SUSPENDED
    assert waiting.status == ContactRequest.Status.DECLINED and "suivi" in waiting.answer
    assert answered.status == ContactRequest.Status.ACCEPTED and answered.answer == "Oui."


def test_anonymising_the_person_deletes_the_profile_and_erases_preparation_notes():
    referent = member("counsellor")
    person = followed_by(referent)
    profile = profile_of(person)
    ContactRequestFactory(profile=profile)
    candidate = EventCandidateFactory(follow_up=person.follow_up, preparation="Atelier CV avec Mme X.")
    services.anonymise_beneficiary(person, by=referent)
    assert not TalentProfile.objects.filter(pk=profile.pk).exists()
    assert not ContactRequest.objects.filter(profile_id=profile.pk).exists()
    candidate.refresh_from_db()
    assert candidate.preparation == "" and EventCandidate.objects.filter(pk=candidate.pk).exists()


def test_the_retention_purge_anonymises_through_the_same_path():
    from datetime import timedelta

    from django.utils import timezone

    referent = member("counsellor")
    person = followed_by(referent)
    profile = profile_of(person)
    follow_up = person.follow_up
    follow_up.status, follow_up.closed_on = "closed", timezone.localdate() - timedelta(days=365 * 5)
    follow_up.opened_on = follow_up.closed_on - timedelta(days=30)
    follow_up.save()
    lines = services.purge()
    assert [line.beneficiary_id for line in lines] == [person.pk]
    assert not TalentProfile.objects.filter(pk=profile.pk).exists()
