"""Background tasks of the core app."""

from django_tasks import task

from .statistics import refresh_statistics


@task()
def refresh_planner_statistics() -> None:
    """Daily: the query planner's statistics (see ``statistics.py``)."""
    refresh_statistics()
