"""Load test: the counsellor journey against gunicorn + PostgreSQL, and a bare Django view as the ceiling.

What it does, in order (everything on the loopback, everything bounded in time):

1. creates a scratch PostgreSQL database (``bench/scratch_db.py``; ``DATABASE_URL`` names the
   server, by default ``postgresql://postgres@127.0.0.1:5432/postgres``), and prepares it as
   production would: ``cite-emploi demo --no-serve`` (migrate, collectstatic, reference data,
   demo data), with ``DEBUG=off``, ``HTTPS=off`` (no TLS proxy here), a random ``SECRET_KEY``,
   ``ALLOWED_HOSTS=127.0.0.1``, the shared cache on the local Redis (``LOAD_CACHE_URL``, by default
   ``redis://127.0.0.1:6379/14``) and a private ``var/`` directory in a temporary folder;
2. starts gunicorn on 127.0.0.1 (a free port) with ``--workers`` processes of ``--threads``
   threads, the deployment guide's set-up (``docs/deploiement.md``), with ``bench/load_urls.py``
   as urlconf: the platform's URLs plus ``/__bare__/``;
3. **journey**: ``--users`` virtual counsellors (200) each log in once (as
   ``counsellor.ft@demo.test``, the demo password; logins are spread so that they do not all
   hash at once, and a successful login never counts towards django-axes' lock-out), then, for
   ``--duration`` seconds (60), loop over « mes bénéficiaires » (``/suivi/``), one beneficiary's
   page, the catalogue with a filter, one service's page, waiting a think time drawn between
   ``--think-min`` and ``--think-max`` seconds after each page, as a person reading it would;
4. **capacity**: the same pages, then two reference rows, then the bare view, without think time
   (as many requests as the server can take), ``--capacity-duration`` seconds each, with
   ``--capacity-users`` connections. The ratio of the journey's throughput to the bare view's is
   what the platform keeps of the framework's ceiling on this machine. The reference rows say
   where that ceiling stands for us: ``/__floor__/`` does only what DESIGN.md obliges a page of
   personal data to do (signed-in session, the reader's scope, one audit entry) and the help
   index is a light page in the platform's frame.

It prints a table per phase (requests, requests/s, p50/p95/p99 in ms, errors), the goals'
verdicts (0 errors, p95 ≤ 300 ms for the journey, journey ≥ 25 % of the bare view's throughput)
and the machine's load average before and after, since the machine may be shared.

    python bench/load.py [--users 200] [--duration 60] [--workers 4] [--threads 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from scratch_db import ScratchDatabase

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
EMAIL, PASSWORD = "counsellor.ft@demo.test", "demo"
GOAL_P95_MS, GOAL_RATIO = 300.0, 0.25
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
# Catalogue filters a counsellor uses: a category, a word, a commune, free services.
CATALOGUE_FILTERS = [
    {"thematique": "trouver-un-emploi"},
    {"q": "atelier"},
    {"commune": "94028"},
    {"frais": "gratuit"},
    {"public": "jeunes"},
]
PAGES = ("mes bénéficiaires", "fiche bénéficiaire", "catalogue filtré", "fiche service")


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def record(self, page: str, started: float, error: str | None) -> None:
        self.latencies[page].append((time.perf_counter() - started) * 1000)
        if error:
            self.errors[page] += 1
            if len(self.examples) < 5:
                self.examples.append(f"{page} : {error}")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def fr(value: float, digits: int = 0) -> str:
    text = f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")
    return text


# -- The server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(database_url: str, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="off",
        HTTPS="off",
        ALLOWED_HOSTS="127.0.0.1",
        SECRET_KEY=secrets.token_urlsafe(50),
        CITE_EMPLOI_VAR_DIR=str(workdir / "var"),
        STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        DJANGO_SETTINGS_MODULE="load_settings",
        PYTHONPATH=os.pathsep.join([str(BENCH), str(ROOT), env.get("PYTHONPATH", "")]),
        LOG_LEVEL="ERROR",
        # The deployment guide's shared cache; a prefix of its own so that runs never share keys.
        CACHE_URL=os.environ.get("LOAD_CACHE_URL", "redis://127.0.0.1:6379/14"),
        CACHE_KEY_PREFIX=f"bench-load-{os.getpid()}",
    )
    return env


def forget_cache(env: dict[str, str]) -> None:
    """Delete this run's keys from the shared Redis (sessions, figures): nothing is left behind."""
    import redis

    try:
        client = redis.Redis.from_url(env["CACHE_URL"])
        keys = list(client.scan_iter(f"{env['CACHE_KEY_PREFIX']}:*"))
        if keys:
            client.delete(*keys)
    except redis.RedisError as error:
        print(f"Clés Redis du test non effacées ({env['CACHE_KEY_PREFIX']}:*) : {error}", file=sys.stderr)


