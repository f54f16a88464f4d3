"""Test data builders."""

from __future__ import annotations

import itertools
import uuid

from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from dlquiz.decks.models import Card, Deck
from dlquiz.decks.services import deck_enroll
from dlquiz.study.models import StudySettings

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-9"


def make_user(
    username: str | None = None, *, tz: str = "Asia/Shanghai", email: str | None = None, **settings
):
    n = next(_seq)
    username = username or f"learner{n}"
    user = get_user_model().objects.create_user(
        username, email=f"{username}@example.com" if email is None else email, password=PASSWORD
    )
    StudySettings.objects.create(user=user, timezone=tz, **settings)
    return user


def make_deck(
    n_cards: int = 5, *, name: str | None = None, kind: str = "basic", family: str = "", owner=None
) -> Deck:
    k = next(_seq)
    deck = Deck.objects.create(slug=f"deck-{k}", name=name or f"Deck {k}", owner=owner)
    Card.objects.bulk_create(
        [
            Card(
                uid=f"d{k}.c{i}",
                deck=deck,
                kind=kind,
                front=f"问题 {k}-{i}：什么是 BN？",
                back=f"答案 {k}-{i}",
                family=family,
                position=k * 10000 + i,
                tags=["bn"],
                topics=["001-0574"],
            )
            for i in range(n_cards)
        ]
    )
    return deck


def enrolled_user(n_cards: int = 5, *, kind: str = "basic", family: str = "", **kw):
    user = make_user(**kw)
    deck = make_deck(n_cards, kind=kind, family=family)
    deck_enroll(user=user, deck=deck)
    return user, deck, list(deck.cards.order_by("position"))


def client_for(user=None) -> APIClient:
    """An API client signed in as ``user`` (anonymous for None), without CSRF checks or queries."""
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def token_client(user) -> APIClient:
    """An API client authenticating like a mobile client: each request loads the learner by token (with
    their settings, one query), as in production; use it where a test counts queries."""
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {device_token(user)}")
    return c


def device_token(user, name: str = "test device") -> str:
    """A new device token of ``user`` (the token itself, as the device would send it)."""
    from dlquiz.accounts.services import device_token_create

    return device_token_create(user=user, name=name)[1]


def rid() -> str:
    return uuid.uuid4().hex


def api_error(resp, status: int, code: str | None = None) -> dict:
    """The error of an API response, checked to be the one envelope ``{"error": {code, message, fields}}``
    with ``status`` (and ``code`` when given)."""
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def race(fns, *, timeout: float = 60):
    """Run the callables in threads released together by a barrier (each on its own database connection):
    their results in order, and the exceptions raised."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(fns))
    results, errors = [None] * len(fns), []

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results, errors
