"""Benchmark: the diagnostic — the full GPSEA report (PDF included) and the territory overview page.

Two sizes, each in a child process with its own scratch database of the current engine
(``scratch_db``), so that nothing of one (cache, connections, planner statistics) helps the other:

* ``demo``: ``load_demo`` — about 2,000 people, a year of aller-vers and recruitment events, the
  census of the offer and the fictitious statistics dataset (``cite_emploi/demo/diagnostic.py``);
* ``large``: the follow-up benchmark's data builder (``bench/followup.py``, ``generate``: 100,000
  people of GPSEA by default, with their follow-ups, barriers, referrals and outcomes), then the same
  demo on top, so that both sizes have the same organisations, services, aller-vers and dataset and
  differ only by the number of people. The builder's accounts and organisations are flagged as demo
  records first: the demo refuses a database holding anything else.

Then, in each:

1. **The report** (demo size; the large one for information): ``content.snapshot`` +
   ``report.render_pdf_bytes`` (goal: under 10 s) and ``content.snapshot`` + ``report.render_html``,
   the cache cleared before each run, as a fresh process finds it; and the ``report diagnostic``
   command in its own process (start-up included).
2. **The overview page** ``/diagnostic/`` through Django's test client, logged in as the demo
   coordinator, host « localhost », warm (two requests first): p50/p95 over ``--runs`` requests
   (goal: p95 under 300 ms) and the SQL queries of one request, which must be the same at both sizes.
3. **The peer**: the overview's figures about people computed as a spreadsheet-minded script would —
   every follow-up, barrier, referral, outcome and aller-vers count of the territory exported to
   Python, joined with dictionaries and counted per QPV or category in loops — against the same
   figures from the indicator registry. Every cell the page shows (not hidden by statistical
   secrecy) must be equal; the script stops with an error otherwise.

    python bench/diagnostic.py [--beneficiaries 100000] [--events 100000] [--runs 30]
                               [--report-runs 3] [--naive-runs 3] [--sizes demo,large]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import zlib
from datetime import datetime
from pathlib import Path

from measure import p, run, timed, timed_stale
from scratch_db import add_reuse_arguments, run_on_scratch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_REPORT_S = 10.0
GOAL_PAGE_MS = 300.0
DEFAULT_BENEFICIARIES = 100_000
# The diagnostic reads no timeline line: a few suffice, and the large size builds in minutes.
DEFAULT_EVENTS = 100_000
SIZES = {"demo": "démo", "large": "grand"}
MARK = "RÉSULTATS "
COORDINATOR = "coordinator@demo.test"
# (indicator, breakdown) of the overview's figures about people the peer computes too.
COMPARED = (
    ("beneficiaires_suivis", ("qpv",)),
    ("entrees_suivi", ()),
    ("freins_identifies", ()),
    ("freins_leves", ()),
    ("freins_a_lever", ("category",)),
    ("orientations", ()),
    ("sorties", ()),
    ("personnes_rencontrees", ("qpv",)),
)


# -- The naive peer ---------------------------------------------------------------------------


class Naive:
    """The overview's people figures from full exports of the territory's tables, counted in loops.

    Each table is read whole (``values_list``, no aggregate, no join beyond the territory's scope),
    the way one pastes sheets side by side; lookups between sheets are dictionaries. No secrecy is
    applied: that is the spreadsheet's habit, and the comparison only reads the cells the page shows.
    """

    def __init__(self, territory, period):
        self.territory, self.period = territory, period

    def figures(self) -> dict[str, dict]:
        from django.utils import timezone

        from cite_emploi.diagnostic.places import qpv_values
        from cite_emploi.followup.models import Barrier, Beneficiary, FollowUp, Outcome, Referral
        from cite_emploi.outreach.models import OutreachAction, ReachedCount
        from cite_emploi.territory.models import QPV

        t, start, end = self.territory, self.period.start, self.period.end
        zone = timezone.get_current_timezone()
        perimeter = {code for code, _ in qpv_values(t)}
        qpv_code = dict(QPV.objects.values_list("pk", "code"))
        home = {}  # beneficiary id → QPV code of the perimeter, or "" (VLOOKUP on the QPV sheet)
        for pk, qpv_id in Beneficiary.objects.filter(territory=t).values_list("pk", "qpv_id"):
            code = qpv_code.get(qpv_id, "")
            home[pk] = code if code in perimeter else ""
        follow_ups = {}
        for pk, person, opened, closed in FollowUp.objects.filter(beneficiary__territory=t).values_list(
            "pk", "beneficiary_id", "opened_on", "closed_on"
        ):
            follow_ups[pk] = (home[person], opened, closed)

        result = {code: {} for code, _ in COMPARED}

        def add(code: str, key, n: int = 1) -> None:
            cells = result[code]
            cells[None] = cells.get(None, 0) + n
            if key is not None:
                cells[key] = cells.get(key, 0) + n

        for qpv, opened, closed in follow_ups.values():
            if opened <= end and (closed is None or closed >= start):
                add("beneficiaires_suivis", qpv)
            if start <= opened <= end:
                add("entrees_suivi", None)
        history = status_history(t)
        for pk, category, identified in Barrier.objects.filter(
            follow_up__beneficiary__territory=t
        ).values_list("pk", "category", "identified_on"):
            changes = history.get(pk, [])
            if start <= identified <= end:
                add("freins_identifies", None)
            if any(status == Barrier.Status.LIFTED and start <= day <= end for day, _, status in changes):
                add("freins_leves", None)
            then = [status for day, _, status in changes if day <= end]
            if then and then[-1] in (Barrier.Status.IDENTIFIED, Barrier.Status.IN_PROGRESS):
                add("freins_a_lever", category or "")
        for (sent_at,) in Referral.objects.filter(follow_up__beneficiary__territory=t).values_list("sent_at"):
            if sent_at is not None and start <= sent_at.astimezone(zone).date() <= end:
                add("orientations", None)
        for (occurred,) in Outcome.objects.filter(follow_up__beneficiary__territory=t).values_list(
            "occurred_on"
        ):
            if start <= occurred <= end:
                add("sorties", None)
        held = {}
        for pk, status, starts_at, qpv_id in OutreachAction.objects.filter(territory=t).values_list(
            "pk", "status", "starts_at", "qpv_id"
        ):
            if status == OutreachAction.Status.DONE and start <= starts_at.astimezone(zone).date() <= end:
                code = qpv_code.get(qpv_id, "")
                held[pk] = code if code in perimeter else ""
        for action, count in ReachedCount.objects.filter(action__territory=t).values_list(
            "action_id", "count"
        ):
            if action in held:
                add("personnes_rencontrees", held[action], count)
        return result


def status_history(territory) -> dict[int, list]:
    """Each barrier's status changes, in order: [(day, id, status)], read naively row by row."""
    from cite_emploi.followup.models import BarrierStatusChange

    history: dict[int, list] = {}
    for barrier, day, pk, status in BarrierStatusChange.objects.filter(
        barrier__follow_up__beneficiary__territory=territory
    ).values_list("barrier_id", "changed_on", "pk", "status"):
        history.setdefault(barrier, []).append((day, pk, status))
    for changes in history.values():
        changes.sort()
    return history


def pdf_pages(data: bytes) -> int:
    """Pages of a PDF whose objects sit in compressed streams, as WeasyPrint writes them."""
    page = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
    found = len(page.findall(data))
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            found += len(page.findall(zlib.decompress(stream.group(1))))
        except zlib.error:
            continue
    return found


def ours(territory, period) -> dict[str, object]:
    """The same figures through the indicator registry, as the overview and the report ask them."""
    from cite_emploi.diagnostic import indicators

    return {code: indicators.compute(code, territory, period, by=by) for code, by in COMPARED}


def compare(tables: dict, naive: dict) -> tuple[int, list[str]]:
    """Cells compared (those the page shows) and the differences found, in French."""
    compared, differences = 0, []
    for code, by in COMPARED:
        table = tables[code]
        keys = [None] + ([k for k, _ in table.values[by[0]]] if by else [])
        for key in keys:
            figure = table.total if key is None else table.get(key)
            if figure.hidden or figure.value is None:
                continue
            compared += 1
            theirs = naive[code].get(key, 0)
            if figure.value != theirs:
                differences.append(
                    f"{code} [{key if key is not None else 'total'}] : {figure.value} ≠ {theirs}"
                )
    return compared, differences


# -- One size, in its own process ---------------------------------------------------------------


def prepare(options) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from cite_emploi.accounts.models import User
    from cite_emploi.core.statistics import refresh_statistics
    from cite_emploi.demo.services import load_demo
    from cite_emploi.partners.models import Organisation
    from cite_emploi.territory.models import Territory
    from cite_emploi.territory.services import load_reference

    call_command("migrate", verbosity=0)
    load_reference()
    seconds = {}
    if options.phase == "large":
        import followup

        started = time.perf_counter()
        followup.generate(Territory.objects.get(slug="gpsea"), options)
        User.objects.update(is_demo=True)
        Organisation.objects.update(is_demo=True)
        seconds["données du banc « suivi »"] = time.perf_counter() - started
    started = time.perf_counter()
    load_demo()
    seconds["démonstration"] = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # What autovacuum does on a live server, some time after a bulk load.
            cursor.execute("VACUUM ANALYZE")
            if options.random_page_cost:
                # The setting docs/deploiement.md recommends on SSD; it applies to new sessions.
                name = connection.ops.quote_name(connection.settings_dict["NAME"])
                cursor.execute(
                    f"ALTER DATABASE {name} SET random_page_cost = {float(options.random_page_cost)}"
                )
    else:
        refresh_statistics()  # what load_demo's command and the daily task do
    connection.close()
    return seconds


def measure_size(options, engine: str) -> None:
    os.environ["ALLOWED_HOSTS"] = "localhost,testserver"
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone
    from followup import QueryCounter

    from cite_emploi.accounts.models import User
    from cite_emploi.diagnostic import content, report
    from cite_emploi.followup.models import Beneficiary
    from cite_emploi.territory.models import Territory

    seconds = {} if options.reuse else prepare(options)
    territory = Territory.objects.get(slug="gpsea")
    people = Beneficiary.objects.filter(territory=territory).count()
    as_of = timezone.localdate()
    period = content.period_at(as_of)
    rows = []

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

    # 1. The report, each run from an empty cache.
    full, html_only, snapshots, pages = [], [], [], 0
    for _ in range(options.report_runs):
        cache.clear()
        started = time.perf_counter()
        snapshot = content.snapshot(territory, as_of)
        computed = time.perf_counter()
        report.render_html(snapshot)
        html_done = time.perf_counter()
        pdf = report.render_pdf_bytes(snapshot)
        pdf_done = time.perf_counter()
        snapshots.append(computed - started)
        html_only.append(html_done - started)
        full.append((computed - started) + (pdf_done - html_done))
        pages = pdf_pages(pdf)
    cache.clear()
    with QueryCounter(connection) as queries:
        content.snapshot(territory, as_of)
    on_goal = options.phase == "demo"
    row(
        f"rapport complet avec PDF (snapshot + PDF, {pages} pages)",
        full,
        "s",
        len(queries),
        f"< {GOAL_REPORT_S:.0f} s" if on_goal else "—",
        p(full, 95) < GOAL_REPORT_S if on_goal else None,
    )
    row("rapport HTML (snapshot + HTML)", html_only, "s", len(queries))
    row("dont calcul du contenu (content.snapshot)", snapshots, "s", len(queries))
    target = Path(os.environ["CITE_EMPLOI_VAR_DIR"]) / "diagnostic.pdf"
    command = [sys.executable, "-m", "cite_emploi.cli", "report", "diagnostic", "--territory", "gpsea"]
    walls = []
    for _ in range(options.report_runs):
        wall, _, code, output, _ = run([*command, "-o", str(target)], dict(os.environ))
        if code:
            sys.exit(f"La commande du rapport a échoué :\n{output}")
        walls.append(wall)
    row(
        "commande « report diagnostic -o rapport.pdf » (processus entier)",
        walls,
        "s",
        goal=f"< {GOAL_REPORT_S:.0f} s" if on_goal else "—",
        met=p(walls, 95) < GOAL_REPORT_S if on_goal else None,
    )

    # 2. The overview page: its figures computed again at each request (« à froid »: the overview's
    # cache entry is deleted, the coverage matrix and the places stay cached), then served from the
    # cache, as during the five minutes after a first view (« à chaud »).
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(email=COORDINATOR))
    url = reverse("diagnostic:overview")
    figures_key = f"diagnostic:overview:{territory.pk}:{as_of.isoformat()}"

    def overview() -> int:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return len(response.content)

    def overview_cold() -> int:
        cache.delete(figures_key)
        return overview()

    overview()
    overview_cold()
    with QueryCounter(connection) as queries:
        overview_cold()
    page_queries = len(queries)
    times, _ = timed(overview_cold, options.runs)
    row(
        "page « Diagnostic » /diagnostic/, premier affichage (à froid)",
        times,
        "ms",
        page_queries,
        f"p95 < {GOAL_PAGE_MS:.0f} ms",
        p(times, 95) < GOAL_PAGE_MS,
    )
    with QueryCounter(connection) as queries:
        timed_stale(overview, [figures_key], 1, warmup=0)
    times, _ = timed_stale(overview, [figures_key], options.runs)
    row(
        "page « Diagnostic » /diagnostic/, chiffres périmés (> 5 min, recalculés en arrière-plan)",
        times,
        "ms",
        len(queries),
        f"p95 < {GOAL_PAGE_MS:.0f} ms",
        p(times, 95) < GOAL_PAGE_MS,
    )
    overview()
    with QueryCounter(connection) as queries:
        overview()
    times, _ = timed(overview, options.runs)
    row(
        "page « Diagnostic » /diagnostic/, chiffres en cache (à chaud, 5 min)",
        times,
        "ms",
        len(queries),
        f"p95 < {GOAL_PAGE_MS:.0f} ms",
        p(times, 95) < GOAL_PAGE_MS,
    )

    # 3. The same figures about people: the registry, then the spreadsheet-minded script.
    with QueryCounter(connection) as queries:
        tables = ours(territory, period)
    registry_times, tables = timed(lambda: ours(territory, period), options.runs)
    naive = Naive(territory, period)
    with QueryCounter(connection) as naive_queries:
        counted = naive.figures()
    naive_times, counted = timed(naive.figures, options.naive_runs, warmup=0)
    compared, differences = compare(tables, counted)
    row(f"mêmes chiffres par le registre ({len(COMPARED)} tableaux)", registry_times, "ms", len(queries))
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


