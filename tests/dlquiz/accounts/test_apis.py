"""The account endpoints over HTTP: sign-up, session login (with CSRF and throttling), mobile tokens, ``me``."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from dlquiz.study.models import ReviewLog
from tests.factories import PASSWORD, api_error, client_for, make_user, rid

pytestmark = pytest.mark.django_db


def test_me_needs_a_learner_and_shows_only_theirs(owner):
    user, _, _ = owner
    other = make_user()
    api_error(client_for().get("/api/v1/me"), 401)
    assert client_for(user).get("/api/v1/me").json()["username"] == user.username
    other_resp = client_for(other).get("/api/v1/me")
    assert other_resp.status_code == 200 and user.username not in other_resp.content.decode()


def test_token_auth_for_mobile_clients(owner):
    user, _, _ = owner
    resp = APIClient().post(
        "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert resp.status_code == 200
    token = resp.json()["token"]
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert c.get("/api/v1/me").json()["username"] == user.username
    api_error(
        APIClient().post(
            "/api/v1/auth/token", {"username": user.username, "password": "nope"}, format="json"
        ),
        400,
    )


def test_session_login_enforces_csrf(owner):
    user, _, cards = owner
    c = APIClient(enforce_csrf_checks=True)
    assert c.post(
        "/api/v1/auth/login", {"username": user.username, "password": PASSWORD}, format="json"
    ).status_code in (200, 403)
    c.force_login(user)
    resp = c.post(
        "/api/v1/reviews", {"card": cards[0].id, "rating": 3, "client_review_id": rid()}, format="json"
    )
    api_error(resp, 403)
    assert ReviewLog.objects.count() == 0


def test_signup_enrols_in_bundled_decks_and_logs_in():
    from dlquiz.decks.models import Deck
    from tests.factories import make_deck

    make_deck(4)
    assert Deck.objects.filter(owner__isnull=True).count() == 1
    c = APIClient()
    resp = c.post(
        "/api/v1/auth/signup", {"username": "newbie", "password": "a-long-password-42"}, format="json"
    )
    assert resp.status_code == 201, resp.content
    decks = c.get("/api/v1/decks").json()
    assert [d["new"] for d in decks] == [4]
    err = api_error(
        APIClient().post(
            "/api/v1/auth/signup", {"username": "newbie", "password": "a-long-password-42"}, format="json"
        ),
        400,
    )
    assert "username" in err["fields"]
    err = api_error(
        APIClient().post("/api/v1/auth/signup", {"username": "weak", "password": "123"}, format="json"), 400
    )
    assert "password" in err["fields"]


def test_login_is_throttled(settings, owner):
    from django.core.cache import cache

    cache.clear()
    user, _, _ = owner
    c = APIClient()
    codes = [
        c.post(
            "/api/v1/auth/login", {"username": user.username, "password": "wrong"}, format="json"
        ).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [400] * 10 and codes[-1] == 429
    cache.clear()
