"""Throttles: a client is its TCP peer unless proxies are trusted; sign-ins are limited per address and
per username, on the API and the admin alike."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.test import APIClient

from dlquiz.api.throttles import client_ip
from tests.factories import PASSWORD, api_error, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # many sign-ins, fast
    cache.clear()
    yield
    cache.clear()


def _login(c: APIClient, username: str, password: str = "wrong", path: str = "/api/v1/auth/login", **extra):
    return c.post(path, {"username": username, "password": password}, format="json", **extra)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "203.0.113.9"),
        (0, "1.1.1.1, 2.2.2.2", "203.0.113.9"),  # no proxy trusted: the header is the client's own text
        (1, "1.1.1.1, 2.2.2.2", "2.2.2.2"),  # our one proxy appended the address it saw
        (2, "1.1.1.1, 2.2.2.2, 3.3.3.3", "2.2.2.2"),
        (2, " 9.9.9.9 ,1.1.1.1,2.2.2.2 ", "1.1.1.1"),
        (3, "2.2.2.2", "2.2.2.2"),  # fewer entries than proxies: the leftmost
        (1, "", "203.0.113.9"),  # no header at all: the peer
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": "203.0.113.9"}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **meta)) == expected


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/token"])
def test_guesses_with_sixty_forged_forwarded_for_addresses_are_throttled(path):
    """Regression: the throttle keyed on X-Forwarded-For, so one client writing a new address into it
    on every request was never limited. 60 guesses, 60 addresses, 60 usernames (so only the per-address
    limit can apply): after THROTTLE_LOGIN (10/min) they get 429."""
    c = APIClient(REMOTE_ADDR="198.51.100.7")
    codes = [
        _login(c, f"victim{i}", path=path, HTTP_X_FORWARDED_FOR=f"10.0.{i}.{i + 1}").status_code
        for i in range(60)
    ]
    assert codes[:10] == [400] * 10
    assert codes[10:] == [429] * 50
    # Another client (another peer) still has its own budget.
    assert _login(APIClient(REMOTE_ADDR="198.51.100.8"), "victim0", path=path).status_code == 400


def test_behind_a_trusted_proxy_each_real_client_has_its_own_budget(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from our proxy
    attacker = APIClient(**proxy)
    codes = [
        # The attacker forges entries on the left; our proxy appends the real address on the right.
        _login(attacker, f"user{i}", HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 198.51.100.7").status_code
        for i in range(12)
    ]
    assert codes[:10] == [400] * 10 and codes[10:] == [429, 429]
    other = APIClient(**proxy)
    assert _login(other, "user0", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/token"])
def test_failed_sign_ins_for_one_username_from_many_addresses_get_429(settings, path):
    settings.THROTTLE_LOGIN_USERNAME = "5/hour"
    user = make_user()
    codes = [
        _login(APIClient(REMOTE_ADDR=f"198.51.100.{i}"), user.username, path=path).status_code
        for i in range(5)
    ]
    assert codes == [400] * 5
    # Locked for this username, from a fresh address and even with the right password.
    resp = _login(APIClient(REMOTE_ADDR="203.0.113.1"), user.username, PASSWORD, path=path)
    api_error(resp, 429, "throttled")
    assert 0 < int(resp["Retry-After"]) <= 3600
    # The username is compared case-insensitively, so a different spelling does not reopen it.
    assert _login(APIClient(REMOTE_ADDR="203.0.113.2"), user.username.upper(), path=path).status_code == 429
    # Other accounts are not affected.
    other = make_user()
    assert (
        _login(APIClient(REMOTE_ADDR="203.0.113.3"), other.username, PASSWORD, path=path).status_code == 200
    )


def test_successful_sign_ins_do_not_count_against_the_username(settings):
    settings.THROTTLE_LOGIN_USERNAME = "3/hour"
    user = make_user()
    codes = [
        _login(APIClient(REMOTE_ADDR=f"198.51.100.{i}"), user.username, PASSWORD).status_code
        for i in range(6)
    ]
    assert codes == [200] * 6


def test_admin_login_is_throttled_per_address(django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456789")
    c = APIClient(REMOTE_ADDR="198.51.100.7")
    codes = [
        c.post(
            "/admin/login/",
            {"username": f"guess{i}", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"10.1.{i}.1",
        ).status_code
        for i in range(12)
    ]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]
    # The API's sign-in shares the address's budget.
    assert _login(c, "root").status_code == 429
    # Another address signs in to the admin.
    ok = APIClient(REMOTE_ADDR="198.51.100.8").post(
        "/admin/login/", {"username": "root", "password": "pw-123456789", "next": "/admin/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/admin/"


def test_admin_login_is_throttled_per_username(settings, django_user_model):
    settings.THROTTLE_LOGIN_USERNAME = "3/hour"
    django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456789")
    codes = [
        APIClient(REMOTE_ADDR=f"198.51.100.{i}")
        .post("/admin/login/", {"username": "root", "password": "wrong"})
        .status_code
        for i in range(3)
    ]
    assert codes == [200] * 3
    resp = APIClient(REMOTE_ADDR="203.0.113.1").post(
        "/admin/login/", {"username": "root", "password": "pw-123456789"}
    )
    assert resp.status_code == 429 and int(resp["Retry-After"]) > 0
    # The API's sign-in for the same username is locked too: one count per username.
    assert _login(APIClient(REMOTE_ADDR="203.0.113.2"), "root", "pw-123456789").status_code == 429


def test_guessing_the_current_password_through_password_change_counts_as_failed_sign_ins(settings):
    """Holding a session or token is no licence to guess the password without bound: wrong current
    passwords count against the username, and once it is locked even the right one gets 429."""
    settings.THROTTLE_LOGIN_USERNAME = "3/hour"
    user = make_user()
    c = APIClient()
    c.force_authenticate(user)
    change = {"new_password": "a-new-long-passphrase-2026"}
    for _ in range(3):
        resp = c.post("/api/v1/auth/password", {"old_password": "guess", **change}, format="json")
        assert api_error(resp, 400)["fields"] == {"old_password": ["wrong password"]}
    api_error(
        c.post("/api/v1/auth/password", {"old_password": PASSWORD, **change}, format="json"), 429, "throttled"
    )
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # And the sign-in endpoints see the same lock.
    api_error(_login(APIClient(REMOTE_ADDR="203.0.113.9"), user.username, PASSWORD), 429, "throttled")
