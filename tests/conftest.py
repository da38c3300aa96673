import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The national reference data and the GPSEA territory, loaded once for the whole run."""
    from cite_emploi.territory.services import load_reference

    with django_db_blocker.unblock():
        load_reference()


@pytest.fixture
def gpsea(db):
    from cite_emploi.territory.models import Territory

    return Territory.objects.get(slug="gpsea")


@pytest.fixture
def other_territory(db):
    from tests.territory.factories import other_territory

    return other_territory()
