"""Benchmark: the steering pages — the dashboards (territory, commune, action), the plan, its budget
and the quarterly report — at the demo's size and at the follow-up benchmark's.

Two sizes, each in a child process with its own scratch database of the current engine, built by
``bench/diagnostic.py``'s ``prepare`` (imported, not copied):

* ``demo``: ``load_demo`` — about 2,000 people, a year of aller-vers and recruitment events, the
  diagnostic's dataset and version, and the steering demo (``cite_emploi/demo/steering.py``: the
  plans 2022-2023 and 2024-2026, their money, targets and committees);
* ``large``: the follow-up benchmark's data builder (``bench/followup.py``, ``generate``: 100,000
  people of GPSEA by default, with their follow-ups, barriers, referrals and outcomes), then the same
  demo on top. Both sizes have the same plans, money, targets and committees; they differ by the
  people the figures count.

Then, in each, logged in as the demo coordinator through Django's test client (host « localhost »):

1. **Every page** of ``PAGES``, two requests first, then ``--runs`` requests « à froid » (every
   ``steering:`` entry of the cache deleted before each request: the figures, the targets' actuals
   and the quarterly report are computed again, as at the first view after five minutes; the
   diagnostic's lists of places stay cached, as on a live server) and ``--runs`` « à chaud » (served
   from the cache). p50/p95 in ms (goal: p95 under 300 ms) and the SQL statements of one request,
   which must be the same at both sizes.
2. **The peer**: the territory dashboard's figures computed as a spreadsheet-minded script would —
   the territory's follow-ups, barriers, referrals, outcomes, aller-vers counts, recruitment events
   and interviews exported whole into Python and counted in loops; the plan's budget lines and
   expenses summed in loops — against the figures the dashboard shows (``dashboards.cached_table``
   for each of ``dashboards.FIGURES``, its cache entries deleted, and ``money.budget``). Every cell the page shows (not hidden by statistical secrecy) must be equal;
   the script stops with an error otherwise.

    python bench/steering.py [--beneficiaries 100000] [--events 100000] [--runs 30]
                             [--naive-runs 3] [--sizes demo,large]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from unittest import mock

import diagnostic
from measure import p, run, timed, timed_stale
from scratch_db import add_reuse_arguments, run_on_scratch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_PAGE_MS = diagnostic.GOAL_PAGE_MS
SIZES = diagnostic.SIZES
MARK = "RÉSULTATS "
COORDINATOR = diagnostic.COORDINATOR
CACHE_PREFIX = "steering:"
COMMUNE = "94028"
# The action whose dashboard is measured: the plan's widest (its nine quartiers, two bound targets).
ACTION_TITLE = "Permanences du service public de l'emploi dans les neuf quartiers"


def pages(plan, action) -> list[tuple[str, str]]:
    """(label, URL) of every steering page the benchmark measures."""
    from django.urls import reverse

    return [
        ("tableau de bord du territoire /pilotage/", reverse("steering:dashboard")),
        (
            f"tableau de bord d'une commune /pilotage/communes/{COMMUNE}/",
            reverse("steering:commune_dashboard", args=[COMMUNE]),
        ),
        ("tableau de bord d'une action", reverse("steering:action_dashboard", args=[action.pk])),
        ("plan d'actions (page du plan)", reverse("steering:plan", args=[plan.pk])),
        ("budget du plan", reverse("steering:budget", args=[plan.pk])),
        ("rapport trimestriel (page)", reverse("steering:quarterly")),
    ]


# -- The naive peer ---------------------------------------------------------------------------


def age_group(birth: date | None, on: date) -> str:
    """The platform's publics at ``on``: jeunes < 26, adultes 26–49, seniors 50+ (as the registry says)."""
    if birth is None:
        return ""

    def years_before(years: int) -> date:
        try:
            return on.replace(year=on.year - years)
        except ValueError:  # 29 February
            return on.replace(year=on.year - years, day=28)

    if birth > years_before(26):
        return "jeunes"
    return "adultes" if birth > years_before(50) else "seniors"


