"""Pages of recruitment events: who sees what (an employer never a person), the public registration,
the hire through the interview page, the results and their export, and query counts that do not grow."""

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.followup.models import Outcome
from cite_emploi.outreach import events
from cite_emploi.outreach.models import EventCandidate, EventEmployer, Interview, RecruitmentEvent
from tests.accounts.factories import member
from tests.followup.factories import followed_by, organisation_of
from tests.outreach.factories import (
    EventCandidateFactory,
    EventEmployerFactory,
    InterviewFactory,
    RecruitmentEventFactory,
    qpv,
)
from tests.talent.factories import JobOfferFactory, commune, profile_of

SIRET = "73282932000074"


@pytest.fixture
def organiser(db):
    return member("counsellor", name="France Travail Créteil")


@pytest.fixture
def referent(db):
    return member("counsellor", name="Mission locale Plaine centrale")


@pytest.fixture
def event(organiser):
    event = RecruitmentEventFactory(title="Job dating logistique", place_label="Maison de l'emploi, Créteil")
    event.organisers.add(organisation_of(organiser))
    return event


@pytest.fixture
def employer(event):
    """A signed-in employer whose organisation takes part, presenting one offer."""
    user = member("employer", kind="employeur", name="Logistique du Val")
    registration = EventEmployerFactory(event=event, organisation=organisation_of(user))
    offer = JobOfferFactory(organisation=registration.organisation, title="Cariste (H/F)")
    events.add_offer(registration, by=user, offer=offer)
    return user


@pytest.fixture
def candidate(event, referent):
    """Yasmine Benali of Mont-Mesly, with a published talent profile, invited by her referent."""
    person = followed_by(
        referent, first_name="Yasmine", last_name="Benali", qpv=qpv("QN09405M"), commune=commune("94028")
    )
    profile_of(person)
    return events.invite_candidate(
        event, person.follow_up, by=referent, prepared=True, preparation="Atelier CV"
    )


def page(client, user, name, *args, **kwargs):
    client.force_login(user)
    return client.get(reverse(f"outreach:{name}", args=args), **kwargs)


# --- who sees what ------------------------------------------------------------------------------


def test_an_employer_reaches_no_name_qpv_or_identifier(client, event, employer, candidate):
    registration = EventEmployer.objects.get(event=event, organisation=organisation_of(employer))
    Interview.objects.create(candidate=candidate, employer=registration, result="en-attente")
    response = page(client, employer, "event", event.pk)
    assert response.status_code == 200
    html = response.content.decode()
    beneficiary = candidate.follow_up.beneficiary
    for secret in ("Yasmine", "Benali", "Mont-Mesly", "/suivi/", "fiche n°", "Suivi n°", "Atelier CV"):
        assert secret not in html, secret
    assert "Candidat n° 1" in html
    assert beneficiary.follow_up.talent_profile.reference in html
    assert "Cariste (H/F)" in html and "réponse attendue" in html
    for name in ("event_candidate", "event_interview"):
        assert page(client, employer, name, event.pk, candidate.pk).status_code == 403
    assert page(client, employer, "event_results").status_code == 403
    assert page(client, employer, "event_results_export").status_code == 403
    url = reverse("followup:beneficiary", args=[beneficiary.pk])
    assert client.get(url).status_code == 403


def test_an_employer_sees_open_events_and_their_own_only(client, gpsea, employer, event):
    closed = RecruitmentEventFactory(title="Forum fermé", registration_open=False)
    past = RecruitmentEventFactory(title="Forum passé", starts_at=timezone.now() - timedelta(days=30))
    EventEmployerFactory(event=past, organisation=organisation_of(employer))
    html = page(client, employer, "events").content.decode()
    assert "Job dating logistique" in html and "Forum fermé" not in html
    assert page(client, employer, "event", closed.pk).status_code == 404
    assert "Forum passé" in page(client, employer, "events", data={"quand": "passees"}).content.decode()
    assert page(client, employer, "event", past.pk).status_code == 200


