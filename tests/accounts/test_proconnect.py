from cite_emploi.accounts.backends import ProConnectBackend
from tests.accounts.factories import UserFactory


def test_proconnect_only_matches_existing_active_accounts(db):
    user = UserFactory(email="agent@exemple.fr")
    UserFactory(email="parti@exemple.fr", is_active=False)
    backend = ProConnectBackend.__new__(ProConnectBackend)  # no OIDC settings needed for the claim filter
    from cite_emploi.accounts.models import User

    backend.UserModel = User
    assert list(backend.filter_users_by_claims({"email": "AGENT@exemple.fr"})) == [user]
    assert not backend.filter_users_by_claims({"email": "parti@exemple.fr"}).exists()
    assert not backend.filter_users_by_claims({"email": "inconnu@exemple.fr"}).exists()
    assert not backend.filter_users_by_claims({}).exists()


def test_login_page_shows_proconnect_only_when_configured(client, db, settings):
    assert "ProConnect" not in client.get("/connexion/").content.decode()
