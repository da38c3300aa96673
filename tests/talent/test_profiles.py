"""Talent profiles: written by a member of the follow-up with the person's agreement, anonymised,
published, suspended, withdrawn. Each rule is a service rule; the pages are tested in test_views."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.followup.models import TimelineEvent
from cite_emploi.talent import services
from cite_emploi.talent.models import ContactRequest, TalentProfile
from cite_emploi.territory.centres import commune_centre
from tests.accounts.factories import member
from tests.followup.factories import add_member, followed_by
from tests.talent.factories import ContactRequestFactory, appellation, commune, profile_of

TODAY = timezone.localdate


@pytest.fixture
def counsellor(db):
    return member("counsellor")


@pytest.fixture
def person(counsellor):
    return followed_by(
        counsellor,
        first_name="Ximena",
        last_name="Zawadzka",
        email="ximena.z@exemple.net",
        phone="06 12 34 56 78",
        address="17 rue des Glycines",
        france_travail_id="FT4455667",
        commune=commune("94028"),
    )


def data(**changes):
    values = {
        "headline": "Préparatrice de commandes, CACES 1",
        "appellations": [appellation("17993")],
        "skills": ["Préparation de commandes", " CACES  1 ", "caces 1"],
        "experience_summary": "Trois ans en entrepôt.",
        "languages": ["Français", "Polonais"],
        "driving_licence": True,
        "vehicle": False,
        "mobility_km": 15,
        "available_from": None,
        "working_time": "temps-plein",
        "contracts": ["cdi", "cdd"],
        "commune": commune("94028"),
    }
    return values | changes


def create(person, by, **changes):
    return services.create_profile(person.follow_up, by=by, data=data(**changes), consent_given_on=TODAY())


def test_a_member_creates_an_anonymised_draft_with_the_persons_agreement(person, counsellor):
    profile = create(person, counsellor)
    assert profile.status == TalentProfile.Status.DRAFT
    assert profile.initial == "X"
    assert profile.consent_given_on == TODAY() and profile.consent_recorded_by == counsellor
    assert (profile.latitude, profile.longitude) == commune_centre(commune("94028"))
    assert profile.skills == ["Préparation de commandes", "CACES 1"]
    job = profile.jobs.get()
    assert (job.rome_code, job.domain) == ("N1103", "N11")
    assert "caces" in profile.search_text and "preparateur" in profile.search_text
    assert "zawadzka" not in profile.search_text.lower()
    event = TimelineEvent.objects.get(follow_up=person.follow_up, kind=TimelineEvent.Kind.CONSENT)
    assert profile.reference in event.text
    assert AuditEntry.objects.filter(
        action="create", object_type="talent.talentprofile", object_id=str(profile.pk)
    ).exists()


def test_the_point_is_the_communes_centre_never_the_address(person, counsellor):
    person.latitude, person.longitude = 48.7712, 2.4633
    person.save()
    profile = create(person, counsellor, commune=commune("94011"))
    assert (profile.latitude, profile.longitude) == commune_centre(commune("94011"))
    assert (profile.latitude, profile.longitude) != (48.7712, 2.4633)


def test_without_the_date_of_the_agreement_no_profile(person, counsellor):
    with pytest.raises(services.TalentError, match="accord"):
        services.create_profile(person.follow_up, by=counsellor, data=data(), consent_given_on=None)
    with pytest.raises(services.TalentError, match="futur"):
        services.create_profile(
            person.follow_up, by=counsellor, data=data(), consent_given_on=TODAY() + timedelta(days=1)
        )
    assert not TalentProfile.objects.exists()


def test_only_a_member_of_the_follow_up_writes_the_profile(person):
    with pytest.raises(services.TalentError, match="membres du suivi"):
        create(person, member("counsellor"))
    with pytest.raises(services.TalentError, match="membres du suivi"):
        create(person, member("coordinator"))


def test_one_profile_per_person(person, counsellor):
    create(person, counsellor)
    with pytest.raises(services.TalentError, match="déjà un profil"):
        create(person, counsellor)


def test_a_closed_follow_up_gets_no_new_profile(person, counsellor):
    person.follow_up.status = "closed"
    person.follow_up.save()
    with pytest.raises(services.TalentError, match="clos"):
        create(person, counsellor)


@pytest.mark.parametrize(
    ("field", "text", "found"),
    [
        ("headline", "Mme Zawadzka, préparatrice", "nom de famille"),
        ("headline", "ZAWADZKA préparatrice", "nom de famille"),
        ("experience_summary", "Ximena a travaillé trois ans en entrepôt.", "prénom"),
        ("experience_summary", "Joignable au 06.12.34.56.78", "téléphone"),
        ("experience_summary", "Écrire à ximena.z@exemple.net", "adresse électronique"),
        ("experience_summary", "Habite 17 rue des glycines", "adresse"),
        ("experience_summary", "Identifiant FT4455667", "France Travail"),
        ("experience_summary", "Contact : quelquun@autre.fr", "adresse électronique"),
        ("experience_summary", "Appeler le 01 43 22 11 00", "numéro de téléphone"),
    ],
)
def test_text_that_identifies_the_person_is_refused_naming_the_field(person, counsellor, field, text, found):
    with pytest.raises(services.TalentError) as error:
        create(person, counsellor, **{field: text})
    label = services.PROFILE_LABELS[field]
    assert f"« {label} »" in error.value.message and found in error.value.message
    assert not TalentProfile.objects.exists()


def test_skills_naming_the_person_are_refused_too(person, counsellor):
    with pytest.raises(services.TalentError, match="« Compétences »"):
        create(person, counsellor, skills=["Cariste", "Recommandée par Zawadzka senior"])


def test_ordinary_text_is_not_mistaken_for_a_name(person, counsellor):
    profile = create(
        person,
        counsellor,
        headline="Préparatrice de commandes, trois ans en entrepôt",
        experience_summary="CACES 1 et 3 obtenus en 2021 ; 35 heures par semaine ; 1 200 colis par jour.",
    )
    assert profile.pk


def test_profile_needs_a_job_a_headline_and_a_commune_of_the_territory(person, counsellor, other_territory):
    with pytest.raises(services.TalentError, match="métier"):
        create(person, counsellor, appellations=[])
    with pytest.raises(services.TalentError, match="titre"):
        create(person, counsellor, headline="  ")
    outside = other_territory.communes.first() or commune("75056")
    with pytest.raises(services.TalentError, match="territoire"):
        create(person, counsellor, commune=outside)
    with pytest.raises(services.TalentError, match="contrat"):
        create(person, counsellor, contracts=["stage"])


def test_update_rewrites_jobs_and_search_text(person, counsellor):
    profile = create(person, counsellor)
    services.update_profile(
        profile,
        by=counsellor,
        data=data(appellations=[appellation("17993"), appellation("10880")], headline="Agent polyvalent"),
    )
    profile.refresh_from_db()
    assert set(profile.jobs.values_list("appellation__code", flat=True)) == {"17993", "10880"}
    assert "agent polyvalent" in profile.search_text
    assert AuditEntry.objects.filter(action="update", object_id=str(profile.pk)).exists()


def test_publish_then_suspend(person, counsellor):
    profile = create(person, counsellor)
    services.publish_profile(profile, by=counsellor)
    profile.refresh_from_db()
    assert profile.status == TalentProfile.Status.PUBLISHED and profile.published_at is not None
    assert profile.is_visible_to_employers
    with pytest.raises(services.TalentError, match="déjà publié"):
        services.publish_profile(profile, by=counsellor)
    services.suspend_profile(profile, by=counsellor)
    profile.refresh_from_db()
    assert profile.status == TalentProfile.Status.SUSPENDED and not profile.is_visible_to_employers
    with pytest.raises(services.TalentError, match="publié"):
        services.suspend_profile(profile, by=counsellor)


def test_another_member_of_the_follow_up_may_publish(person, counsellor):
    colleague = member("counsellor")
    add_member(person, colleague)
    profile = create(person, counsellor)
    services.publish_profile(profile, by=colleague)
    assert TalentProfile.objects.get(pk=profile.pk).status == TalentProfile.Status.PUBLISHED


def test_withdrawing_the_agreement_suspends_at_once_and_closes_waiting_requests(
    person, counsellor, mailoutbox, django_capture_on_commit_callbacks
):
    profile = profile_of(person)
    employer = member("employer")
    waiting = ContactRequestFactory(profile=profile, requested_by=employer)
    answered = ContactRequestFactory(profile=profile, status=ContactRequest.Status.ACCEPTED)
    with pytest.raises(services.TalentError, match="membres du suivi"):
        services.withdraw_consent(profile, by=member("counsellor"))
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_consent(profile, by=counsellor)
    profile.refresh_from_db()
    assert profile.consent_withdrawn_on == TODAY() and profile.status == TalentProfile.Status.SUSPENDED
    waiting.refresh_from_db()
    answered.refresh_from_db()
    assert waiting.status == ContactRequest.Status.DECLINED and "retiré son accord" in waiting.answer
    assert answered.status == ContactRequest.Status.ACCEPTED
    assert [m.to for m in mailoutbox] == [[employer.email]]
    assert profile.reference in mailoutbox[0].subject and "Zawadzka" not in mailoutbox[0].body
    with pytest.raises(services.TalentError, match="nouvel accord"):
        services.publish_profile(profile, by=counsellor)
    with pytest.raises(services.TalentError, match="déjà retiré"):
        services.withdraw_consent(profile, by=counsellor)


def test_a_new_agreement_after_a_withdrawal_allows_publishing_again(person, counsellor):
    profile = profile_of(person)
    services.withdraw_consent(profile, by=counsellor)
    with pytest.raises(services.TalentError, match="accord"):
        services.renew_consent(profile, by=counsellor, given_on=None)
    services.renew_consent(profile, by=counsellor, given_on=TODAY())
    services.publish_profile(profile, by=counsellor)
    profile.refresh_from_db()
    assert profile.is_visible_to_employers and profile.consent_recorded_by == counsellor
    with pytest.raises(services.TalentError, match="en cours"):
        services.renew_consent(profile, by=counsellor, given_on=TODAY())


def test_the_person_panel_shows_the_profile_to_members_only(person, counsellor, client):
    profile = profile_of(person)
    client.force_login(counsellor)
    page = client.get(f"/suivi/beneficiaires/{person.pk}/").content.decode()
    assert "Valorisation du CV" in page and profile.reference in page
    other = followed_by(counsellor)
    page = client.get(f"/suivi/beneficiaires/{other.pk}/").content.decode()
    assert f"/cvtheque/profils/nouveau/?beneficiary={other.pk}" in page