def test_names_only_for_members_of_the_follow_up(client, event, organiser, referent, candidate):
    html = page(client, organiser, "event", event.pk).content.decode()
    assert "Benali" not in html and "Atelier CV" not in html and "Candidat n° 1" in html
    before = AuditEntry.objects.filter(object_type="followup.beneficiary", actor=referent).count()
    html = page(client, referent, "event", event.pk).content.decode()
    assert "Yasmine Benali" in html and "Atelier CV" in html
    assert AuditEntry.objects.filter(object_type="followup.beneficiary", actor=referent).count() == before + 1
    # A counsellor who neither follows nor organises does not open the candidate.
    outsider = member("counsellor")
    assert page(client, outsider, "event_candidate", event.pk, candidate.pk).status_code == 404
    html = page(client, organiser, "event_candidate", event.pk, candidate.pk).content.decode()
    assert "Candidat n° 1" in html and "Benali" not in html and 'name="preparation"' not in html


def test_elected_and_funders_reach_no_event(client, event):
    for role in ("elected", "funder"):
        assert page(client, member(role), "events").status_code == 403
        assert page(client, member(role), "event", event.pk).status_code == 403


# --- create, confirm, invite, interview ---------------------------------------------------------


def test_a_counsellor_creates_an_event(client, gpsea, organiser):
    client.force_login(organiser)
    starts = (timezone.localtime() + timedelta(days=10)).replace(hour=9, minute=30)
    response = client.post(
        reverse("outreach:event_create"),
        {
            "kind": "forum",
            "title": "Forum de l'emploi de Bonneuil",
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (starts + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
            "qpv": qpv("QN09420M").pk,
            "commune": "",
            "place_label": "Salle des fêtes",
            "organisers": [organisation_of(organiser).pk],
            "registration_open": "on",
        },
    )
    event = RecruitmentEvent.objects.get(title="Forum de l'emploi de Bonneuil")
    assert response.status_code == 302 and response.url == reverse("outreach:event", args=[event.pk])
    assert event.qpv.code == "QN09420M" and event.created_by == organiser
    assert page(client, member("counsellor"), "event_edit", event.pk).status_code == 403
    form = page(client, organiser, "event_edit", event.pk).context["form"]
    data = {key: value for key, value in form.initial.items() if value not in (None, "")}
    data |= {
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
        "status": "annulee",
        "registration_open": "",
        "qpv": event.qpv_id,
    }
    response = client.post(reverse("outreach:event_edit", args=[event.pk]), data)
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == RecruitmentEvent.Status.CANCELLED and not event.registration_open
    html = client.get(reverse("outreach:event_register", args=[event.pk])).content.decode()
    assert "Cette opération est annulée" in html


def test_an_organiser_confirms_a_registration_from_the_event_page(client, event, organiser):
    registration = EventEmployer.objects.create(
        event=event,
        company_name="Propreté Services",
        siret=SIRET,
        contact_name="Claude",
        contact_email="rh@proprete.example",
        proposed_offers=[
            {
                "title": "Agent de propreté",
                "appellation": "10571",
                "appellation_label": "Agent / Agente de propreté de locaux",
                "rome_code": "K2204",
                "contract": "cdd",
                "hours_per_week": 24,
                "posts": 3,
            }
        ],
    )
    html = page(client, organiser, "event", event.pk).content.decode()
    assert "Propreté Services" in html and "Agent / Agente de propreté de locaux" in html
    outsider = member("counsellor")
    client.force_login(outsider)
    client.post(reverse("outreach:event_employer_confirm", args=[event.pk, registration.pk]))
    registration.refresh_from_db()
    assert registration.status == EventEmployer.Status.PENDING
    client.force_login(organiser)
    response = client.post(reverse("outreach:event_employer_confirm", args=[event.pk, registration.pk]))
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == EventEmployer.Status.CONFIRMED
    assert event.offers.get().title == "Agent de propreté"


def test_the_invitation_page_offers_only_the_people_one_follows(client, event, referent):
    mine = followed_by(referent, last_name="Kone")
    other = followed_by(member("counsellor"), last_name="Morel")
    html = page(client, referent, "event_invite", event.pk).content.decode()
    assert "KONE" in html and "MOREL" not in html
    response = client.post(reverse("outreach:event_invite", args=[event.pk]), {"beneficiary": other.pk})
    assert response.status_code == 200 and not EventCandidate.objects.exists()
    response = client.post(
        reverse("outreach:event_invite", args=[event.pk]),
        {"beneficiary": mine.pk, "prepared": "on", "preparation": "Simulation d'entretien"},
    )
    assert response.status_code == 302
    assert EventCandidate.objects.get().follow_up == mine.follow_up


def test_the_referent_records_a_hire_on_the_interview_page(
    client, event, organiser, referent, employer, candidate
):
    registration = EventEmployer.objects.get(event=event, organisation=organisation_of(employer))
    presented = registration.event_offers.get()
    url = reverse("outreach:event_interview", args=[event.pk, candidate.pk])
    html = page(client, organiser, "event_interview", event.pk, candidate.pk).content.decode()
    assert 'value="recrute"' not in html and "recrutement à confirmer par le référent" in html
    client.force_login(referent)
    assert 'value="recrute"' in client.get(url).content.decode()
    hired_on = timezone.localdate()
    response = client.post(
        url,
        {
            "employer": registration.pk,
            "offer": presented.pk,
            "result": "recrute",
            "contract": "cdd-moins-6-mois",
            "hired_on": hired_on.isoformat(),
        },
    )
    assert response.status_code == 302
    outcome = Interview.objects.get().outcome
    assert (outcome.kind, outcome.contract, outcome.follow_up) == (
        Outcome.Kind.TRANSITION_JOB,
        "cdd-moins-6-mois",
        candidate.follow_up,
    )


def test_a_hire_without_its_contract_is_a_form_error(client, event, referent, employer, candidate):
    registration = EventEmployer.objects.get(event=event, organisation=organisation_of(employer))
    client.force_login(referent)
    response = client.post(
        reverse("outreach:event_interview", args=[event.pk, candidate.pk]),
        {"employer": registration.pk, "result": "recrute"},
    )
    assert response.status_code == 200
    assert "Précisez le contrat signé." in response.content.decode()
    assert not Interview.objects.exists()


def test_a_signed_in_employer_registers_from_the_event_page(client, event, organiser):
    user = member("employer", kind="employeur", name="Boulangerie du Marché")
    offer = JobOfferFactory(organisation=organisation_of(user), title="Vendeur en boulangerie")
    html = page(client, user, "event", event.pk).content.decode()
    assert "Inscrire mon organisation" in html and "Vendeur en boulangerie" in html
    response = client.post(
        reverse("outreach:event_join", args=[event.pk]),
        {"organisation": organisation_of(user).pk, "contact_phone": "01 02 03 04 05", "offers": [offer.pk]},
    )
    assert response.status_code == 302
    registration = EventEmployer.objects.get(event=event)
    assert (
        registration.status == EventEmployer.Status.PENDING
        and registration.proposed_offers[0]["offer"] == offer.pk
    )
    assert "attend la confirmation des organisateurs" in client.get(response.url).content.decode()
    assert page(client, user, "event_offer_add", event.pk).status_code == 403


# --- the public registration page ---------------------------------------------------------------


def registration_post(**fields) -> dict:
    data = {
        "company_name": "Logistique du Val",
        "siret": "732 829 320 00074",
        "contact_name": "Dominique Martin",
        "contact_email": "rh@logistique-du-val.example",
        "contact_phone": "01 23 45 67 89",
        "website": "",
        "offre-TOTAL_FORMS": "5",
        "offre-INITIAL_FORMS": "0",
        "offre-MIN_NUM_FORMS": "1",
        "offre-MAX_NUM_FORMS": "5",
        "offre-0-title": "Préparateur de commandes (H/F)",
        "offre-0-appellation": "Préparateur / Préparatrice de commandes",
        "offre-0-contract": "cdi",
        "offre-0-hours_per_week": "35",
        "offre-0-posts": "2",
    }
    for n in range(1, 5):
        data[f"offre-{n}-posts"] = "1"
    return data | fields


def test_an_anonymous_employer_registers(client, event, mailoutbox, django_capture_on_commit_callbacks):
    url = reverse("outreach:event_register", args=[event.pk])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Inscrire mon entreprise" in html and "Job dating logistique" in html
    assert 'for="id_siret"' in html and 'for="id_offre-0-appellation"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            registration_post(
                **{"offre-1-title": "Cariste", "offre-1-appellation": "11679", "offre-1-contract": "interim"}
            ),
        )
    assert response.status_code == 302 and response.url == reverse("outreach:event_register_done")
    registration = EventEmployer.objects.get()
    assert registration.status == EventEmployer.Status.PENDING and registration.siret == SIRET
    assert [(p["appellation"], p["posts"]) for p in registration.proposed_offers] == [
        ("17993", 2),
        ("11679", 1),
    ]
    assert mailoutbox[0].to == ["rh@logistique-du-val.example"]
    assert client.get(response.url).status_code == 200