class Naive:
    """The territory dashboard's figures from full exports of the territory's tables, counted in loops.

    Each table is read whole (``values_list``, no aggregate), the way one pastes sheets side by side;
    lookups between sheets are dictionaries. No secrecy is applied: the comparison reads only the
    cells the page shows.
    """

    def __init__(self, territory, period, plan):
        self.territory, self.period, self.plan = territory, period, plan

    def figures(self) -> dict[str, dict]:
        from django.utils import timezone

        from cite_emploi.followup.models import Barrier, Beneficiary, FollowUp, Outcome, Referral
        from cite_emploi.outreach.models import Interview, OutreachAction, ReachedCount, RecruitmentEvent
        from cite_emploi.partners import enums

        t, start, end = self.territory, self.period.start, self.period.end
        zone = timezone.get_current_timezone()
        categories = {code for code, _ in enums.CATEGORIES}
        result: dict[str, dict] = {}

        def add(code: str, key=None, n: int = 1) -> None:
            cells = result.setdefault(code, {})
            cells[None] = cells.get(None, 0) + n
            if key is not None:
                cells[key] = cells.get(key, 0) + n

        def local_day(moment):
            return moment.astimezone(zone).date()

        births = dict(Beneficiary.objects.filter(territory=t).values_list("pk", "birth_date"))
        for person, opened, closed in FollowUp.objects.filter(beneficiary__territory=t).values_list(
            "beneficiary_id", "opened_on", "closed_on"
        ):
            if opened <= end and (closed is None or closed >= start):
                add("beneficiaires_suivis", age_group(births[person], end))
            if start <= opened <= end:
                add("entrees_suivi")
        history = diagnostic.status_history(t)
        for pk, category in Barrier.objects.filter(follow_up__beneficiary__territory=t).values_list(
            "pk", "category"
        ):
            changes = history.get(pk, [])
            if any(status == Barrier.Status.LIFTED and start <= day <= end for day, _, status in changes):
                add("freins_leves", category if category in categories else "")
        for (sent_at,) in Referral.objects.filter(follow_up__beneficiary__territory=t).values_list("sent_at"):
            if sent_at is not None and start <= local_day(sent_at) <= end:
                add("orientations")
        for kind, occurred in Outcome.objects.filter(follow_up__beneficiary__territory=t).values_list(
            "kind", "occurred_on"
        ):
            if start <= occurred <= end:
                add("sorties", kind)
        held = {
            pk
            for pk, status, starts_at in OutreachAction.objects.filter(territory=t).values_list(
                "pk", "status", "starts_at"
            )
            if status == OutreachAction.Status.DONE and start <= local_day(starts_at) <= end
        }
        result["personnes_rencontrees"] = {None: 0}
        for action, count in ReachedCount.objects.filter(action__territory=t).values_list(
            "action_id", "count"
        ):
            if action in held:
                add("personnes_rencontrees", None, count)
        result["operations_recrutement"] = {None: 0}
        for status, starts_at in RecruitmentEvent.objects.filter(territory=t).values_list(
            "status", "starts_at"
        ):
            if status == RecruitmentEvent.Status.DONE and start <= local_day(starts_at) <= end:
                add("operations_recrutement")
        result["recrutements_operations"] = {None: 0}
        for result_, hired_on in Interview.objects.filter(candidate__event__territory=t).values_list(
            "result", "hired_on"
        ):
            if result_ == Interview.Result.HIRED and hired_on and start <= hired_on <= end:
                add("recrutements_operations")
        result["money"] = self.money()
        return result

    def money(self) -> dict:
        """Planned (budget lines) and spent (expenses) of the plan, by year and in total, in loops."""
        from cite_emploi.steering.models import BudgetLine, Expense

        cells: dict = {}

        def add(key, planned=Decimal(0), spent=Decimal(0)) -> None:
            for k in (None, key):
                found = cells.setdefault(k, [Decimal(0), Decimal(0)])
                found[0] += planned
                found[1] += spent

        for year, amount in BudgetLine.objects.filter(action__plan=self.plan).values_list("year", "amount"):
            add(year, planned=amount)
        for spent_on, amount in Expense.objects.filter(action__plan=self.plan).values_list(
            "spent_on", "amount"
        ):
            add(spent_on.year, spent=amount)
        return {k: tuple(v) for k, v in cells.items()}


def ours(territory, as_of, plan) -> dict[str, dict]:
    """The same figures as the territory dashboard computes them: its tables and the plan's budget."""
    from cite_emploi.steering import dashboards, money

    period = dashboards.period_at(as_of)
    result = {}
    for code, by in dashboards.FIGURES:
        table = dashboards.cached_table(code, territory, period, by)
        result[code] = {
            None: table["total"],
            **{row["key"]: row["cells"][0] for row in table.get("rows", [])},
        }
    budget = money.budget(plan)
    result["money"] = {
        None: (budget.total.planned, budget.total.spent),
        **{year: (a.planned, a.spent) for year, a in budget.by_year.items()},
    }
    return result


def compare(mine: dict, naive: dict) -> tuple[int, list[str]]:
    """Cells compared (those the page shows) and the differences found, in French."""
    compared, differences = 0, []
    for code, cells in mine.items():
        for key, figure in cells.items():
            if code == "money":
                value = figure
                theirs = naive["money"].get(key, (Decimal(0), Decimal(0)))
            else:
                if figure["value"] is None:  # hidden by statistical secrecy
                    continue
                value, theirs = figure["value"], naive.get(code, {}).get(key, 0)
            compared += 1
            if value != theirs:
                differences.append(f"{code} [{key if key is not None else 'total'}] : {value} ≠ {theirs}")
    return compared, differences


