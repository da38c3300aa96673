"""Background tasks of the diagnostic (django-tasks, listed in ``settings.DAILY_TASKS``)."""

from django.utils import timezone
from django_tasks import task

from cite_emploi.core.recent import recomputing
from cite_emploi.territory.models import Territory

from . import content


@task()
def warm_overview() -> int:
    """Daily, before the first reader: each territory's overview figures for the day (``content.overview``)."""
    today = timezone.localdate()
    with recomputing():
        territories = list(Territory.objects.all())
        for territory in territories:
            content.overview(territory, today)
    return len(territories)
