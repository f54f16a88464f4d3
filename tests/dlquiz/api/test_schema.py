"""The OpenAPI schema documents what the API answers: the error envelope on every operation, wall-clock
times as patterns (not RFC 3339 ``time``, which needs an offset)."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from dlquiz.api.schema import ERROR_STATUSES

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_documents_the_error_envelope(schema):
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    assert set(ERROR_STATUSES) >= {"400", "401", "403", "404", "409", "413", "429"}
    for status in ERROR_STATUSES:
        response = schema["components"]["responses"][f"Error{status}"]
        assert response["content"]["application/json"]["schema"] == envelope
    operations = [(path, m, op) for path, ops in schema["paths"].items() for m, op in ops.items()]
    assert len(operations) > 20
    for path, method, op in operations:
        missing = set(ERROR_STATUSES) - set(op["responses"])
        assert not missing, (method, path, missing)
        assert any(code.startswith("2") for code in op["responses"]), (method, path)
    error = schema["components"]["schemas"]["ErrorEnvelope"]["properties"]["error"]
    assert error["required"] == ["code", "message", "fields"]


def test_reminder_time_is_a_wall_clock_pattern_not_an_rfc3339_time(schema):
    for name in ("Settings", "PatchedSettingsRequest", "SettingsRequest"):
        if name in schema["components"]["schemas"]:
            field = schema["components"]["schemas"][name]["properties"]["reminder_time"]
            assert "format" not in field and field["pattern"].startswith("^"), name


def test_undo_answers_a_review_with_an_integer_id(schema):
    op = schema["paths"]["/api/v1/reviews/undo"]["post"]
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    review = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert review["properties"]["id"]["type"] == "integer" and "id" in review["required"]
