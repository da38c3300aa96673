"""An employer, an elected official or a funder never reaches a person (issue 5, « done when »; DESIGN.md).

A world is built around one person whose every identifying detail is distinctive: names, address,
France Travail identifier, QPV. The person is followed, has a published talent profile, received a
contact request from an employer, was a candidate (and hired) at a recruitment event where that
employer took part, and their follow-up started from an outreach action. Then the employer, an elected
official of the person's commune and the State's delegate crawl every page they can reach from the
home page, and call every API route of the OpenAPI schema. Nothing they get may carry any of those
details, a follow-up page, or a beneficiary's number in a link to the follow-up.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cite_emploi.outreach.models import (
    ActionOrigin,
    EventCandidate,
    EventEmployer,
    EventOffer,
    Interview,
    OutreachAction,
)
from tests.accounts.factories import MembershipFactory, member
from tests.crawler import crawl
from tests.outreach.factories import RecruitmentEventFactory, qpv
from tests.talent.factories import ContactRequestFactory, JobOfferFactory, profile_of

FIRST, LAST = "Zéphyrine", "Quintavalle-Moreau"
ADDRESS = "12 rue des Secrets"
FT_ID = "FT9988776655"


@pytest.fixture
def world(db):
    from cite_emploi.followup import services
    from tests.followup.factories import followed_by, organisation_of

    referent = member("counsellor")
    quartier = qpv("QN09405M")
    commune = quartier.communes.get(code="94028")
    person = followed_by(
        referent,
        first_name=FIRST,
        last_name=LAST,
        address=ADDRESS,
        postcode="94000",
        commune=commune,
        qpv=quartier,
        in_perimeter=True,
        france_travail_id=FT_ID,
    )
    offer = JobOfferFactory()
    employer_org = offer.organisation
    employer = MembershipFactory(organisation=employer_org, role="employer").user
    profile = profile_of(person)
    ContactRequestFactory(profile=profile, organisation=employer_org, offer=offer, requested_by=employer)
    event = RecruitmentEventFactory(starts_at=timezone.now() - timedelta(days=3), status="realisee")
    participant = EventEmployer.objects.create(
        event=event,
        organisation=employer_org,
        company_name=employer_org.name,
        contact_name="Contact",
        contact_email="contact@entreprise.example",
        status=EventEmployer.Status.CONFIRMED,
    )
    EventOffer.objects.create(event=event, offer=offer, employer=participant)
    candidate = EventCandidate.objects.create(
        event=event,
        follow_up=person.follow_up,
        invited_by=referent,
        organisation=organisation_of(referent),
        status=EventCandidate.Status.PRESENT,
    )
    outcome = services.record_outcome(
        person.follow_up, kind="emploi-durable", contract="cdi", occurred_on=timezone.localdate(), by=referent
    )
    Interview.objects.create(
        candidate=candidate, employer=participant, offer=offer, result="recrute", outcome=outcome
    )
    action = OutreachAction.objects.create(
        territory=person.territory,
        kind="stand-marche",
        title="Stand au marché",
        starts_at=timezone.now() - timedelta(days=30),
        status="realisee",
        qpv=quartier,
    )
    ActionOrigin.objects.create(action=action, follow_up=person.follow_up, recorded_by=referent)
    elected = member("elected", commune=commune)
    elected.memberships.get().communes.add(commune)
    return {
        "person": person,
        "qpv": quartier,
        "employer": employer,
        "elected": elected,
        "funder": member("funder"),
        "referent": referent,
        "profile": profile,
    }


# The territory's pages name every QPV of the perimeter, for everyone: the person's QPV is a secret
# only where the person (their profile, their candidacy, their follow-up's origin) is shown.
PERSON_PAGES = ("/cvtheque/", "/aller-vers/")


def _forbidden(world) -> list[str]:
    person = world["person"]
    return [FIRST, LAST, ADDRESS, FT_ID, f"/suivi/beneficiaires/{person.pk}/"]


def _look(world, reached):
    forbidden, quartier = _forbidden(world), world["qpv"]

    def check(url, response):
        reached.append((url, response.status_code))
        if url.startswith("/suivi/"):
            assert response.status_code in (302, 403, 404), f"{url} : {response.status_code}"
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", errors="ignore")
        secrets = forbidden + ([quartier.name, quartier.code] if url.startswith(PERSON_PAGES) else [])
        for secret in secrets:
            assert secret not in text, f"{url} laisse voir « {secret} »"

    return check


@pytest.mark.parametrize("who", ["employer", "elected", "funder"])
def test_no_page_reached_from_home_shows_a_person(world, who):
    client = Client()
    client.force_login(world[who])
    reached: list[tuple[str, int]] = []
    crawl(client, _look(world, reached))
    assert len([u for u, status in reached if status == 200]) >= 5, reached


def test_the_employer_crawl_meets_the_profile_and_the_event(world):
    """Guard against a crawl that passes because it never reached the records it must not reveal."""
    client = Client()
    client.force_login(world["employer"])
    pages = crawl(client)
    assert any(world["profile"].reference in url or "/cvtheque/" in url for url in pages)
    assert any(url.startswith("/aller-vers/operations/") for url in pages)
    response = client.get("/cvtheque/")
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["employer", "elected", "funder"])
def test_no_api_route_gives_a_person(world, who):
    client = Client()
    client.force_login(world[who])
    schema = client.get("/api/v1/openapi.json").json()
    forbidden = _forbidden(world)
    for path, operations in schema["paths"].items():
        if "get" not in operations or "{" in path:
            continue
        response = client.get(path if path.startswith("/api/") else f"/api/v1{path}")
        assert response.status_code < 500, path
        for secret in forbidden:
            assert secret not in response.content.decode(), f"{path} laisse voir « {secret} »"


def test_the_referent_does_see_the_person(world):
    """The same world, seen by the person's referent: the details exist and are shown where they belong."""
    client = Client()
    client.force_login(world["referent"])
    page = client.get(f"/suivi/beneficiaires/{world['person'].pk}/").content.decode()
    assert LAST in page and world["qpv"].name in page