def prepare(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cite_emploi.cli", "demo", "--no-serve"],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    # Freshly loaded tables have no planner statistics until autovacuum passes (a minute or more):
    # PostgreSQL would then plan for empty tables. A production database has them; so does this one.
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        connection.execute("ANALYZE")
    return time.perf_counter() - started


def start_gunicorn(env: dict[str, str], port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "cite_emploi.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--backlog",
        "2048",
        "--timeout",
        "60",
        # Longer than any think time: a connection closed by the server while idle races with the
        # client's next request on it (a reset, counted as an error). Behind nginx, keep it longer
        # than nginx's upstream keepalive_timeout for the same reason.
        "--keep-alive",
        "75",
        "--error-logfile",
        str(log),
    ]
    # Its own process group, so that stopping it stops its workers too.
    return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)


def wait_ready(base: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn s'est arrêté au démarrage (voir son journal).")
        try:
            if httpx.get(f"{base}/__bare__/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn ne répond pas après 60 s.")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# -- The virtual counsellors ------------------------------------------------------------------


def client(base: str, users: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base,
        timeout=httpx.Timeout(30.0),
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        follow_redirects=False,
    )


async def log_in(http: httpx.AsyncClient) -> None:
    page = await http.get("/connexion/")
    page.raise_for_status()
    token = http.cookies.get("csrftoken")
    answer = await http.post(
        "/connexion/",
        data={"csrfmiddlewaretoken": token, "username": EMAIL, "password": PASSWORD},
        headers={"Referer": f"{http.base_url}connexion/"},
    )
    if answer.status_code != 302:
        raise RuntimeError(f"connexion refusée ({answer.status_code})")


def journey_ids(people: str, catalogue: str) -> tuple[list[int], list[int]]:
    """The beneficiaries linked from « mes bénéficiaires » and the services linked from the catalogue."""
    beneficiaries = sorted({int(n) for n in re.findall(r"/suivi/beneficiaires/(\d+)/", people)})
    services = sorted({int(n) for n in re.findall(r"/partenaires/services/(\d+)/", catalogue)})
    return beneficiaries, services


async def discover(base: str) -> tuple[list[int], list[int]]:
    """The beneficiaries the demo counsellor follows and the services of the catalogue."""
    async with client(base, 1) as http:
        await log_in(http)
        people = (await http.get("/suivi/")).text
        catalogue = (await http.get("/partenaires/catalogue/")).text
    beneficiaries, services = journey_ids(people, catalogue)
    if not beneficiaries or not services:
        raise SystemExit("Données de démonstration introuvables (aucun bénéficiaire ou aucun service).")
    return beneficiaries, services


def journey_urls(rng: random.Random, beneficiaries: list[int], services: list[int]):
    while True:
        yield PAGES[0], "/suivi/", None
        yield PAGES[1], f"/suivi/beneficiaires/{rng.choice(beneficiaries)}/", None
        yield PAGES[2], "/partenaires/catalogue/", rng.choice(CATALOGUE_FILTERS)
        yield PAGES[3], f"/partenaires/services/{rng.choice(services)}/", None


async def fetch(http: httpx.AsyncClient, stats: Stats, page: str, url: str, params) -> None:
    started = time.perf_counter()
    try:
        response = await http.get(url, params=params)
        error = None if response.status_code == 200 else f"HTTP {response.status_code} sur {url}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__} sur {url}"
    stats.record(page, started, error)


async def run_journey(
    base: str,
    users: int,
    duration: float,
    think: tuple[float, float],
    beneficiaries: list[int],
    services: list[int],
    login_slots: int,
) -> tuple[Stats, Stats]:
    """Log every user in, then run the journey for ``duration`` seconds; (login stats, journey stats)."""
    logins, journey = Stats(), Stats()
    clients = [client(base, users) for _ in range(users)]
    slots = asyncio.Semaphore(login_slots)

    async def login(http):
        async with slots:
            started = time.perf_counter()
            try:
                await log_in(http)
                logins.record("connexion", started, None)
            except (httpx.HTTPError, RuntimeError) as exc:
                logins.record("connexion", started, str(exc))

    started = time.perf_counter()
    await asyncio.gather(*(login(http) for http in clients))
    logins.seconds = time.perf_counter() - started

    deadline = time.perf_counter() + duration

    async def user(index: int, http: httpx.AsyncClient):
        rng = random.Random(index)
        # Users start spread over the first think time, not all on the same page at once.
        await asyncio.sleep(rng.uniform(0, think[1]))
        for page, url, params in journey_urls(rng, beneficiaries, services):
            if time.perf_counter() >= deadline:
                return
            await fetch(http, journey, page, url, params)
            await asyncio.sleep(min(rng.uniform(*think), max(0.0, deadline - time.perf_counter())))

    await asyncio.gather(*(user(i, http) for i, http in enumerate(clients)))
    # Every request counted was sent within the window: the rate is over the window.
    journey.seconds = duration
    await asyncio.gather(*(http.aclose() for http in clients))
    return logins, journey


# Reference rows of the capacity phase, measured after the journey with the same connections:
# what no page showing personal data can avoid (``bench/load_urls.py``), then the page shell alone.
REFERENCES = (
    ("plancher : session, périmètre, audit", "/__floor__/"),
    ("gabarit seul (page d'aide)", "/aide/"),
)
BARE = "vue nue Django"


async def run_capacity(
    base: str, users: int, duration: float, beneficiaries: list[int], services: list[int]
) -> tuple[Stats, dict[str, Stats], Stats]:
    """Journey pages, the reference rows, then the bare view, back to back without think time.

    Returns (journey, {reference label: its stats}, bare).
    """
    journey, bare = Stats(), Stats()
    references = {label: Stats() for label, _url in REFERENCES}
    clients = [client(base, users) for _ in range(users)]
    await asyncio.gather(*(log_in(http) for http in clients[: min(users, 8)]))
    # Sessions are shared out: logging every connection in again would measure hashing, not pages.
    for index, http in enumerate(clients[8:], start=8):
        http.cookies = clients[index % 8].cookies

    async def saturate(stats: Stats, clients: list[httpx.AsyncClient], urls_for) -> float:
        deadline = time.perf_counter() + duration

        async def loop(index, http):
            for page, url, params in urls_for(random.Random(index)):
                if time.perf_counter() >= deadline:
                    return
                await fetch(http, stats, page, url, params)

        started = time.perf_counter()
        await asyncio.gather(*(loop(i, http) for i, http in enumerate(clients)))
        return time.perf_counter() - started

    def only(label, url):
        def urls(rng):
            while True:
                yield label, url, None

        return urls

    journey.seconds = await saturate(journey, clients, lambda rng: journey_urls(rng, beneficiaries, services))
    for label, url in REFERENCES:
        references[label].seconds = await saturate(references[label], clients, only(label, url))
    # The bare view is asked without a session: no session nor user to load, the framework alone.
    anonymous = [client(base, users) for _ in range(users)]
    bare.seconds = await saturate(bare, anonymous, only(BARE, "/__bare__/"))
    await asyncio.gather(*(http.aclose() for http in clients + anonymous))
    return journey, references, bare


# -- Report -----------------------------------------------------------------------------------

HEADER = (
    f"{'Page':<34}{'Requêtes':>10}{'Req/s':>9}{'p50 (ms)':>10}{'p95 (ms)':>10}{'p99 (ms)':>10}{'Erreurs':>9}"
)


def rows(stats: Stats, total_label: str | None = None) -> list[str]:
    lines = []
    every = []
    for page, values in stats.latencies.items():
        every.extend(values)
        lines.append(line(page, values, stats.errors[page], stats.seconds))
    if total_label and len(stats.latencies) > 1:
        lines.append(line(total_label, every, sum(stats.errors.values()), stats.seconds))
    return lines


def line(label: str, values: list[float], errors: int, seconds: float) -> str:
    rate = len(values) / seconds if seconds else 0
    return (
        f"{label:<34}{fr(len(values)):>10}{fr(rate, 1):>9}{fr(percentile(values, 50), 1):>10}"
        f"{fr(percentile(values, 95), 1):>10}{fr(percentile(values, 99), 1):>10}{fr(errors):>9}"
    )


def all_values(stats: Stats) -> list[float]:
    return [v for values in stats.latencies.values() for v in values]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{fr(one, 2)} / {fr(five, 2)} / {fr(fifteen, 2)} (1 / 5 / 15 min, {os.cpu_count()} cœurs)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="Durée du parcours mesuré (s).")
    parser.add_argument("--think-min", type=float, default=2.0, help="Temps de lecture minimal (s).")
    parser.add_argument("--think-max", type=float, default=8.0, help="Temps de lecture maximal (s).")
    parser.add_argument(
        "--capacity-duration", type=float, default=15.0, help="Durée de chaque mesure de capacité (s)."
    )
    parser.add_argument(
        "--capacity-users", type=int, default=32, help="Connexions simultanées pour la capacité."
    )
    parser.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 1) * 2))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--login-slots", type=int, default=4, help="Connexions (hachage du mot de passe) en parallèle."
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_SERVER
        os.environ["DATABASE_URL"] = url
    print(f"Charge de la machine au départ : {load_average()}")
    workdir = Path(tempfile.mkdtemp(prefix="cite-emploi-load-"))
    try:
        scratch = ScratchDatabase(workdir, "bench_load")
    except Exception as exc:
        print(f"PostgreSQL injoignable ({url}) : {exc}", file=sys.stderr)
        return 1
    server = None
    env = environment(scratch.url, workdir)
    try:
        print("Préparation de la base (migrations, collectstatic, référentiels, démonstration)…", flush=True)
        print(f"  faite en {fr(prepare(env), 1)} s.")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_gunicorn(env, port, args.workers, args.threads, workdir / "gunicorn.log")
        wait_ready(base, server)
        print(
            f"gunicorn sur {base} : {args.workers} processus × {args.threads} fils (gthread), "
            f"PostgreSQL (base temporaire {scratch.scratch}), DEBUG=off."
        )
        beneficiaries, services = asyncio.run(discover(base))
        print(
            f"Données : {len(beneficiaries)} bénéficiaires suivis par {EMAIL}, {len(services)} services en 1re page."
        )

        think = (args.think_min, args.think_max)
        print(
            f"\nParcours : {args.users} utilisateurs, {fr(args.duration)} s, lecture de "
            f"{fr(think[0], 1)} à {fr(think[1], 1)} s entre deux pages…",
            flush=True,
        )
        logins, journey = asyncio.run(
            run_journey(base, args.users, args.duration, think, beneficiaries, services, args.login_slots)
        )
        print(
            f"Capacité : {args.capacity_users} connexions sans temps de lecture, "
            f"{fr(args.capacity_duration)} s pour le parcours, pour chaque référence, puis pour la vue nue…",
            flush=True,
        )
        capacity, references, bare = asyncio.run(
            run_capacity(base, args.capacity_users, args.capacity_duration, beneficiaries, services)
        )
    finally:
        if server is not None:
            stop(server)
        scratch.drop()
        forget_cache(env)

    print()
    print(f"Connexions ({args.login_slots} à la fois, avant la mesure) : {fr(logins.seconds, 1)} s")
    print(HEADER)
    print("-" * len(HEADER))
    print("\n".join(rows(logins)))
    print(f"\nParcours du conseiller — {args.users} utilisateurs, {fr(journey.seconds, 1)} s")
    print(HEADER)
    print("-" * len(HEADER))
    print("\n".join(rows(journey, "parcours (total)")))
    print(f"\nCapacité — {args.capacity_users} connexions sans temps de lecture")
    print(HEADER)
    print("-" * len(HEADER))
    print("\n".join(rows(capacity, "parcours (total)")))
    print("\n".join(line for stats in references.values() for line in rows(stats)))
    print("\n".join(rows(bare)))

    everything = (logins, journey, capacity, *references.values(), bare)
    errors = sum(s for stats in everything for s in stats.errors.values())
    p95 = percentile(all_values(journey), 95)
    journey_rate = len(all_values(capacity)) / capacity.seconds
    bare_rate = len(all_values(bare)) / bare.seconds
    ratio = journey_rate / bare_rate if bare_rate else 0.0
    print(
        f"\nRatio débit parcours / vue nue : {fr(ratio * 100, 1)} % ({fr(journey_rate, 1)} / {fr(bare_rate, 1)} req/s)"
    )
    for label, stats in references.items():
        rate = len(all_values(stats)) / stats.seconds
        share = rate / bare_rate if bare_rate else 0.0
        print(f"Ratio {label} / vue nue : {fr(share * 100, 1)} % ({fr(rate, 1)} req/s)")
    for example in [e for stats in everything for e in stats.examples][:5]:
        print(f"  erreur : {example}")
    verdicts = [
        (errors == 0, f"0 erreur ({fr(errors)})"),
        (p95 <= GOAL_P95_MS, f"p95 du parcours ≤ {fr(GOAL_P95_MS)} ms ({fr(p95, 1)} ms)"),
        (ratio >= GOAL_RATIO, f"débit ≥ {fr(GOAL_RATIO * 100)} % de la vue nue ({fr(ratio * 100, 1)} %)"),
    ]
    print()
    for ok, text in verdicts:
        print(f"Objectif {text} : {'atteint' if ok else 'MANQUÉ'}")
    print(f"\nCharge de la machine à la fin : {load_average()}")
    return 0 if all(ok for ok, _ in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
