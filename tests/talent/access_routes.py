"""Routes of this part for the access matrix (tests/test_access_matrix.py), with the objects they name.

``ROUTES``: name → (sample path, anonymous answer, answer for each role of the territory,
{role: other answer}). ``objects()`` returns the ids the paths name, created by nobody the matrix
logs in as.

The CV library: elected officials and funders never enter it (403). Employers read published profiles
(anonymised) and their own organisation's offers and requests: the offer and the request below belong
to another employer, so they get 404. Professionals who do not follow the person read the published
profile's anonymised view only; its writes, CV and requests are 404 for them.
"""

from tests.access import LOGIN, PROFESSIONALS_ONLY

USERS = {"elected": 403, "funder": 403}
EMPLOYER_ONLY = {"coordinator": 403, "counsellor": 403, "elected": 403, "funder": 403, "employer": 200}
OFFER_WRITERS = {"counsellor": 403, "elected": 403, "funder": 403}

ROUTES = {
    "talent:home": ("/cvtheque/", LOGIN, 200, USERS),
    "talent:search": ("/cvtheque/recherche/?mots=commandes", LOGIN, 200, USERS),
    "talent:offer_rome_search": ("/cvtheque/metiers/?q=cariste", LOGIN, 200, USERS),
    "talent:profile_create": ("/cvtheque/profils/nouveau/", LOGIN, 200, PROFESSIONALS_ONLY),
    "talent:profile": ("/cvtheque/profils/{talent_profile}/", LOGIN, 200, USERS),
    "talent:profile_edit": ("/cvtheque/profils/{talent_profile}/modifier/", LOGIN, 404, PROFESSIONALS_ONLY),
    "talent:profile_publish": ("/cvtheque/profils/{talent_profile}/publier/", LOGIN, 405, PROFESSIONALS_ONLY),
    "talent:profile_suspend": (
        "/cvtheque/profils/{talent_profile}/suspendre/",
        LOGIN,
        405,
        PROFESSIONALS_ONLY,
    ),
    "talent:profile_consent_withdraw": (
        "/cvtheque/profils/{talent_profile}/retrait-de-l-accord/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "talent:profile_consent_renew": (
        "/cvtheque/profils/{talent_profile}/nouvel-accord/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "talent:profile_cv": ("/cvtheque/profils/{talent_profile}/cv.pdf", LOGIN, 404, PROFESSIONALS_ONLY),
    "talent:contact_create": (
        "/cvtheque/profils/{talent_profile}/mise-en-relation/",
        LOGIN,
        403,
        EMPLOYER_ONLY,
    ),
    "talent:offers": ("/cvtheque/offres/", LOGIN, 200, USERS),
    "talent:offer_create": ("/cvtheque/offres/nouvelle/", LOGIN, 200, OFFER_WRITERS),
    # Another employer's offer: the coordination and counsellors read it (it is open), employers do not.
    "talent:offer": ("/cvtheque/offres/{job_offer}/", LOGIN, 200, {**USERS, "employer": 404}),
    "talent:offer_edit": (
        "/cvtheque/offres/{job_offer}/modifier/",
        LOGIN,
        200,
        {**OFFER_WRITERS, "employer": 404},
    ),
    "talent:offer_close": ("/cvtheque/offres/{job_offer}/cloture/", LOGIN, 405, OFFER_WRITERS),
    "talent:contact_requests": ("/cvtheque/mises-en-relation/", LOGIN, 200, USERS),
    "talent:contact_answer": (
        "/cvtheque/mises-en-relation/{contact_request}/reponse/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "talent:contact_withdraw": (
        "/cvtheque/mises-en-relation/{contact_request}/retrait/",
        LOGIN,
        403,
        {"employer": 405},
    ),
}


def objects() -> dict:
    """A published profile of a person followed by someone else, an open offer of another employer, and
    that employer's contact request about the profile."""
    from cite_emploi.partners.models import OrganisationKind
    from tests.accounts.factories import member
    from tests.followup.factories import followed_by, organisation_of
    from tests.talent.factories import ContactRequestFactory, JobOfferFactory, profile_of

    profile = profile_of(followed_by(member("counsellor")))
    employer = member("employer", kind=OrganisationKind.EMPLOYER)
    organisation = organisation_of(employer)
    offer = JobOfferFactory(organisation=organisation)
    contact = ContactRequestFactory(
        profile=profile, organisation=organisation, offer=offer, requested_by=employer
    )
    return {
        "talent_profile": profile.reference,
        "job_offer": offer.reference,
        "contact_request": contact.pk,
    }
