"""Outages: with the cache (Redis) unreachable reviews, answers and sign-ins still work (the throttles
fail open and say so in the log); with the database unreachable the API answers 503 in the envelope."""

from __future__ import annotations

import logging

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import override_settings
from rest_framework.test import APIClient

from dlquiz.exercises.models import ExerciseAttempt
from dlquiz.study.models import CardState, ReviewLog
from tests.factories import PASSWORD, api_error, client_for, enrolled_user, make_user, rid, token_client

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: every cache call fails to connect, as when Redis is down.
REDIS_DOWN = override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
)


@pytest.fixture
def cache_down(caplog):
    caplog.set_level(logging.WARNING, logger="dlquiz.api.throttles")
    with REDIS_DOWN:
        yield caplog


def _skipped(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "the cache is unreachable" in r.getMessage()]


def test_reviews_are_recorded_while_the_cache_is_down(cache_down):
    user, _, cards = enrolled_user(2)
    resp = client_for(user).post(
        "/api/v1/reviews", {"card": cards[0].id, "rating": 3, "client_review_id": rid()}, format="json"
    )
    assert resp.status_code == 201, resp.content
    assert ReviewLog.objects.filter(user=user, card=cards[0]).count() == 1
    assert CardState.objects.get(user=user, card=cards[0]).reps == 1
    assert any("scope review" in m for m in _skipped(cache_down))


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/token"])
def test_sign_in_works_while_the_cache_is_down(cache_down, path):
    user = make_user()
    c = APIClient()
    assert c.post(path, {"username": user.username, "password": PASSWORD}, format="json").status_code == 200
    wrong = c.post(path, {"username": user.username, "password": "nope"}, format="json")
    api_error(wrong, 400, "bad_credentials")
    messages = _skipped(cache_down)
    assert any("throttle login skipped" in m for m in messages)
    assert any("throttle login username skipped" in m for m in messages)


def test_admin_sign_in_works_while_the_cache_is_down(cache_down, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456789")
    resp = APIClient().post(
        "/admin/login/", {"username": "root", "password": "pw-123456789", "next": "/admin/"}
    )
    assert resp.status_code == 302 and resp["Location"] == "/admin/"


def test_exercise_answers_are_graded_while_the_cache_is_down(cache_down):
    user, _, cards = enrolled_user(1, kind="exercise", family="conv2d_output_size")
    c = client_for(user)
    ex = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    resp = c.post(
        f"/api/v1/cards/{cards[0].id}/exercise",
        {"attempt": ex["attempt"], "answers": {"out": "7"}},
        format="json",
    )
    assert resp.status_code == 200, resp.content
    assert ExerciseAttempt.objects.get(pk=ex["attempt"]).result == resp.json()
    assert any("scope answer" in m for m in _skipped(cache_down))


@pytest.fixture
def database_down(monkeypatch, caplog):
    """Every new query fails as it does when PostgreSQL is unreachable or has dropped the connection."""

    def refuse(*args, **kwargs):
        raise OperationalError(
            'connection to server at "db" (10.0.0.5), port 5432 failed: Connection refused'
        )

    caplog.set_level(logging.ERROR, logger="dlquiz.api.errors")
    return lambda: monkeypatch.setattr(connection, "ensure_connection", refuse)


def test_database_outage_is_a_503_envelope(database_down, caplog):
    user, _, cards = enrolled_user(1)
    c = token_client(user)
    database_down()
    for resp in (
        c.get("/api/v1/study/queue"),  # fails in authentication (the token lookup)
        c.post(
            "/api/v1/reviews", {"card": cards[0].id, "rating": 3, "client_review_id": rid()}, format="json"
        ),
        APIClient().post(
            "/api/v1/auth/login", {"username": user.username, "password": PASSWORD}, format="json"
        ),
    ):
        err = api_error(resp, 503, "unavailable")
        assert err["fields"] == {} and resp["Retry-After"] == "5"
    assert any("database unavailable" in r.getMessage() for r in caplog.records)


def test_dropped_database_connection_is_a_503_envelope(monkeypatch):
    user, _, cards = enrolled_user(1)

    def closed(*args, **kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(connection, "ensure_connection", closed)
    resp = client_for(user).post(
        "/api/v1/reviews", {"card": cards[0].id, "rating": 3, "client_review_id": rid()}, format="json"
    )
    api_error(resp, 503, "unavailable")
    monkeypatch.undo()
    assert ReviewLog.objects.count() == 0
