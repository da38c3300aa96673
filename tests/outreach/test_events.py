"""Recruitment events, services and figures: registration → confirmation, invitations by members of
the follow-up only, hires that are outcomes of the follow-up, figures counted from the records."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.followup.models import Outcome, TimelineEvent
from cite_emploi.outreach import events, queries_events
from cite_emploi.outreach.models import EventCandidate, EventEmployer, EventOffer, Interview, RecruitmentEvent
from cite_emploi.partners.models import Organisation
from cite_emploi.talent.models import JobOffer
from tests.accounts.factories import member
from tests.followup.factories import followed_by, organisation_of
from tests.outreach.factories import (
    EventCandidateFactory,
    EventEmployerFactory,
    InterviewFactory,
    RecruitmentEventFactory,
)
from tests.partners.factories import OrganisationFactory
from tests.talent.factories import JobOfferFactory, appellation

SIRET = "73282932000074"


@pytest.fixture
def organiser(db):
    return member("counsellor", name="France Travail Créteil")


@pytest.fixture
def referent(db):
    return member("counsellor", name="Mission locale Plaine centrale")


@pytest.fixture
def event(organiser):
    event = RecruitmentEventFactory(title="Job dating logistique")
    event.organisers.add(organisation_of(organiser))
    return event


def proposal(**fields) -> dict:
    return {
        "title": "Préparateur de commandes (H/F)",
        "appellation": appellation("17993"),
        "contract": "cdi",
        "hours_per_week": 35,
        "posts": 2,
    } | fields


def register(event, **fields):
    values = {
        "company_name": "Logistique du Val",
        "siret": "732 829 320 00074",
        "contact_name": "Dominique Martin",
        "contact_email": "rh@logistique-du-val.example",
        "contact_phone": "01 23 45 67 89",
        "offers": [
            proposal(),
            proposal(title="Cariste", appellation=appellation("11679"), contract="interim"),
        ],
    } | fields
    return events.register_employer(event, **values)


def confirmed_employer(event, **fields) -> EventEmployer:
    """A confirmed employer presenting one open offer at the event."""
    employer = EventEmployerFactory(event=event, **fields)
    offer = JobOfferFactory(organisation=employer.organisation)
    EventOffer.objects.create(event=event, offer=offer, employer=employer)
    return employer


# --- registration -------------------------------------------------------------------------------


def test_a_public_registration_once_confirmed_creates_the_employer_and_its_offers(
    event, organiser, mailoutbox, django_capture_on_commit_callbacks
):
    event.created_by = organiser
    event.save(update_fields=["created_by"])
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(event)
    assert registration.status == EventEmployer.Status.PENDING and registration.organisation is None
    assert registration.siret == SIRET
    assert [p["appellation"] for p in registration.proposed_offers] == ["17993", "11679"]
    acknowledgement, to_organiser = mailoutbox
    assert acknowledgement.to == ["rh@logistique-du-val.example"]
    assert "Nous avons bien reçu l'inscription de Logistique du Val" in acknowledgement.body
    assert "Préparateur de commandes (H/F) (Préparateur / Préparatrice de commandes)" in acknowledgement.body
    assert to_organiser.to == [organiser.email] and "demande à participer" in to_organiser.body
    assert not JobOffer.objects.filter(title="Cariste").exists()

    with django_capture_on_commit_callbacks(execute=True):
        events.confirm_employer(registration, by=organiser)
    registration.refresh_from_db()
    organisation = registration.organisation
    assert registration.status == EventEmployer.Status.CONFIRMED
    assert (organisation.name, organisation.kind, organisation.siret) == (
        "Logistique du Val",
        "employeur",
        SIRET,
    )
    assert organisation.territory_id == event.territory_id
    offers = JobOffer.objects.filter(organisation=organisation).order_by("title")
    assert [(o.title, o.rome_code, o.contract, o.posts) for o in offers] == [
        ("Cariste", "N1101", "interim", 2),
        ("Préparateur de commandes (H/F)", "N1103", "cdi", 2),
    ]
    assert set(event.offers.all()) == set(offers)
    assert set(EventOffer.objects.filter(event=event).values_list("employer", flat=True)) == {registration.pk}
    assert "est confirmée" in mailoutbox[-1].body and mailoutbox[-1].to == ["rh@logistique-du-val.example"]


def test_confirming_finds_the_organisation_by_its_siret(event, organiser):
    existing = OrganisationFactory(name="LOGISTIQUE DU VAL SAS", kind="employeur", siret=SIRET)
    registration = register(event)
    before = Organisation.objects.count()
    events.confirm_employer(registration, by=organiser)
    registration.refresh_from_db()
    assert registration.organisation == existing and Organisation.objects.count() == before
    assert JobOffer.objects.filter(organisation=existing).count() == 2


def test_a_siret_of_an_organisation_that_is_not_an_employer_is_not_confirmed(event, organiser):
    OrganisationFactory(name="Association du Val", kind="association", siret=SIRET)
    registration = register(event)
    with pytest.raises(events.EventError) as error:
        events.confirm_employer(registration, by=organiser)
    assert "n'est pas recensée comme employeur" in error.value.message
    registration.refresh_from_db()
    assert registration.status == EventEmployer.Status.PENDING


def test_a_homonym_gets_a_distinct_name(event, organiser):
    OrganisationFactory(name="Logistique du Val", kind="association")
    registration = register(event)
    events.confirm_employer(registration, by=organiser)
    registration.refresh_from_db()
    assert registration.organisation.name == f"Logistique du Val ({SIRET})"


def test_only_organisers_and_the_coordination_confirm_or_decline(event, organiser):
    registration = register(event)
    outsider = member("counsellor")
    for action in (events.confirm_employer, events.decline_employer):
        with pytest.raises(events.EventError):
            action(registration, by=outsider)
    coordinator = member("coordinator")
    events.decline_employer(registration, by=coordinator, reason="Pas d'offre dans le secteur visé.")
    registration.refresh_from_db()
    assert registration.status == EventEmployer.Status.DECLINED
    with pytest.raises(events.EventError) as error:
        events.confirm_employer(registration, by=organiser)
    assert "déjà été traitée" in error.value.message


def test_a_declined_registration_tells_the_contact_why(
    event, organiser, mailoutbox, django_capture_on_commit_callbacks
):
    registration = register(event)
    with django_capture_on_commit_callbacks(execute=True):
        events.decline_employer(registration, by=organiser, reason="Les postes ne correspondent pas.")
    assert "n'a pas été retenue" in mailoutbox[-1].body
    assert "Motif : Les postes ne correspondent pas." in mailoutbox[-1].body


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"registration_open": False}, "ont clos les inscriptions"),
        ({"registration_deadline": timezone.localdate() - timedelta(days=1)}, "date limite d'inscription"),
        ({"starts_at": timezone.now() - timedelta(days=1)}, "a déjà eu lieu"),
        ({"status": RecruitmentEvent.Status.CANCELLED}, "annulée"),
    ],
)
def test_closed_registration_writes_nothing(db, fields, expected):
    event = RecruitmentEventFactory(**fields)
    assert expected in events.registration_closed_reason(event)
    with pytest.raises(events.EventError) as error:
        register(event)
    assert expected in error.value.message
    assert not EventEmployer.objects.exists()


def test_registration_checks_the_siret_and_duplicates(event):
    with pytest.raises(events.EventError) as error:
        register(event, siret="73282932000075")
    assert "clé de contrôle" in error.value.message
    register(event)
    with pytest.raises(events.EventError) as error:
        register(event, contact_email="autre@logistique-du-val.example")
    assert "déjà enregistrée" in error.value.message
    assert EventEmployer.objects.count() == 1


def test_registration_needs_one_to_five_complete_offers(event):
    with pytest.raises(events.EventError):
        register(event, offers=[])
    with pytest.raises(events.EventError):
        register(event, offers=[proposal()] * 6)
    with pytest.raises(events.EventError) as error:
        register(event, offers=[proposal(hours_per_week=60)])
    assert "entre 1 et 48 heures" in error.value.message
    assert not EventEmployer.objects.exists()


def test_a_signed_in_employer_registers_their_organisation_with_their_open_offers(event, organiser):
    employer = member("employer", kind="employeur", name="Transports Créteil")
    organisation = organisation_of(employer)
    offer = JobOfferFactory(organisation=organisation, title="Conducteur livreur")
    registration = events.register_organisation(event, organisation, by=employer, offers=[offer])
    assert registration.status == EventEmployer.Status.PENDING
    assert registration.organisation == organisation and registration.registered_by == employer
    with pytest.raises(events.EventError) as error:
        events.register_organisation(event, organisation, by=employer)
    assert "déjà inscrite" in error.value.message
    with pytest.raises(events.EventError):  # someone else's organisation
        events.register_organisation(event, organisation, by=member("employer", kind="employeur"))
    events.confirm_employer(registration, by=organiser)
    assert list(event.offers.all()) == [offer]
    assert JobOffer.objects.filter(organisation=organisation).count() == 1


def test_offers_are_added_by_the_employer_taking_part_or_an_organiser(event, organiser):
    employer = member("employer", kind="employeur")
    registration = EventEmployerFactory(event=event, organisation=organisation_of(employer))
    data = {"title": "Agent d'entretien", "appellation": appellation("10571"), "contract": "cdd", "posts": 3}
    presented = events.add_offer(registration, by=employer, data=data)
    assert presented.offer.organisation == registration.organisation and presented.offer.posts == 3
    events.add_offer(registration, by=organiser, data=data | {"title": "Agent de propreté"})
    with pytest.raises(events.EventError):
        events.add_offer(registration, by=member("employer", kind="employeur"), data=data)
    with pytest.raises(events.EventError) as error:
        events.add_offer(registration, by=employer, offer=presented.offer)
    assert "déjà présentée" in error.value.message
    pending = EventEmployerFactory(event=event, status=EventEmployer.Status.PENDING)
    with pytest.raises(events.EventError) as error:
        events.add_offer(pending, by=organiser, data=data)
    assert "d'abord être confirmée" in error.value.message
    assert event.event_offers.count() == 2


# --- the event ----------------------------------------------------------------------------------


def event_data(**fields) -> dict:
    starts_at = timezone.now() + timedelta(days=20)
    return {
        "kind": "job-dating",
        "title": "Job dating de la propreté",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=3),
        "place_label": "Maison de l'emploi, Créteil",
        "registration_open": True,
    } | fields


def test_a_counsellor_organises_with_their_organisation(gpsea, organiser):
    partner = OrganisationFactory(name="PLIE")
    event = events.create_event(gpsea, by=organiser, data=event_data(), organisers=[partner])
    assert set(event.organisers.all()) == {partner, organisation_of(organiser)}
    assert AuditEntry.objects.filter(
        object_type="outreach.recruitmentevent", object_id=str(event.pk)
    ).exists()
    with pytest.raises(events.EventError):  # not an organiser any more than anyone else
        events.update_event(
            event, by=member("counsellor"), data=event_data(title="Autre"), organisers=[partner]
        )
    with pytest.raises(events.EventError):
        events.create_event(gpsea, by=member("elected"), data=event_data(), organisers=[partner])
    with pytest.raises(events.EventError) as error:
        starts_at = timezone.now() + timedelta(days=2)
        events.create_event(
            gpsea,
            by=organiser,
            data=event_data(starts_at=starts_at, ends_at=starts_at - timedelta(hours=1)),
            organisers=[],
        )
    assert "ne peut pas précéder" in error.value.message


# --- candidates ---------------------------------------------------------------------------------


def test_a_counsellor_invites_only_the_people_they_follow(event, referent):
    mine = followed_by(referent)
    other = followed_by(member("counsellor"))
    candidate = events.invite_candidate(
        event, mine.follow_up, by=referent, prepared=True, preparation="Atelier CV et simulation d'entretien"
    )
    assert candidate.organisation == organisation_of(referent) and candidate.prepared
    line = mine.follow_up.events.get(kind=TimelineEvent.Kind.RECRUITMENT)
    assert "Job dating logistique" in line.text and "Atelier CV" in line.text
    assert AuditEntry.objects.filter(object_type="followup.beneficiary", object_id=str(mine.pk)).exists()
    with pytest.raises(events.EventError) as error:
        events.invite_candidate(event, other.follow_up, by=referent)
    assert "dont vous suivez le parcours" in error.value.message
    with pytest.raises(events.EventError):
        events.invite_candidate(event, mine.follow_up, by=referent)
    assert list(queries_events.invitable(scope_of(referent), event)) == []
    assert event.candidates.count() == 1


def scope_of(user):
    from cite_emploi.accounts.scope import build_scope

    return build_scope(user)


def test_organisers_note_presence_but_only_members_the_preparation(event, organiser, referent):
    person = followed_by(referent)
    candidate = events.invite_candidate(event, person.follow_up, by=referent)
    events.update_candidate(candidate, by=organiser, status=EventCandidate.Status.PRESENT)
    assert candidate.status == EventCandidate.Status.PRESENT
    with pytest.raises(events.EventError) as error:
        events.update_candidate(
            candidate, by=organiser, status="present", prepared=True, preparation="Atelier"
        )
    assert "Seuls les membres du suivi" in error.value.message
    events.update_candidate(candidate, by=referent, status="present", prepared=True, preparation="Atelier CV")
    candidate.refresh_from_db()
    assert candidate.prepared and candidate.preparation == "Atelier CV"
    with pytest.raises(events.EventError):
        events.update_candidate(candidate, by=member("counsellor"), status="absent")


# --- interviews and hires -----------------------------------------------------------------------


def test_a_hire_is_an_outcome_of_the_follow_up_recorded_by_a_member(event, organiser, referent):
    person = followed_by(referent)
    candidate = events.invite_candidate(event, person.follow_up, by=referent)
    employer = confirmed_employer(event, company_name="Logistique du Val")
    offer = employer.event_offers.get().offer
    hired_on = timezone.localdate() + timedelta(days=10)

    with pytest.raises(events.EventError) as error:
        events.record_interview(
            candidate, by=organiser, employer=employer, result="recrute", contract="cdi", hired_on=hired_on
        )
    assert "recrutement à confirmer par le référent" in error.value.message
    assert not Interview.objects.exists() and not Outcome.objects.exists()

    interview = events.record_interview(
        candidate, by=organiser, employer=employer, offer=offer, result="en-attente"
    )
    assert interview.outcome is None
    candidate.refresh_from_db()
    assert candidate.status == EventCandidate.Status.PRESENT

    interview = events.record_interview(
        candidate,
        by=referent,
        employer=employer,
        offer=offer,
        result="recrute",
        contract="cdi",
        hired_on=hired_on,
    )
    outcome = interview.outcome
    assert outcome.follow_up == person.follow_up
    assert (outcome.kind, outcome.contract, outcome.occurred_on) == (
        Outcome.Kind.LASTING_JOB,
        "cdi",
        hired_on,
    )
    assert outcome.details == "Recruté à l'opération « Job dating logistique » par Logistique du Val"
    assert Interview.objects.count() == 1
    assert person.follow_up.events.filter(kind=TimelineEvent.Kind.OUTCOME).exists()
    with pytest.raises(events.EventError) as error:
        events.record_interview(candidate, by=referent, employer=employer, result="non-retenu")
    assert "sortie du suivi" in error.value.message


def test_an_apprenticeship_is_a_training_outcome(event, referent):
    candidate = events.invite_candidate(event, followed_by(referent).follow_up, by=referent)
    employer = confirmed_employer(event)
    interview = events.record_interview(
        candidate,
        by=referent,
        employer=employer,
        result="recrute",
        contract="alternance",
        hired_on=timezone.localdate(),
    )
    assert (interview.outcome.kind, interview.outcome.contract) == (Outcome.Kind.TRAINING, "")
    assert interview.contract == "alternance"


def test_a_refused_outcome_leaves_no_interview(event, referent):
    candidate = events.invite_candidate(event, followed_by(referent).follow_up, by=referent)
    employer = confirmed_employer(event)
    with pytest.raises(events.EventError) as error:
        events.record_interview(
            candidate,
            by=referent,
            employer=employer,
            result="recrute",
            contract="cdi",
            hired_on=timezone.localdate() + timedelta(days=200),
        )
    assert "trop loin dans le futur" in error.value.message
    assert not Interview.objects.exists() and not Outcome.objects.exists()


def test_interviews_are_with_confirmed_employers_and_their_own_offers(event, referent):
    candidate = events.invite_candidate(event, followed_by(referent).follow_up, by=referent)
    pending = EventEmployerFactory(event=event, status=EventEmployer.Status.PENDING)
    with pytest.raises(events.EventError):
        events.record_interview(candidate, by=referent, employer=pending, result="en-attente")
    first, second = confirmed_employer(event), confirmed_employer(event)
    with pytest.raises(events.EventError) as error:
        events.record_interview(
            candidate, by=referent, employer=first, offer=second.event_offers.get().offer, result="en-attente"
        )
    assert "n'est pas présentée par cet employeur" in error.value.message
    with pytest.raises(events.EventError):
        events.record_interview(candidate, by=referent, employer=first, result="recrute", contract="cdi")


# --- figures ------------------------------------------------------------------------------------


def hand_made_event(title: str, *, present: int, absent: int, prepared: int, hires: int) -> RecruitmentEvent:
    """An event held last week: two confirmed employers (posts 2 + 3), a pending and a declined one."""
    event = RecruitmentEventFactory(title=title, starts_at=timezone.now() - timedelta(days=7))
    first, second = confirmed_employer(event), confirmed_employer(event)
    JobOffer.objects.filter(event_offers__employer=first).update(posts=2)
    JobOffer.objects.filter(event_offers__employer=second).update(posts=3)
    EventEmployerFactory(event=event, status=EventEmployer.Status.PENDING)
    EventEmployerFactory(event=event, status=EventEmployer.Status.DECLINED)
    statuses = ["present"] * present + ["absent"] * absent
    for n, status in enumerate(statuses):
        candidate = EventCandidateFactory(event=event, status=status, prepared=n < prepared)
        if status == "present":
            # Each person present met the first employer; the first ``hires`` of them were hired.
            InterviewFactory(
                candidate=candidate, employer=first, result="recrute" if n < hires else "non-retenu"
            )
    return event


def test_the_figures_of_an_event_are_counted_from_its_records(db):
    event = hand_made_event("Forum", present=3, absent=1, prepared=2, hires=1)
    figures = queries_events.event_figures(event)
    assert figures == queries_events.Figures(
        employers=2, offers=2, posts=5, invited=4, prepared=2, present=3, interviews=3, hires=1
    )
    assert figures.hire_rate == pytest.approx(1 / 3)


def test_results_of_all_events_hide_small_counts_of_people(gpsea, settings):
    settings.SECRECY_THRESHOLD = 5
    small = hand_made_event("Petit job dating", present=3, absent=1, prepared=2, hires=1)
    large = hand_made_event("Grand forum", present=8, absent=2, prepared=6, hires=5)
    RecruitmentEventFactory(title="Annulée", status=RecruitmentEvent.Status.CANCELLED)
    results = queries_events.results(gpsea)
    assert [row.event for row in results.rows] == [small, large]
    by_title = {row.event.title: row for row in results.rows}
    assert (by_title["Petit job dating"].employers, by_title["Petit job dating"].posts) == (2, 5)
    assert str(by_title["Petit job dating"].people["invited"]) == "secret"
    # Hiding one row would let the total give it away: the other row is hidden too.
    assert str(by_title["Grand forum"].people["invited"]) == "secret"
    assert str(results.total.people["invited"]) == "14"
    assert str(by_title["Grand forum"].people["hires"]) == "secret"
    assert str(results.total.people["hires"]) == "6"
    assert by_title["Petit job dating"].hire_rate == "secret statistique"
    assert results.total.hire_rate == "55 %"
    assert results.total.employers == 4 and results.distinct_employers == 4
    assert results.total.posts == 10


def test_results_never_protect_a_small_count_with_a_zero(gpsea, settings):
    # Hiding the empty event beside the small one would leave the total minus the large event
    # equal to the small count: the neighbour hidden is the smallest non-zero one (core.secrecy).
    settings.SECRECY_THRESHOLD = 5
    hand_made_event("Petit", present=3, absent=0, prepared=0, hires=0)
    hand_made_event("Vide", present=0, absent=0, prepared=0, hires=0)
    hand_made_event("Grand", present=8, absent=2, prepared=0, hires=0)
    results = queries_events.results(gpsea)
    invited = {row.event.title: str(row.people["invited"]) for row in results.rows}
    assert invited == {"Petit": "secret", "Vide": "0", "Grand": "secret"}
    assert str(results.total.people["invited"]) == "13"


def test_results_show_counts_at_or_above_the_threshold(gpsea, settings):
    settings.SECRECY_THRESHOLD = 2
    event = hand_made_event("Forum", present=3, absent=1, prepared=2, hires=1)
    row = queries_events.results(gpsea).rows[0]
    assert row.event == event
    assert {name: str(cell) for name, cell in row.people.items()} == {
        "invited": "4",
        "prepared": "2",
        "present": "3",
        "interviews": "3",
        "hires": "secret",
    }
    period = (timezone.localdate() + timedelta(days=1), None)
    assert queries_events.results(gpsea, period).rows == []