# -- One size, in its own process ---------------------------------------------------------------


class CacheKeys:
    """The cache keys the steering pages write (``steering:…``), recorded while the block runs."""

    def __init__(self):
        self.keys: set[str] = set()

    def __enter__(self):
        from django.core.cache import caches

        backend = caches["default"]
        original = backend.set

        def spy(key, *args, **kwargs):
            if str(key).startswith(CACHE_PREFIX):
                self.keys.add(key)
            return original(key, *args, **kwargs)

        self._patch = mock.patch.object(backend, "set", spy)
        self._patch.__enter__()
        return self

    def __exit__(self, *exc):
        self._patch.__exit__(*exc)


def measure_size(options, engine: str) -> None:
    os.environ["ALLOWED_HOSTS"] = "localhost,testserver"
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from followup import QueryCounter

    from cite_emploi.accounts.models import User
    from cite_emploi.followup.models import Beneficiary
    from cite_emploi.steering import dashboards
    from cite_emploi.steering.models import Action
    from cite_emploi.steering.queries_plan import current_plan
    from cite_emploi.steering.tasks import warm_dashboards
    from cite_emploi.territory.models import Territory

    seconds = {} if options.reuse else diagnostic.prepare(options)
    territory = Territory.objects.get(slug="gpsea")
    people = Beneficiary.objects.filter(territory=territory).count()
    as_of = timezone.localdate()
    plan = current_plan(territory, on=as_of)
    action = Action.objects.get(plan=plan, title=ACTION_TITLE)
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(email=COORDINATOR))
    rows, page_queries = [], {}

    def row(label, times, unit, queries=None, goal="—", met=None, note=""):
        rows.append(
            {
                "label": label,
                "times": times,
                "unit": unit,
                "queries": queries,
                "goal": goal,
                "met": met,
                "note": note,
            }
        )

    for label, url in pages(plan, action):

        def get(url=url) -> int:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return len(response.content)

        cache.clear()  # so that every entry the page needs is written, and recorded, by this page
        with CacheKeys() as written:
            get()
        keys = sorted(written.keys)

        def cold(get=get, keys=keys) -> int:
            cache.delete_many(keys)
            return get()

        cold()
        with QueryCounter(connection) as queries:
            cold()
        page_queries[f"{label} (à froid)"] = len(queries)
        times, _ = timed(cold, options.runs)
        goal = f"p95 < {GOAL_PAGE_MS:.0f} ms"
        row(
            f"{label}, à froid (premier affichage)",
            times,
            "ms",
            len(queries),
            goal,
            p(times, 95) < GOAL_PAGE_MS,
        )
        get()
        with QueryCounter(connection) as queries:
            timed_stale(get, keys, 1, warmup=0)
        page_queries[f"{label} (périmé)"] = len(queries)
        times, _ = timed_stale(get, keys, options.runs)
        row(f"{label}, périmé (> 5 min)", times, "ms", len(queries), goal, p(times, 95) < GOAL_PAGE_MS)
        get()
        with QueryCounter(connection) as queries:
            get()
        page_queries[f"{label} (à chaud)"] = len(queries)
        times, _ = timed(get, options.runs)
        row(f"{label}, à chaud (5 min)", times, "ms", len(queries), goal, p(times, 95) < GOAL_PAGE_MS)

    # The daily warm-up (steering.tasks.warm_dashboards): what it costs to spare every reader the
    # « à froid » row — the day's figures of every dashboard and of the quarterly report.
    def warm_up():
        cache.clear()
        return warm_dashboards.call()

    warmed = warm_up()
    warm_times, _ = timed(warm_up, options.naive_runs, warmup=0)
    row(
        f"échauffement quotidien ({warmed} pages : territoire, communes, actions, trimestriel)",
        [t / 1000 for t in warm_times],
        "s",
    )

    # The territory dashboard's figures: ours (registry and budget), then the spreadsheet-minded script.
    cache.clear()
    with CacheKeys() as written:
        ours(territory, as_of, plan)

    figure_keys = sorted(written.keys)

    def computed():
        cache.delete_many(figure_keys)
        return ours(territory, as_of, plan)

    with QueryCounter(connection) as queries:
        computed()
    ours_times, mine = timed(computed, options.naive_runs, warmup=0)
    naive = Naive(territory, dashboards.period_at(as_of), plan)
    with QueryCounter(connection) as naive_queries:
        counted = naive.figures()
    naive_times, counted = timed(naive.figures, options.naive_runs, warmup=0)
    compared, differences = compare(mine, counted)
    row("chiffres du tableau de bord du territoire (registre + budget)", ours_times, "ms", len(queries))
    row(
        "approche naïve (exports et boucles)",
        naive_times,
        "ms",
        len(naive_queries),
        note=f"{compared} cellules comparées : " + ("identiques" if not differences else "DIFFÉRENTES"),
    )
    result = {
        "size": options.phase,
        "engine": engine,
        "people": people,
        "seconds": seconds,
        "page_queries": page_queries,
        "rows": rows,
        "differences": differences,
        "load": os.getloadavg(),
    }
    print(MARK + json.dumps(result, ensure_ascii=False))


