"""Referral services: the status machine, who may take each step, consent, history, timeline, audit."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cite_emploi.accounts.models import Membership
from cite_emploi.core.models import AuditEntry
from cite_emploi.followup import referrals, services
from cite_emploi.followup.models import FollowUpMember, Referral, ReferralEvent, TimelineEvent
from tests.accounts.factories import UserFactory, member
from tests.followup.factories import followed_by, organisation_of
from tests.partners.factories import OrganisationFactory, saved_service

Status = Referral.Status


def professional_of(organisation, role="counsellor"):
    user = UserFactory()
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def sender(db):
    return member("counsellor", name="Mission locale Plaine centrale")


@pytest.fixture
def service(db):
    return saved_service(
        organisation=OrganisationFactory(name="Régie de quartier Mont-Mesly"), name="Atelier CV"
    )


@pytest.fixture
def receiver(service):
    return professional_of(service.organisation)


@pytest.fixture
def person(sender):
    return followed_by(sender)


def sent_referral(person, service, sender, **fields):
    return referrals.create_referral(
        person.follow_up, service, by=sender, message="Cherche un CV.", send=True
    )


def test_a_member_sends_a_referral_and_the_receiving_organisation_is_told(
    person, service, sender, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = sent_referral(person, service, sender)
    referral.refresh_from_db()
    assert referral.status == Status.SENT
    assert referral.sent_at is not None
    assert referral.receiving_organisation == service.organisation
    assert referral.sender_organisation == organisation_of(sender)
    assert list(referral.events.values_list("status", "author")) == [
        (Status.DRAFT, sender.pk),
        (Status.SENT, sender.pk),
    ]
    line = person.follow_up.events.get(kind=TimelineEvent.Kind.REFERRAL)
    assert "Atelier CV" in line.text and "envoyée" in line.text
    assert [m.to for m in mail.outbox] == [[receiver.email]]
    assert "Atelier CV" in mail.outbox[0].subject
    # E-mails never name the person.
    assert person.last_name not in mail.outbox[0].body
    assert "/suivi/orientations/" in mail.outbox[0].body


def test_every_change_is_audited(person, service, sender, receiver):
    referral = sent_referral(person, service, sender)
    referrals.accept_referral(referral, by=receiver)
    entries = AuditEntry.objects.filter(object_type="followup.beneficiary", object_id=str(person.pk))
    assert {e.detail.get("status") for e in entries if e.detail.get("what") == "orientation"} >= {
        Status.SENT,
        Status.ACCEPTED,
    }


def test_a_draft_is_kept_until_sent(person, service, sender, receiver):
    referral = referrals.create_referral(person.follow_up, service, by=sender)
    assert referral.status == Status.DRAFT and referral.sent_at is None
    assert "brouillon" in person.follow_up.events.get(kind=TimelineEvent.Kind.REFERRAL).text
    referrals.send_referral(referral, by=sender)
    referral.refresh_from_db()
    assert referral.status == Status.SENT


def test_the_full_path_to_completion(person, service, sender, receiver):
    referral = sent_referral(person, service, sender)
    referrals.accept_referral(referral, by=receiver, note="RDV le 3")
    referrals.start_referral(referral, by=receiver)
    referrals.complete_referral(referral, by=receiver, note="Bon parcours")
    referral.refresh_from_db()
    assert referral.status == Status.COMPLETED
    assert list(referral.events.values_list("status", flat=True)) == [
        Status.DRAFT,
        Status.SENT,
        Status.ACCEPTED,
        Status.STARTED,
        Status.COMPLETED,
    ]
    assert referral.events.get(status=Status.ACCEPTED).author == receiver
    assert person.follow_up.events.filter(kind=TimelineEvent.Kind.REFERRAL).count() == 4


@pytest.mark.parametrize(
    ("steps", "forbidden"),
    [
        ([], "accept"),  # a draft cannot be answered
        (["send"], "start"),
        (["send"], "complete"),
        (["send", "accept"], "refuse"),
        (["send", "accept"], "send"),
        (["send", "refuse"], "accept"),
        (["send", "refuse"], "abandon"),
        (["send", "accept", "start", "complete"], "abandon"),
    ],
)
def test_invalid_transitions_are_refused_in_french(person, service, sender, receiver, steps, forbidden):
    referral = referrals.create_referral(person.follow_up, service, by=sender)
    actions = {
        "send": lambda r: referrals.send_referral(r, by=sender),
        "accept": lambda r: referrals.accept_referral(r, by=receiver),
        "refuse": lambda r: referrals.refuse_referral(r, by=receiver, reason="complet"),
        "start": lambda r: referrals.start_referral(r, by=receiver),
        "complete": lambda r: referrals.complete_referral(r, by=receiver),
        "abandon": lambda r: referrals.abandon_referral(r, by=receiver),
    }
    for step in steps:
        actions[step](referral)
    before = referral.events.count()
    with pytest.raises(services.InvalidTransition) as error:
        actions[forbidden](referral)
    assert "Seule une orientation" in error.value.message
    assert referral.events.count() == before


def test_only_the_receiving_organisation_answers(person, service, sender, receiver):
    referral = sent_referral(person, service, sender)
    for intruder in (sender, member("counsellor"), member("coordinator")):
        with pytest.raises(referrals.ReferralNotAllowed):
            referrals.accept_referral(referral, by=intruder)
    # An elected member of the receiving organisation is not a professional of it.
    elected = professional_of(service.organisation, role="elected")
    with pytest.raises(referrals.ReferralNotAllowed):
        referrals.refuse_referral(referral, by=elected, reason="complet")
    assert referrals.allowed_actions(referral, receiver) == {"accept", "refuse"}
    assert referrals.allowed_actions(referral, sender) == set()


def test_only_members_of_the_follow_up_create_and_send(person, service, sender):
    outsider = member("counsellor")
    with pytest.raises(referrals.ReferralNotAllowed):
        referrals.create_referral(person.follow_up, service, by=outsider)
    draft = referrals.create_referral(person.follow_up, service, by=sender)
    with pytest.raises(referrals.ReferralNotAllowed):
        referrals.send_referral(draft, by=outsider)
    assert referrals.allowed_actions(draft, sender) == {"send", "delete"}


def test_sending_to_another_organisation_needs_consent(sender, service):
    person = followed_by(sender, consent=False)
    draft = referrals.create_referral(person.follow_up, service, by=sender)  # a draft is fine
    with pytest.raises(services.ConsentRequired) as error:
        referrals.send_referral(draft, by=sender)
    assert "consentement" in error.value.message
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    with pytest.raises(services.ConsentRequired):
        referrals.create_referral(person.follow_up, saved_service(), by=sender, send=True)


def test_within_the_same_organisation_no_consent_is_needed(sender):
    person = followed_by(sender, consent=False)
    own = saved_service(organisation=organisation_of(sender))
    referral = referrals.create_referral(person.follow_up, own, by=sender, send=True)
    assert referral.status == Status.SENT


def test_withdrawn_consent_blocks_sending(person, service, sender):
    draft = referrals.create_referral(person.follow_up, service, by=sender)
    services.withdraw_consent(person, by=sender)
    with pytest.raises(services.ConsentRequired):
        referrals.send_referral(draft, by=sender)


def test_refusal_needs_a_reason_from_the_list(
    person, service, sender, receiver, django_capture_on_commit_callbacks
):
    referral = sent_referral(person, service, sender)
    with pytest.raises(services.FollowUpError):
        referrals.refuse_referral(referral, by=receiver, reason="parce-que")
    with pytest.raises(services.FollowUpError) as error:
        referrals.refuse_referral(referral, by=receiver, reason=Referral.RefusalReason.OTHER)
    assert error.value.message == "Précisez le motif du refus."
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        referrals.refuse_referral(referral, by=receiver, reason=Referral.RefusalReason.NO_CAPACITY)
    referral.refresh_from_db()
    assert referral.status == Status.REFUSED and referral.answered_at is not None
    assert referral.refusal_reason == "complet"
    assert "Plus de place disponible" in person.follow_up.events.filter(kind="orientation").first().text
    assert [m.to for m in mail.outbox] == [[sender.email]]
    assert "refusée" in mail.outbox[0].subject and "Plus de place disponible" in mail.outbox[0].body


def test_acceptance_tells_the_sender_and_may_make_the_receiver_a_member(
    person, service, sender, receiver, django_capture_on_commit_callbacks
):
    referral = sent_referral(person, service, sender)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        referrals.accept_referral(referral, by=receiver, join=True)
    membership = FollowUpMember.objects.get(follow_up=person.follow_up, user=receiver, ended_on__isnull=True)
    assert membership.organisation == service.organisation and not membership.is_referent
    assert [m.to for m in mail.outbox] == [[sender.email]]
    assert "acceptée" in mail.outbox[0].subject
    assert person.last_name not in mail.outbox[0].body


def test_acceptance_without_joining_adds_no_member(person, service, sender, receiver):
    referral = sent_referral(person, service, sender)
    referrals.accept_referral(referral, by=receiver)
    assert services.member_of(person.follow_up, receiver) is None


def test_an_active_referral_to_the_same_service_is_not_duplicated(person, service, sender, receiver):
    referral = sent_referral(person, service, sender)
    with pytest.raises(services.FollowUpError):
        referrals.create_referral(person.follow_up, service, by=sender)
    referrals.refuse_referral(referral, by=receiver, reason="complet")
    assert referrals.create_referral(person.follow_up, service, by=sender).status == Status.DRAFT


def test_a_service_of_another_territory_is_refused(person, sender, other_territory):
    foreign = saved_service(organisation=OrganisationFactory(territory=other_territory))
    with pytest.raises(services.FollowUpError):
        referrals.create_referral(person.follow_up, foreign, by=sender)


def test_only_drafts_are_deleted(person, service, sender, receiver):
    draft = referrals.create_referral(person.follow_up, service, by=sender)
    referrals.delete_draft(draft, by=sender)
    assert not Referral.objects.filter(pk=draft.pk).exists()
    sent = sent_referral(person, service, sender)
    with pytest.raises(services.InvalidTransition):
        referrals.delete_draft(sent, by=sender)


def test_abandon_from_accepted_or_started(person, service, sender, receiver):
    referral = sent_referral(person, service, sender)
    referrals.accept_referral(referral, by=receiver)
    referrals.abandon_referral(referral, by=receiver, note="Ne s'est pas présentée")
    referral.refresh_from_db()
    assert referral.status == Status.ABANDONED
    assert referral.events.last().note == "Ne s'est pas présentée"


def test_a_stale_object_cannot_answer_twice(person, service, sender, receiver):
    """Two professionals open the same referral; the second answer is refused, not applied."""
    referral = sent_referral(person, service, sender)
    stale = Referral.objects.get(pk=referral.pk)
    colleague = professional_of(service.organisation)
    referrals.accept_referral(referral, by=receiver)
    with pytest.raises(services.InvalidTransition):
        referrals.refuse_referral(stale, by=colleague, reason="complet")
    stale.refresh_from_db()
    assert stale.status == Status.ACCEPTED


def test_timeline_and_events_share_the_date(person, service, sender, receiver):
    referral = sent_referral(person, service, sender)
    event = ReferralEvent.objects.get(referral=referral, status=Status.SENT)
    line = person.follow_up.events.get(kind=TimelineEvent.Kind.REFERRAL)
    assert event.at == line.at == referral.sent_at
    assert abs(timezone.now() - event.at) < timedelta(minutes=1)
