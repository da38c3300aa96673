from uuid import uuid4

import pytest
import redis

from tests.territory.fake_geocoder import FakeGeocoder


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The national reference data and the GPSEA territory, loaded once for the whole run."""
    from cite_emploi.territory.services import load_reference

    with django_db_blocker.unblock():
        load_reference()


@pytest.fixture(autouse=True)
def empty_cache(settings):
    """Each test starts with an empty cache: rolled-back rows may come back with the same ids.

    Stale figures are recomputed before answering: a test's transaction is invisible to the thread
    that would recompute them on a live server (``core.recent``).
    """
    from django.core.cache import cache

    settings.RECENT_REFRESH = "inline"
    cache.clear()


@pytest.fixture
def gpsea(db):
    from cite_emploi.territory.models import Territory

    return Territory.objects.get(slug="gpsea")


@pytest.fixture
def other_territory(db):
    from tests.territory.factories import other_territory

    return other_territory()


@pytest.fixture(scope="session")
def fake_geocoder_server():
    server = FakeGeocoder().start()
    yield server
    server.stop()


@pytest.fixture
def fake_geocoder(fake_geocoder_server, settings):
    """The fake address API, reset to normal answers and set as ``settings.GEOCODER``.

    Short timeout and no backoff keep the slow and failing cases quick.
    """
    fake_geocoder_server.reset()
    settings.GEOCODER = {"URL": fake_geocoder_server.url, "TIMEOUT": 1.0, "RETRIES": 2, "BACKOFF": 0.0}
    yield fake_geocoder_server
    fake_geocoder_server.reset()


# The local Redis, database 15: the tests' own, keys under a prefix per test and deleted after it.
REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture
def shared_cache(settings):
    """The production cache (``CACHE_URL``): Redis, shared by every process, with sessions in it."""
    prefix = f"test-{uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": prefix,
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield prefix
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
