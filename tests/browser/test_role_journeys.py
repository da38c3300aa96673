"""Journeys of each role in a real browser (issue 8, item 1): what a coordinator, a counsellor,
a receiving counsellor, an elected official, a funder and an employer do on the platform.

Every page visited is screenshot and checked with axe-core (see conftest.py). The journeys create
what they need, through the pages or, for a journey's preconditions, through the services (the
live server shares the test's database); their names carry a random token, so that they never
depend on the demo's beneficiaries nor collide with them.
"""

import random
import re
import string
from datetime import date

import pytest

from tests.browser.conftest import on_ci

try:
    from playwright.sync_api import expect
except ImportError:
    if on_ci():
        raise
    pytest.skip(
        "Playwright n'est pas installé : « .venv/bin/pip install -e '.[dev]' ».", allow_module_level=True
    )

from tests.browser.test_foundation_journeys import point_in_qpv, wait_for_map

pytestmark = pytest.mark.browser

MONT_MESLY = "QN09405M"  # Mont-Mesly – La Habette – Coteaux du Sud (Créteil), in GPSEA's perimeter
CRETEIL = "Créteil (94028)"
FT_CRETEIL = "France Travail Créteil (démo)"
ML_PLAINE_CENTRALE = "Mission locale Plaine centrale (démo)"
# A category of thématiques that no demo service covers: the coverage cell holds our service only.
INTERNATIONAL = "souvrir-a-linternational"
ABROAD = "souvrir-a-linternational--connaitre-les-opportunites-demploi-a-letranger"
DRIVING_LICENCE = "mobilite--preparer-un-permis"  # a barrier the Mission locale's demo services lift
REFUSED = (403, 404)


# --- Helpers ---------------------------------------------------------------------------------


def token() -> str:
    """A name part that no demo record holds: letters only, as a person's name would be."""
    return "".join(random.choices(string.ascii_lowercase, k=8))


def label(text: str) -> re.Pattern:
    """A field's accessible name starts with its label (then the DSFR's marker and help text)."""
    return re.compile(r"^\s*" + re.escape(text) + r"(?!\w)")


def enum_label(value: str) -> str:
    from cite_emploi.partners import enums

    return enums.label(value)


# The DSFR draws its own checkboxes and radios: the label lies over the native input and takes the
# click, as it does for a user, so ``check`` skips Playwright's "receives the click" test
# (``force``); it still verifies that the box ends up checked.


def expect_message(page, text: str):
    """The page shows a message (DSFR alert with role « status ») that contains ``text``."""
    expect(page.get_by_role("status").filter(has_text=text)).to_have_count(1)


def assert_text_shown(locator):
    """A button with an icon shows its text too: the DSFR clips it to the icon in a group of
    buttons that lacks ``fr-btns-group--icon-left``."""
    width = locator.evaluate("(el) => el.getBoundingClientRect().width")
    assert width > 64, f"« {locator.inner_text()} » réduit à son icône ({width:.0f} px)"


def nav(page):
    return page.get_by_role("navigation", name="Menu principal")


def click_and_wait(page, locator):
    with page.expect_navigation():
        locator.click()


def log_in(journey, email: str):
    journey.goto("/connexion/")
    expect(journey.page.get_by_role("heading", level=1)).to_have_text("Connexion")
    journey.step("login-page")
    journey.log_in(email)
    assert journey.path == "/", journey.path
    expect(journey.page).to_have_title(re.compile(r"^Tableau de bord"))
    journey.step(f"{email}-dashboard")


def expect_refused(journey, path: str, label_: str, secrets: tuple[str, ...] = ()):
    """Open ``path``, expect 403 or 404, and check the error page like any other page.

    The HTTP error of that very page (and Chromium's console line about it) is expected, so it is
    taken out of the errors the step fails on; any other error still fails it.
    """
    response = journey.goto(path)
    assert response.status in REFUSED, f"{path} : HTTP {response.status}"
    url = journey.url(path)
    journey.errors = [e for e in journey.errors if url not in e]
    expect(journey.page.get_by_role("heading", level=1)).to_have_text(re.compile("Accès refusé|introuvable"))
    assert_absent(journey, secrets)
    journey.step(label_)


def assert_absent(journey, secrets: tuple[str, ...]):
    content = journey.page.content().lower()
    leaked = [s for s in secrets if s.lower() in content]
    assert not leaked, f"{journey.path} montre {leaked}"


