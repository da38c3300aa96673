"""The CV library's pages run the same SQL queries for 3 rows or 15: no query per profile, offer or request.

Each test measures a page, adds rows, and measures it again; 15 stays under the page size, so every
row is drawn. A ceiling (``django_assert_max_num_queries``) keeps the count itself small.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cite_emploi.partners.models import OrganisationKind
from tests.accounts.factories import member
from tests.followup.factories import followed_by, organisation_of
from tests.talent.factories import ContactRequestFactory, JobOfferFactory, profile_of

pytestmark = pytest.mark.django_db
SMALL, LARGE = 3, 15
CEILING = 30


def _queries(client, url, **extra) -> list[str]:
    client.get(url, **extra)  # warm the session and the per-process caches (referential, centres)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200, url
    return [q["sql"] for q in captured.captured_queries]


def _same_for_more(client, url, add, django_assert_max_num_queries, **extra):
    add(SMALL)
    few = _queries(client, url, **extra)
    add(LARGE - SMALL)
    with django_assert_max_num_queries(CEILING):
        many = _queries(client, url, **extra)
    assert len(many) == len(few), "\n".join(many)


@pytest.fixture
def counsellor():
    return member("counsellor")


@pytest.fixture
def employer():
    return member("employer", kind=OrganisationKind.EMPLOYER)


@pytest.fixture
def company(employer):
    return organisation_of(employer)


def test_home_of_a_counsellor(client, counsellor, django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            person = followed_by(counsellor)
            if i % 2:
                ContactRequestFactory(profile=profile_of(person))

    client.force_login(counsellor)
    _same_for_more(client, reverse("talent:home"), add, django_assert_max_num_queries)


def test_home_of_the_coordination(client, django_assert_max_num_queries):
    coordinator = member("coordinator")

    def add(n):
        for _ in range(n):
            ContactRequestFactory(profile=profile_of(followed_by(coordinator)))

    client.force_login(coordinator)
    _same_for_more(client, reverse("talent:home"), add, django_assert_max_num_queries)


def test_home_of_an_employer(client, employer, company, django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            offer = JobOfferFactory(organisation=company)
            ContactRequestFactory(organisation=company, offer=offer, requested_by=employer)

    client.force_login(employer)
    _same_for_more(client, reverse("talent:home"), add, django_assert_max_num_queries)


@pytest.mark.parametrize(
    "params",
    [
        "",
        "?metier=17993&mots=commandes",
        "?commune=94028&rayon=20&disponible=2099-01-01",
        "?rome=N1103&contrats=cdi&temps=temps-plein",
    ],
)
def test_search(client, employer, params, django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            profile_of(
                followed_by(member("counsellor")),
                appellations=("17993", "10880"),
                contracts=["cdi"],
                search_text="preparation de commandes",
            )

    client.force_login(employer)
    _same_for_more(client, reverse("talent:search") + params, add, django_assert_max_num_queries)


def test_search_htmx(client, employer, django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            profile_of(followed_by(member("counsellor")))

    client.force_login(employer)
    _same_for_more(
        client,
        reverse("talent:search") + "?rome=N1103",
        add,
        django_assert_max_num_queries,
        HTTP_HX_REQUEST="true",
    )


@pytest.mark.parametrize("role", ["coordinator", "counsellor", "employer"])
def test_offers(client, role, django_assert_max_num_queries):
    user = member(role, kind=OrganisationKind.EMPLOYER)
    organisation = organisation_of(user)

    def add(n):
        for _ in range(n):
            offer = JobOfferFactory(organisation=organisation)
            ContactRequestFactory(offer=offer, organisation=organisation)

    client.force_login(user)
    _same_for_more(client, reverse("talent:offers"), add, django_assert_max_num_queries)


@pytest.mark.parametrize("role", ["employer", "counsellor", "coordinator"])
def test_offer_detail(client, role, django_assert_max_num_queries):
    user = member(role, kind=OrganisationKind.EMPLOYER)
    offer = JobOfferFactory(organisation=organisation_of(user))

    def add(n):
        for i in range(n):
            person = followed_by(user) if role != "employer" and i % 2 else followed_by(member("counsellor"))
            profile = profile_of(person, appellations=("17993", "10880"))
            ContactRequestFactory(profile=profile, offer=offer, organisation=offer.organisation)

    client.force_login(user)
    _same_for_more(
        client, reverse("talent:offer", args=[offer.reference]), add, django_assert_max_num_queries
    )


def test_profile_page_of_a_member(client, counsellor, django_assert_max_num_queries):
    profile = profile_of(followed_by(counsellor), appellations=("17993", "10880"))

    def add(n):
        for _ in range(n):
            offer = JobOfferFactory()
            ContactRequestFactory(profile=profile, offer=offer, organisation=offer.organisation)

    client.force_login(counsellor)
    _same_for_more(
        client, reverse("talent:profile", args=[profile.reference]), add, django_assert_max_num_queries
    )


def test_profile_page_of_an_employer(client, employer, company, django_assert_max_num_queries):
    profile = profile_of(followed_by(member("counsellor")))

    def add(n):
        for _ in range(n):
            offer = JobOfferFactory(organisation=company)
            ContactRequestFactory(
                profile=profile, offer=offer, organisation=company, status="declinee", answer="Non."
            )

    client.force_login(employer)
    _same_for_more(
        client, reverse("talent:profile", args=[profile.reference]), add, django_assert_max_num_queries
    )


def test_contact_requests(client, django_assert_max_num_queries):
    user = member("counsellor")
    employer = member("employer", kind=OrganisationKind.EMPLOYER)

    def add(n):
        for _ in range(n):
            ContactRequestFactory(
                profile=profile_of(followed_by(user)),
                organisation=organisation_of(employer),
                requested_by=employer,
                answered_by=user,
            )

    for who in (user, employer):
        client.force_login(who)
        _same_for_more(client, reverse("talent:contact_requests"), add, django_assert_max_num_queries)
