"""An employer never reaches a name, an address, a QPV, a beneficiary identifier or a follow-up page.

The person below has distinctive names, an address, a QPV, a France Travail id, a phone and an e-mail;
they have a published profile, an employer's offer and contact requests (one answered). The employer
opens every page of the CV library it may reach, every page of the platform that takes no argument,
the answers and e-mails it receives, and tries the person's follow-up pages and the CV: nothing of
the person's identity comes out.
"""

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cite_emploi.partners.models import OrganisationKind
from cite_emploi.talent import services
from cite_emploi.territory.models import QPV
from tests.accounts.factories import member
from tests.followup.factories import followed_by, organisation_of
from tests.talent.factories import JobOfferFactory, commune, profile_of
from tests.test_access_matrix import ADMIN_PREFIX, named_routes

pytestmark = pytest.mark.django_db

FIRST, LAST = "Ximena", "Zawadzka-Oyelaran"
ADDRESS = "17 rue des Glycines"
FT_ID = "FT8812345X"
PHONE, EMAIL = "06 98 76 54 32", "ximena.zo@exemple.net"
QPV_CODE = "QN09405M"
SKIPPED = {"accounts:logout"}  # POST only; nothing to read


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    referent = member("counsellor")
    qpv = QPV.objects.get(code=QPV_CODE, geography_year=2024)
    person = followed_by(
        referent,
        first_name=FIRST,
        last_name=LAST,
        address=ADDRESS,
        postcode="94000",
        commune=commune("94028"),
        qpv=qpv,
        in_perimeter=True,
        latitude=48.7781,
        longitude=2.4690,
        france_travail_id=FT_ID,
        phone=PHONE,
        email=EMAIL,
    )
    profile = profile_of(person)
    employer = member("employer", kind=OrganisationKind.EMPLOYER, name="Logistique du Port")
    company = organisation_of(employer)
    offer = JobOfferFactory(organisation=company, title="Préparateur de commandes (H/F)")
    with django_capture_on_commit_callbacks(execute=True):
        answered = services.request_contact(
            profile, by=employer, organisation=company, offer=offer, message="Entretien possible ?"
        )
        services.answer_contact(
            answered,
            by=referent,
            accept=True,
            answer="La personne est d'accord ; je vous propose un rendez-vous à l'agence.",
            person_agreed_on=timezone.localdate(),
        )
        services.request_contact(profile, by=employer, organisation=company, message="Et pour un CDD ?")
    return {
        "person": person,
        "qpv": qpv,
        "profile": profile,
        "employer": employer,
        "offer": offer,
        "referent": referent,
    }


def forbidden(world, *, reference_pages: bool = False) -> list[str]:
    """What of the person must not appear; pages of public reference data may name the QPV itself."""
    person, qpv = world["person"], world["qpv"]
    place = [] if reference_pages else [QPV_CODE, qpv.name, "Mesly", "Habette"]
    return [
        *place,
        FIRST,
        "Zawadzka",
        "Oyelaran",
        "Glycines",
        FT_ID,
        PHONE,
        PHONE.replace(" ", ""),
        EMAIL,
        f"/suivi/beneficiaires/{person.pk}/",
        "/suivi/",
        "fiche n°",
        "Suivi n°",
    ]


def assert_clean(text: str, world, where: str, *, reference_pages: bool = False) -> None:
    for secret in forbidden(world, reference_pages=reference_pages):
        assert secret not in text, f"{secret!r} leaks through {where}"


def talent_pages(world) -> list[str]:
    profile, offer = world["profile"], world["offer"]
    ref = profile.reference
    return [
        reverse("talent:home"),
        reverse("talent:search"),
        reverse("talent:search") + "?metier=17993&commune=94028&rayon=10",
        reverse("talent:search") + "?mots=commandes&rome=N1103&disponible=2099-01-01&contrats=cdi",
        reverse("talent:search") + "?metier_q=preparateur",
        reverse("talent:offer_rome_search") + "?q=preparateur",
        reverse("talent:offers"),
        reverse("talent:offer_create"),
        reverse("talent:offer", args=[offer.reference]),
        reverse("talent:offer_edit", args=[offer.reference]),
        reverse("talent:profile", args=[ref]),
        reverse("talent:contact_create", args=[ref]),
        reverse("talent:contact_requests"),
    ]


def test_no_talent_page_shows_the_persons_identity_to_an_employer(client, world):
    client.force_login(world["employer"])
    for url in talent_pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_clean(response.content.decode(), world, url)
    for url in (reverse("talent:search") + "?rome=N1103",):
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert_clean(response.content.decode(), world, url + " (htmx)")


def test_the_profile_carries_the_initial_and_the_reference_only(client, world):
    client.force_login(world["employer"])
    page = client.get(reverse("talent:profile", args=[world["profile"].reference])).content.decode()
    assert "X. — " in page and world["profile"].reference in page and "Créteil" in page


def test_no_page_of_the_platform_leaks_to_an_employer(client, world):
    """Every route that takes no argument: the employer gets a refusal or a page without the person."""
    client.force_login(world["employer"])
    for name in named_routes():
        if name.startswith(ADMIN_PREFIX) or name in SKIPPED:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        response = client.get(url)
        if response.status_code == 200 and not response.get("Content-Type", "").startswith("application/pdf"):
            body = b"".join(response) if response.streaming else response.content
            # The territory's pages list every QPV (public reference data): only the person is secret there.
            public = not name.startswith("talent:")
            assert_clean(body.decode("utf-8", errors="replace"), world, name, reference_pages=public)


def test_the_persons_follow_up_pages_and_cv_are_closed_to_an_employer(client, world):
    client.force_login(world["employer"])
    pk = world["person"].pk
    for url in (
        f"/suivi/beneficiaires/{pk}/",
        f"/suivi/beneficiaires/{pk}/export.json",
        f"/suivi/beneficiaires/{pk}/export.pdf",
        f"/suivi/beneficiaires/{pk}/modifier/",
        "/suivi/",
        reverse("talent:profile_cv", args=[world["profile"].reference]),
        reverse("talent:profile_cv", args=[world["profile"].reference]) + "?version=anonyme",
        reverse("talent:profile_edit", args=[world["profile"].reference]),
        reverse("talent:profile_create") + f"?beneficiary={pk}",
    ):
        assert client.get(url).status_code in (403, 404), url
    contact = world["profile"].contact_requests.first()
    assert client.get(reverse("talent:contact_answer", args=[contact.pk])).status_code == 403


def test_what_the_employer_receives_by_e_mail_is_clean(world, mailoutbox):
    to_employer = [m for m in mailoutbox if world["employer"].email in m.to]
    assert to_employer
    for message in to_employer:
        assert_clean(message.subject + message.body, world, f"e-mail « {message.subject} »")


def test_an_employer_of_another_organisation_sees_neither_offer_nor_requests(client, world):
    rival = member("employer", kind=OrganisationKind.EMPLOYER)
    client.force_login(rival)
    assert client.get(reverse("talent:offer", args=[world["offer"].reference])).status_code == 404
    page = client.get(reverse("talent:contact_requests")).content.decode()
    assert "Entretien possible ?" not in page and "Logistique du Port" not in page
