"""Contact request pages: an employer asks from a profile, the referent answers, the employer reads the
answer (and the referent's professional address when the person agrees), or withdraws."""

import pytest
from django.urls import reverse
from django.utils import timezone

from cite_emploi.partners.models import OrganisationKind
from cite_emploi.talent.models import ContactRequest
from tests.accounts.factories import member
from tests.followup.factories import followed_by, organisation_of
from tests.talent.factories import ContactRequestFactory, JobOfferFactory, profile_of

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def referent():
    return member("counsellor")


@pytest.fixture
def profile(referent):
    return profile_of(followed_by(referent, first_name="Ximena", last_name="Zawadzka", phone="0612345678"))


@pytest.fixture
def employer():
    return member("employer", kind=OrganisationKind.EMPLOYER, name="Logistique du Port")


@pytest.fixture
def company(employer):
    return organisation_of(employer)


def test_the_whole_journey(
    client, profile, referent, employer, company, mailoutbox, django_capture_on_commit_callbacks
):
    offer = JobOfferFactory(organisation=company, title="Préparateur de quai")
    client.force_login(employer)
    url = reverse("talent:contact_create", args=[profile.reference])
    page = client.get(url + f"?offre={offer.reference}").content.decode()
    assert f'value="{offer.pk}" selected' in page and "Zawadzka" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"offer": offer.pk, "message": "Nous aimerions vous rencontrer."})
    assert response.url == reverse("talent:contact_requests")
    contact = ContactRequest.objects.get()
    assert contact.offer == offer and contact.organisation == company
    assert [m.to for m in mailoutbox] == [[referent.email]]
    page = client.get(reverse("talent:profile", args=[profile.reference])).content.decode()
    assert "Votre demande est en attente" in page

    client.force_login(referent)
    answer = reverse("talent:contact_answer", args=[contact.pk])
    page = client.get(answer).content.decode()
    assert "Nous aimerions vous rencontrer." in page and "Ximena Zawadzka" in page
    page = client.post(answer, {"decision": "accept", "answer": "Rendez-vous à l'agence."}).content.decode()
    assert "Indiquez la date à laquelle la personne a accepté." in page
    page = client.post(
        answer,
        {
            "decision": "accept",
            "person_agreed_on": TODAY().isoformat(),
            "answer": "Appelez-la au 06 12 34 56 78",
        },
    ).content.decode()
    assert "jamais les coordonnées de la personne" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            answer,
            {
                "decision": "accept",
                "person_agreed_on": TODAY().isoformat(),
                "answer": "Rendez-vous à l'agence mardi.",
            },
        )
    contact.refresh_from_db()
    assert contact.status == ContactRequest.Status.ACCEPTED
    assert mailoutbox[-1].to == [employer.email]

    client.force_login(employer)
    page = client.get(reverse("talent:contact_requests")).content.decode()
    assert "Rendez-vous à l&#x27;agence mardi." in page and referent.email in page
    assert "0612345678" not in page and "Zawadzka" not in page


def test_an_employer_withdraws_a_waiting_request(client, profile, employer, company):
    contact = ContactRequestFactory(profile=profile, organisation=company, requested_by=employer)
    client.force_login(employer)
    client.post(reverse("talent:contact_withdraw", args=[contact.pk]))
    assert ContactRequest.objects.get(pk=contact.pk).status == ContactRequest.Status.WITHDRAWN


def test_requests_of_other_employers_are_404(client, profile, employer):
    other = ContactRequestFactory(profile=profile)
    client.force_login(employer)
    assert client.post(reverse("talent:contact_withdraw", args=[other.pk])).status_code == 404
    assert str(other.organisation.name) not in client.get(reverse("talent:contact_requests")).content.decode()


def test_only_members_of_the_follow_up_read_a_request(client, profile):
    contact = ContactRequestFactory(profile=profile)
    client.force_login(member("counsellor"))
    assert client.get(reverse("talent:contact_answer", args=[contact.pk])).status_code == 404
    client.force_login(member("coordinator"))
    assert client.get(reverse("talent:contact_answer", args=[contact.pk])).status_code == 404


def test_the_referent_lists_the_requests_of_the_people_they_follow(client, profile, referent):
    mine = ContactRequestFactory(profile=profile)
    ContactRequestFactory(profile=profile_of(followed_by(member("counsellor"), last_name="Inconnue")))
    client.force_login(referent)
    page = client.get(reverse("talent:contact_requests")).content.decode()
    assert mine.organisation.name in page and "Inconnue" not in page
    assert reverse("talent:contact_answer", args=[mine.pk]) in page
    page = client.get(reverse("talent:contact_requests"), {"statut": "acceptee"}).content.decode()
    assert mine.organisation.name not in page


def test_a_second_request_from_the_same_employer_is_refused_with_a_message(
    client, profile, employer, company
):
    ContactRequestFactory(profile=profile, organisation=company, requested_by=employer)
    client.force_login(employer)
    page = client.post(
        reverse("talent:contact_create", args=[profile.reference]), {"message": "Encore nous."}
    ).content.decode()
    assert "déjà une demande en attente" in page
    assert ContactRequest.objects.count() == 1


def test_an_answered_request_cannot_be_answered_again(client, profile, referent):
    contact = ContactRequestFactory(
        profile=profile, status=ContactRequest.Status.DECLINED, answer="Non merci."
    )
    client.force_login(referent)
    response = client.post(
        reverse("talent:contact_answer", args=[contact.pk]), {"decision": "decline"}, follow=True
    )
    assert "déjà reçu une réponse" in response.content.decode()
