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
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from tests.accounts.factories import member
from tests.crawler import SKIP_PREFIXES, crawl

SCRIPT = '<script>alert("cite")</script>'
IMAGE = '"><img src=x onerror=alert(1)>'
HOSTILE = f"{SCRIPT}{IMAGE}"
RAW = ("<script>alert(", "<img src=x onerror")


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


def no_raw_markup(url, response) -> None:
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        html = response.content.decode()
        for raw in RAW:
            assert raw not in html, f"{url} : balisage hostile rendu tel quel ({raw})"


@pytest.mark.parametrize("who", ["coordinator", "referent", "receiver"])
def test_hostile_text_is_escaped_and_every_form_is_protected(world, who):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world[who])
    pages = crawl(client, no_raw_markup)
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