# -- The parent: one child per size, one table ----------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Mesure des pages du pilotage (tableaux de bord, plan, budget)."
    )
    parser.add_argument("--beneficiaries", type=int, default=diagnostic.DEFAULT_BENEFICIARIES)
    parser.add_argument("--events", type=int, default=diagnostic.DEFAULT_EVENTS)
    parser.add_argument("--runs", type=int, default=30, help="requêtes mesurées par page (défaut : 30)")
    parser.add_argument("--naive-runs", type=int, default=3, help="mesures de l'approche naïve (défaut : 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sizes", default="demo,large", help="tailles mesurées : demo, large ou les deux")
    parser.add_argument("--phase", choices=tuple(SIZES), help="une seule taille, dans ce processus")
    add_reuse_arguments(parser)
    options = parser.parse_args()
    if options.phase:
        run_on_scratch(options, f"steering_{options.phase}", measure_size)
        return
    if options.reuse:
        parser.error(
            "--reuse mesure une base gardée : indiquez sa taille avec --phase demo ou --phase large."
        )
    sizes = [s.strip() for s in options.sizes.split(",") if s.strip()]
    if not sizes or any(s not in SIZES for s in sizes):
        parser.error("--sizes : demo, large ou demo,large")
    forwarded = [
        f"--beneficiaries={options.beneficiaries}",
        f"--events={options.events}",
        f"--runs={options.runs}",
        f"--naive-runs={options.naive_runs}",
        f"--seed={options.seed}",
        f"--random-page-cost={options.random_page_cost}",
        *(["--keep"] if options.keep else []),
    ]
    results = []
    for size in sizes:
        print(f"Taille « {SIZES[size]} » : préparation de la base et mesures…", flush=True)
        wall, memory, code, output, _ = run(
            [sys.executable, str(Path(__file__).resolve()), "--phase", size, *forwarded], dict(os.environ)
        )
        found = [line for line in output.splitlines() if line.startswith(MARK)]
        for line in output.splitlines():
            if not line.startswith(MARK):
                print(f"  {line}")
        if code or not found:
            sys.exit(f"La mesure de la taille « {SIZES[size]} » a échoué (code {code}).")
        result = json.loads(found[-1][len(MARK) :])
        prepared = ", ".join(f"{k} {v:.0f} s" for k, v in result["seconds"].items())
        print(f"  {wall:.0f} s en tout ({prepared or 'base réutilisée'}), mémoire max {memory:.0f} Mo")
        results.append(result)

    engine = results[0]["engine"]
    load = ", ".join(f"{v:.2f}".replace(".", ",") for v in os.getloadavg())
    print(
        f"\nPilotage — moteur : {engine} — Python {sys.version.split()[0]} — {os.cpu_count()} processeurs "
        f"— charge à la fin : {load} — {datetime.now():%d/%m/%Y %H:%M}\n"
    )
    diagnostic.print_table(results)
    print(
        f"\n{options.runs} requêtes par page et par état du cache après 2 d'échauffement ; "
        f"{options.naive_runs} calculs des chiffres, par le registre et par l'approche naïve."
    )
    failed = []
    if len(results) > 1:
        first, *others = results
        for page, count in first["page_queries"].items():
            counts = [count, *(r["page_queries"].get(page) for r in others)]
            if len(set(counts)) > 1:
                failed.append(f"le nombre de requêtes de « {page} » dépend du volume")
                print(
                    f"Requêtes de « {page} » : "
                    + " et ".join(f"{n} ({SIZES[r['size']]})" for n, r in zip(counts, results, strict=True))
                    + " — DIFFÉRENTES selon le volume."
                )
        if not failed:
            print("Requêtes de chaque page : identiques aux deux tailles, indépendantes du volume.")
    for result in results:
        for difference in result["differences"]:
            print(f"Différence ({SIZES[result['size']]}) : {difference}")
        if result["differences"]:
            failed.append(f"résultats différents de l'approche naïve ({SIZES[result['size']]})")
    for result in results:
        for r in result["rows"]:
            if r["met"] is False:
                print(f"Objectif NON atteint ({SIZES[result['size']]}) : {r['label']} ({r['goal']}).")
    if failed:
        sys.exit("Échec : " + " ; ".join(failed) + ".")


if __name__ == "__main__":
    main()
