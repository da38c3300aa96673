"""Routes of this part for the access matrix (tests/test_access_matrix.py), with the objects they name.

``ROUTES``: name → (sample path, anonymous answer, answer for each role of the territory,
{role: other answer}). ``objects()`` returns the ids the paths name, created by nobody the matrix
logs in as.

{event} is organised by an organisation nobody of the matrix belongs to, open to employers'
registration: counsellors read it but do not manage it, employers read it (open) without taking part.
{event_candidate} is followed by someone else: only the coordination (organiser of every event of
the territory) reaches its pages, without its name. The registration page is public; a signed-in
user of another territory gets 404 there like everywhere else.
"""

from tests.access import LOGIN, PROFESSIONALS_ONLY

E = "/aller-vers/operations/{event}/"
C = E + "candidats/{event_candidate}/"
READERS = {"elected": 403, "funder": 403}
COORDINATION = {**PROFESSIONALS_ONLY, "coordinator": 200}

ROUTES = {
    "outreach:events": ("/aller-vers/operations/", LOGIN, 200, READERS),
    "outreach:event_create": ("/aller-vers/operations/nouvelle/", LOGIN, 200, PROFESSIONALS_ONLY),
    "outreach:event_results": ("/aller-vers/operations/resultats/", LOGIN, 200, PROFESSIONALS_ONLY),
    "outreach:event_results_export": ("/aller-vers/operations/resultats.csv", LOGIN, 200, PROFESSIONALS_ONLY),
    "outreach:event_rome_search": ("/aller-vers/operations/metiers/?q=cariste", 200, 200),
    "outreach:event_register_done": ("/aller-vers/operations/inscription-envoyee/", 200, 200),
    "outreach:event": (E, LOGIN, 200, READERS),
    "outreach:event_edit": (E + "modifier/", LOGIN, 403, {"coordinator": 200}),
    "outreach:event_register": (E + "inscription/", 200, 200),
    "outreach:event_join": (E + "participer/", LOGIN, 403, {"employer": 405}),
    "outreach:event_employer_confirm": (
        E + "employeurs/{event_employer}/confirmer/",
        LOGIN,
        405,
        PROFESSIONALS_ONLY,
    ),
    "outreach:event_employer_decline": (
        E + "employeurs/{event_employer}/refuser/",
        LOGIN,
        405,
        PROFESSIONALS_ONLY,
    ),
    "outreach:event_offer_add": (E + "offres/nouvelle/", LOGIN, 403, {"coordinator": 200}),
    "outreach:event_invite": (E + "candidats/inviter/", LOGIN, 200, PROFESSIONALS_ONLY),
    "outreach:event_candidate": (C, LOGIN, 404, COORDINATION),
    "outreach:event_interview": (C + "entretien/", LOGIN, 404, COORDINATION),
}


def objects() -> dict:
    from cite_emploi.outreach.models import EventCandidate, EventEmployer
    from tests.accounts.factories import member
    from tests.followup.factories import followed_by, organisation_of
    from tests.outreach.factories import RecruitmentEventFactory
    from tests.partners.factories import OrganisationFactory

    event = RecruitmentEventFactory()
    event.organisers.add(OrganisationFactory())
    registration = EventEmployer.objects.create(
        event=event,
        company_name="Entreprise de la matrice",
        siret="73282932000074",
        contact_name="Contact de la matrice",
        contact_email="contact@matrice.example",
    )
    referent = member("counsellor")
    person = followed_by(referent)
    candidate = EventCandidate.objects.create(
        event=event, follow_up=person.follow_up, invited_by=referent, organisation=organisation_of(referent)
    )
    return {"event": event.pk, "event_employer": registration.pk, "event_candidate": candidate.pk}
