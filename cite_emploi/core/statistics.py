"""The query planner's statistics, kept fresh on both engines.

SQLite keeps none until ``ANALYZE`` runs, and without them it picks plans that read whole tables
through the wrong index: on the demo (2,000 people), « mes bénéficiaires » took 322 ms before
``ANALYZE`` and 24 ms after. PostgreSQL's autovacuum refreshes its own statistics, but only some
time after a bulk load. So the statistics are refreshed after the demo is loaded, after a restore,
and every day (``settings.DAILY_TASKS``).
"""

from django.db import DEFAULT_DB_ALIAS, connections

# Rows sampled per index on SQLite: approximate statistics are enough for the planner and keep
# the daily run short on large tables (SQLite ≥ 3.32; older versions read everything).
SQLITE_ANALYSIS_LIMIT = 1000


def refresh_statistics(using: str = DEFAULT_DB_ALIAS) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
