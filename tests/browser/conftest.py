"""Real-browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server.

Design choices, and why:

* **One Chromium per session, one context per test.** Launching costs about a second; a fresh
  context (cookies, storage) keeps the tests independent.

* **The browser tests run last.** Playwright's synchronous API keeps an asyncio loop marked as
  running in the main thread for as long as it is started. Django then refuses ORM calls from
  that thread (``SynchronousOnlyOperation``) and asgiref refuses ``async_to_sync``. The session
  fixture sets ``DJANGO_ALLOW_ASYNC_UNSAFE`` while Playwright runs (the loop is idle whenever
  the test's own code runs, so nothing is actually blocked), and ``pytest_collection_modifyitems``
  moves the ``browser`` tests to the end of the run so that no other test ever runs under
  that loop or that variable. While the loop runs, asgiref also keeps Django's connections of
  the main thread in a context-local store, apart from the usual thread-local one: they are
  closed before Playwright stops, or PostgreSQL refuses to drop the test database.

* **Data.** ``live_server`` forces a transactional database: Django flushes every table after
  each such test, including the reference data that ``tests/conftest.py`` loads once per
  session. ``serialized_rollback`` cannot help: Django serialises the test database right
  after the migrations, before that session fixture loads the reference data, and it restores
  at the start of a test, not for the tests that follow. So:

  - each test (``demo_site``) reloads the reference data when a previous flush removed it,
    then loads the demo data (both loaders are idempotent);
  - a package-scoped fixture reloads the reference data once the last browser test has been
    flushed, so that any test running after these ones still finds it.

* **One request at a time on SQLite.** The in-memory test database is shared with the live
  server through the test's own connection; its threaded server could run two requests on it at
  once and hang (``_serial_live_server_on_sqlite``). PostgreSQL keeps the threaded server.

* **Accessibility.** ``Journey.step`` screenshots the page and runs axe-core (vendored under
  ``vendor/axe-core``, injected by the test, never served by the app) on it; a step fails on
  any violation of impact « serious » or « critical ». Each main-frame navigation must be
  followed by a step: a page visited but not checked fails the test. A URL pushed by htmx
  (``hx-push-url``) is such a navigation; htmx's ``replaceState`` of the URL it leaves is not
  (the same document re-announcing its own URL). axe-core is evaluated
  through the DevTools protocol, so the app's strict Content-Security-Policy stays in force
  (``bypass_csp`` is not used) and a CSP violation shows up as a console error.
"""

import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_DIR = Path(__file__).resolve().parent
REPO_ROOT = BROWSER_DIR.parents[1]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "browser"
AXE_JS = BROWSER_DIR / "vendor" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
DEMO_PASSWORD = "demo"

# Injected before any page script: keeps a reference to every Leaflet map the page creates,
# so that a test can turn a longitude/latitude into a pixel. The app exposes no global map.
LEAFLET_SPY = """
(() => {
  const maps = [];
  Object.defineProperty(window, "__citeTestMaps", { value: maps });
  let leaflet;
  Object.defineProperty(window, "L", {
    configurable: true,
    get() { return leaflet; },
    set(value) {
      leaflet = value;
      if (value && value.Map && !value.Map.__citeTestSpy) {
        value.Map.__citeTestSpy = true;
        value.Map.addInitHook(function () { maps.push(this); });
      }
    },
  });
})();
"""

AXE_RUN = """
async () => {
  const results = await window.axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
  }));
}
"""


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def unavailable(reason: str):
    """Skip on a developer machine; under CI the browser is installed, so its absence is a failure."""
    if on_ci():
        pytest.fail(f"CI : {reason}", pytrace=False)
    pytest.skip(reason)


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return text.lower() or "step"


# --- Ordering and reports --------------------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Run the browser tests after all the others (see the module docstring); order kept otherwise."""
    others = [item for item in items if item.get_closest_marker("browser") is None]
    browser = [item for item in items if item.get_closest_marker("browser") is not None]
    items[:] = others + browser


_REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


# --- Browser and data ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, launched once for the whole session."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} absent : installez Chromium avec « sh tests/browser/install_chromium.sh ».")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright n'est pas installé : « .venv/bin/pip install -e '.[dev]' ».")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        # While Playwright's loop runs, Django keeps this thread's connections in a separate
        # (context-local) store: close them now, or the test database cannot be dropped later.
        connections.close_all()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session", autouse=True)
def _serial_live_server_on_sqlite():
    """On SQLite, the live server answers one request at a time.

    The test database is then in memory, and Django hands the live server the test's own
    connection (``connections_override``): with its default threaded server, two requests of
    the browser at once (a page and its map's JSON, two htmx requests) run on that one connection
    from two threads, and SQLite can block both for good (seen: a journey hung with two server
    threads waiting in ``execute``). A non-threaded server closes each HTTP connection after its
    answer (``Connection: close``), so the browser's parallel requests simply queue.
    """
    from django.conf import settings

    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        yield
        return
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread

    class Serial(WSGIServer):
        def __init__(self, *args, connections_override=None, **kwargs):
            super().__init__(*args, **kwargs)
            self.connections_override = connections_override  # already set in the server's thread

    previous, LiveServerThread.server_class = LiveServerThread.server_class, Serial
    yield
    LiveServerThread.server_class = previous


def _reference_loaded() -> bool:
    from cite_emploi.territory.models import QPV, Territory

    return QPV.objects.exists() and Territory.objects.filter(slug="gpsea").exists()


@pytest.fixture(scope="package", autouse=True)
def _reference_data_restored(django_db_setup, django_db_blocker):
    """After the last browser test was flushed, put the session's reference data back."""
    yield
    from cite_emploi.territory.services import load_reference

    with django_db_blocker.unblock():
        if not _reference_loaded():
            load_reference()
        connections.close_all()


