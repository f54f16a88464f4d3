"""Device tokens (django-rest-knox): one per signed-in device, named, listed, revocable, stored hashed, optionally
expiring; logout revokes the device's token, a password change revokes them all; DRF's old plain-text tokens
are carried over by the migration."""

from __future__ import annotations

import datetime as dt
import hashlib
import types

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from rest_framework.test import APIClient

from dlquiz.accounts.models import AuthToken, Device
from tests.factories import PASSWORD, api_error, client_for, device_token, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_sign_in_limits():
    """These tests sign in more often than the per-address limit allows in a minute."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _sign_in(user, device: str) -> dict:
    from django.core.cache import cache

    cache.clear()
    resp = APIClient().post(
        "/api/v1/auth/token",
        {"username": user.username, "password": PASSWORD, "device": device},
        format="json",
    )
    assert resp.status_code == 200, resp.content
    return resp.json()


def _with(token: str) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return c


def test_each_sign_in_makes_a_named_device_token_stored_only_as_its_hash():
    user = make_user()
    phone, tablet = _sign_in(user, "phone"), _sign_in(user, "tablet")
    assert phone["token"] != tablet["token"] and phone["name"] == "phone" and phone["expiry"] is None
    rows = AuthToken.objects.filter(user=user)
    assert rows.count() == 2
    assert sorted(Device.objects.filter(token__user=user).values_list("name", flat=True)) == [
        "phone",
        "tablet",
    ]
    # only SHA-512 digests are stored: no column holds the token
    assert {r.digest for r in rows} == {
        hashlib.sha512(t["token"].encode()).hexdigest() for t in (phone, tablet)
    }
    stored = [str(v) for r in [*rows.values(), *Device.objects.values()] for v in r.values()]
    assert not any(t["token"] in v for t in (phone, tablet) for v in stored)
    for t in (phone, tablet):
        assert _with(t["token"]).get("/api/v1/me").json()["username"] == user.username


def test_tokens_are_listed_with_the_current_one_marked_and_only_the_learners_own():
    user, other = make_user(), make_user()
    phone, tablet = _sign_in(user, "phone"), _sign_in(user, "tablet")
    _sign_in(other, "theirs")
    listed = _with(phone["token"]).get("/api/v1/auth/tokens").json()
    assert [(t["name"], t["current"]) for t in listed] == [("tablet", False), ("phone", True)]
    assert {t["id"] for t in listed} == {phone["id"], tablet["id"]}
    assert all("token" not in t for t in listed)
    api_error(APIClient().get("/api/v1/auth/tokens"), 401)


def test_a_revoked_token_gets_401_at_once_and_the_other_devices_keep_working():
    user = make_user()
    phone, tablet = _sign_in(user, "phone"), _sign_in(user, "tablet")
    c = _with(phone["token"])
    assert c.get("/api/v1/me").status_code == 200
    assert c.delete(f"/api/v1/auth/tokens/{tablet['id']}").status_code == 204
    resp = _with(tablet["token"]).get("/api/v1/me")
    api_error(resp, 401)
    assert resp["WWW-Authenticate"] == "Token"
    assert c.get("/api/v1/me").status_code == 200
    api_error(c.delete(f"/api/v1/auth/tokens/{tablet['id']}"), 404)


def test_another_learner_cannot_revoke_my_token():
    user, other = make_user(), make_user()
    mine = _sign_in(user, "phone")
    api_error(client_for(other).delete(f"/api/v1/auth/tokens/{mine['id']}"), 404)
    api_error(APIClient().delete(f"/api/v1/auth/tokens/{mine['id']}"), 401)
    assert _with(mine["token"]).get("/api/v1/me").status_code == 200


def test_logout_revokes_only_the_devices_own_token():
    user = make_user()
    phone, tablet = _sign_in(user, "phone"), _sign_in(user, "tablet")
    assert _with(phone["token"]).post("/api/v1/auth/logout").status_code == 204
    api_error(_with(phone["token"]).get("/api/v1/me"), 401)
    assert _with(tablet["token"]).get("/api/v1/me").status_code == 200


def test_a_password_change_revokes_every_token_and_keeps_the_session_that_made_it():
    user, other = make_user(), make_user()
    phone, tablet = _sign_in(user, "phone"), _sign_in(user, "tablet")
    theirs = device_token(other)
    browser = APIClient()
    browser.force_login(user)
    resp = browser.post(
        "/api/v1/auth/password",
        {"old_password": PASSWORD, "new_password": "another-long-pass-77"},
        format="json",
    )
    assert resp.status_code == 204, resp.content
    for t in (phone, tablet):
        api_error(_with(t["token"]).get("/api/v1/me"), 401)
    assert not AuthToken.objects.filter(user=user).exists()
    assert _with(theirs).get("/api/v1/me").status_code == 200
    assert browser.get("/api/v1/me").status_code == 200


def test_a_password_changed_from_a_device_signs_that_device_out_too():
    user = make_user()
    phone = _sign_in(user, "phone")
    resp = _with(phone["token"]).post(
        "/api/v1/auth/password",
        {"old_password": PASSWORD, "new_password": "another-long-pass-77"},
        format="json",
    )
    assert resp.status_code == 204, resp.content
    api_error(_with(phone["token"]).get("/api/v1/me"), 401)


def test_a_wrong_password_gives_no_token():
    user = make_user()
    resp = APIClient().post(
        "/api/v1/auth/token", {"username": user.username, "password": "nope"}, format="json"
    )
    api_error(resp, 400, "bad_credentials")
    assert not AuthToken.objects.exists()


def test_with_a_ttl_an_unused_token_expires_and_use_moves_the_expiry_on(settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": dt.timedelta(days=30)}
    user = make_user()
    start = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        t = _sign_in(user, "phone")
        assert t["expiry"] == "2026-03-31T12:00:00Z"
    with time_machine.travel(start + dt.timedelta(days=20), tick=False):
        assert _with(t["token"]).get("/api/v1/me").status_code == 200  # used on day 20: expires on day 50
    with time_machine.travel(start + dt.timedelta(days=45), tick=False):
        assert _with(t["token"]).get("/api/v1/me").status_code == 200
    with time_machine.travel(start + dt.timedelta(days=76), tick=False):
        api_error(_with(t["token"]).get("/api/v1/me"), 401)
    assert not AuthToken.objects.filter(user=user).exists()


def test_the_migration_carries_drf_plain_tokens_over_and_drops_their_table():
    from importlib import import_module

    legacy = import_module("dlquiz.accounts.migrations.0003_devices_on_knox_tokens")
    user = make_user()
    key = "0123456789abcdef0123456789abcdef01234567"  # DRF's 40-hex key, as an old client holds it
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)"
        )
        cur.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [key, dt.datetime(2025, 1, 2, tzinfo=dt.UTC), user.pk],
        )

        def execute(sql: str) -> None:
            cur.execute(sql)

        legacy.legacy_tokens_import(apps, types.SimpleNamespace(connection=connection, execute=execute))
    assert "authtoken_token" not in connection.introspection.table_names()
    token = AuthToken.objects.get(user=user)
    assert token.digest == hashlib.sha512(key.encode()).hexdigest() and token.device.name == "legacy token"
    assert token.created == dt.datetime(2025, 1, 2, tzinfo=dt.UTC)
    assert _with(key).get("/api/v1/me").json()["username"] == user.username


def test_a_password_set_outside_the_api_revokes_the_tokens_too(admin_client):
    """The admin's password form (and manage.py changepassword, which saves the same way) changes the
    password without the API: the learner's devices are signed out all the same; other learners' are not."""
    user, other = make_user(), make_user()
    phone = _sign_in(user, "phone")
    theirs = device_token(other)
    resp = admin_client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": "reset-by-admin-93x", "password2": "reset-by-admin-93x"},
    )
    assert resp.status_code == 302, resp.content[:500]
    user.refresh_from_db()
    assert user.check_password("reset-by-admin-93x")
    api_error(_with(phone["token"]).get("/api/v1/me"), 401)
    assert _with(theirs).get("/api/v1/me").status_code == 200
    # saving the user without a new password (a last_login update, a profile edit) keeps the tokens
    mine = device_token(user)
    user.email = "new@example.com"
    user.save()
    assert _with(mine).get("/api/v1/me").status_code == 200
