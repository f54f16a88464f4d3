"""``GET sync/changes``: a device that starts from nothing and applies every page holds what the server holds;
later syncs from the cursor bring it up to date again (reviews, suspensions, edited, new and retired cards,
settings); a first sync of 600 cards is one request; cursors are signed and the learner's own."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from dlquiz.decks.models import Card
from dlquiz.decks.services import deck_enroll
from dlquiz.study.models import CardState, State
from dlquiz.study.services import card_suspend, review_submit, settings_update
from tests.factories import api_error, enrolled_user, make_deck, rid, token_client

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.UTC)


class Device:
    """What a client keeps: cards by id (content and state), settings, decks; and its cursor."""

    def __init__(self, client: APIClient) -> None:
        self.client = client
        self.cards: dict[int, dict] = {}
        self.settings: dict | None = None
        self.decks: list | None = None
        self.cursor: str | None = None
        self.requests = 0
        self.received = 0  # cards and deletions

    def sync(self, at: dt.datetime, limit: int | None = None) -> None:
        while True:
            params = {k: v for k, v in (("cursor", self.cursor), ("limit", limit)) if v is not None}
            with time_machine.travel(at, tick=False):
                resp = self.client.get("/api/v1/sync/changes", params)
            assert resp.status_code == 200, resp.content
            self.requests += 1
            page = resp.json()
            self.received += len(page["cards"]) + len(page["deleted"])
            for card in page["cards"]:
                self.cards[card["id"]] = card
            for card_id in page["deleted"]:
                self.cards.pop(card_id, None)
            self.cursor = page["next_cursor"]
            if not page["has_more"]:
                self.settings, self.decks = page["settings"], page["decks"]
                return
            assert page["settings"] is None


def server_copy(user) -> dict[int, dict]:
    """The server's side, read from the models: the learner's live cards with content and state."""
    out = {}
    for cs in CardState.objects.filter(user=user, card__retired=False).select_related("card"):
        c = cs.card
        out[c.id] = {
            "front": c.front,
            "back": c.back,
            "tags": c.tags,
            "deck": c.deck_id,
            "position": c.position,
            "state": State(cs.state).label,
            "due": cs.due,
            "reps": cs.reps,
            "lapses": cs.lapses,
            "stability": cs.stability,
            "suspended": cs.suspended,
        }
    return out


def device_copy(device: Device) -> dict[int, dict]:
    def when(text):
        return dt.datetime.fromisoformat(text) if text else None

    return {
        cid: {
            "front": c["front"],
            "back": c["back"],
            "tags": c["tags"],
            "deck": c["deck"],
            "position": c["position"],
            "state": c["state"]["state"],
            "due": when(c["state"]["due"]),
            "reps": c["state"]["reps"],
            "lapses": c["state"]["lapses"],
            "stability": c["state"]["stability"],
            "suspended": c["state"]["suspended"],
        }
        for cid, c in device.cards.items()
    }


def test_a_device_from_nothing_then_from_its_cursor_equals_the_server():
    with time_machine.travel(T0, tick=False):
        user, deck, cards = enrolled_user(23)
        for i, card in enumerate(cards[:9]):
            review_submit(user=user, card_id=card.id, rating=1 + i % 4, client_review_id=rid(), now=T0)
        card_suspend(user=user, card_id=cards[10].id)
        Card.objects.filter(pk=cards[22].pk).update(retired=True, updated_at=T0)
    device = Device(token_client(user))
    device.sync(T0 + dt.timedelta(minutes=10), limit=5)
    assert device.requests == 5  # 22 live cards in pages of 5
    assert device_copy(device) == server_copy(user)
    assert device.settings["desired_retention"] == 0.9 and device.settings["learner"] == user.pk
    assert len(device.settings["fsrs_parameters"]) == 21
    assert [d["id"] for d in device.decks] == [deck.id]

    # an hour later: more reviews, an edited card, a retired card, a restored suspension, a new deck, settings
    t1 = T0 + dt.timedelta(hours=1)
    with time_machine.travel(t1, tick=False):
        review_submit(user=user, card_id=cards[0].id, rating=3, client_review_id=rid(), now=t1)
        review_submit(user=user, card_id=cards[15].id, rating=4, client_review_id=rid(), now=t1)
        card_suspend(user=user, card_id=cards[10].id, suspended=False)
        Card.objects.filter(pk=cards[5].pk).update(front="改过的问题", updated_at=t1)
        Card.objects.filter(pk=cards[20].pk).update(retired=True, updated_at=t1)
        other_deck = make_deck(4)
        deck_enroll(user=user, deck=other_deck)
        settings_update(user=user, desired_retention=0.85)
    assert cards[20].id in device.cards
    before, received = device.requests, device.received
    device.sync(t1 + dt.timedelta(minutes=1), limit=3)
    assert device_copy(device) == server_copy(user)
    assert cards[20].id not in device.cards and device.cards[cards[5].id]["front"] == "改过的问题"
    assert device.settings["desired_retention"] == 0.85
    assert {d["id"] for d in device.decks} == {deck.id, other_deck.id}
    # only what changed came: 2 reviewed + 1 unsuspended + 1 edited + 1 retired + 4 new = 9, in pages of 3
    assert (device.received - received, device.requests - before) == (9, 3)

    # nothing changed: one request, nothing but the overlap's repeats, still equal
    device.sync(t1 + dt.timedelta(hours=1))
    assert device_copy(device) == server_copy(user)


def test_the_first_sync_of_600_cards_is_one_request_of_few_queries():
    with time_machine.travel(T0, tick=False):
        user, _, _ = enrolled_user(600)
    c = token_client(user)
    with time_machine.travel(T0, tick=False), CaptureQueriesContext(connection) as ctx:
        resp = c.get("/api/v1/sync/changes")
    page = resp.json()
    assert resp.status_code == 200 and not page["has_more"]
    assert len(page["cards"]) == 600 and page["deleted"] == []
    assert len(ctx) <= 6


def test_a_cursor_is_signed_and_only_its_learners():
    user, _, _ = enrolled_user(2)
    other, _, _ = enrolled_user(2)
    cursor = token_client(user).get("/api/v1/sync/changes").json()["next_cursor"]
    assert token_client(user).get("/api/v1/sync/changes", {"cursor": cursor}).status_code == 200
    api_error(token_client(other).get("/api/v1/sync/changes", {"cursor": cursor}), 400, "bad_cursor")
    api_error(
        token_client(user).get("/api/v1/sync/changes", {"cursor": cursor[:-3] + "abc"}), 400, "bad_cursor"
    )
    api_error(token_client(user).get("/api/v1/sync/changes", {"limit": 0}), 400)
    api_error(APIClient().get("/api/v1/sync/changes"), 401)


def test_another_learners_cards_never_come():
    user, _, mine = enrolled_user(3)
    other, _, theirs = enrolled_user(3)
    review_submit(
        user=other, card_id=theirs[0].id, rating=3, client_review_id=rid(), now=dt.datetime.now(dt.UTC)
    )
    page = token_client(user).get("/api/v1/sync/changes").json()
    assert {c["id"] for c in page["cards"]} == {c.id for c in mine}


def test_a_sibling_bury_and_a_reschedule_reach_the_device():
    from dlquiz.decks.models import Deck
    from dlquiz.scheduler.services import cards_reschedule
    from tests.factories import make_user

    with time_machine.travel(T0, tick=False):
        user = make_user()
        deck = Deck.objects.create(slug="sib", name="siblings")
        note = Card.objects.create(uid="sib.n1", deck=deck, kind="basic", front="Q", back="A", position=0)
        reverse = Card.objects.create(
            uid="sib.n1~r", deck=deck, kind="basic", front="A", back="Q", position=1
        )
        deck_enroll(user=user, deck=deck)
        review_submit(user=user, card_id=note.id, rating=3, client_review_id=rid(), now=T0)
    device = Device(token_client(user))
    device.sync(T0 + dt.timedelta(minutes=10))
    t1 = T0 + dt.timedelta(days=3)
    with time_machine.travel(t1, tick=False):
        review_submit(
            user=user, card_id=note.id, rating=3, client_review_id=rid(), now=t1
        )  # buries the reverse
    device.sync(t1 + dt.timedelta(minutes=10))
    assert device.cards[reverse.id]["state"]["buried_until"] is not None
    assert (
        device.cards[reverse.id]["state"]["buried_until"]
        == token_client(user).get(f"/api/v1/cards/{reverse.id}").json()["state"]["buried_until"]
    )
    t2 = t1 + dt.timedelta(hours=1)
    with time_machine.travel(t2, tick=False):
        before = CardState.objects.get(user=user, card=note).stability
        assert cards_reschedule(user=user, parameters=[w * 1.1 for w in _default_weights()]) == 1
        assert CardState.objects.get(user=user, card=note).stability != before
    device.sync(t2 + dt.timedelta(minutes=10))
    assert device_copy(device) == server_copy(user)


def _default_weights() -> list[float]:
    from dlquiz.study.scheduling import DEFAULT_PARAMETERS

    return list(DEFAULT_PARAMETERS)
