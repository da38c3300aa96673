"""Referral pages: the inbox of the receiving organisation and what it may see, the referral page,
creation from the catalogue, the answers, the statistics page."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.followup import referrals, services
from cite_emploi.followup.models import Barrier, Referral
from cite_emploi.territory.models import Commune
from tests.accounts.factories import member
from tests.followup.factories import add_member, followed_by, organisation_of
from tests.followup.test_referrals import professional_of
from tests.partners.factories import OrganisationFactory, saved_service

Status = Referral.Status


@pytest.fixture
def sender(db):
    return member("counsellor")


@pytest.fixture
def service(db):
    return saved_service(organisation=OrganisationFactory(name="Régie de quartier"), name="Atelier CV")


@pytest.fixture
def receiver(service):
    return professional_of(service.organisation)


@pytest.fixture
def person(sender):
    creteil = Commune.objects.get(code="94028")
    return followed_by(
        sender,
        first_name="Inès",
        last_name="Belkacem",
        birth_date=date(2003, 5, 17),
        phone="0601020304",
        address="12 rue des Écoles",
        commune=creteil,
    )


def send(person, service, sender, message="Cherche un atelier CV, disponible le matin."):
    return referrals.create_referral(person.follow_up, service, by=sender, message=message, send=True)


def test_the_inbox_shows_the_minimum_about_the_person(client, person, service, sender, receiver):
    Barrier.objects.create(
        follow_up=person.follow_up, thematique="sante--accompagnement-sante", category="sante"
    )
    referral = send(person, service, sender)
    client.force_login(receiver)
    page = client.get(reverse("followup:inbox")).content.decode()
    assert "Inès Belkacem" in page
    assert "Jeunes (moins de 26 ans)" in page
    assert "Créteil" in page
    assert "Cherche un atelier CV" in page
    assert reverse("followup:referral_detail", args=[referral.pk]) in page
    for private in ("0601020304", "12 rue des Écoles", "17/05/2003", "2003", "sante"):
        assert private not in page
    detail = client.get(reverse("followup:referral_detail", args=[referral.pk])).content.decode()
    assert "Inès Belkacem" in detail and "Cherche un atelier CV" in detail
    for private in ("0601020304", "12 rue des Écoles", "2003", "sante"):
        assert private not in detail
    assert reverse("followup:beneficiary", args=[person.pk]) not in detail


def test_the_receiver_sees_nothing_else_of_the_person(client, person, service, sender, receiver):
    referral = send(person, service, sender)
    elsewhere = send(person, saved_service(), sender)  # addressed to another organisation
    draft = referrals.create_referral(
        person.follow_up, saved_service(organisation=service.organisation), by=sender
    )  # not sent yet
    client.force_login(receiver)
    assert client.get(reverse("followup:referral_detail", args=[referral.pk])).status_code == 200
    for pk in (elsewhere.pk, draft.pk):
        assert client.get(reverse("followup:referral_detail", args=[pk])).status_code == 404
    for name in ("beneficiary", "beneficiary_edit", "export_pdf"):
        assert client.get(reverse(f"followup:{name}", args=[person.pk])).status_code == 404, name
    inbox = client.get(reverse("followup:inbox")).content.decode()
    assert inbox.count("Inès Belkacem") == 1
    assert "Orientations de mes bénéficiaires" in inbox
    assert "Inès Belkacem" not in client.get(reverse("followup:referral_list")).content.decode()


def test_other_professionals_see_nothing(client, person, service, sender, receiver):
    referral = send(person, service, sender)
    for outsider in (member("counsellor"), member("coordinator")):
        client.force_login(outsider)
        assert client.get(reverse("followup:referral_detail", args=[referral.pk])).status_code == 404
        assert "Belkacem" not in client.get(reverse("followup:inbox")).content.decode()
    client.force_login(member("elected"))
    assert client.get(reverse("followup:inbox")).status_code == 403


def test_a_closed_referral_leaves_the_receivers_sight(client, person, service, sender, receiver):
    referral = send(person, service, sender)
    client.force_login(receiver)
    response = client.post(reverse("followup:referral_refuse", args=[referral.pk]), {"reason": "complet"})
    assert response.status_code == 302 and response["Location"] == reverse("followup:inbox")
    assert client.get(reverse("followup:referral_detail", args=[referral.pk])).status_code == 404
    assert "Belkacem" not in client.get(reverse("followup:inbox")).content.decode()
    # The sender, a member of the follow-up, still reads it and its reason.
    client.force_login(sender)
    page = client.get(reverse("followup:referral_detail", args=[referral.pk])).content.decode()
    assert "Plus de place disponible" in page


def test_withdrawn_consent_or_anonymisation_hides_the_referral(client, person, service, sender, receiver):
    referral = send(person, service, sender)
    services.withdraw_consent(person, by=sender)
    client.force_login(receiver)
    assert client.get(reverse("followup:referral_detail", args=[referral.pk])).status_code == 404
    other = followed_by(sender)
    second = send(other, service, sender)
    services.anonymise_beneficiary(other, by=sender)
    assert client.get(reverse("followup:referral_detail", args=[second.pk])).status_code == 404
    assert "Belkacem" not in client.get(reverse("followup:inbox")).content.decode()


def test_accepting_and_joining_opens_the_record(client, person, service, sender, receiver):
    referral = send(person, service, sender)
    client.force_login(receiver)
    response = client.post(reverse("followup:referral_accept", args=[referral.pk]), {"join": "on"})
    assert response["Location"] == reverse("followup:referral_detail", args=[referral.pk])
    assert client.get(reverse("followup:beneficiary", args=[person.pk])).status_code == 200
    page = client.get(reverse("followup:referral_detail", args=[referral.pk])).content.decode()
    assert "La personne a commencé" in page
    client.post(reverse("followup:referral_start", args=[referral.pk]), {"note": "Premier atelier"})
    client.post(reverse("followup:referral_complete", args=[referral.pk]))
    referral.refresh_from_db()
    assert referral.status == Status.COMPLETED
    assert referral.events.get(status=Status.STARTED).note == "Premier atelier"


def test_accepted_referrals_stay_in_the_inbox_until_closed(client, person, service, sender, receiver):
    referral = send(person, service, sender)
    referrals.accept_referral(referral, by=receiver)
    client.force_login(receiver)
    page = client.get(reverse("followup:inbox")).content.decode()
    assert "Acceptées, en cours" in page and "Belkacem" in page
    client.post(reverse("followup:referral_abandon", args=[referral.pk]))
    assert "Belkacem" not in client.get(reverse("followup:inbox")).content.decode()


def test_refusing_without_a_reason_is_a_form_error(client, person, service, sender, receiver):
    referral = send(person, service, sender)
    client.force_login(receiver)
    response = client.post(reverse("followup:referral_refuse", args=[referral.pk]), {"reason": "autre"})
    assert response.status_code == 400
    assert "Précisez le motif du refus." in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Status.SENT


def test_a_wrong_step_is_a_message_not_an_error(client, person, service, sender, receiver):
    referral = send(person, service, sender)
    client.force_login(receiver)
    response = client.post(reverse("followup:referral_complete", args=[referral.pk]), follow=True)
    assert response.status_code == 200
    assert "Seule une orientation commencée" in response.content.decode()


def test_the_sender_cannot_answer(client, person, service, sender, receiver):
    referral = send(person, service, sender)
    client.force_login(sender)
    response = client.post(reverse("followup:referral_accept", args=[referral.pk]), follow=True)
    assert "Seuls les professionnels de « Régie de quartier »" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Status.SENT
    assert client.get(reverse("followup:referral_accept", args=[referral.pk])).status_code == 405


def test_create_from_the_catalogue_with_both_preset(client, person, service, sender, receiver):
    client.force_login(sender)
    url = reverse("followup:referral_create") + f"?service={service.pk}&beneficiary={person.pk}"
    page = client.get(url).content.decode()
    assert "Atelier CV" in page and "Régie de quartier" in page
    assert f'value="{person.pk}" selected' in page and f'value="{service.pk}" selected' in page
    response = client.post(
        url, {"beneficiary": person.pk, "service": service.pk, "message": "Bonjour", "action": "send"}
    )
    referral = Referral.objects.get(follow_up=person.follow_up)
    assert response["Location"] == reverse("followup:referral_detail", args=[referral.pk])
    assert referral.status == Status.SENT and referral.message == "Bonjour"


def test_create_a_draft_with_a_barrier(client, person, service, sender):
    barrier = Barrier.objects.create(
        follow_up=person.follow_up, thematique="mobilite--etre-mobile", category="mobilite"
    )
    client.force_login(sender)
    url = reverse("followup:referral_create") + f"?beneficiary={person.pk}"
    client.post(
        url, {"beneficiary": person.pk, "service": service.pk, "barrier": barrier.pk, "action": "draft"}
    )
    referral = Referral.objects.get(follow_up=person.follow_up)
    assert referral.status == Status.DRAFT and referral.barrier == barrier


def test_create_without_consent_warns_and_refuses_to_send(client, sender, service):
    person = followed_by(sender, consent=False)
    client.force_login(sender)
    url = reverse("followup:referral_create") + f"?service={service.pk}&beneficiary={person.pk}"
    assert "Consentement à recueillir" in client.get(url).content.decode()
    response = client.post(url, {"beneficiary": person.pk, "service": service.pk, "action": "send"})
    assert response.status_code == 200
    assert "abord son consentement" in response.content.decode()
    assert not Referral.objects.exists()


def test_create_for_someone_else_s_beneficiary_is_404(client, person, service):
    client.force_login(member("counsellor"))
    url = reverse("followup:referral_create") + f"?service={service.pk}&beneficiary={person.pk}"
    assert client.get(url).status_code == 404
    response = client.post(
        reverse("followup:referral_create"),
        {"beneficiary": person.pk, "service": service.pk, "action": "send"},
    )
    assert response.status_code == 200 and not Referral.objects.exists()


def test_create_with_a_service_of_another_territory_is_404(client, person, sender, other_territory):
    foreign = saved_service(organisation=OrganisationFactory(territory=other_territory))
    client.force_login(sender)
    assert client.get(reverse("followup:referral_create") + f"?service={foreign.pk}").status_code == 404


def test_reading_the_inbox_is_audited(client, person, service, sender, receiver):
    send(person, service, sender)
    client.force_login(receiver)
    client.get(reverse("followup:inbox"))
    assert AuditEntry.objects.filter(
        actor=receiver, action="read", object_type="followup.beneficiary", object_id=str(person.pk)
    ).exists()


def test_the_inbox_costs_the_same_number_of_queries_for_more_referrals(client, service, sender, receiver):
    def queries_for_inbox():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("followup:inbox")).status_code == 200
        return len(ctx)

    for _ in range(2):
        referral = send(followed_by(sender), service, sender)
    referrals.accept_referral(referral, by=receiver)
    send(followed_by(sender), service, sender)
    client.force_login(receiver)
    few = queries_for_inbox()
    for _ in range(6):
        referral = send(followed_by(sender), service, sender)
    referrals.accept_referral(referral, by=receiver)
    assert queries_for_inbox() == few


def test_a_receiver_of_two_organisations_filters_the_inbox(client, person, service, sender, receiver):
    second = saved_service(name="Permanence emploi")
    from cite_emploi.accounts.models import Membership

    Membership.objects.create(user=receiver, organisation=second.organisation, role="counsellor")
    send(person, service, sender)
    send(followed_by(sender, last_name="Diallo"), second, sender)
    client.force_login(receiver)
    page = client.get(reverse("followup:inbox")).content.decode()
    assert "Belkacem" in page and "Diallo" in page
    page = client.get(reverse("followup:inbox") + f"?organisation={second.organisation_id}").content.decode()
    assert "Belkacem" not in page and "Diallo" in page


def test_referral_list_shows_the_referrals_of_my_beneficiaries(client, person, service, sender):
    colleague = member("counsellor")
    add_member(person, colleague)
    send(person, service, sender)
    client.force_login(colleague)
    page = client.get(reverse("followup:referral_list")).content.decode()
    assert "Belkacem" in page and "Atelier CV" in page
    assert (
        "Belkacem" not in client.get(reverse("followup:referral_list") + "?statut=refused").content.decode()
    )


def test_the_person_s_page_lists_the_referrals_with_their_status(client, person, service, sender):
    send(person, service, sender)
    client.force_login(sender)
    html = client.get(reverse("followup:beneficiary", args=[person.pk])).content.decode()
    assert "Atelier CV" in html
    assert '<span class="fr-badge fr-badge--sm fr-badge--no-icon fr-badge--info">Envoyée</span>' in html
    assert f"?beneficiary={person.pk}" in html


def test_the_statistics_page_is_for_coordinators(client, person, service, sender, receiver):
    referral = send(person, service, sender)
    referrals.accept_referral(referral, by=receiver)
    client.force_login(member("counsellor"))
    assert client.get(reverse("followup:referral_stats")).status_code == 403
    client.force_login(member("coordinator"))
    page = client.get(reverse("followup:referral_stats")).content.decode()
    assert "Régie de quartier" in page
    assert "secret" in page and "&lt; 5" not in page and "non diffusé" in page
    today = timezone.localdate()
    page = client.get(
        reverse("followup:referral_stats"), {"du": today + timedelta(days=1), "au": today + timedelta(days=2)}
    ).content.decode()
    assert "Régie de quartier" not in page


def test_sender_organisation_is_the_members(person, service, sender):
    referral = send(person, service, sender)
    assert referral.sender_organisation == organisation_of(sender)


def test_the_person_s_page_shows_the_referrals_panel(client, person, service, sender):
    send(person, service, sender)
    client.force_login(sender)
    page = client.get(reverse("followup:beneficiary", args=[person.pk])).content.decode()
    assert "Orienter vers un service" in page and "Atelier CV" in page
