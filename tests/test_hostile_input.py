"""Hostile text stays text, and every form carries its CSRF token (issue 8, access matrix).

A world is built where every free-text field people type — names of organisations, services,
sites, contacts, beneficiaries, notes, messages, cohorts, case reviews — holds markup meant to
run in the browser. Then professionals of that world (a coordinator, the person's referent, the
counsellor of the receiving organisation) crawl the platform from the home page, following every
internal link, as a curious user would. On every HTML page:

* the hostile markup never appears as markup (Django escapes it: ``&lt;script&gt;``);
* every ``<form method="post">`` holds a ``csrfmiddlewaretoken``;

and every form found refuses a POST without the token (403), with CSRF checks enforced.
"""

from datetime import date
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from tests.accounts.factories import member

SCRIPT = '<script>alert("cite")</script>'
IMAGE = '"><img src=x onerror=alert(1)>'
HOSTILE = f"{SCRIPT}{IMAGE}"
RAW = ("<script>alert(", "<img src=x onerror")
# Downloads and endpoints that end a session or are not pages.
SKIP_PREFIXES = ("/deconnexion/", "/administration/", "/static/", "/media/", "/api/")
MAX_PAGES = 400
MAX_VARIANTS = 3  # query strings kept per path: filters and pages of the same list
MAX_PER_SECTION = 40  # pages per first two path segments (the 144 cells of the coverage…)


class Page(HTMLParser):
    """Links and POST forms of an HTML page (with whether each form holds the CSRF token)."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = {
                "method": (attrs.get("method") or "get").lower(),
                "action": attrs.get("action") or "",
            }
            self._form["csrf"] = False
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and attrs.get("name") == "csrfmiddlewaretoken":
            self._form["csrf"] = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


@pytest.fixture
def world(db):
    """Every kind of record, each free-text field hostile; the users who may read them."""
    from cite_emploi.followup import referrals, services
    from cite_emploi.followup.models import CaseReview, CaseReviewItem, Cohort
    from cite_emploi.partners.models import Contact, Partnership
    from cite_emploi.partners.services import save_site
    from tests.followup.factories import followed_by, organisation_of
    from tests.partners.factories import OrganisationFactory, SiteFactory, saved_service_at

    coordinator = member("coordinator")
    referent = member("counsellor")
    receiver = member("counsellor", name=f"Accueil {HOSTILE}")
    receiving = organisation_of(receiver)
    site = save_site(
        SiteFactory.build(organisation=receiving, name=f"Local {HOSTILE}", longitude=2.4571, latitude=48.8033)
    )
    service = saved_service_at(
        [site],
        organisation=receiving,
        name=f"Atelier {HOSTILE}",
        description=f"Description {HOSTILE}",
        thematiques=["trouver-un-emploi--faire-des-candidatures-spontanees"],
    )
    Contact.objects.create(organisation=receiving, function=f"Accueil {HOSTILE}", email="accueil@example.org")
    Partnership.objects.create(
        territory=receiving.territory,
        source=organisation_of(referent),
        target=receiving,
        kind=Partnership.Kind.CONVENTION,
        description=f"Convention {HOSTILE}",
    )
    OrganisationFactory(name=f"Association {HOSTILE}")

    person = followed_by(referent, first_name=f"Prénom {HOSTILE}", last_name=f"Nom {HOSTILE}")
    follow_up = person.follow_up
    services.add_barrier(
        follow_up,
        thematique="trouver-un-emploi--faire-des-candidatures-spontanees",
        by=referent,
        notes=f"Frein {HOSTILE}",
    )
    services.add_entry(follow_up, by=referent, kind="note", text=f"Note {HOSTILE}", visibility="membres")
    referral = referrals.create_referral(
        follow_up, service, by=referent, message=f"Message {HOSTILE}", send=True
    )
    cohort = Cohort.objects.create(
        territory=person.territory, name=f"Cohorte {HOSTILE}", entry_on=date(2026, 1, 5)
    )
    cohort.follow_ups.add(follow_up)
    review = CaseReview.objects.create(
        territory=person.territory, title=f"Instance {HOSTILE}", held_on=date(2026, 2, 2)
    )
    review.organisations.add(organisation_of(referent))
    CaseReviewItem.objects.create(review=review, follow_up=follow_up, decision=f"Décision {HOSTILE}")
    return {"coordinator": coordinator, "referent": referent, "receiver": receiver, "referral": referral}


def crawl(client) -> dict[str, Page]:
    """Every internal page reachable by links from the home page (GET only), parsed."""
    seen: dict[str, Page] = {}
    variants: dict[str, int] = {}
    sections: dict[str, int] = {}
    queue = ["/"]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code < 500, f"{url} : {response.status_code}"
        page = Page()
        seen[url] = page
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        html = response.content.decode()
        for raw in RAW:
            assert raw not in html, f"{url} : balisage hostile rendu tel quel ({raw})"
        page.feed(html)
        for link in page.links:
            target = urljoin(url, link)
            parts = urlsplit(target)
            if parts.scheme and parts.netloc not in ("", "testserver"):
                continue
            if parts.path.startswith(SKIP_PREFIXES) or not parts.path.startswith("/"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local in seen or local in queue:
                continue
            if parts.query:
                variants[parts.path] = variants.get(parts.path, 0) + 1
                if variants[parts.path] > MAX_VARIANTS:
                    continue
            section = "/".join(parts.path.split("/")[:3])
            sections[section] = sections.get(section, 0) + 1
            if sections[section] > MAX_PER_SECTION:
                continue
            queue.append(local)
    return seen


@pytest.mark.parametrize("who", ["coordinator", "referent", "receiver"])
def test_hostile_text_is_escaped_and_every_form_is_protected(world, who):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world[who])
    pages = crawl(client)
    html_pages = [url for url, page in pages.items() if page.links]
    assert len(html_pages) > 15, html_pages  # the crawl went somewhere

    posts = {}
    for url, page in pages.items():
        for form in page.forms:
            if form["method"] == "post":
                assert form["csrf"], f"{url} : formulaire sans jeton CSRF ({form['action'] or url})"
                posts[urljoin(url, form["action"]) if form["action"] else url] = url
    assert posts, "no form found"
    for action, found_on in posts.items():
        path = urlsplit(action).path
        if path.startswith(SKIP_PREFIXES) and not path.startswith("/deconnexion/"):
            continue
        response = client.post(path, {"x": HOSTILE})
        assert response.status_code == 403, (
            f"POST {path} sans jeton (vu sur {found_on}) : {response.status_code}"
        )


def test_the_crawl_reaches_the_hostile_records(world):
    """Guard against a crawl that passes because it never met the data."""
    client = Client()
    client.force_login(world["referent"])
    pages = crawl(client)
    person = world["referral"].follow_up.beneficiary
    assert f"/suivi/beneficiaires/{person.pk}/" in pages
    assert any(url.startswith("/partenaires/organisations/") for url in pages)
