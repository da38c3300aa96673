"""Background tasks of the shared follow-up (django-tasks; the database backend needs no broker).

Daily tasks (listed in ``settings.DAILY_TASKS``, enqueued by « cite-emploi daily-tasks »):
``end_inactive_memberships`` and ``ask_situation_updates``. The others send one e-mail each and are
enqueued by the services after the transaction commits. E-mails never name the person followed.
"""

from django.contrib.auth import get_user_model
from django_tasks import task

from . import services
from .models import FollowUpMember, JoinRequest


@task()
def end_inactive_memberships() -> int:
    """Daily: end memberships without activity for FOLLOWUP_INACTIVITY_MONTHS (default 24)."""
    return services.end_inactive_memberships()


@task()
def ask_situation_updates() -> int:
    """Daily: ask referents for the person's situation 6 and 12 months after entry, once each."""
    return services.ask_situation_updates()


@task()
def notify_member_invited(member_id: int, inviter_id: int | None = None) -> int:
    member = (
        FollowUpMember.objects.filter(pk=member_id, ended_on__isnull=True)
        .select_related("user", "organisation", "follow_up")
        .first()
    )
    if member is None:
        return 0
    inviter = get_user_model().objects.filter(pk=inviter_id).first() if inviter_id else None
    return services.send_invitation_email(member, inviter)


@task()
def notify_join_request(join_request_id: int) -> int:
    join_request = (
        JoinRequest.objects.filter(pk=join_request_id, status=JoinRequest.Status.PENDING)
        .select_related("requester", "organisation", "follow_up")
        .first()
    )
    return services.send_join_request_email(join_request) if join_request else 0


@task()
def notify_join_answer(join_request_id: int) -> int:
    join_request = (
        JoinRequest.objects.filter(pk=join_request_id)
        .select_related("requester", "organisation", "follow_up")
        .first()
    )
    return services.send_join_answer_email(join_request) if join_request else 0
