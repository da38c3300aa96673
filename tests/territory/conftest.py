import pytest

from tests.territory.fake_geocoder import FakeGeocoder


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
