"""Schemathesis against the OpenAPI schema of /api/v1: whatever the parameters, never a server error.

The schema is read from the running WSGI application (as a client would, at
/api/v1/openapi.json) and every operation is fuzzed in-process, signed in as a counsellor, with
valid parameters (schemathesis' positive mode) and invalid ones (negative mode: wrong types,
out-of-range numbers, unknown values). Examples are bounded and derandomised, so that the run is
quick and the same on every machine; a failure prints the request that caused it.
"""

from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from cite_emploi.wsgi import application
from tests.accounts.factories import member
from tests.partners.factories import OrganisationFactory, saved_service

pytestmark = pytest.mark.django_db

SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
EXAMPLES = 30


@pytest.fixture
def session_cookie(client, gpsea, keep_test_connection):
    # Some data so that the answers carry records to serialise, not only empty pages.
    OrganisationFactory(name="Mission locale des Bords de Marne", networks=["mission-locale"])
    saved_service(
        name="Atelier CV", thematiques=["trouver-un-emploi--faire-des-candidatures-spontanees"],
        longitude=2.4571, latitude=48.8033,
    )  # fmt: skip
    client.force_login(member("counsellor", name="Agence du conseiller"))
    return client.cookies["sessionid"].value


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI application directly fires ``request_finished``, whose handler closes a
    connection that is inside a transaction: the test's own, on PostgreSQL. Django's test client
    detaches that handler for the same reason; so does this fixture, for the test's duration."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def strategy_for(operation):
    strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
    if operation.query or operation.path_parameters or operation.body:
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    return st.one_of(strategies)


def test_the_schema_lists_the_operations():
    assert {op.label for op in OPERATIONS} >= {
        "GET /api/v1/qpv/locate",
        "GET /api/v1/structures",
        "GET /api/v1/services",
    }


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_no_server_error(operation, session_cookie):
    statuses = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy_for(operation))
    def check(case):
        response = case.call(cookies={"sessionid": session_cookie})
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} {case.query} → {response.status_code}\n{response.text[:500]}"
        )
        # The session was accepted: a 401 would mean the fuzzing never reached the views.
        assert response.status_code != 401
        statuses[response.status_code] += 1

    check()
    # Both kinds of answers were reached: results, and refusals of invalid parameters.
    assert statuses[200] and any(400 <= status < 500 for status in statuses), statuses
