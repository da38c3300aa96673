"""What one page of the counsellor's journey costs in-process: Python CPU, SQL time, queries, HTML.

Run it on a database holding the demo (``cite-emploi demo --no-serve``), with the settings of the
load test's server::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ce_prof HTTPS=off DEBUG=off \\
        python bench/page_cost.py [--runs 10]

It logs in as the demo counsellor through Django's test client and opens each page ``--runs`` times
(the beneficiaries' and services' pages in turn), after two calls to warm the caches; it prints
the median of each measure. The load test (``bench/load.py``) says what the server does with
those costs; this says where they come from.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cite_emploi.settings")

from load import EMAIL, journey_ids


def main() -> None:
    parser = argparse.ArgumentParser(description="Coût en processus des pages du parcours du conseiller.")
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.force_login(get_user_model().objects.get(email=EMAIL))
    people = client.get("/suivi/").content.decode()
    catalogue = client.get("/partenaires/catalogue/").content.decode()
    beneficiaries, services = journey_ids(people, catalogue)
    pages = {
        "mes bénéficiaires (/suivi/)": ["/suivi/"],
        "fiche bénéficiaire": [f"/suivi/beneficiaires/{pk}/" for pk in beneficiaries],
        "catalogue filtré (thématique)": ["/partenaires/catalogue/?thematique=trouver-un-emploi"],
        "fiche service": [f"/partenaires/services/{pk}/" for pk in services],
    }
    sql = {"seconds": 0.0, "queries": 0}

    def timed_sql(execute, query, params, many, context):
        started = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            sql["seconds"] += time.perf_counter() - started
            sql["queries"] += 1

    print(f"{'page':34} {'CPU Python':>11} {'SQL':>9} {'requêtes':>9} {'HTML':>9}")
    for name, urls in pages.items():
        urls = [urls[i % len(urls)] for i in range(options.runs)]
        for url in urls[:2]:
            client.get(url)
        cpu, wall, queries, size = [], [], [], 0
        with connection.execute_wrapper(timed_sql):
            for url in urls:
                sql.update(seconds=0.0, queries=0)
                started = time.process_time()
                response = client.get(url)
                cpu.append((time.process_time() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{url} : réponse {response.status_code}")
                wall.append(sql["seconds"] * 1000)
                queries.append(sql["queries"])
                size = len(response.content)
        print(
            f"{name:34} {statistics.median(cpu):8.1f} ms {statistics.median(wall):6.1f} ms "
            f"{max(queries):9} {size / 1024:6.1f} Ko"
        )


if __name__ == "__main__":
    main()
