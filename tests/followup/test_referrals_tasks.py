"""Daily reminder and expiry of unanswered referrals, and the e-mails of the background tasks."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cite_emploi.followup import referrals, tasks_referrals
from cite_emploi.followup.models import Referral, TimelineEvent
from tests.accounts.factories import member
from tests.followup.factories import followed_by
from tests.followup.test_referrals import professional_of
from tests.partners.factories import OrganisationFactory, saved_service

DAILY = [
    "cite_emploi.followup.tasks_referrals.remind_pending_referrals",
    "cite_emploi.followup.tasks_referrals.expire_overdue_referrals",
]


@pytest.fixture
def sender(db):
    return member("counsellor")


@pytest.fixture
def service(db):
    return saved_service(
        organisation=OrganisationFactory(name="Association Tremplin"), name="Permanence emploi"
    )


@pytest.fixture
def receivers(service):
    return [professional_of(service.organisation), professional_of(service.organisation, role="coordinator")]


def sent_days_ago(sender, service, days: float) -> Referral:
    person = followed_by(sender)
    referral = referrals.create_referral(person.follow_up, service, by=sender, send=True)
    Referral.objects.filter(pk=referral.pk).update(sent_at=timezone.now() - timedelta(days=days))
    referral.refresh_from_db()
    return referral


def test_a_reminder_after_seven_days_once(sender, service, receivers):
    old = sent_days_ago(sender, service, 8)
    older = sent_days_ago(sender, service, 12)
    sent_days_ago(sender, service, 6)  # too early
    mail.outbox.clear()
    assert referrals.send_reminders() == 1
    assert len(mail.outbox) == 1  # one e-mail per organisation
    message = mail.outbox[0]
    assert sorted(message.to) == sorted(u.email for u in receivers)
    assert "Association Tremplin" in message.subject
    assert f"n° {old.pk}" in message.body and f"n° {older.pk}" in message.body
    assert "Permanence emploi" in message.body
    old.refresh_from_db()
    assert old.reminded_at is not None and old.status == Referral.Status.SENT
    assert referrals.send_reminders() == 0


def test_the_reminder_delay_is_a_setting(sender, service, receivers, settings):
    settings.REFERRAL_REMINDER_DAYS = 2
    sent_days_ago(sender, service, 3)
    mail.outbox.clear()
    assert referrals.send_reminders() == 1


def test_expiry_after_thirty_days(sender, service, receivers, django_capture_on_commit_callbacks):
    overdue = sent_days_ago(sender, service, 31)
    recent = sent_days_ago(sender, service, 29)
    answered = sent_days_ago(sender, service, 40)
    referrals.accept_referral(answered, by=receivers[0])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert referrals.expire_overdue() == 1
    overdue.refresh_from_db()
    recent.refresh_from_db()
    assert overdue.status == Referral.Status.EXPIRED and recent.status == Referral.Status.SENT
    event = overdue.events.last()
    assert event.status == Referral.Status.EXPIRED and event.author is None
    line = overdue.follow_up.events.filter(kind=TimelineEvent.Kind.REFERRAL).first()
    assert "expirée" in line.text and line.author is None
    assert [m.to for m in mail.outbox] == [[sender.email]]
    assert "expirée" in mail.outbox[0].subject
    assert overdue.follow_up.beneficiary.last_name not in mail.outbox[0].body


def test_an_expired_referral_cannot_be_answered(sender, service, receivers):
    overdue = sent_days_ago(sender, service, 31)
    referrals.expire_overdue()
    from cite_emploi.followup.services import InvalidTransition

    with pytest.raises(InvalidTransition):
        referrals.accept_referral(overdue, by=receivers[0])


def test_the_daily_tasks_run_reminders_and_expiry(sender, service, receivers, settings):
    settings.DAILY_TASKS = DAILY
    sent_days_ago(sender, service, 8)
    overdue = sent_days_ago(sender, service, 35)
    mail.outbox.clear()
    call_command("daily_tasks", now=True)
    overdue.refresh_from_db()
    assert overdue.status == Referral.Status.EXPIRED
    assert any("attente de votre réponse" in m.subject for m in mail.outbox)


def test_the_tasks_are_importable_by_their_dotted_path():
    from django.utils.module_loading import import_string

    for path in DAILY:
        assert hasattr(import_string(path), "enqueue")


def test_notifications_skip_referrals_that_moved_on(sender, service, receivers):
    referral = sent_days_ago(sender, service, 1)
    referrals.refuse_referral(referral, by=receivers[0], reason="complet")
    mail.outbox.clear()
    assert tasks_referrals.notify_referral_sent.call(referral.pk) == 0
    assert tasks_referrals.notify_referral_expired.call(referral.pk) == 0
    assert tasks_referrals.notify_referral_answered.call(referral.pk) == 1
    assert tasks_referrals.notify_referral_sent.call(999999) == 0
    assert len(mail.outbox) == 1


def test_an_organisation_without_professionals_gets_no_mail(sender, django_capture_on_commit_callbacks):
    lonely = saved_service()
    person = followed_by(sender)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        referrals.create_referral(person.follow_up, lonely, by=sender, send=True)
    assert mail.outbox == []