def ml_permis_service():
    """The Mission locale Plaine centrale's demo service that helps to prepare a driving licence."""
    from cite_emploi.partners.models import Service

    services = [
        s
        for s in Service.objects.filter(organisation__name=ML_PLAINE_CENTRALE).order_by("name", "pk")
        if DRIVING_LICENCE in s.thematiques
    ]
    assert services, f"la démo n'a plus de service « permis » à {ML_PLAINE_CENTRALE}"
    return services[0]


def person_followed_by_france_travail(last_name: str, *, referred_to=None):
    """Through the services, as France Travail's counsellor: a person with consent, maybe oriented.

    Returns the beneficiary and the referral (sent to ``referred_to``, or None).
    """
    from cite_emploi.accounts.models import User
    from cite_emploi.followup import referrals, services
    from cite_emploi.followup.models import Consent
    from cite_emploi.partners.models import Organisation
    from cite_emploi.territory.models import QPV, Commune, Territory

    territory = Territory.objects.get(slug="gpsea")
    counsellor = User.objects.get(email="counsellor.ft@demo.test")
    location = services.resolve_location(
        territory,
        mode=services.LocationMode.MANUAL,
        commune=Commune.objects.get(code="94028"),
        qpv=QPV.objects.get(code=MONT_MESLY, geography_year=2024),
    )
    beneficiary = services.create_beneficiary(
        territory=territory,
        organisation=Organisation.objects.get(territory=territory, name=FT_CRETEIL),
        by=counsellor,
        data={"first_name": "Yasmine", "last_name": last_name, "birth_date": date(2003, 3, 14), "sex": "F"},
        location=location,
    )
    services.record_consent(beneficiary, by=counsellor, given_on=date.today(), scope=Consent.Scope.FOLLOW_UP)
    referral = None
    if referred_to is not None:
        referral = referrals.create_referral(
            beneficiary.follow_up,
            referred_to,
            by=counsellor,
            message="Jeune motivée, disponible le matin ; projet de permis B pour un poste en logistique.",
            send=True,
        )
    return beneficiary, referral


# --- 1. The coordinator: census of the offer, catalogue, map, coverage -----------------------


