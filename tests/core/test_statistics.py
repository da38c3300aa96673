"""The planner's statistics are refreshed on demand, after the demo and by a daily task."""

import pytest
from django.conf import settings
from django.db import connection

from cite_emploi.core import tasks
from cite_emploi.core.statistics import refresh_statistics

pytestmark = pytest.mark.django_db


def analysed_tables() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        else:
            cursor.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL"
            )
        return {row[0] for row in cursor.fetchall()}


def test_refresh_gives_the_planner_statistics_of_the_tables(gpsea):
    refresh_statistics()
    assert {"territory_qpv", "territory_commune"} <= analysed_tables()


def test_it_is_a_daily_task():
    assert "cite_emploi.core.tasks.refresh_planner_statistics" in settings.DAILY_TASKS
    tasks.refresh_planner_statistics.enqueue()  # tests run tasks immediately
    assert "territory_qpv" in analysed_tables()
