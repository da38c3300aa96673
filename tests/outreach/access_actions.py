"""Routes of this part for the access matrix (tests/test_access_matrix.py), with the objects they name.

``ROUTES``: name → (sample path, anonymous answer, answer for each role of the territory,
{role: other answer}). ``objects()`` returns the ids the paths name, created by nobody the matrix
logs in as.
"""

from tests.access import LOGIN, PROFESSIONALS_ONLY

# The coordination edits every action; the matrix's counsellor works in none of the action's structures.
EDIT = {"coordinator": 200}

ROUTES = {
    # An employer-only account lands on the recruitment operations, its part of the aller-vers.
    "outreach:actions": ("/aller-vers/", LOGIN, 200, {**PROFESSIONALS_ONLY, "employer": 302}),
    "outreach:calendar": ("/aller-vers/calendrier/?mois=2025-03", LOGIN, 200, PROFESSIONALS_ONLY),
    "outreach:map": ("/aller-vers/carte/", LOGIN, 200, PROFESSIONALS_ONLY),
    "outreach:results": ("/aller-vers/resultats/", LOGIN, 200, PROFESSIONALS_ONLY),
    "outreach:results_export": ("/aller-vers/resultats.csv", LOGIN, 200, PROFESSIONALS_ONLY),
    "outreach:action_create": ("/aller-vers/actions/nouvelle/", LOGIN, 200, PROFESSIONALS_ONLY),
    "outreach:action": ("/aller-vers/actions/{outreach_action}/", LOGIN, 200, PROFESSIONALS_ONLY),
    "outreach:action_edit": ("/aller-vers/actions/{outreach_action}/modifier/", LOGIN, 403, EDIT),
    "outreach:action_report": ("/aller-vers/actions/{outreach_action}/bilan/", LOGIN, 403, EDIT),
    "outreach:action_delete": ("/aller-vers/actions/{outreach_action}/supprimer/", LOGIN, 403, EDIT),
    "outreach:action_origin_add": (
        "/aller-vers/actions/{outreach_action}/origines/ajouter/",
        LOGIN,
        405,
        PROFESSIONALS_ONLY,
    ),
    "outreach:action_origin_remove": (
        "/aller-vers/actions/{outreach_action}/origines/{outreach_origin}/retirer/",
        LOGIN,
        405,
        PROFESSIONALS_ONLY,
    ),
    # The person is followed by someone else: a 404 for the professionals, as on every person's page.
    "outreach:action_origin_for_person": (
        "/aller-vers/actions/origine-du-suivi/{outreach_person}/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "outreach:series_create": ("/aller-vers/permanences/nouvelle/", LOGIN, 200, PROFESSIONALS_ONLY),
    "outreach:series": ("/aller-vers/permanences/{outreach_series}/", LOGIN, 200, PROFESSIONALS_ONLY),
    "outreach:series_edit": ("/aller-vers/permanences/{outreach_series}/modifier/", LOGIN, 403, EDIT),
}


def objects() -> dict:
    """A held action with a follow-up started there, and a weekly permanence, all of someone else."""
    from datetime import timedelta

    from django.utils import timezone

    from cite_emploi.outreach.models import ActionOrigin
    from tests.accounts.factories import member
    from tests.followup.factories import followed_by
    from tests.outreach.factories import OutreachActionFactory, OutreachSeriesFactory, ReachedCountFactory
    from tests.partners.factories import OrganisationFactory

    organisation = OrganisationFactory()
    action = OutreachActionFactory(starts_at=timezone.now() - timedelta(days=3))
    action.organisations.add(organisation)
    ReachedCountFactory(action=action)
    person = followed_by(member("counsellor"))
    origin = ActionOrigin.objects.create(action=action, follow_up=person.follow_up)
    series = OutreachSeriesFactory()
    series.organisations.add(organisation)
    return {
        "outreach_action": action.pk,
        "outreach_origin": origin.pk,
        "outreach_person": person.pk,
        "outreach_series": series.pk,
    }
