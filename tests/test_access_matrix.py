"""Every URL of the platform, for every kind of visitor, answers what is expected.

A new route must be added to ``EXPECTED``: the first test fails until it is classified.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.accounts.factories import member

ROLES = ("coordinator", "counsellor", "elected", "funder", "employer")
LOGIN = 302  # anonymous visitors are sent to the login page

# name → (sample path, anonymous answer, answer for each role of the territory, {role: other answer}).
# Paths may name {org} and {service}: an organisation of the territory the visitor is not a member of.
READ_CENSUS = {"employer": 403}
EDIT_CENSUS = {"counsellor": 403, "elected": 403, "funder": 403, "employer": 403}
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
    "core:upcoming": ("/a-venir/suivi/", 200, 200),
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
}
# Django's own admin: anyone without staff status is sent to its login page.
ADMIN_PREFIX = "admin:"


@pytest.fixture
def objects(db):
    from tests.partners.factories import saved_service

    service = saved_service()
    return {"org": service.organisation_id, "service": service.pk}


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
