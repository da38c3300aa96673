import pytest
from django.core import mail
from django.urls import reverse

from cite_emploi.core.models import AuditEntry
from tests.accounts.factories import PASSWORD, UserFactory, member


def login(client, email, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_login_by_email_any_case_then_dashboard(client, db):
    user = member("coordinator")
    response = login(client, user.email.upper())
    assert response.status_code == 302
    assert response.url == reverse("accounts:home")
    page = client.get(response.url)
    assert "Tableau de bord" in page.content.decode()
    assert AuditEntry.objects.filter(action="login", actor=user).exists()


def test_wrong_password_says_so_in_french_and_is_audited(client, db):
    user = UserFactory()
    response = login(client, user.email, "mauvais")
    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect." in response.content.decode()
    entry = AuditEntry.objects.get(action="login_failed")
    assert entry.detail["email"] == user.email
    assert "mauvais" not in str(entry.detail)


def test_password_guessing_is_locked_out(client, db, settings):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.email, "mauvais")
    response = login(client, user.email)  # even the right password is refused now
    assert response.status_code == 429
    assert "temporairement bloquée" in response.content.decode()


def test_password_reset_by_email_in_french(client, db):
    user = UserFactory()
    response = client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "nouveau mot de passe" in message.subject
    link = next(line for line in message.body.splitlines() if "/mot-de-passe/nouveau/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path, follow=True)
    assert page.status_code == 200
    new = "Un tout nouveau secret 2026"
    done = client.post(page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert login(client, user.email, new).status_code == 302


def test_reset_for_unknown_email_reveals_nothing(client, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "inconnu@exemple.fr"})
    assert response.status_code == 302
    assert mail.outbox == []


@pytest.mark.parametrize("url_name", ["accounts:account", "territory:overview", "territory:check_address"])
def test_anonymous_users_are_sent_to_login(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_logout_is_a_post(client, db):
    user = member()
    client.force_login(user)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="logout", actor=user).exists()
