"""Journeys of the foundation in a real browser: log in, the territory, checking an address, isolation.

Every page visited is screenshot and checked with axe-core (see conftest.py).
"""

import re

import pytest
from shapely.geometry import shape
from shapely.ops import polylabel

from cite_emploi.demo.services import ACCOUNTS
from tests.browser.conftest import on_ci

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect
except ImportError:
    if on_ci():
        raise
    pytest.skip(
        "Playwright n'est pas installé : « .venv/bin/pip install -e '.[dev]' ».", allow_module_level=True
    )

pytestmark = pytest.mark.browser

QPV_STROKE = "#000091"  # the QPV layer's colour in static/js/territory_map.js
MARKER_STROKE = "#e1000f"  # the checked point's marker, same file
MONT_MESLY = "QN09405M"  # Mont-Mesly – La Habette – Coteaux du Sud (Créteil), in GPSEA's perimeter
SANTENY = "94070"  # a commune of GPSEA without any QPV
IN_PERIMETER = "Dans le périmètre de la Cité"


# --- Helpers ---------------------------------------------------------------------------------


def well_inside(geometry) -> tuple[float, float]:
    """A point far from the edges of the geometry's largest part (pole of inaccessibility), as (lon, lat)."""
    parts = getattr(geometry, "geoms", [geometry])
    point = polylabel(max(parts, key=lambda p: p.area), tolerance=1e-6)
    if not geometry.contains(point):  # not for a valid polygon; the representative point is inside anyway
        point = geometry.representative_point()
    assert geometry.contains(point)
    return point.x, point.y


def point_in_qpv(code: str) -> tuple[float, float]:
    from cite_emploi.territory.models import QPV

    return well_inside(shape(QPV.objects.get(code=code, geography_year=2024).geometry))


def point_outside_any_qpv(commune_code: str) -> tuple[float, float]:
    from cite_emploi.territory.models import QPV, Commune

    lon, lat = well_inside(shape(Commune.objects.get(code=commune_code).geometry))
    nearby = QPV.objects.filter(geography_year=2024, communes__department="94")
    assert not any(
        shape(q.geometry).intersects(shape({"type": "Point", "coordinates": [lon, lat]})) for q in nearby
    )
    return lon, lat


def map_paths(page, map_id: str, stroke: str | None = None):
    selector = f"#{map_id} path.leaflet-interactive"
    if stroke:
        selector += f'[stroke="{stroke}"]'
    return page.locator(selector)


def wait_for_map(page, map_id: str):
    """Wait until Leaflet has drawn the GeoJSON layer of the map and fitted the view to it."""
    expect(map_paths(page, map_id).first).to_be_attached()
    page.wait_for_function(
        "(mapId) => window.__citeTestMaps.some((m) => m.getContainer().id === mapId && m._loaded)", arg=map_id
    )


def qpv_features(journey, geojson_path: str) -> list[dict]:
    response = journey.page.request.get(journey.url(geojson_path))
    assert response.ok, response.status
    return [f for f in response.json()["features"] if f["properties"]["layer"] == "qpv"]


def map_pixel(page, map_id: str, lon: float, lat: float) -> dict:
    """Where (lon, lat) is on screen in the Leaflet map, and what sits under that pixel."""
    page.locator(f"#{map_id}").scroll_into_view_if_needed()
    return page.evaluate(
        """([mapId, lon, lat, qpvStroke]) => {
          const map = window.__citeTestMaps.find((m) => m.getContainer().id === mapId);
          const point = map.latLngToContainerPoint([lat, lon]);
          const box = map.getContainer().getBoundingClientRect();
          const x = box.left + point.x, y = box.top + point.y;
          const hit = document.elementFromPoint(x, y);
          return {
            x, y,
            visible: map.getBounds().contains([lat, lon]),
            onMap: map.getContainer().contains(hit) && !hit.closest(".leaflet-control-container"),
            onQpv: hit.matches(`path.leaflet-interactive[stroke="${qpvStroke}"]`),
          };
        }""",
        [map_id, lon, lat, QPV_STROKE],
    )


def log_in_from_the_login_page(journey, email: str):
    journey.goto("/connexion/")
    expect(journey.page.get_by_role("heading", level=1)).to_have_text("Connexion")
    journey.step("login-page")
    journey.log_in(email)
    assert journey.path == "/"
    journey.step("dashboard")


def open_check_address(journey):
    page = journey.page
    with page.expect_navigation():
        page.get_by_role("link", name="Vérifier une adresse").click()
    assert journey.path == "/territoire/verifier-une-adresse/"
    wait_for_map(page, "carte-verification")


