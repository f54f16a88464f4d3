"""Schema fuzzing (schemathesis) against a live test server, over every operation, as a learner with a
token and anonymously: no server error, and every response conforms to the schema (status code, content
type, headers and body). Bounded so it runs in well under two minutes; it never skips."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dlquiz.decks.services import deck_enroll
from tests.factories import device_token, enrolled_user, make_deck

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 5


@pytest.fixture
def learner_token(transactional_db):
    """A learner with basic and exercise cards, one reviewed: small ids exist, so some requests find them."""
    user, _, cards = enrolled_user(3)
    deck_enroll(user=user, deck=make_deck(2, kind="exercise", family="conv2d_output_size"))
    review = {"card": cards[0].id, "rating": 3, "client_review_id": "fuzz-seed-1"}
    token = device_token(user)
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert c.post("/api/v1/reviews", review, format="json").status_code == 201
    return f"Token {token}"


@pytest.fixture
def api_schema(live_server, transactional_db):
    return schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema")


schema = schemathesis.pytest.from_fixture("api_schema")


def fuzzed(test):
    """One schemathesis test per operation, bounded and reproducible."""
    return schema.parametrize()(
        settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )(test)
    )


@fuzzed
def test_every_operation_as_a_learner_conforms_and_never_fails(case, learner_token, live_server):
    case.call_and_validate(base_url=live_server.url, headers={"Authorization": learner_token}, checks=CHECKS)


@fuzzed
def test_every_operation_anonymously_conforms_and_never_fails(case, live_server):
    case.call_and_validate(base_url=live_server.url, checks=CHECKS)
