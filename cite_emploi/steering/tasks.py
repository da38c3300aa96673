"""Background tasks of the steering (django-tasks, listed in ``settings.DAILY_TASKS``)."""

from django.utils import timezone
from django_tasks import task

from cite_emploi.core.recent import recomputing
from cite_emploi.territory.models import Territory

from . import dashboards


@task()
def warm_dashboards() -> int:
    """Daily, before the first reader: every territory's dashboards and quarterly report for the day.

    Without it, the first reader of a dashboard each day waits for its figures (about a second at
    100,000 people); with it and a shared cache (``CACHE_URL``), readers get the figures at once.
    """
    today = timezone.localdate()
    with recomputing():
        return sum(dashboards.warm_up(territory, today) for territory in Territory.objects.all())