def test_coordinator_adds_a_partner_and_a_service_then_finds_it_everywhere(journey):
    """Add an organisation and a data·inclusion service, then find the service in the catalogue,
    the organisation on the partner map, and the service in its cell of the coverage table."""
    page = journey.page
    mark = token()
    org_name = f"Passerelles vers l'étranger {mark.capitalize()}"
    service_name = f"Cap sur l'international {mark.capitalize()}"
    lon, lat = point_in_qpv(MONT_MESLY)
    log_in(journey, "coordinator@demo.test")

    click_and_wait(page, nav(page).get_by_role("link", name="Partenaires et offre"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Partenaires du territoire")
    journey.step("partners")

    # A new organisation, located by its coordinates inside Mont-Mesly.
    click_and_wait(page, page.get_by_role("link", name="Ajouter une organisation"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle organisation")
    journey.step("organisation-form")
    page.get_by_label(label("Nom")).fill(org_name)
    page.get_by_label(label("Nature")).select_option(label="Association")
    page.get_by_label(label("Adresse")).fill("4 place de l'Abbaye")
    page.get_by_label(label("Code postal")).fill("94000")
    page.get_by_label(label("Commune")).select_option(label=CRETEIL)
    page.get_by_label(label("Longitude")).fill(f"{lon:.6f}")
    page.get_by_label(label("Latitude")).fill(f"{lat:.6f}")
    page.get_by_label(label("Courriel d'accueil")).fill("accueil@passerelles.example")
    page.get_by_role("group", name=label("Publics accompagnés")).get_by_role(
        "checkbox", name=enum_label("jeunes")
    ).check(force=True)
    click_and_wait(page, page.get_by_role("button", name="Enregistrer"))
    expect(page.get_by_role("heading", level=1)).to_have_text(org_name)
    expect_message(page, "Organisation enregistrée.")
    expect(page.get_by_role("main")).to_contain_text(f"({MONT_MESLY})")
    journey.step("organisation-created")

    # A service typed with the data·inclusion enumerations.
    click_and_wait(page, page.get_by_role("link", name="Ajouter un service"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouveau service")
    journey.step("service-form")
    page.get_by_label(label("Nom")).fill(service_name)
    page.get_by_label(label("Description")).fill(
        "Des rendez-vous pour préparer un projet d'emploi à l'étranger : les métiers qui recrutent, "
        "les aides à la mobilité internationale, les démarches avant le départ."
    )
    page.get_by_label(label("Type de service")).select_option(label=enum_label("accompagnement"))
    page.get_by_label(label("Thématiques")).select_option(label=enum_label(ABROAD))
    page.get_by_label(label("Frais")).select_option(label=enum_label("gratuit"))
    page.get_by_role("group", name=label("Publics")).get_by_role("checkbox", name=enum_label("jeunes")).check(
        force=True
    )
    page.get_by_role("group", name=label("Modes d'accueil")).get_by_role(
        "checkbox", name=enum_label("en-presentiel")
    ).check(force=True)
    page.get_by_role("group", name=label("Modes de mobilisation")).get_by_role(
        "checkbox", name=enum_label("telephoner")
    ).check(force=True)
    page.get_by_role("group", name=label("Mobilisable par")).get_by_role(
        "checkbox", name=enum_label("professionnels")
    ).check(force=True)
    page.get_by_label(label("Téléphone")).fill("01 45 17 00 00")
    page.get_by_label(label("Zone d'éligibilité")).fill("94028")
    page.get_by_label(label("Commune")).select_option(label=CRETEIL)
    page.get_by_label(label("Longitude")).fill(f"{lon:.6f}")
    page.get_by_label(label("Latitude")).fill(f"{lat:.6f}")
    click_and_wait(page, page.get_by_role("button", name="Enregistrer"))
    expect(page.get_by_role("heading", level=1)).to_have_text(service_name)
    expect_message(page, "Service enregistré.")
    main = page.get_by_role("main")
    expect(main).to_contain_text(enum_label(ABROAD))
    expect(main).to_contain_text(enum_label("jeunes"))
    expect(main.get_by_role("link", name=org_name).last).to_be_visible()
    journey.step("service-created")

    # The catalogue finds it by a keyword of its name.
    click_and_wait(page, page.get_by_role("link", name="Partenaires", exact=True).first)
    journey.step("partners-again")
    click_and_wait(page, page.get_by_role("link", name="Catalogue des services"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue des services")
    journey.step("catalogue")
    search = page.get_by_role("search", name="Filtrer les services")
    search.get_by_label(label("Mots-clés")).fill(mark)
    search.get_by_role("button", name="Rechercher").click()
    results = page.locator("#resultats")
    expect(results.get_by_role("heading", level=2)).to_have_text("1 service trouvé")
    expect(results.get_by_role("link", name=service_name)).to_be_visible()
    expect(results).to_contain_text(org_name)
    journey.step("catalogue-found")

    # The partner map shows the organisation, seated in Mont-Mesly.
    click_and_wait(page, page.get_by_role("link", name="Carte des partenaires"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cartographie des partenaires")
    wait_for_map(page, "carte-partenaires")
    journey.step("partner-map")
    filters = page.get_by_role("search", name="Filtrer les partenaires")
    filters.get_by_label(label("Nom")).fill(mark)
    filters.get_by_role("button", name="Filtrer").click()
    expect(results.get_by_role("heading", level=2)).to_have_text("1 organisation")
    row = results.get_by_role("row").filter(has=page.get_by_role("link", name=org_name))
    expect(row).to_contain_text("Association")
    expect(row).to_contain_text("Mont")
    # The map draws the organisation's seat, the only marker the filter leaves, and zooms on it
    # (fitBounds caps the zoom at 15; getZoom() changes once the zoom animation is over).
    page.wait_for_function(
        """() => {
          const map = window.__citeTestMaps.find((m) => m.getContainer().id === "carte-partenaires");
          const seats = [];
          map.eachLayer((l) => { if (l instanceof L.CircleMarker) seats.push(l); });
          return seats.length === 1 && map.getZoom() >= 14 && map.getBounds().contains(seats[0].getLatLng());
        }"""
    )
    journey.step("partner-map-filtered")

    # The coverage table counts the service in Mont-Mesly; its cell lists it.
    click_and_wait(page, page.get_by_role("link", name="Couverture des quartiers"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Couverture des quartiers par l'offre de services"
    )
    journey.step("coverage")
    category = enum_label(INTERNATIONAL)
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile(MONT_MESLY)))
    cell = row.get_by_role("link", name=re.compile(f"« {re.escape(category)} »"))
    expect(cell).to_have_text(re.compile(r"^[1-9]\d* service"))
    click_and_wait(page, cell)
    assert journey.path.startswith(f"/partenaires/couverture/{MONT_MESLY}/{INTERNATIONAL}/"), journey.path
    expect(page.get_by_role("heading", level=1)).to_have_text(category)
    listed = page.get_by_role("row").filter(has=page.get_by_role("link", name=service_name))
    expect(listed).to_contain_text(org_name)
    expect(listed).to_contain_text("dans le quartier")
    journey.step("coverage-cell")


# --- 2. The counsellor: a person, consent, barrier, referral, outcome ------------------------


def test_counsellor_follows_a_person_from_record_to_outcome(journey):
    page = journey.page
    last_name = f"Parcours{token()}"
    service = ml_permis_service()
    barrier = enum_label(DRIVING_LICENCE)
    log_in(journey, "counsellor.ft@demo.test")

    click_and_wait(page, nav(page).get_by_role("link", name="Suivi partagé"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes bénéficiaires")
    journey.step("beneficiaries")

    # The record: no geocoder in the tests, so the quartier is chosen by hand.
    new_person = page.get_by_role("link", name="Nouvelle personne")
    assert_text_shown(new_person)
    click_and_wait(page, new_person)
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle personne accompagnée")
    journey.step("beneficiary-form")
    page.get_by_label(label("Prénom")).fill("Inès")
    page.get_by_label(label("Nom")).fill(last_name)
    page.get_by_label(label("Date de naissance")).fill("2004-05-12")
    page.get_by_role("group", name=label("Sexe")).get_by_role("radio", name="Femme").check(force=True)
    page.get_by_label(label("Commune")).select_option(label=CRETEIL)
    page.get_by_role("radio", name="Choisir le quartier à la main").check(force=True)
    qpv = page.get_by_label(label("Quartier prioritaire"))
    qpv.select_option(qpv.locator("option", has_text=MONT_MESLY).get_attribute("value"))
    click_and_wait(page, page.get_by_role("button", name="Enregistrer"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Inès {last_name.upper()}")
    expect_message(page, "Fiche créée")
    expect(page.get_by_text("vous êtes référent·e", exact=True)).to_be_visible()
    expect(page.get_by_text("dans le périmètre de la Cité", exact=True)).to_be_visible()
    beneficiary_path = journey.path
    journey.step("beneficiary-created")

    # Consent, before anyone of another organisation hears of the person.
    click_and_wait(page, page.get_by_role("link", name="Recueillir le consentement"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Recueillir le consentement")
    journey.step("consent-form")
    page.get_by_role("group", name=label("Portée")).get_by_role(
        "radio", name="Partage avec les professionnels de son suivi"
    ).check(force=True)
    page.get_by_role("checkbox", name=label("La personne a été informée")).check(force=True)
    click_and_wait(page, page.get_by_role("button", name="Enregistrer le consentement"))
    assert journey.path == beneficiary_path
    expect_message(page, "Consentement enregistré")
    expect(page.get_by_role("main")).to_contain_text("partage avec les professionnels de son suivi")
    journey.step("consent-recorded")

    # A barrier, coded with a data·inclusion thématique.
    click_and_wait(page, page.get_by_role("link", name="Ajouter un frein"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajouter un frein")
    journey.step("barrier-form")
    page.get_by_label(label("Frein (thématique data·inclusion)")).select_option(label=barrier)
    page.get_by_label(label("Précisions")).fill("Code de la route à passer ; pas de voiture.")
    click_and_wait(page, page.get_by_role("button", name="Ajouter"))
    expect_message(page, "Frein ajouté.")
    expect(page.get_by_role("table", name="Freins à l'emploi")).to_contain_text(barrier)
    journey.step("barrier-added")

    # From the barrier to the catalogue, to the Mission locale's service, to the referral form.
    click_and_wait(page, page.get_by_role("link", name=f"Chercher un service pour lever « {barrier} »"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalogue des services")
    journey.step("catalogue-for-barrier")
    result = (
        page.locator("#resultats")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", name=service.name))
        .filter(has_text=ML_PLAINE_CENTRALE)
    )
    click_and_wait(page, result.get_by_role("link", name=service.name))
    expect(page.get_by_role("heading", level=1)).to_have_text(service.name)
    journey.step("ml-service")
    click_and_wait(page, page.get_by_role("link", name="Orienter une personne vers ce service"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Orienter vers un service")
    person = page.get_by_label(label("Personne orientée"))
    expect(person.locator("option:checked")).to_have_text(re.compile(f"^{last_name.upper()} Inès"))
    expect(page.get_by_label(label("Service")).locator("option:checked")).to_have_text(
        f"{ML_PLAINE_CENTRALE} — {service.name}"
    )
    expect(page.get_by_text("Consentement à recueillir")).to_have_count(0)
    journey.step("referral-form")
    page.get_by_label(label("Frein que cette orientation doit aider à lever")).select_option(label=barrier)
    page.get_by_label(label("Message à l'organisation qui reçoit")).fill(
        "Inès souhaite passer le permis B ; disponible le matin, joignable par la conseillère."
    )
    click_and_wait(page, page.get_by_role("button", name="Envoyer l'orientation"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Orientation n° \d+\s+Envoyée\s*$")
    )
    expect_message(page, f"Orientation envoyée à « {ML_PLAINE_CENTRALE} »")
    expect(page.get_by_role("main")).to_contain_text(f"Pour lever le frein : {barrier}")
    journey.step("referral-sent")

    # Back on the record: the referral is listed; then the outcome.
    click_and_wait(page, page.get_by_role("link", name="voir sa fiche"))
    assert journey.path == beneficiary_path
    referrals_table = page.get_by_role("table", name=re.compile("^Orientations de"))
    expect(referrals_table.get_by_role("row").filter(has_text=service.name)).to_contain_text("Envoyée")
    assert_text_shown(page.get_by_role("link", name="Orienter vers un service"))
    journey.step("beneficiary-with-referral")
    click_and_wait(page, page.get_by_role("link", name="Enregistrer une sortie"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enregistrer une sortie")
    journey.step("outcome-form")
    page.get_by_label(label("Nature de la sortie")).select_option(label="Formation qualifiante")
    page.get_by_label(label("Précisions")).fill("Titre professionnel cariste")
    click_and_wait(page, page.get_by_role("button", name="Enregistrer"))
    assert journey.path == beneficiary_path
    expect_message(page, "Sortie enregistrée.")
    expect(page.get_by_role("main")).to_contain_text("Formation qualifiante : Titre professionnel cariste")
    journey.step("outcome-recorded")


def test_counsellor_reads_a_long_timeline_and_names_the_outreach_action(journey):
    """The person's page opens on the latest lines of the timeline; « Voir la suite » appends the
    older ones in place and moves the focus to the first of them. The outreach actions to choose
    from load only when asked, then the follow-up is linked to one."""
    from datetime import timedelta

    from django.utils import timezone

    from cite_emploi.accounts.models import User
    from cite_emploi.followup import services
    from cite_emploi.followup.models import TimelineEvent
    from tests.outreach.factories import OutreachActionFactory

    page = journey.page
    last_name = f"Longue{token()}"
    beneficiary, _ = person_followed_by_france_travail(last_name)
    counsellor = User.objects.get(email="counsellor.ft@demo.test")
    for i in range(14):
        services.add_entry(
            beneficiary.follow_up,
            kind="note",
            text=f"Entretien n° {i + 1:02d}",
            by=counsellor,
            at=timezone.now() - timedelta(days=i + 1),
        )
    total = TimelineEvent.objects.filter(follow_up=beneficiary.follow_up).count()
    stand = OutreachActionFactory(title=f"Stand {token()} au marché du Mont-Mesly")

    log_in(journey, "counsellor.ft@demo.test")
    journey.goto(f"/suivi/beneficiaires/{beneficiary.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Yasmine {last_name.upper()}")
    lines = page.locator("#parcours-lignes > li")
    expect(lines).to_have_count(10)
    more = page.get_by_role("link", name=f"Voir la suite du parcours ({total - 10} lignes plus anciennes)")
    journey.step("long-timeline")
    more.click()
    expect(lines).to_have_count(total)
    expect(lines.nth(10)).to_be_focused()
    expect(page.get_by_role("link", name=re.compile("^Voir la suite du parcours"))).to_have_count(0)
    journey.step("long-timeline-complete")

    page.get_by_role("link", name="Indiquer l'action d'aller-vers").click()
    choice = page.get_by_label(label("Action d'aller-vers"))
    expect(choice).to_be_focused()
    choice.select_option(str(stand.pk))
    journey.step("outreach-choice")
    click_and_wait(page, page.get_by_role("button", name="Rattacher"))
    expect_message(page, f"est rattaché à l'action « {stand.title} »")
    expect(page.get_by_role("main")).to_contain_text(f"Entrée dans le suivi depuis : {stand.title}")
    journey.step("outreach-linked")


# --- 3. The receiving counsellor accepts; the sender sees it ---------------------------------


def test_receiving_counsellor_accepts_a_referral_and_the_sender_sees_it(journey):
    page = journey.page
    last_name = f"Orientee{token()}"
    service = ml_permis_service()
    beneficiary, referral = person_followed_by_france_travail(last_name, referred_to=service)
    person = str(beneficiary)

    log_in(journey, "counsellor.ml@demo.test")
    click_and_wait(page, nav(page).get_by_role("link", name="Suivi partagé"))
    journey.step("beneficiaries")
    click_and_wait(
        page,
        page.get_by_role("navigation", name="Suivi partagé").get_by_role("link", name="Orientations reçues"),
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Orientations reçues")
    pending = page.get_by_role("table", name=re.compile("^Orientations en attente"))
    row = pending.get_by_role("row").filter(has=page.get_by_role("link", name=person))
    expect(row).to_contain_text(service.name)
    expect(row).to_contain_text(FT_CRETEIL)
    expect(row).to_contain_text("Créteil")
    journey.step("inbox")

    click_and_wait(page, row.get_by_role("link", name=person))
    assert journey.path == f"/suivi/orientations/{referral.pk}/"
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Orientation n° {referral.pk} Envoyée")
    expect(page.get_by_role("link", name="voir sa fiche")).to_have_count(0)  # not a member yet
    journey.step("referral-received")
    accept = page.get_by_role("group", name="Accepter")
    accept.get_by_role("checkbox", name=label("Rejoindre le suivi de la personne")).check(force=True)
    accept.get_by_label(label("Commentaire")).fill("Rendez-vous proposé mardi à 10 h.")
    click_and_wait(page, page.get_by_role("button", name="Accepter l'orientation"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Orientation n° {referral.pk} Acceptée")
    history = page.get_by_role("table", name="Historique de l'orientation")
    expect(history.get_by_role("row").filter(has_text="Acceptée")).to_contain_text("Rendez-vous proposé")
    journey.step("referral-accepted")
    click_and_wait(page, page.get_by_role("link", name="voir sa fiche"))  # she joined the follow-up
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Yasmine {last_name.upper()}")
    expect(page.get_by_role("table", name="Membres du suivi")).to_contain_text(ML_PLAINE_CENTRALE)
    journey.step("beneficiary-joined")

    # The sender, in another browser session, finds the person and sees the answer.
    journey.new_context()
    page = journey.page
    log_in(journey, "counsellor.ft@demo.test")
    click_and_wait(page, nav(page).get_by_role("link", name="Suivi partagé"))
    journey.step("sender-beneficiaries")
    search = page.get_by_role("search", name="Filtrer mes bénéficiaires")
    search.get_by_label(label("Nom, prénom ou identifiant France Travail")).fill(last_name)
    search.get_by_role("button", name="Filtrer").click()
    link = page.locator("#resultats").get_by_role("link", name=f"{last_name.upper()} Yasmine")
    expect(link).to_be_visible()
    expect(page.locator("#resultats").get_by_role("heading", level=2)).to_have_text("1 personne")
    journey.step("sender-search")
    click_and_wait(page, link)
    referrals_table = page.get_by_role("table", name=re.compile("^Orientations de"))
    row = referrals_table.get_by_role("row").filter(has_text=service.name)
    expect(row).to_contain_text("Acceptée")
    journey.step("sender-beneficiary")
    click_and_wait(page, row.get_by_role("link", name=service.name))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Orientation n° {referral.pk} Acceptée")
    expect(page.get_by_role("table", name="Historique de l'orientation")).to_contain_text("Maëlle")
    journey.step("sender-referral")


# --- 4. The elected official and the funder: aggregates, never a name -------------------------


def browse_aggregates(journey, email: str, secrets: tuple[str, ...], refused: tuple[str, ...]):
    """Every part the role's menu offers, the partners' pages, then the refused personal pages."""
    page = journey.page
    log_in(journey, email)
    assert_absent(journey, secrets)
    entries = nav(page).get_by_role("link")
    labels_ = [name.strip() for name in entries.all_inner_texts()]
    assert "Suivi partagé" not in labels_, labels_
    assert "Partenaires et offre" in labels_, labels_

    for name in labels_:
        if name == "Accueil":
            continue
        click_and_wait(page, nav(page).get_by_role("link", name=name, exact=False).first)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        if journey.path.startswith("/territoire/"):
            wait_for_map(page, "carte-perimetre")
        assert_absent(journey, secrets)
        journey.step(f"menu-{name}")

    # The offer's pages, from the partners' list: catalogue, map, network, coverage and a cell.
    click_and_wait(page, nav(page).get_by_role("link", name="Partenaires et offre"))
    journey.step("partners")
    click_and_wait(page, page.get_by_role("link", name=ML_PLAINE_CENTRALE))
    assert_absent(journey, secrets)
    journey.step("organisation")
    click_and_wait(page, page.get_by_role("link", name=ml_permis_service().name))
    expect(page.get_by_role("link", name="Orienter une personne vers ce service")).to_have_count(0)
    assert_absent(journey, secrets)
    journey.step("service")
    click_and_wait(page, page.get_by_role("link", name="Partenaires", exact=True).first)
    journey.step("partners-again")
    click_and_wait(page, page.get_by_role("link", name="Catalogue des services"))
    journey.step("catalogue")
    for name, heading in (
        ("Carte des partenaires", "Cartographie des partenaires"),
        ("Réseau des partenaires", None),
        ("Couverture des quartiers", "Couverture des quartiers par l'offre de services"),
    ):
        click_and_wait(
            page,
            page.get_by_role("navigation", name="Offre de services et partenaires").get_by_role(
                "link", name=name
            ),
        )
        if heading:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_absent(journey, secrets)
        journey.step(name)
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile(MONT_MESLY)))
    click_and_wait(page, row.get_by_role("link").first)
    assert_absent(journey, secrets)
    journey.step("coverage-cell")

    # Personal data: refused, whatever the way in.
    for path in refused:
        expect_refused(journey, path, f"refused-{path}", secrets)


def browse_diagnostic(journey, secrets: tuple[str, ...]):
    """Issue 6: the elected member opens the diagnostic, her commune's page, one of its QPV and the gaps."""
    page = journey.page
    click_and_wait(page, nav(page).get_by_role("link", name="Diagnostic"))
    assert_absent(journey, secrets)
    journey.step("diagnostic")
    click_and_wait(page, page.get_by_role("link", name=re.compile("^Créteil : ses chiffres")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Créteil")
    expect(page.get_by_role("table").filter(has_text="Comparaison sur la période")).to_be_visible()
    assert_absent(journey, secrets)
    journey.step("diagnostic-commune")
    click_and_wait(page, page.locator("main").get_by_role("link", name=re.compile("^Mont Mesly")).first)
    expect(page.get_by_role("heading", level=1)).to_contain_text(MONT_MESLY)
    assert_absent(journey, secrets)
    journey.step("diagnostic-qpv")
    click_and_wait(page, page.get_by_role("link", name="Besoins non couverts"))
    assert_absent(journey, secrets)
    journey.step("diagnostic-gaps")


def browse_steering(journey, secrets: tuple[str, ...]):
    """Issue 7: the elected member opens her commune's dashboard, then one action of the plan there."""
    page = journey.page
    click_and_wait(page, nav(page).get_by_role("link", name="Pilotage"))
    assert_absent(journey, secrets)
    journey.step("steering")
    click_and_wait(page, page.locator(".fr-callout").get_by_role("link", name="Créteil"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Créteil")
    assert_absent(journey, secrets)
    journey.step("steering-commune")
    actions = page.get_by_role("table", name="Actions ciblant un quartier de la commune")
    click_and_wait(page, actions.get_by_role("link").first)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_absent(journey, secrets)
    journey.step("steering-action")


def test_elected_and_funder_see_aggregates_and_never_a_name(journey):
    last_name = f"Confidentielle{token()}"
    beneficiary, referral = person_followed_by_france_travail(last_name, referred_to=ml_permis_service())
    secrets = (last_name, f"Yasmine {last_name}")
    refused = (
        "/suivi/",
        f"/suivi/beneficiaires/{beneficiary.pk}/",
        f"/suivi/orientations/{referral.pk}/",
        f"/suivi/beneficiaires/{beneficiary.pk}/export.pdf",
    )
    browse_aggregates(journey, "elected.creteil@demo.test", secrets, refused)
    browse_diagnostic(journey, secrets)
    browse_steering(journey, secrets)
    journey.new_context()
    browse_aggregates(journey, "funder@demo.test", secrets, refused)


# --- 5. The employer -------------------------------------------------------------------------


def test_employer_reaches_its_dashboard_and_no_personal_data(journey):
    """The employer's own journey (searching anonymised talent profiles, offers, contact requests)
    comes with issue 5 (« Valorisation des CV »), which will extend this test; for now the employer
    reaches its dashboard and the parts its menu offers, and is refused the shared follow-up and
    the partners' pages.
    """
    page = journey.page
    last_name = f"Privee{token()}"
    beneficiary, _ = person_followed_by_france_travail(last_name)
    secrets = (last_name,)
    log_in(journey, "employer@demo.test")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Émilie")
    labels_ = [name.strip() for name in nav(page).get_by_role("link").all_inner_texts()]
    assert "Suivi partagé" not in labels_, labels_
    assert "Partenaires et offre" not in labels_, labels_
    expect(page.get_by_role("main").get_by_role("link", name="Suivi partagé")).to_have_count(0)
    expect(page.get_by_role("main").get_by_role("link", name="Partenaires et offre")).to_have_count(0)
    assert "Valorisation des CV" in " ".join(labels_), labels_

    for name in labels_:
        if name == "Accueil":
            continue
        click_and_wait(page, nav(page).get_by_role("link", name=name, exact=False).first)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        if journey.path == "/territoire/":
            wait_for_map(page, "carte-perimetre")
        assert_absent(journey, secrets)
        journey.step(f"menu-{name}")

    for path in ("/suivi/", f"/suivi/beneficiaires/{beneficiary.pk}/", "/partenaires/"):
        expect_refused(journey, path, f"refused-{path}", secrets)


def test_employer_searches_profiles_and_requests_a_contact(journey):
    """Issue 5: the employer finds anonymised profiles by skill, opens one (with why it matches their
    offers) and asks the person's referent for a meeting — without ever seeing who the person is."""
    from cite_emploi.talent.models import ContactRequest, TalentProfile

    page = journey.page
    log_in(journey, "employer@demo.test")
    click_and_wait(page, nav(page).get_by_role("link", name="Valorisation des CV"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    journey.step("talent-home")
    click_and_wait(
        page,
        page.get_by_role("navigation", name="Valorisation des CV").get_by_role(
            "link", name="Rechercher des profils"
        ),
    )
    journey.step("talent-search")

    page.get_by_label(label("Compétences ou mots-clés")).fill("permis")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    results = page.get_by_role("table").filter(has=page.locator("caption", has_text="Profils trouvés"))
    expect(results).to_be_visible()
    journey.step("talent-search-results")

    first = results.get_by_role("link", name=re.compile(r"^CV-")).first
    reference = first.inner_text().strip()
    person = TalentProfile.objects.select_related("follow_up__beneficiary").get(reference=reference)
    secrets = (
        person.follow_up.beneficiary.last_name,
        f"/suivi/beneficiaires/{person.follow_up.beneficiary_id}/",
    )
    assert_absent(journey, secrets)
    click_and_wait(page, first)
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    assert_absent(journey, secrets)
    journey.step("talent-profile")

    page.get_by_label(label("Votre message au référent de la personne")).fill(
        "Bonjour, nous recrutons un livreur en CDI ; pouvons-nous rencontrer cette personne ?"
    )
    before = ContactRequest.objects.filter(profile=person).count()
    click_and_wait(page, page.get_by_role("button", name="Demander une mise en relation"))
    expect_message(page, "Demande envoyée au référent")
    assert_absent(journey, secrets)
    journey.step("talent-contact-sent")
    assert ContactRequest.objects.filter(profile=person).count() == before + 1


# --- Known defects ---------------------------------------------------------------------------


def test_partner_map_table_shows_each_kind_colour(journey):
    """The legend says the seats are coloured by kind « comme dans le tableau »: each row's dot
    has its kind's colour."""
    page = journey.page
    log_in(journey, "coordinator@demo.test")
    click_and_wait(page, nav(page).get_by_role("link", name="Partenaires et offre"))
    journey.step("partners")
    click_and_wait(page, page.get_by_role("link", name="Catalogue des services"))
    journey.step("catalogue")
    click_and_wait(page, page.get_by_role("link", name="Carte des partenaires"))
    journey.step("partner-map")
    row = (
        page.locator("#resultats")
        .get_by_role("row")
        .filter(has=page.get_by_role("link", name=ML_PLAINE_CENTRALE))
    )
    dot = row.locator(".cite-dot")
    assert re.fullmatch(r"background:#[0-9a-f]{6}", dot.get_attribute("style") or ""), dot.get_attribute(
        "style"
    )
