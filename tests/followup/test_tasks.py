"""Daily tasks and the retention purge of the shared follow-up."""

from datetime import date, timedelta

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.followup import services, tasks
from cite_emploi.followup.models import Beneficiary, FollowUp, FollowUpMember, TimelineEvent
from tests.accounts.factories import member
from tests.followup.factories import add_member, followed_by


def test_add_months():
    assert services.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert services.add_months(date(2024, 3, 15), -24) == date(2022, 3, 15)
    assert services.add_months(date(2024, 12, 1), 1) == date(2025, 1, 1)


def _age_membership(b, user, days: int):
    FollowUpMember.objects.filter(follow_up=b.follow_up, user=user).update(
        started_on=timezone.localdate() - timedelta(days=days)
    )
    TimelineEvent.objects.filter(follow_up=b.follow_up, author=user).update(
        at=timezone.now() - timedelta(days=days)
    )


def test_inactive_members_are_ended_and_the_referent_role_moves(db):
    referent = member("counsellor")
    b = followed_by(referent)
    active = member("counsellor")
    add_member(b, active)
    _age_membership(b, referent, 800)
    services.add_entry(b.follow_up, kind="contact", text="", by=active)
    assert tasks.end_inactive_memberships.call() == 1
    ended = FollowUpMember.objects.get(user=referent)
    assert ended.ended_on == timezone.localdate() and ended.end_reason == "sans activité depuis 24 mois"
    assert services.referent_of(b.follow_up).user == active
    assert FollowUp.objects.get().status == FollowUp.Status.OPEN
    assert tasks.end_inactive_memberships.call() == 0


def test_a_follow_up_nobody_touched_for_two_years_is_closed(db, settings):
    settings.FOLLOWUP_INACTIVITY_MONTHS = 12
    referent = member("counsellor")
    b = followed_by(referent)
    _age_membership(b, referent, 400)
    services.end_inactive_memberships()
    follow_up = FollowUp.objects.get()
    assert follow_up.status == FollowUp.Status.CLOSED and "12 mois" in follow_up.closing_reason
    assert not follow_up.members.filter(ended_on__isnull=True).exists()
    assert AuditEntry.objects.filter(object_id=str(b.pk), detail__what="inactivité", actor=None).exists()


def test_recent_activity_keeps_the_membership(db):
    referent = member("counsellor")
    b = followed_by(referent)
    _age_membership(b, referent, 800)
    services.add_entry(b.follow_up, kind="note", text="Point d'étape.", by=referent)
    assert services.end_inactive_memberships() == 0


def test_the_referent_is_asked_for_the_situation_at_6_and_12_months_once(db):
    referent = member("counsellor")
    b = followed_by(referent)
    today = timezone.localdate()
    FollowUp.objects.filter(pk=b.follow_up.pk).update(opened_on=today - timedelta(days=200))
    assert tasks.ask_situation_updates.call() == 1
    message = mail.outbox[-1]
    assert message.to == [referent.email] and "6 mois" in message.subject
    assert b.first_name not in message.body and b.last_name not in message.body
    assert f"/suivi/beneficiaires/{b.pk}/sorties/nouvelle/" in message.body
    assert services.ask_situation_updates() == 0  # asked once
    assert services.ask_situation_updates(today + timedelta(days=200)) == 1
    assert "12 mois" in mail.outbox[-1].subject
    assert services.ask_situation_updates(today + timedelta(days=400)) == 0
    follow_up = FollowUp.objects.get()
    assert follow_up.situation_asked_6_at and follow_up.situation_asked_12_at


def test_past_both_milestones_one_question_is_asked(db):
    referent = member("counsellor")
    b = followed_by(referent)
    FollowUp.objects.filter(pk=b.follow_up.pk).update(opened_on=timezone.localdate() - timedelta(days=500))
    assert services.ask_situation_updates() == 1
    assert "12 mois" in mail.outbox[-1].subject
    assert services.ask_situation_updates() == 0


def test_the_daily_tasks_are_importable():
    from django.utils.module_loading import import_string

    for path in (
        "cite_emploi.followup.tasks.end_inactive_memberships",
        "cite_emploi.followup.tasks.ask_situation_updates",
    ):
        assert hasattr(import_string(path), "enqueue")


def _closed(referent, days_ago: int, **fields):
    b = followed_by(referent, **fields)
    services.close_follow_up(b.follow_up, by=referent, reason="emploi durable")
    FollowUp.objects.filter(pk=b.follow_up.pk).update(
        closed_on=timezone.localdate() - timedelta(days=days_ago), opened_on=date(2019, 1, 1)
    )
    return b


def test_purge_anonymises_follow_ups_closed_beyond_retention(db, capsys):
    referent = member("counsellor")
    old = _closed(referent, 800, last_name="Ancien")
    recent = _closed(referent, 100, last_name="Recent")
    still_open = followed_by(referent, last_name="Ouvert")
    call_command("purge", dry_run=True)
    out = capsys.readouterr().out
    assert f"Fiche n° {old.pk}" in out and "serait anonymisée" in out and "Ancien" not in out
    assert Beneficiary.objects.get(pk=old.pk).anonymised_at is None
    call_command("purge")
    out = capsys.readouterr().out
    assert "1 fiche(s) anonymisée(s)" in out
    assert Beneficiary.objects.get(pk=old.pk).last_name != "Ancien"
    assert Beneficiary.objects.get(pk=recent.pk).anonymised_at is None
    assert Beneficiary.objects.get(pk=still_open.pk).anonymised_at is None
    call_command("purge")
    assert "0 fiche(s)" in capsys.readouterr().out


def test_purge_honours_the_retention_setting(db, settings, capsys):
    settings.FOLLOWUP_RETENTION_MONTHS = 2
    referent = member("counsellor")
    b = _closed(referent, 100)
    call_command("purge")
    assert Beneficiary.objects.get(pk=b.pk).anonymised_at is not None
    assert "plus de 2 mois" in capsys.readouterr().out
