"""Background tasks of the CV library (django-tasks; the database backend needs no broker).

Each sends one e-mail and is enqueued by ``services`` after the transaction commits. The e-mails
give the profile's reference, never the person's name.
"""

from django_tasks import task

from . import services
from .models import ContactRequest


def _contact(contact_id: int, *statuses: str) -> ContactRequest | None:
    return (
        ContactRequest.objects.filter(pk=contact_id, status__in=statuses)
        .select_related("profile__follow_up", "organisation", "offer", "requested_by", "answered_by")
        .first()
    )


@task()
def notify_contact_requested(contact_id: int) -> int:
    contact = _contact(contact_id, ContactRequest.Status.PENDING)
    return services.mail_contact_requested(contact) if contact else 0


@task()
def notify_contact_answered(contact_id: int) -> int:
    contact = _contact(contact_id, ContactRequest.Status.ACCEPTED, ContactRequest.Status.DECLINED)
    return services.mail_contact_answered(contact) if contact else 0