# --- 1. Every demo account -------------------------------------------------------------------


def log_in_and_out(journey, account):
    """From the login page: log in, see one's own dashboard, log out, back on the login page."""
    page = journey.page
    assert journey.path == "/connexion/", journey.path
    journey.log_in(account.email)
    assert journey.path == "/", journey.path
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Bonjour {account.first_name}")
    expect(page).to_have_title(re.compile(r"^Tableau de bord"))
    journey.step(f"{account.email}-dashboard")

    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()
    assert journey.path == "/connexion/", journey.path
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    journey.step(f"{account.email}-logged-out")


def test_every_demo_account_logs_in_reaches_the_dashboard_and_logs_out(journey):
    """The eight accounts one after the other in the same browser, as at a shared desk.

    One test rather than eight: the live server's database is flushed and reloaded between
    tests, which costs more than a login. A failing account does not stop the others.
    """
    page = journey.page
    journey.goto("/connexion/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    journey.step("login-page")
    failures = []
    for account in ACCOUNTS:
        try:
            log_in_and_out(journey, account)
        except (AssertionError, PlaywrightError) as error:
            journey.screenshot(f"{account.email}-echec")
            failures.append(f"{account.email} : {error}")
            journey.context.clear_cookies()
            journey.goto("/connexion/")
            journey.pending = None
    assert not failures, "\n\n".join(failures)


# --- 2. The coordinator's territory ----------------------------------------------------------


def test_coordinator_sees_the_map_and_switches_to_the_2021_perimeter(journey):
    page = journey.page
    log_in_from_the_login_page(journey, "coordinator@demo.test")

    with page.expect_navigation():
        page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Territoire").click()
    assert journey.path == "/territoire/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Grand Paris Sud Est Avenir")
    wait_for_map(page, "carte-perimetre")
    qpvs = qpv_features(journey, "/territoire/perimetre.geojson?geographie=2024")
    assert len(qpvs) >= 9
    assert MONT_MESLY in {f["properties"]["code"] for f in qpvs}
    expect(map_paths(page, "carte-perimetre", QPV_STROKE)).to_have_count(len(qpvs))
    table = page.locator("table", has=page.locator("caption", has_text="Quartiers du périmètre"))
    expect(table).to_contain_text(f"{MONT_MESLY} — Mont Mesly")
    assert table.locator("tbody tr").count() >= len(qpvs)
    journey.step("territory-2024")

    select = page.get_by_label("Périmètre affiché")
    select.select_option(select.locator("option", has_text="2021").get_attribute("value"))
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher").click()
    assert "geographie=2015" in journey.path
    wait_for_map(page, "carte-perimetre")
    expect(select).to_have_value("2015")
    row = table.locator("tbody tr", has_text="Petit Pré – Sablières")
    expect(row).to_contain_text("Créteil")
    expect(row).to_contain_text("plus prioritaire en 2024")
    expect(map_paths(page, "carte-perimetre", QPV_STROKE)).to_have_count(
        len(qpv_features(journey, "/territoire/perimetre.geojson?geographie=2015"))
    )
    journey.step("territory-2021")


# --- 3. The counsellor checks an address -----------------------------------------------------


def test_counsellor_checks_the_map_coordinates_and_an_address(journey):
    page = journey.page
    qpv_lon, qpv_lat = point_in_qpv(MONT_MESLY)
    out_lon, out_lat = point_outside_any_qpv(SANTENY)
    log_in_from_the_login_page(journey, "counsellor.ft@demo.test")
    open_check_address(journey)
    journey.step("check-address")
    result = page.locator("#resultat")

    # A click on the map, away from any QPV: the point is reported to the form and checked.
    target = map_pixel(page, "carte-verification", out_lon, out_lat)
    assert target["visible"] and target["onMap"] and not target["onQpv"], target
    with page.expect_navigation():
        page.mouse.click(target["x"], target["y"])
    assert "lon=" in journey.path and "lat=" in journey.path
    expect(result.get_by_role("heading", level=2)).to_have_text("Hors quartier prioritaire")
    wait_for_map(page, "carte-verification")
    journey.step("map-click-outside-qpv")

    # The coordinates of a point of Mont-Mesly typed in the labelled fields.
    page.get_by_label("Longitude").fill(f"{qpv_lon:.6f}")
    page.get_by_label("Latitude").fill(f"{qpv_lat:.6f}")
    with page.expect_navigation():
        page.get_by_role("button", name="Vérifier le point").click()
    expect(result.get_by_role("heading", level=2)).to_have_text(IN_PERIMETER)
    expect(result).to_contain_text(MONT_MESLY)
    wait_for_map(page, "carte-verification")
    journey.step("coordinates-in-perimeter")

    # An address, with no geocoder configured: the manual choice is offered, in French.
    page.get_by_role("textbox", name="Adresse").fill("1 place Salvador Allende, Créteil")
    with page.expect_navigation():
        page.get_by_role("button", name="Vérifier l'adresse").click()
    alert = result.get_by_role("alert")
    expect(alert).to_contain_text("Adresse non localisée")
    expect(alert).to_contain_text(
        "Aucun service de géocodage n'est configuré : choisissez le quartier à la main."
    )
    manual = page.get_by_label("Quartier prioritaire")
    expect(manual).to_be_visible()
    expect(manual.locator("option", has_text=MONT_MESLY)).to_have_count(1)
    wait_for_map(page, "carte-verification")
    journey.step("address-without-geocoder")


