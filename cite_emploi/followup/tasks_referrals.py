"""Background tasks of referrals (django-tasks; the database backend needs no broker).

Daily (add to ``settings.DAILY_TASKS``, enqueued by « cite-emploi daily-tasks »):
``remind_pending_referrals`` and ``expire_overdue_referrals``. The ``notify_*`` tasks send one
e-mail each and are enqueued by ``referrals`` after the transaction commits. E-mails never name the
person oriented.
"""

from django_tasks import task

from . import referrals
from .models import Referral


def _referral(referral_id: int, *statuses: str) -> Referral | None:
    return (
        Referral.objects.filter(pk=referral_id, status__in=statuses)
        .select_related("service", "sender", "sender_organisation", "receiving_organisation")
        .first()
    )


@task()
def remind_pending_referrals() -> int:
    """Daily: remind receiving organisations of referrals unanswered for REFERRAL_REMINDER_DAYS (7)."""
    return referrals.send_reminders()


@task()
def expire_overdue_referrals() -> int:
    """Daily: expire referrals unanswered for REFERRAL_EXPIRY_DAYS (30); their senders are told."""
    return referrals.expire_overdue()


@task()
def notify_referral_sent(referral_id: int) -> int:
    referral = _referral(referral_id, Referral.Status.SENT)
    return referrals.mail_sent(referral) if referral else 0


@task()
def notify_referral_answered(referral_id: int) -> int:
    # Answered, and possibly moved on since (started…): the sender is told of the answer anyway.
    referral = _referral(
        referral_id,
        Referral.Status.ACCEPTED,
        Referral.Status.REFUSED,
        Referral.Status.STARTED,
        Referral.Status.COMPLETED,
        Referral.Status.ABANDONED,
    )
    return referrals.mail_answered(referral) if referral else 0


@task()
def notify_referral_expired(referral_id: int) -> int:
    referral = _referral(referral_id, Referral.Status.EXPIRED)
    return referrals.mail_expired(referral) if referral else 0
