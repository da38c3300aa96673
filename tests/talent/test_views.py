"""Pages of the CV library: home by role, writing a profile, search, offers and their ranked profiles."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.followup.models import ProfessionalProject
from cite_emploi.partners.models import OrganisationKind
from cite_emploi.talent.models import ContactRequest, JobOffer, TalentProfile
from cite_emploi.talent.text import profile_search_text
from tests.accounts.factories import member
from tests.followup.factories import followed_by, organisation_of
from tests.partners.factories import OrganisationFactory
from tests.talent.factories import ContactRequestFactory, JobOfferFactory, appellation, commune, profile_of

TODAY = timezone.localdate
pytestmark = pytest.mark.django_db
CRETEIL, BONNEUIL, SUCY = "94028", "94011", "94071"


@pytest.fixture
def counsellor(db):
    return member("counsellor")


@pytest.fixture
def employer(db):
    return member("employer", kind=OrganisationKind.EMPLOYER, name="Logistique du Port")


@pytest.fixture
def company(employer):
    return organisation_of(employer)


def indexed(profile):
    """The folded text search reads, as the services write it (the factory leaves it empty)."""
    jobs = [job.appellation.label for job in profile.jobs.select_related("appellation")]
    profile.search_text = profile_search_text(
        profile.headline, profile.skills, profile.experience_summary, jobs
    )
    profile.save(update_fields=["search_text"])
    return profile


def profile_form(**changes):
    values = {
        "consent_given_on": TODAY().isoformat(),
        "consent_confirmed": "on",
        "headline": "Préparateur de commandes, CACES 1",
        "appellations": ["17993"],
        "skills": "Préparation de commandes\nCACES 1",
        "experience_summary": "Deux ans en entrepôt.",
        "languages": "Français, Tamoul",
        "mobility_km": "12",
        "working_time": "indifferent",
        "contracts": ["cdi"],
        "commune": str(commune(CRETEIL).pk),
    }
    return values | changes


# --- home ---------------------------------------------------------------------------------------


def test_home_of_a_counsellor_lists_the_people_they_follow_with_their_profile(client, counsellor):
    with_profile = profile_of(followed_by(counsellor, last_name="Avecprofil"))
    without = followed_by(counsellor, last_name="Sansprofil")
    stranger = followed_by(member("counsellor"), last_name="Inconnue")
    profile_of(stranger)
    ContactRequestFactory(profile=with_profile)
    client.force_login(counsellor)
    page = client.get(reverse("talent:home")).content.decode()
    assert "Avecprofil" in page and with_profile.reference in page
    assert f"{reverse('talent:profile_create')}?beneficiary={without.pk}" in page
    assert "Inconnue" not in page
    assert "Demandes de mise en relation à traiter" in page and "Répondre" in page
    assert AuditEntry.objects.filter(
        action="read", object_id=str(without.pk), detail__what="CVthèque"
    ).exists()


def test_home_of_an_employer_shows_their_offers_and_requests_only(client, employer, company):
    mine = JobOfferFactory(organisation=company, title="Cariste de quai")
    JobOfferFactory(title="Offre d'un autre employeur")
    contact = ContactRequestFactory(organisation=company, requested_by=employer)
    client.force_login(employer)
    page = client.get(reverse("talent:home")).content.decode()
    assert mine.title in page and "Offre d'un autre employeur" not in page
    assert contact.profile.reference in page
    assert "Profils des personnes que je suis" not in page


def test_home_of_the_coordination_counts_under_statistical_secrecy(client):
    coordinator = member("coordinator")
    for _ in range(2):
        profile_of(followed_by(member("counsellor")))
    client.force_login(coordinator)
    page = client.get(reverse("talent:home")).content.decode()
    assert "Profils publiés</th><td>&lt; 5" in page


@pytest.mark.parametrize("role", ["elected", "funder"])
def test_elected_and_funders_never_enter(client, role):
    client.force_login(member(role))
    assert client.get(reverse("talent:home")).status_code == 403


# --- writing a profile --------------------------------------------------------------------------


def test_create_starts_from_the_professional_project(client, counsellor):
    person = followed_by(counsellor, commune=commune(BONNEUIL))
    project = ProfessionalProject.objects.create(
        follow_up=person.follow_up, contracts=["cdd"], mobility_km=25, has_driving_licence=True
    )
    project.target_jobs.add(appellation("10880"))
    client.force_login(counsellor)
    page = client.get(reverse("talent:profile_create") + f"?beneficiary={person.pk}").content.decode()
    assert 'value="10880" id="retenu-appellations-10880" checked' in page
    assert 'value="25"' in page
    assert f'value="{commune(BONNEUIL).pk}" selected' in page


def test_create_records_the_agreement_and_goes_to_the_profile(client, counsellor):
    person = followed_by(counsellor, first_name="Ximena")
    client.force_login(counsellor)
    url = reverse("talent:profile_create") + f"?beneficiary={person.pk}"
    response = client.post(url, profile_form())
    profile = TalentProfile.objects.get(follow_up=person.follow_up)
    assert response.status_code == 302 and response.url == reverse("talent:profile", args=[profile.reference])
    assert profile.initial == "X" and profile.skills == ["Préparation de commandes", "CACES 1"]
    assert profile.languages == ["Français", "Tamoul"] and profile.consent_recorded_by == counsellor


def test_create_without_the_agreement_says_why_in_french(client, counsellor):
    person = followed_by(counsellor)
    client.force_login(counsellor)
    url = reverse("talent:profile_create") + f"?beneficiary={person.pk}"
    page = client.post(url, profile_form(consent_given_on="", consent_confirmed="")).content.decode()
    assert "Indiquez la date à laquelle la personne a donné son accord" in page
    assert "Sans l&#x27;accord de la personne, aucun profil ne peut être créé." in page
    assert not TalentProfile.objects.exists()


def test_create_refuses_the_surname_in_the_text_with_the_field_named(client, counsellor):
    person = followed_by(counsellor, last_name="Zawadzka")
    client.force_login(counsellor)
    url = reverse("talent:profile_create") + f"?beneficiary={person.pk}"
    page = client.post(url, profile_form(headline="M. Zawadzka, cariste")).content.decode()
    assert "Le champ « Titre du profil » contient le nom de famille" in page
    assert not TalentProfile.objects.exists()


def test_create_for_someone_the_user_does_not_follow_is_404(client, counsellor):
    stranger = followed_by(member("counsellor"))
    client.force_login(counsellor)
    assert client.get(reverse("talent:profile_create") + f"?beneficiary={stranger.pk}").status_code == 404


def test_create_without_a_person_lists_the_people_without_profile(client, counsellor):
    without = followed_by(counsellor, last_name="Sansprofil")
    profile_of(followed_by(counsellor, last_name="Avecprofil"))
    client.force_login(counsellor)
    page = client.get(reverse("talent:profile_create")).content.decode()
    assert "Sansprofil" in page and f"?beneficiary={without.pk}" in page and "Avecprofil" not in page


def test_create_for_someone_with_a_profile_goes_to_it(client, counsellor):
    profile = profile_of(followed_by(counsellor))
    client.force_login(counsellor)
    response = client.get(
        reverse("talent:profile_create") + f"?beneficiary={profile.follow_up.beneficiary_id}"
    )
    assert response.url == reverse("talent:profile", args=[profile.reference])


def test_the_rome_search_of_the_form_works_without_script(client, counsellor):
    person = followed_by(counsellor)
    client.force_login(counsellor)
    page = client.get(
        reverse("talent:profile_create") + f"?beneficiary={person.pk}&metier_q=cariste"
    ).content.decode()
    assert 'type="checkbox" name="appellations"' in page and "Cariste" in page


def test_edit_publish_suspend_through_the_pages(client, counsellor):
    person = followed_by(counsellor)
    profile = profile_of(person, status=TalentProfile.Status.DRAFT)
    client.force_login(counsellor)
    edit = reverse("talent:profile_edit", args=[profile.reference])
    assert "Préparatrice de commandes" in client.get(edit).content.decode()
    response = client.post(edit, profile_form(headline="Magasinière confirmée", appellations=["10880"]))
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.headline == "Magasinière confirmée"
    assert list(profile.jobs.values_list("appellation__code", flat=True)) == ["10880"]
    client.post(reverse("talent:profile_publish", args=[profile.reference]))
    assert TalentProfile.objects.get(pk=profile.pk).status == TalentProfile.Status.PUBLISHED
    client.post(reverse("talent:profile_suspend", args=[profile.reference]))
    assert TalentProfile.objects.get(pk=profile.pk).status == TalentProfile.Status.SUSPENDED
    response = client.post(reverse("talent:profile_suspend", args=[profile.reference]), follow=True)
    assert "Seul un profil publié peut être suspendu." in response.content.decode()


def test_withdraw_and_renew_the_agreement_through_the_pages(client, counsellor):
    profile = profile_of(followed_by(counsellor))
    ContactRequestFactory(profile=profile)
    client.force_login(counsellor)
    url = reverse("talent:profile_consent_withdraw", args=[profile.reference])
    page = client.get(url).content.decode()
    assert "1 demande en attente sera close" in page
    client.post(url, {"on": TODAY().isoformat()})
    profile.refresh_from_db()
    assert profile.consent_withdrawn_on == TODAY() and profile.status == TalentProfile.Status.SUSPENDED
    assert profile.contact_requests.get().status == ContactRequest.Status.DECLINED
    renew = reverse("talent:profile_consent_renew", args=[profile.reference])
    page = client.post(renew, {"on": TODAY().isoformat()}).content.decode()
    assert "le profil reste suspendu" in page
    client.post(renew, {"on": TODAY().isoformat(), "confirmed": "on"})
    assert TalentProfile.objects.get(pk=profile.pk).consent_withdrawn_on is None


# --- the profile page ---------------------------------------------------------------------------


def test_a_member_sees_the_person_and_the_matching_offers(client, counsellor):
    person = followed_by(counsellor, first_name="Ximena", last_name="Zawadzka")
    profile = profile_of(person)
    offer = JobOfferFactory(title="Préparateur de commandes en entrepôt")
    client.force_login(counsellor)
    page = client.get(reverse("talent:profile", args=[profile.reference])).content.decode()
    assert "Ximena Zawadzka" in page and offer.title in page and "Même métier" in page
    assert AuditEntry.objects.filter(object_id=str(person.pk), detail__what="CVthèque (profil)").exists()


def test_an_employer_sees_the_anonymised_profile_why_it_matches_and_may_ask(client, employer, company):
    person = followed_by(member("counsellor"), first_name="Ximena", last_name="Zawadzka")
    profile = profile_of(person)
    offer = JobOfferFactory(organisation=company, title="Préparateur de quai")
    JobOfferFactory(title="Offre d'un concurrent")
    client.force_login(employer)
    page = client.get(reverse("talent:profile", args=[profile.reference])).content.decode()
    assert "X. — " in page and "Ximena" not in page and "Zawadzka" not in page
    assert offer.title in page and "Même métier" in page and "Offre d'un concurrent" not in page
    assert reverse("talent:contact_create", args=[profile.reference]) in page
    assert AuditEntry.objects.filter(
        action="read", object_type="talent.talentprofile", object_id=str(profile.pk), actor=employer
    ).exists()


def test_an_unpublished_profile_is_404_for_employers_and_other_professionals(client, employer):
    profile = profile_of(followed_by(member("counsellor")), status=TalentProfile.Status.SUSPENDED)
    url = reverse("talent:profile", args=[profile.reference])
    client.force_login(employer)
    assert client.get(url).status_code == 404
    client.force_login(member("counsellor"))
    assert client.get(url).status_code == 404


# --- search -------------------------------------------------------------------------------------


def test_search_by_job_words_distance_and_availability(client, employer):
    near = indexed(
        profile_of(
            followed_by(member("counsellor")), commune=commune(CRETEIL), latitude=48.7904, longitude=2.4556
        )
    )
    far = indexed(
        profile_of(
            followed_by(member("counsellor")),
            commune=commune(SUCY),
            latitude=48.7700,
            longitude=2.5300,
            skills=["Préparation de commandes"],
        )
    )
    later = profile_of(followed_by(member("counsellor")), available_from=TODAY() + timedelta(days=90))
    other_job = profile_of(followed_by(member("counsellor")), appellations=("10537",))
    client.force_login(employer)
    url = reverse("talent:search")
    page = client.get(url, {"metier": "17993"}).content.decode()
    assert near.reference in page and far.reference in page and other_job.reference not in page
    assert "Métier recherché : Préparateur / Préparatrice de commandes" in page
    page = client.get(url, {"mots": "caces"}).content.decode()
    assert near.reference in page and far.reference not in page and "Mots trouvés : caces" in page
    page = client.get(url, {"commune": CRETEIL, "rayon": "5", "metier": "17993"}).content.decode()
    assert near.reference in page and far.reference not in page
    assert "de Créteil" in page
    page = client.get(url, {"disponible": (TODAY() + timedelta(days=10)).isoformat()}).content.decode()
    assert later.reference not in page and near.reference in page and "Disponible dès maintenant" in page
    assert AuditEntry.objects.filter(actor=employer, detail__what="profil listé (recherche)").exists()


def test_search_errors_are_shown_not_raised(client, employer):
    client.force_login(employer)
    page = client.get(reverse("talent:search"), {"rayon": "10", "rome": "12345"}).content.decode()
    assert "Choisissez la commune" in page and "Un code ROME s&#x27;écrit" in page


def test_search_answers_htmx_with_the_results_only(client, employer):
    profile = profile_of(followed_by(member("counsellor")))
    client.force_login(employer)
    response = client.get(reverse("talent:search"), {"rome": "N1103"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert profile.reference in page and "<html" not in page and "Même métier ROME" in page


def test_rome_search_fragment_and_json(client, employer):
    client.force_login(employer)
    url = reverse("talent:offer_rome_search")
    fragment = client.get(url, {"metier_q": "cariste", "champ": "appellation"}, HTTP_HX_REQUEST="true")
    assert 'type="radio" name="appellation"' in fragment.content.decode()
    data = client.get(url, {"q": "preparateur commandes"}).json()
    assert any(row["code"] == "17993" for row in data["resultats"])


# --- offers -------------------------------------------------------------------------------------


def test_offers_list_by_role(client, employer, company):
    mine = JobOfferFactory(organisation=company, title="Mon offre")
    other_open = JobOfferFactory(title="Offre ouverte ailleurs")
    other_draft = JobOfferFactory(title="Brouillon ailleurs", status=JobOffer.Status.DRAFT)
    client.force_login(employer)
    page = client.get(reverse("talent:offers")).content.decode()
    assert mine.title in page and other_open.title not in page
    client.force_login(member("counsellor"))
    page = client.get(reverse("talent:offers")).content.decode()
    assert other_open.title in page and other_draft.title not in page and "Publier une offre" not in page
    client.force_login(member("coordinator"))
    page = client.get(reverse("talent:offers")).content.decode()
    assert mine.title in page and other_draft.title in page


def offer_form(**changes):
    values = {
        "title": "Cariste (H/F)",
        "appellation": "11679",
        "contract": "cdi",
        "hours_per_week": "35",
        "posts": "2",
        "commune": str(commune(BONNEUIL).pk),
        "skills": "CACES 3",
        "status": "ouverte",
    }
    return values | changes


def test_an_employer_publishes_edits_and_closes_an_offer(client, employer, company):
    client.force_login(employer)
    response = client.post(reverse("talent:offer_create"), offer_form(organisation=company.pk))
    offer = JobOffer.objects.get(organisation=company)
    assert response.url == reverse("talent:offer", args=[offer.reference])
    assert offer.rome_code == "N1101" and offer.skills == ["CACES 3"] and offer.latitude is not None
    edit = reverse("talent:offer_edit", args=[offer.reference])
    assert "Cariste" in client.get(edit).content.decode()
    client.post(edit, offer_form(organisation=company.pk, posts="3", status="ouverte"))
    assert JobOffer.objects.get(pk=offer.pk).posts == 3
    client.post(reverse("talent:offer_close", args=[offer.reference]), {"status": "pourvue"})
    assert JobOffer.objects.get(pk=offer.pk).status == JobOffer.Status.FILLED


def test_an_offer_error_is_a_form_error(client, employer, company):
    client.force_login(employer)
    page = client.post(
        reverse("talent:offer_create"), offer_form(organisation=company.pk, appellation="")
    ).content.decode()
    assert "Choisissez le métier dans le référentiel ROME." in page
    assert not JobOffer.objects.exists()


def test_an_employer_whose_organisation_is_not_an_employer_is_told(client):
    user = member("employer", kind=OrganisationKind.ASSOCIATION, name="Association du quartier")
    client.force_login(user)
    page = client.get(reverse("talent:offer_create")).content.decode()
    assert "« Association du quartier » n'en est pas une" in page
    page = client.post(
        reverse("talent:offer_create"), offer_form(organisation=organisation_of(user).pk)
    ).content.decode()
    assert "Seule une organisation de type « Employeur »" in page


def test_the_coordination_publishes_for_an_employer_of_the_territory(client):
    shop = OrganisationFactory(kind=OrganisationKind.EMPLOYER, name="Boulangerie")
    client.force_login(member("coordinator"))
    client.post(reverse("talent:offer_create"), offer_form(organisation=shop.pk))
    assert JobOffer.objects.get().organisation == shop


def test_an_employer_cannot_reach_another_employers_offer(client, employer):
    other = JobOfferFactory()
    client.force_login(employer)
    for name in ("talent:offer", "talent:offer_edit"):
        assert client.get(reverse(name, args=[other.reference])).status_code == 404
    assert (
        client.post(reverse("talent:offer_close", args=[other.reference]), {"status": "fermee"}).status_code
        == 404
    )
    assert JobOffer.objects.get(pk=other.pk).status == JobOffer.Status.OPEN


def test_offer_detail_ranks_profiles_with_their_reasons(client, employer, company):
    offer = JobOfferFactory(organisation=company, latitude=48.7904, longitude=2.4556)
    far = profile_of(followed_by(member("counsellor")), latitude=48.8354, longitude=2.4556, mobility_km=10)
    near = profile_of(followed_by(member("counsellor")), latitude=48.7904, longitude=2.4556)
    neighbour = profile_of(followed_by(member("counsellor")), appellations=("10880",))
    client.force_login(employer)
    page = client.get(reverse("talent:offer", args=[offer.reference])).content.decode()
    assert page.index(near.reference) < page.index(far.reference) < page.index(neighbour.reference)
    assert "Même métier : Préparateur / Préparatrice de commandes" in page
    assert "Métier voisin (même fiche ROME N1103)" in page
    assert "À 5 km (mobilité 10 km)" in page


def test_a_counsellor_sees_which_matching_profiles_they_follow(client, counsellor):
    mine = profile_of(followed_by(counsellor))
    offer = JobOfferFactory()
    client.force_login(counsellor)
    page = client.get(reverse("talent:offer", args=[offer.reference])).content.decode()
    assert mine.reference in page and "Vous suivez cette personne" in page


def test_the_guide_is_in_the_help_pages(client):
    page = client.get("/aide/valorisation-des-cv/").content.decode()
    assert "Valorisation des CV (CVthèque)" in page and "mise en relation" in page