def test_counsellor_clicks_inside_a_qpv_on_the_map(journey):
    page = journey.page
    lon, lat = point_in_qpv(MONT_MESLY)
    log_in_from_the_login_page(journey, "counsellor.ml@demo.test")
    open_check_address(journey)
    journey.step("check-address")

    target = map_pixel(page, "carte-verification", lon, lat)
    assert target["visible"] and target["onMap"] and target["onQpv"], target
    page.mouse.click(target["x"], target["y"])
    # The map's click handler fills the coordinate fields before submitting them.
    page.wait_for_function(
        "() => document.querySelector('#form-point [name=lon]').value !== ''", timeout=2_000
    )
    page.wait_for_url(re.compile(r"[?&]lon="))
    expect(page.locator("#resultat").get_by_role("heading", level=2)).to_have_text(IN_PERIMETER)
    expect(page.locator("#resultat")).to_contain_text(MONT_MESLY)
    wait_for_map(page, "carte-verification")
    journey.step("map-click-in-perimeter")


def test_checked_point_is_marked_on_the_map(journey):
    page = journey.page
    lon, lat = point_in_qpv(MONT_MESLY)
    log_in_from_the_login_page(journey, "counsellor.ft@demo.test")
    journey.goto(f"/territoire/verifier-une-adresse/?lon={lon:.6f}&lat={lat:.6f}")
    expect(page.locator("#resultat").get_by_role("heading", level=2)).to_have_text(IN_PERIMETER)
    wait_for_map(page, "carte-verification")
    journey.step("point-checked")

    target = map_pixel(page, "carte-verification", lon, lat)
    marker = map_paths(page, "carte-verification", MARKER_STROKE)
    expect(marker).to_have_count(1)
    box = marker.bounding_box()
    assert box is not None and box["width"] > 0, "repère absent de la carte"
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert abs(centre[0] - target["x"]) < 3 and abs(centre[1] - target["y"]) < 3, (centre, target)


# --- 4. Territories are sealed off -----------------------------------------------------------


def test_other_territory_coordinator_never_sees_gpsea(journey):
    page = journey.page
    log_in_from_the_login_page(journey, "coordinator.other@demo.test")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Oscar")
    assert "Grand Paris Sud Est Avenir" not in page.content()

    with page.expect_navigation():
        page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Territoire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Val-de-Marne Est"))
    wait_for_map(page, "carte-perimetre")
    codes = {f["properties"]["code"] for f in qpv_features(journey, "/territoire/perimetre.geojson")}
    assert codes, "le territoire fictif a ses propres QPV"
    assert MONT_MESLY not in codes
    expect(map_paths(page, "carte-perimetre", QPV_STROKE)).to_have_count(len(codes))
    content = page.content()
    assert MONT_MESLY not in content
    assert "Grand Paris Sud Est Avenir" not in content
    journey.step("territory")

    # A point of GPSEA's Mont-Mesly is in a QPV, but not in this Cité's perimeter,
    # and Mont-Mesly is not among the quartiers offered for the manual choice.
    lon, lat = point_in_qpv(MONT_MESLY)
    journey.goto(f"/territoire/verifier-une-adresse/?lon={lon:.6f}&lat={lat:.6f}")
    expect(page.locator("#resultat").get_by_role("heading", level=2)).to_have_text(
        "Dans un quartier prioritaire, hors du périmètre de la Cité"
    )
    options = page.get_by_label("Quartier prioritaire").locator("option").all_inner_texts()
    assert len(options) > 1
    assert not any(MONT_MESLY in option for option in options)
    wait_for_map(page, "carte-verification")
    journey.step("check-address-gpsea-point")