def test_a_wrong_siret_is_a_french_error_on_its_field_and_nothing_is_written(client, event, mailoutbox):
    response = client.post(
        reverse("outreach:event_register", args=[event.pk]), registration_post(siret="73282932000075")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ce SIRET est invalide : sa clé de contrôle ne correspond pas" in html
    assert 'id="id_siret-desc-error"' in html or "fr-input-group--error" in html
    assert not EventEmployer.objects.exists() and mailoutbox == []


def test_an_ambiguous_job_and_a_missing_offer_are_explained(client, event):
    url = reverse("outreach:event_register", args=[event.pk])
    html = client.post(url, registration_post(**{"offre-0-appellation": "préparateur"})).content.decode()
    assert "Plusieurs métiers correspondent" in html
    no_offer = {key: value for key, value in registration_post().items() if not key.startswith("offre-0-")}
    html = client.post(url, no_offer).content.decode()
    assert html.count("Ce champ est obligatoire.") == 4  # the first offer is required, the others are not
    assert not EventEmployer.objects.exists()


def test_a_robot_filling_the_honeypot_writes_nothing(client, event, mailoutbox):
    response = client.post(
        reverse("outreach:event_register", args=[event.pk]), registration_post(website="http://spam.example")
    )
    assert response.status_code == 302
    assert not EventEmployer.objects.exists() and mailoutbox == []


def test_a_closed_registration_says_so_and_writes_nothing(client, db):
    event = RecruitmentEventFactory(registration_deadline=timezone.localdate() - timedelta(days=2))
    url = reverse("outreach:event_register", args=[event.pk])
    html = unescape(client.get(url).content.decode())
    assert "Inscriptions closes" in html and "date limite d'inscription" in html and "id_siret" not in html
    assert client.post(url, registration_post()).status_code == 200
    assert not EventEmployer.objects.exists()


def test_rome_suggestions_are_public(client, db):
    response = client.get(
        reverse("outreach:event_rome_search"), {"offre-0-appellation": "cariste"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert '<option value="Cariste">' in response.content.decode()
    found = client.get(reverse("outreach:event_rome_search"), {"q": "N1103"}).json()["resultats"]
    assert found and all(r["code_rome"] == "N1103" for r in found)


# --- results and export -------------------------------------------------------------------------


def test_results_and_their_export_apply_secrecy(client, gpsea, organiser, settings):
    settings.SECRECY_THRESHOLD = 5
    held = RecruitmentEventFactory(title="Forum de Créteil", starts_at=timezone.now() - timedelta(days=3))
    registration = EventEmployerFactory(event=held)
    for n in range(3):
        candidate = EventCandidateFactory(event=held, status="present")
        InterviewFactory(
            candidate=candidate, employer=registration, result="recrute" if n == 0 else "non-retenu"
        )
    html = page(client, organiser, "event_results").content.decode()
    assert "Forum de Créteil" in html and "secret</td>" in html and "&lt; 5" not in html
    response = client.get(reverse("outreach:event_results_export"))
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Opération;Nature;Date;Lieu;Employeurs participants;Offres présentées")
    assert lines[1].split(";")[4:10] == ["1", "0", "0", "secret", "0", "secret"]
    assert lines[-1].startswith("Total;")


# --- query counts -------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 12])
def test_the_list_runs_a_constant_number_of_queries(
    client, gpsea, organiser, django_assert_max_num_queries, count
):
    for n in range(count):
        event = RecruitmentEventFactory(title=f"Opération {n}", qpv=qpv("QN09406I"))
        event.organisers.add(organisation_of(organiser))
        EventEmployerFactory(event=event)
    client.force_login(organiser)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("outreach:events")).status_code == 200


@pytest.mark.parametrize("count", [2, 10])
def test_the_event_page_runs_a_constant_number_of_queries(
    client, event, organiser, referent, employer, django_assert_max_num_queries, count
):
    registration = EventEmployer.objects.get(event=event, organisation=organisation_of(employer))
    for _ in range(count):
        candidate = events.invite_candidate(event, followed_by(referent).follow_up, by=referent)
        Interview.objects.create(candidate=candidate, employer=registration)
        profile_of(candidate.follow_up.beneficiary)
    for user in (referent, organiser, employer):
        client.force_login(user)
        with django_assert_max_num_queries(24):
            assert client.get(reverse("outreach:event", args=[event.pk])).status_code == 200


@pytest.mark.parametrize("count", [2, 10])
def test_the_results_run_a_constant_number_of_queries(
    client, gpsea, organiser, django_assert_max_num_queries, count
):
    for n in range(count):
        held = RecruitmentEventFactory(title=f"Forum {n}", starts_at=timezone.now() - timedelta(days=n + 1))
        EventCandidateFactory(event=held, status="present")
    client.force_login(organiser)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("outreach:event_results")).status_code == 200


def test_an_organiser_presents_an_offer_for_an_employer(client, event, organiser, employer):
    registration = EventEmployer.objects.get(event=event, organisation=organisation_of(employer))
    other = EventEmployerFactory(event=event, company_name="Propreté Services")
    html = page(client, organiser, "event_offer_add", event.pk).content.decode()
    assert f"?employeur={other.pk}" in html and 'name="existing"' not in html
    kept = JobOfferFactory(organisation=registration.organisation, title="Magasinier")
    url = reverse("outreach:event_offer_add", args=[event.pk]) + f"?employeur={registration.pk}"
    html = client.get(url).content.decode()
    assert 'name="existing"' in html and "Magasinier" in html
    response = client.post(url, {"employer": registration.pk, "existing": kept.pk})
    assert response.status_code == 302 and event.offers.filter(pk=kept.pk).exists()
    response = client.post(
        reverse("outreach:event_offer_add", args=[event.pk]),
        {
            "employer": other.pk,
            "title": "Agent d'entretien",
            "appellation": "Agent / Agente de propreté de locaux",
            "contract": "cdd",
            "hours_per_week": "24",
            "posts": "2",
        },
    )
    assert response.status_code == 302
    added = event.event_offers.get(employer=other).offer
    assert (added.title, added.rome_code, added.hours_per_week) == ("Agent d'entretien", "K2204", 24)


def test_the_person_panel_shows_their_events_to_members(event, referent, candidate):
    from django.template.loader import render_to_string

    from cite_emploi.followup import services
    from cite_emploi.outreach.views_events import event_panel

    next_one = RecruitmentEventFactory(
        title="Forum de l'alternance", starts_at=timezone.now() + timedelta(days=40)
    )
    beneficiary = candidate.follow_up.beneficiary
    panel = event_panel(None, beneficiary, services.member_of(beneficiary.follow_up, referent))
    html = render_to_string(panel.template, {"panel": panel.context})
    assert "Job dating logistique" in html and "Atelier CV" in html
    assert reverse("outreach:event_invite", args=[next_one.pk]) + f"?personne={beneficiary.pk}" in html
    assert event_panel(None, beneficiary, None) is None
