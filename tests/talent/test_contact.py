"""Contact requests: an employer asks, the referent answers with the person's agreement, the employer
never receives the person's details. Services and e-mails; the pages are in test_contact_views."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.followup.models import TimelineEvent
from cite_emploi.partners.models import OrganisationKind
from cite_emploi.talent import services
from cite_emploi.talent.models import ContactRequest, JobOffer, TalentProfile
from tests.accounts.factories import member
from tests.followup.factories import add_member, followed_by, organisation_of
from tests.talent.factories import ContactRequestFactory, JobOfferFactory, profile_of

TODAY = timezone.localdate


@pytest.fixture
def referent(db):
    return member("counsellor")


@pytest.fixture
def person(referent):
    return followed_by(
        referent, first_name="Ximena", last_name="Zawadzka", phone="0612345678", email="xz@exemple.net"
    )


@pytest.fixture
def profile(person):
    return profile_of(person)


@pytest.fixture
def employer(db):
    return member("employer", kind=OrganisationKind.EMPLOYER, name="Logistique du Port")


@pytest.fixture
def company(employer):
    return organisation_of(employer)


def ask(profile, employer, company, capture=None, **fields):
    fields = {"message": "Nous recrutons en CDI, pouvons-nous rencontrer cette personne ?"} | fields
    if capture is None:
        return services.request_contact(profile, by=employer, organisation=company, **fields)
    with capture(execute=True):
        return services.request_contact(profile, by=employer, organisation=company, **fields)


def test_an_employer_asks_and_the_referent_is_told_without_the_persons_name(
    profile, employer, company, referent, mailoutbox, django_capture_on_commit_callbacks
):
    offer = JobOfferFactory(organisation=company)
    contact = ask(profile, employer, company, django_capture_on_commit_callbacks, offer=offer)
    assert contact.status == ContactRequest.Status.PENDING and contact.offer == offer
    assert contact.requested_by == employer
    [email] = mailoutbox
    assert email.to == [referent.email]
    assert profile.reference in email.subject and "Logistique du Port" in email.body
    assert f"/cvtheque/mises-en-relation/{contact.pk}/reponse/" in email.body
    assert "Ximena" not in email.body and "Zawadzka" not in email.body
    event = TimelineEvent.objects.get(follow_up=profile.follow_up, kind=TimelineEvent.Kind.CONTACT)
    assert "Logistique du Port" in event.text
    assert AuditEntry.objects.filter(object_type="talent.contactrequest", object_id=str(contact.pk)).exists()


def test_without_an_active_referent_every_member_is_told(
    profile, employer, company, referent, mailoutbox, django_capture_on_commit_callbacks
):
    colleague = member("counsellor")
    add_member(profile.follow_up.beneficiary, colleague)
    profile.follow_up.members.filter(user=referent).update(is_referent=False)
    ask(profile, employer, company, django_capture_on_commit_callbacks)
    assert sorted(mailoutbox[0].to) == sorted([referent.email, colleague.email])


def test_only_an_employer_of_the_organisation_may_ask(profile, company):
    with pytest.raises(services.TalentError, match="employeur de cette organisation"):
        ask(profile, member("counsellor"), company)
    with pytest.raises(services.TalentError, match="employeur de cette organisation"):
        ask(profile, member("employer"), company)


def test_no_request_on_a_profile_employers_cannot_see(profile, employer, company, referent):
    services.suspend_profile(profile, by=referent)
    with pytest.raises(services.TalentError, match="plus disponible"):
        ask(profile, employer, company)
    other = profile_of(followed_by(referent), consent_withdrawn_on=TODAY())
    with pytest.raises(services.TalentError, match="plus disponible"):
        ask(other, employer, company)


def test_a_request_needs_a_message_and_an_open_offer_of_ones_own(profile, employer, company):
    with pytest.raises(services.TalentError, match="message"):
        ask(profile, employer, company, message="  ")
    with pytest.raises(services.TalentError, match="offre ouverte"):
        ask(profile, employer, company, offer=JobOfferFactory())
    closed = JobOfferFactory(organisation=company, status=JobOffer.Status.CLOSED)
    with pytest.raises(services.TalentError, match="offre ouverte"):
        ask(profile, employer, company, offer=closed)


def test_one_waiting_request_per_organisation_and_profile(profile, employer, company):
    ask(profile, employer, company)
    with pytest.raises(services.TalentError, match="déjà une demande en attente"):
        ask(profile, employer, company)


def test_accepting_needs_the_date_the_person_agreed(profile, employer, company, referent):
    contact = ask(profile, employer, company)
    with pytest.raises(services.TalentError, match="date"):
        services.answer_contact(contact, by=referent, accept=True, answer="Rendez-vous à l'agence.")
    with pytest.raises(services.TalentError, match="futur"):
        services.answer_contact(
            contact,
            by=referent,
            accept=True,
            answer="Rendez-vous à l'agence.",
            person_agreed_on=TODAY() + timedelta(days=2),
        )
    with pytest.raises(services.TalentError, match="avant"):
        services.answer_contact(
            contact,
            by=referent,
            accept=True,
            answer="Rendez-vous à l'agence.",
            person_agreed_on=TODAY() - timedelta(days=3),
        )
    assert ContactRequest.objects.get(pk=contact.pk).status == ContactRequest.Status.PENDING


def test_the_referent_accepts_and_the_employer_gets_the_referent_not_the_person(
    profile, employer, company, referent, mailoutbox, django_capture_on_commit_callbacks
):
    contact = ask(profile, employer, company)
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_contact(
            contact,
            by=referent,
            accept=True,
            answer="La personne est d'accord : je vous propose un entretien à l'agence, appelez-moi au 01 45 00 00 00.",
            person_agreed_on=TODAY(),
        )
    contact.refresh_from_db()
    assert contact.status == ContactRequest.Status.ACCEPTED and contact.person_agreed_on == TODAY()
    assert contact.answered_by == referent and contact.answered_at is not None
    [email] = mailoutbox
    assert email.to == [employer.email] and "accepte" in email.body
    assert referent.email in email.body and "01 45 00 00 00" in email.body
    for detail in ("Ximena", "Zawadzka", "0612345678", "06 12 34 56 78", "xz@exemple.net"):
        assert detail not in email.body
    assert TimelineEvent.objects.filter(
        follow_up=profile.follow_up, kind=TimelineEvent.Kind.CONTACT, text__contains="acceptée"
    ).exists()


@pytest.mark.parametrize(
    "answer",
    [
        "Appelez-la au 06 12 34 56 78.",
        "Son courriel : xz@exemple.net",
        "Mme Zawadzka vous attend mardi.",
        "Ximena vous attend mardi.",
    ],
)
def test_an_answer_carrying_the_persons_details_is_refused(profile, employer, company, referent, answer):
    contact = ask(profile, employer, company)
    with pytest.raises(services.TalentError, match="jamais les coordonnées"):
        services.answer_contact(contact, by=referent, accept=True, answer=answer, person_agreed_on=TODAY())
    assert ContactRequest.objects.get(pk=contact.pk).status == ContactRequest.Status.PENDING


def test_declining_needs_no_date_and_says_so_politely(
    profile, employer, company, referent, mailoutbox, django_capture_on_commit_callbacks
):
    contact = ask(profile, employer, company)
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_contact(contact, by=referent, accept=False, answer="")
    contact.refresh_from_db()
    assert contact.status == ContactRequest.Status.DECLINED and contact.person_agreed_on is None
    assert "ne donne pas suite" in contact.answer
    assert "pas de suite" in mailoutbox[0].subject and referent.email not in mailoutbox[0].body
    with pytest.raises(services.TalentError, match="déjà reçu une réponse"):
        services.answer_contact(contact, by=referent, accept=False, answer="")


def test_only_a_member_of_the_follow_up_answers(profile, employer, company):
    contact = ask(profile, employer, company)
    for outsider in (member("counsellor"), member("coordinator"), employer):
        with pytest.raises(services.TalentError, match="membres du suivi"):
            services.answer_contact(contact, by=outsider, accept=False, answer="")


def test_the_employer_withdraws_a_waiting_request_only(profile, employer, company, referent):
    contact = ask(profile, employer, company)
    with pytest.raises(services.TalentError, match="organisation qui a fait la demande"):
        services.withdraw_contact(contact, by=member("employer"))
    services.withdraw_contact(contact, by=employer)
    contact.refresh_from_db()
    assert contact.status == ContactRequest.Status.WITHDRAWN
    with pytest.raises(services.TalentError, match="en attente"):
        services.withdraw_contact(contact, by=employer)
    with pytest.raises(services.TalentError, match="déjà reçu une réponse"):
        services.answer_contact(contact, by=referent, accept=False, answer="")


def test_a_request_of_a_left_employer_is_answered_to_its_colleagues(
    profile, company, referent, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.accounts.factories import MembershipFactory

    gone = MembershipFactory(organisation=company, role="employer").user
    colleague = MembershipFactory(organisation=company, role="employer").user
    contact = ContactRequestFactory(profile=profile, organisation=company, requested_by=gone)
    gone.is_active = False
    gone.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_contact(contact, by=referent, accept=False, answer="")
    assert colleague.email in mailoutbox[0].to and gone.email not in mailoutbox[0].to


def test_a_suspended_profile_can_still_be_answered(profile, employer, company, referent):
    contact = ask(profile, employer, company)
    services.suspend_profile(profile, by=referent)
    services.answer_contact(
        contact, by=referent, accept=True, answer="Rendez-vous à l'agence.", person_agreed_on=TODAY()
    )
    assert TalentProfile.objects.get(pk=profile.pk).status == TalentProfile.Status.SUSPENDED
    assert ContactRequest.objects.get(pk=contact.pk).status == ContactRequest.Status.ACCEPTED
