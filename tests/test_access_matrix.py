"""Every URL of the platform, for every kind of visitor, answers what is expected.

A new route must be added to ``EXPECTED``: the first test fails until it is classified.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.access import EDIT_CENSUS, LOGIN, PROFESSIONALS_ONLY, READ_CENSUS, ROLES
from tests.accounts.factories import member
from tests.diagnostic import access_datasets as diagnostic_datasets
from tests.diagnostic import access_pages as diagnostic_pages
from tests.diagnostic import access_report as diagnostic_report
from tests.outreach import access_actions, access_events
from tests.steering import access_committees, access_dashboards, access_plan
from tests.talent import access_routes as talent_access

EXPECTED = {
    "accounts:home": ("/", 200, 200),
    "accounts:login": ("/connexion/", 200, 302),
    "accounts:logout": ("/deconnexion/", 405, 405),
    "accounts:password_reset": ("/mot-de-passe/oubli/", 200, 200),
    "accounts:password_reset_done": ("/mot-de-passe/oubli/envoye/", 200, 200),
    "accounts:password_reset_confirm": ("/mot-de-passe/nouveau/MQ/jeton-invalide/", 200, 200),
    "accounts:password_reset_complete": ("/mot-de-passe/modifie/", 200, 200),
    "accounts:account": ("/compte/", LOGIN, 200),
    "accounts:switch_territory": ("/compte/territoire/", LOGIN, 405),
    "core:help": ("/aide/", 200, 200),
    "core:help_page": ("/aide/premiers-pas/", 200, 200),
    "core:accessibility": ("/accessibilite/", 200, 200),
    "core:personal_data": ("/donnees-personnelles/", 200, 200),
    "core:sources": ("/sources/", 200, 200),
    "territory:overview": ("/territoire/", LOGIN, 200),
    "territory:perimeter_geojson": ("/territoire/perimetre.geojson", LOGIN, 200),
    "territory:check_address": ("/territoire/verifier-une-adresse/", LOGIN, 200),
    "api:api-root": ("/api/v1/", 404, 404),
    "api:openapi-json": ("/api/v1/openapi.json", 200, 200),
    "api:openapi-view": ("/api/v1/docs", 200, 200),
    "api:locate": ("/api/v1/qpv/locate?lon=2.45&lat=48.78", 401, 200),
    "partners:organisations": ("/partenaires/", LOGIN, 200, READ_CENSUS),
    "partners:organisation_create": (
        "/partenaires/organisations/nouvelle/",
        LOGIN,
        403,
        {"coordinator": 200},
    ),
    "partners:organisation": ("/partenaires/organisations/{org}/", LOGIN, 200, READ_CENSUS),
    "partners:organisation_edit": ("/partenaires/organisations/{org}/modifier/", LOGIN, 200, EDIT_CENSUS),
    "partners:site_create": ("/partenaires/organisations/{org}/lieux/nouveau/", LOGIN, 200, EDIT_CENSUS),
    "partners:contact_create": (
        "/partenaires/organisations/{org}/contacts/nouveau/",
        LOGIN,
        200,
        EDIT_CENSUS,
    ),
    "partners:partnership_create": (
        "/partenaires/organisations/{org}/partenariats/nouveau/",
        LOGIN,
        200,
        EDIT_CENSUS,
    ),
    "partners:service_create": (
        "/partenaires/organisations/{org}/services/nouveau/",
        LOGIN,
        200,
        EDIT_CENSUS,
    ),
    "partners:service": ("/partenaires/services/{service}/", LOGIN, 200, READ_CENSUS),
    "partners:service_edit": ("/partenaires/services/{service}/modifier/", LOGIN, 200, EDIT_CENSUS),
    "partners:service_confirm": ("/partenaires/services/{service}/confirmer/", LOGIN, 405, {"employer": 403}),
    "partners:service_delete": ("/partenaires/services/{service}/supprimer/", LOGIN, 200, EDIT_CENSUS),
    "partners:offer_io": ("/partenaires/offre/", LOGIN, 200, EDIT_CENSUS),
    "partners:offer_import": ("/partenaires/offre/import/", LOGIN, 200, EDIT_CENSUS),
    "partners:offer_export": ("/partenaires/offre/export/?format=xlsx", LOGIN, 200, EDIT_CENSUS),
    "partners:catalogue": ("/partenaires/catalogue/", LOGIN, 200, READ_CENSUS),
    "partners:catalogue_map_json": ("/partenaires/catalogue/carte.json", LOGIN, 200, READ_CENSUS),
    "partners:partner_map": ("/partenaires/carte/", LOGIN, 200, READ_CENSUS),
    "partners:partner_map_json": ("/partenaires/carte/organisations.json", LOGIN, 200, READ_CENSUS),
    "partners:network": ("/partenaires/reseau/", LOGIN, 200, READ_CENSUS),
    "partners:coverage": ("/partenaires/couverture/", LOGIN, 200, READ_CENSUS),
    "partners:coverage_cell": ("/partenaires/couverture/QN09406I/sante/", LOGIN, 200, READ_CENSUS),
    "partners:directory_export": ("/partenaires/annuaire.csv", LOGIN, 200, READ_CENSUS),
    "api:structures": ("/api/v1/structures", 401, 200, READ_CENSUS),
    "api:services": ("/api/v1/services", 401, 200, READ_CENSUS),
    # Referrals, inbox, cohorts, case reviews: professionals only; objects of other follow-ups are 404.
    "followup:referral_list": ("/suivi/orientations/", LOGIN, 200, PROFESSIONALS_ONLY),
    "followup:inbox": ("/suivi/orientations/recues/", LOGIN, 200, PROFESSIONALS_ONLY),
    "followup:referral_create": ("/suivi/orientations/nouvelle/", LOGIN, 200, PROFESSIONALS_ONLY),
    "followup:referral_stats": ("/suivi/orientations/delais/", LOGIN, 403, {"coordinator": 200}),
    "followup:referral_detail": ("/suivi/orientations/{referral}/", LOGIN, 404, PROFESSIONALS_ONLY),
    "followup:referral_send": ("/suivi/orientations/{referral}/envoyer/", LOGIN, 405, PROFESSIONALS_ONLY),
    "followup:referral_delete": ("/suivi/orientations/{referral}/supprimer/", LOGIN, 405, PROFESSIONALS_ONLY),
    "followup:referral_accept": ("/suivi/orientations/{referral}/accepter/", LOGIN, 405, PROFESSIONALS_ONLY),
    "followup:referral_refuse": ("/suivi/orientations/{referral}/refuser/", LOGIN, 405, PROFESSIONALS_ONLY),
    "followup:referral_start": ("/suivi/orientations/{referral}/commencer/", LOGIN, 405, PROFESSIONALS_ONLY),
    "followup:referral_complete": (
        "/suivi/orientations/{referral}/terminer/",
        LOGIN,
        405,
        PROFESSIONALS_ONLY,
    ),
    "followup:referral_abandon": (
        "/suivi/orientations/{referral}/abandonner/",
        LOGIN,
        405,
        PROFESSIONALS_ONLY,
    ),
    "followup:cohort_list": ("/suivi/cohortes/", LOGIN, 200, PROFESSIONALS_ONLY),
    "followup:cohort_create": ("/suivi/cohortes/nouvelle/", LOGIN, 403, {"coordinator": 200}),
    "followup:cohort_detail": ("/suivi/cohortes/{cohort}/", LOGIN, 200, PROFESSIONALS_ONLY),
    "followup:cohort_edit": ("/suivi/cohortes/{cohort}/modifier/", LOGIN, 403, {"coordinator": 200}),
    "followup:cohort_add": ("/suivi/cohortes/{cohort}/ajouter/", LOGIN, 405, PROFESSIONALS_ONLY),
    "followup:cohort_remove": (
        "/suivi/cohortes/{cohort}/retirer/{referred_person}/",
        LOGIN,
        405,
        PROFESSIONALS_ONLY,
    ),
    "followup:review_list": ("/suivi/instances/", LOGIN, 200, PROFESSIONALS_ONLY),
    "followup:review_create": ("/suivi/instances/nouvelle/", LOGIN, 200, PROFESSIONALS_ONLY),
    # The coordination opens every case review of its territory (names hidden); others only theirs.
    "followup:review_detail": (
        "/suivi/instances/{review}/",
        LOGIN,
        404,
        {**PROFESSIONALS_ONLY, "coordinator": 200},
    ),
    "followup:review_edit": (
        "/suivi/instances/{review}/modifier/",
        LOGIN,
        404,
        {**PROFESSIONALS_ONLY, "coordinator": 200},
    ),
    "followup:review_minutes": (
        "/suivi/instances/{review}/compte-rendu.pdf",
        LOGIN,
        404,
        {**PROFESSIONALS_ONLY, "coordinator": 200},
    ),
    "followup:review_item_add": (
        "/suivi/instances/{review}/situations/ajouter/",
        LOGIN,
        405,
        PROFESSIONALS_ONLY,
    ),
    "followup:review_item": (
        "/suivi/instances/{review}/situations/{review_item}/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:review_item_remove": (
        "/suivi/instances/{review}/situations/{review_item}/retirer/",
        LOGIN,
        405,
        PROFESSIONALS_ONLY,
    ),
    # Beneficiaries and their follow-up: {beneficiary} is followed by someone else, so every visitor of
    # the matrix gets 404 (tests/followup/test_personal_data.py checks members and former members).
    "followup:beneficiaries": ("/suivi/", LOGIN, 200, PROFESSIONALS_ONLY),
    "followup:beneficiary_create": ("/suivi/beneficiaires/nouveau/", LOGIN, 200, PROFESSIONALS_ONLY),
    "followup:beneficiary": ("/suivi/beneficiaires/{beneficiary}/", LOGIN, 404, PROFESSIONALS_ONLY),
    "followup:beneficiary_edit": (
        "/suivi/beneficiaires/{beneficiary}/modifier/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:fact_create": ("/suivi/beneficiaires/{beneficiary}/situation/", LOGIN, 404, PROFESSIONALS_ONLY),
    "followup:fact_end": (
        "/suivi/beneficiaires/{beneficiary}/situation/{fact}/fin/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:consent_create": (
        "/suivi/beneficiaires/{beneficiary}/consentement/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:consent_withdraw": (
        "/suivi/beneficiaires/{beneficiary}/consentement/retrait/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:consent_document": (
        "/suivi/beneficiaires/{beneficiary}/consentement/{consent}/formulaire/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:member_invite": (
        "/suivi/beneficiaires/{beneficiary}/membres/inviter/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:referent_transfer": (
        "/suivi/beneficiaires/{beneficiary}/membres/referent/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:member_end": (
        "/suivi/beneficiaires/{beneficiary}/membres/{follow_up_member}/fin/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:follow_up_close": (
        "/suivi/beneficiaires/{beneficiary}/cloture/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:follow_up_reopen": (
        "/suivi/beneficiaires/{beneficiary}/reouverture/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:barrier_create": (
        "/suivi/beneficiaires/{beneficiary}/freins/nouveau/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:barrier_status": (
        "/suivi/beneficiaires/{beneficiary}/freins/{barrier}/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:project_edit": ("/suivi/beneficiaires/{beneficiary}/projet/", LOGIN, 404, PROFESSIONALS_ONLY),
    "followup:timeline": ("/suivi/beneficiaires/{beneficiary}/parcours/", LOGIN, 404, PROFESSIONALS_ONLY),
    "followup:entry_create": (
        "/suivi/beneficiaires/{beneficiary}/parcours/nouveau/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:outcome_create": (
        "/suivi/beneficiaires/{beneficiary}/sorties/nouvelle/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:export_json": (
        "/suivi/beneficiaires/{beneficiary}/export.json",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:export_pdf": ("/suivi/beneficiaires/{beneficiary}/export.pdf", LOGIN, 404, PROFESSIONALS_ONLY),
    "followup:erase": ("/suivi/beneficiaires/{beneficiary}/effacement/", LOGIN, 404, PROFESSIONALS_ONLY),
    "followup:join_requests": ("/suivi/demandes/", LOGIN, 200, PROFESSIONALS_ONLY),
    "followup:join_request_create": ("/suivi/demandes/nouvelle/", LOGIN, 405, PROFESSIONALS_ONLY),
    "followup:join_request_answer": (
        "/suivi/demandes/{join_request}/reponse/",
        LOGIN,
        404,
        PROFESSIONALS_ONLY,
    ),
    "followup:rome_search": ("/suivi/metiers/?q=boulanger", LOGIN, 200, PROFESSIONALS_ONLY),
    "followup:audit_log": ("/suivi/journal/", LOGIN, 403, {"coordinator": 200}),
    # Beneficiary import: professionals only; a job is seen by its author alone (404 for others).
    "followup:import_start": ("/suivi/import/", LOGIN, 200, PROFESSIONALS_ONLY),
    "followup:import_job": ("/suivi/import/{import_job}/", LOGIN, 404, PROFESSIONALS_ONLY),
    "followup:import_mapping": ("/suivi/import/{import_job}/colonnes/", LOGIN, 404, PROFESSIONALS_ONLY),
    "followup:import_confirm": ("/suivi/import/{import_job}/confirmer/", LOGIN, 405, PROFESSIONALS_ONLY),
    "followup:import_cancel": ("/suivi/import/{import_job}/abandonner/", LOGIN, 405, PROFESSIONALS_ONLY),
}
# Each later app lists its routes beside its tests, with the objects their paths name.
ROUTE_LISTS = (
    access_actions,
    access_events,
    talent_access,
    diagnostic_pages,
    diagnostic_datasets,
    diagnostic_report,
    access_plan,
    access_dashboards,
    access_committees,
)
for _routes in ROUTE_LISTS:
    EXPECTED.update(_routes.ROUTES)
# Django's own admin: anyone without staff status is sent to its login page.
ADMIN_PREFIX = "admin:"


@pytest.fixture
def objects(db):
    from tests.partners.factories import saved_service

    service = saved_service()
    return {
        "org": service.organisation_id,
        "service": service.pk,
        **referral_objects(service),
        **beneficiary_objects(),
        **{key: value for routes in ROUTE_LISTS for key, value in routes.objects().items()},
    }


def beneficiary_objects() -> dict:
    """A person followed by someone else, with a fact, a consent form, a barrier and a join request."""
    from django.utils import timezone

    from cite_emploi.followup import services
    from cite_emploi.followup.models import BeneficiaryImport
    from tests.followup.factories import followed_by, organisation_of

    referent = member("counsellor")
    person = followed_by(referent)
    consent = person.consents.get()
    consent.document.name = "consentements/matrice.pdf"  # named only: no visitor may reach the file
    consent.save(update_fields=["document"])
    fact = services.add_situation_fact(person, by=referent, kind="rsa", started_on=timezone.localdate())
    barrier = services.add_barrier(person.follow_up, thematique="sante--acces-aux-soins", by=referent)
    asker = member("counsellor")
    join_request = services.request_to_join(person, by=asker, organisation=organisation_of(asker))
    import_job = BeneficiaryImport.objects.create(
        territory=person.territory,
        organisation=person.created_by_organisation,
        created_by=referent,
        filename="matrice.csv",
        file_format="csv",
    )
    return {
        "import_job": import_job.pk,
        "beneficiary": person.pk,
        "fact": fact.pk,
        "consent": consent.pk,
        "barrier": barrier.pk,
        "follow_up_member": person.follow_up.members.get().pk,
        "join_request": join_request.pk,
    }


def referral_objects(service) -> dict:
    """A sent referral, a cohort and a case review whose follow-ups no visitor of the matrix belongs to."""
    from datetime import date

    from cite_emploi.followup import referrals
    from cite_emploi.followup.models import CaseReview, CaseReviewItem, Cohort
    from tests.followup.factories import followed_by

    person = followed_by(member("counsellor"))
    referral = referrals.create_referral(
        person.follow_up, service, by=person.follow_up.members.get().user, send=True
    )
    cohort = Cohort.objects.create(
        territory=person.territory, name="Cohorte de la matrice", entry_on=date(2025, 1, 6)
    )
    cohort.follow_ups.add(person.follow_up)
    review = CaseReview.objects.create(
        territory=person.territory, title="Instance de la matrice", held_on=date(2025, 2, 3)
    )
    review.organisations.add(person.created_by_organisation)
    item = CaseReviewItem.objects.create(review=review, follow_up=person.follow_up)
    return {
        "referral": referral.pk,
        "cohort": cohort.pk,
        "review": review.pk,
        "review_item": item.pk,
        "referred_person": person.pk,
    }


def expectations():
    for name, entry in EXPECTED.items():
        path, anonymous, member_answer, *overrides = entry
        yield name, path, anonymous, member_answer, (overrides[0] if overrides else {})


def named_routes(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_routes(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_route_is_classified():
    routes = {name for name in named_routes() if not name.startswith(ADMIN_PREFIX)}
    assert routes - set(EXPECTED) == set(), "classify these routes in EXPECTED"


def test_anonymous(client, objects):
    for name, path, anonymous, _, _ in expectations():
        assert client.get(path.format(**objects)).status_code == anonymous, name


@pytest.mark.parametrize("role", ROLES)
def test_each_role_of_the_territory(client, objects, role):
    client.force_login(member(role))
    for name, path, _, member_answer, overrides in expectations():
        assert client.get(path.format(**objects)).status_code == overrides.get(role, member_answer), name


def test_a_user_without_membership_reaches_no_territory_page(client, objects):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory())
    for name, path, anonymous, _, _ in expectations():
        if anonymous in (LOGIN, 401) and not name.startswith("accounts:"):
            assert client.get(path.format(**objects)).status_code in (403, 401), name


@pytest.mark.parametrize("role", ROLES)
def test_another_territory_gets_404_on_our_objects(client, objects, other_territory, role):
    client.force_login(member(role, territory=other_territory))
    for name, path, _, member_answer, overrides in expectations():
        if "{" in path and overrides.get(role, member_answer) != 403:
            assert client.get(path.format(**objects)).status_code in (404, 405), name


def test_admin_is_for_platform_operators_only(client, db):
    client.force_login(member("coordinator"))
    assert client.get("/administration/").status_code == 302
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/administration/").status_code == 200


def test_another_territory_never_sees_gpsea_data(client, other_territory):
    client.force_login(member("coordinator", territory=other_territory))
    for path in ("/territoire/", "/territoire/perimetre.geojson", "/territoire/verifier-une-adresse/"):
        body = client.get(path).content.decode()
        assert "QN09405M" not in body and "Grand Paris Sud Est Avenir" not in body, path