def _number(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}".replace(",", "\u202f")


def _duration(value: float, unit: str) -> str:
    return f"{value:.2f} s" if unit == "s" else f"{value:.1f} ms"


def print_table(results: list[dict]) -> None:
    head = ("mesure", "taille", "requêtes", "p50", "p95", "objectif", "atteint ?")
    lines = [head]
    for result in results:
        size = f"{SIZES[result['size']]} ({_number(result['people'])} pers.)"
        for r in result["rows"]:
            met = "—" if r["met"] is None else ("oui" if r["met"] else "NON")
            lines.append(
                (
                    r["label"],
                    size,
                    "—" if r["queries"] is None else str(r["queries"]),
                    _duration(p(r["times"], 50), r["unit"]),
                    _duration(p(r["times"], 95), r["unit"]),
                    r["goal"],
                    r["note"] or met,
                )
            )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for i, line in enumerate(lines):
        print(
            "| "
            + " | ".join(c.ljust(widths[j]) if j < 2 else c.rjust(widths[j]) for j, c in enumerate(line))
            + " |"
        )
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Mesure du rapport de diagnostic et de la page « Diagnostic »."
    )
    parser.add_argument("--beneficiaries", type=int, default=DEFAULT_BENEFICIARIES)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--runs", type=int, default=30, help="requêtes mesurées par page (défaut : 30)")
    parser.add_argument("--report-runs", type=int, default=3, help="rapports mesurés par taille (défaut : 3)")
    parser.add_argument("--naive-runs", type=int, default=3, help="mesures de l'approche naïve (défaut : 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sizes", default="demo,large", help="tailles mesurées : demo, large ou les deux")
    parser.add_argument("--phase", choices=tuple(SIZES), help="une seule taille, dans ce processus")
    add_reuse_arguments(parser)
    options = parser.parse_args()
    if options.phase:
        run_on_scratch(options, f"diagnostic_{options.phase}", measure_size)
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
        f"--report-runs={options.report_runs}",
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
        f"\nDiagnostic — moteur : {engine} — Python {sys.version.split()[0]} — {os.cpu_count()} processeurs "
        f"— charge à la fin : {load} — {datetime.now():%d/%m/%Y %H:%M}\n"
    )
    print_table(results)
    print(
        f"\n{options.runs} requêtes par page et par calcul du registre après 2 d'échauffement ; "
        f"{options.report_runs} rapports par taille, cache vidé avant chacun ; {options.naive_runs} pour l'approche naïve."
    )
    failed = []
    counts = {r["size"]: r["page_queries"] for r in results}
    if len(counts) > 1:
        same = len(set(counts.values())) == 1
        print(
            "Requêtes de la page : "
            + " et ".join(f"{n} ({SIZES[s]})" for s, n in counts.items())
            + (" — identiques, indépendantes du volume." if same else " — DIFFÉRENTES selon le volume.")
        )
        if not same:
            failed.append("le nombre de requêtes de la page dépend du volume")
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