@pytest.fixture
def demo_site(live_server):
    """The live server, with the reference data and the demo accounts in its database."""
    from cite_emploi.demo.services import load_demo
    from cite_emploi.territory.services import load_reference

    if not _reference_loaded():
        load_reference()
    load_demo()
    return live_server


# --- Journeys --------------------------------------------------------------------------------


@dataclass
class Journey:
    """A browser tab plus the bookkeeping of a journey: screenshots, axe-core, errors.

    ``new_context()`` starts over in a fresh browser context (no cookies) within the same
    journey; the screenshots go on being numbered in the same folder.
    """

    browser: object
    base_url: str
    artifacts: Path
    axe_source: str
    axe_cache: dict
    page: object = None
    context: object = None
    steps: int = 0
    errors: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    pending: str | None = None
    seen: str | None = None  # the main frame's URL at its last navigation or step

    def new_context(self):
        self.close()
        self.context = self.browser.new_context(
            base_url=self.base_url,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            color_scheme="light",
            viewport={"width": 1280, "height": 900},
        )
        self.context.set_default_timeout(10_000)
        self.context.add_init_script(LEAFLET_SPY)
        self.page = self.context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.errors.append(f"erreur JavaScript : {error}"))
        self.page.on("response", self._on_response)
        self.page.on("request", self._on_request)
        self.page.on("framenavigated", self._on_navigation)
        return self.page

    def close(self):
        if self.context is not None:
            if self.pending is not None:
                self.unchecked.append(self.pending)
                self.pending = None
            self.context.close()
            self.context = self.page = self.seen = None

    def _on_console(self, message):
        if message.type == "error":
            self.errors.append(f"console : {message.text} ({message.location.get('url', '')})")

    def _on_response(self, response):
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status} : {response.url}")

    def _on_request(self, request):
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.seen = None  # a new document is coming: a new page, even at the same URL

    def _on_navigation(self, frame):
        if frame != self.page.main_frame:
            return
        if frame.url == self.seen:
            # The same document announcing its own URL again: htmx saves the page it leaves
            # with a ``history.replaceState`` of the current URL before it pushes the new one.
            return
        self.seen = frame.url
        if self.pending is not None:
            self.unchecked.append(self.pending)
        self.pending = frame.url

    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str):
        return self.page.goto(self.url(path))

    @property
    def path(self) -> str:
        return self.page.url.removeprefix(self.base_url)

    def screenshot(self, label: str) -> Path:
        self.steps += 1
        path = self.artifacts / f"{self.steps:02d}-{slug(label)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self) -> list[dict]:
        """axe-core's violations on the current page; a DOM already checked is not checked twice.

        The key is the page's markup without its CSRF token: the login page seen by eight
        accounts is one page for axe-core.
        """
        markup = self.page.evaluate("() => document.documentElement.outerHTML")
        key = hashlib.sha256(CSRF_VALUE.sub("", markup).encode()).hexdigest()
        if key not in self.axe_cache:
            if not self.page.evaluate("() => typeof window.axe === 'object'"):
                # Evaluated through the DevTools protocol: allowed by the app's strict CSP.
                self.page.evaluate(self.axe_source)
            self.axe_cache[key] = self.page.evaluate(AXE_RUN)
        return self.axe_cache[key]

    def step(self, label: str) -> list[dict]:
        """Screenshot the page, run axe-core on it, fail on serious or critical violations."""
        self.page.wait_for_load_state("load")
        shot = self.screenshot(label)
        violations = self.axe()
        self.pending, self.seen = None, self.page.url
        if violations:
            shot.with_suffix(".axe.json").write_text(
                json.dumps({"url": self.page.url, "violations": violations}, ensure_ascii=False, indent=2)
            )
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe-core, {self.path} ({shot.name}) :\n" + describe_violations(blocking)
        errors, self.errors = self.errors, []
        assert not errors, f"{self.path} ({shot.name}) :\n" + "\n".join(errors)
        return violations

    def log_in(self, email: str, password: str = DEMO_PASSWORD):
        """Type the credentials in the labelled fields of the login page and submit."""
        page = self.page
        page.get_by_role("textbox", name="Adresse électronique").fill(email)
        page.get_by_label("Mot de passe", exact=True).fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Se connecter").click()


CSRF_VALUE = re.compile(r'(?<=name="csrfmiddlewaretoken" value=")[^"]*')


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            lines.append(f"    {' > '.join(map(str, node['target']))} : {node['html'][:200]}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … et {len(v['nodes']) - 10} autre(s) élément(s)")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def axe_cache() -> dict:
    return {}


@pytest.fixture
def journey(request, chromium, demo_site, axe_source, axe_cache):
    """A fresh browser context on the live server; screenshots in test-artifacts/browser/<test>/."""
    artifacts = ARTIFACTS_DIR / slug(request.node.name)
    if artifacts.is_dir():
        for old in artifacts.iterdir():
            old.unlink()
    artifacts.mkdir(parents=True, exist_ok=True)
    trip = Journey(
        browser=chromium,
        base_url=demo_site.url,
        artifacts=artifacts,
        axe_source=axe_source,
        axe_cache=axe_cache,
    )
    trip.new_context()
    try:
        yield trip
        call = request.node.stash.get(_REPORTS, {}).get("call")
        if call is not None and (call.failed or hasattr(call, "wasxfail")):
            if trip.page is not None:
                trip.screenshot("echec")
        else:
            trip.close()
            if trip.unchecked:
                pytest.fail("Page(s) visitée(s) sans étape d'accessibilité : " + ", ".join(trip.unchecked))
    finally:
        trip.close()
