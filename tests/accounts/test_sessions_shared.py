"""With the shared cache, sessions are read from Redis: a logout or a disabled account still ends
them on the next request, for every worker."""

from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.accounts.factories import member
from tests.accounts.test_login import login


def _second_worker(client) -> Client:
    """Another browser tab holding the same session cookie (another worker reads it from Redis)."""
    other = Client(HTTP_HOST="localhost")
    other.cookies = client.cookies
    return other


def test_a_page_reads_the_session_from_the_cache_not_the_database(client, db, shared_cache):
    user = member("coordinator")
    login(client, user.email)
    client.get(reverse("core:help"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("core:help")).status_code == 200
    assert not any("django_session" in q["sql"] for q in queries.captured_queries)
    assert Session.objects.count() == 1  # still kept in the database, which outlives a cache flush


def test_a_logout_ends_the_session_everywhere(client, db, shared_cache):
    user = member("coordinator")
    login(client, user.email)
    other = _second_worker(client)
    assert other.get(reverse("core:help")).status_code == 200
    client.post(reverse("accounts:logout"))
    answer = other.get(reverse("accounts:account"))
    assert answer.status_code == 302 and answer.url.startswith(reverse("accounts:login"))
    assert not Session.objects.exists()


def test_a_disabled_account_is_out_on_its_next_request(client, db, shared_cache):
    user = member("coordinator")
    login(client, user.email)
    assert client.get(reverse("accounts:account")).status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    answer = client.get(reverse("accounts:account"))
    assert answer.status_code == 302 and answer.url.startswith(reverse("accounts:login"))
