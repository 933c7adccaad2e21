"""Schemathesis against the live schema: every operation, fed generated valid and invalid
input, answers without a server error and as its schema says (status, content type, headers,
body). Whether a well-typed value is also a good one (a known ref, a month that has ended) is
the API's own tests' business, so the data-acceptance checks are left out."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from .conftest import key_for

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture
def fuzz_key(acme, settings):
    settings.API_HTTPS_ONLY = False  # the WSGI client speaks plain HTTP in-process
    # As Django's own test client does: a request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield key_for(acme)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_to_its_schema(case, fuzz_key):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_key}"},
        excluded_checks=[checks.positive_data_acceptance, checks.negative_data_rejection],
    )
