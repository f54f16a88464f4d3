"""The API's one error envelope and its schema."""

from __future__ import annotations

import json

import pytest

from dlquiz.study.models import ReviewLog
from tests.factories import api_error, client_for

pytestmark = pytest.mark.django_db


def test_malformed_json_is_a_400_envelope(owner):
    user, _, _ = owner
    resp = client_for(user).post("/api/v1/reviews", data="{not json", content_type="application/json")
    api_error(resp, 400, "parse_error")
    assert ReviewLog.objects.count() == 0


def test_error_envelope_is_documented_in_schema():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    assert json.dumps({"error": {"code": "x", "message": "y", "fields": {}}})
