"""Background tasks of the partners app (django-tasks; the database backend needs no broker)."""

from django_tasks import task

from . import services


@task()
def request_service_confirmations() -> int:
    """Daily: ask organisations to confirm services not updated for six months."""
    return services.request_confirmations()
