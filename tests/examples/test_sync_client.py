"""The example offline client (examples/sync_client.py) against the app served on loopback: two devices of one
learner sync, study offline (some cards on both, the later device syncing first), sync again; each device then
holds the server's states, which are the server's replay of the whole log; a card only one device studied has
the very state that device computed offline (the same FSRS rules)."""

from __future__ import annotations

import datetime as dt

import pytest

from dlquiz.study.models import CardState, ReviewLog
from dlquiz.study.scheduling import memory_of
from dlquiz.study.services import card_state_replay
from examples.sync_client import SyncClient
from tests.e2e.conftest import app_server  # noqa: F401  (the app on a loopback port)
from tests.factories import PASSWORD, enrolled_user

pytestmark = pytest.mark.django_db(transaction=True)


def server_state(user, card_id: int) -> dict:
    cs = CardState.objects.get(user=user, card_id=card_id)
    return {
        "state": ("new", "learning", "review", "relearning")[cs.state],
        "reps": cs.reps,
        "lapses": cs.lapses,
        "stability": cs.stability,
        "difficulty": cs.difficulty,
        "due": cs.due,
    }


def device_state(client: SyncClient, card_id: int) -> dict:
    s = client.state(card_id)
    return {
        "state": s["state"],
        "reps": s["reps"],
        "lapses": s["lapses"],
        "stability": s["stability"],
        "difficulty": s["difficulty"],
        "due": dt.datetime.fromisoformat(s["due"].replace("Z", "+00:00")) if s["due"] else None,
    }


def test_two_offline_devices_sync_to_the_servers_replay(app_server):  # noqa: F811
    user, _, cards = enrolled_user(12)
    phone, tablet = SyncClient(app_server), SyncClient(app_server)
    phone.sign_in(user.username, PASSWORD, "phone")
    tablet.sign_in(user.username, PASSWORD, "tablet")
    assert phone.sync()["pages"] == 1 and tablet.sync()["pages"] == 1
    ids = [c.id for c in cards]
    assert sorted(phone.due(dt.datetime.now(dt.UTC), new=50)) == sorted(ids)

    # offline: the phone studies cards 0-5 two days ago and yesterday, the tablet cards 4-9 in between
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    two_days, one_day = now - dt.timedelta(days=2), now - dt.timedelta(days=1)
    for i, cid in enumerate(ids[:6]):
        phone.review(cid, 3, two_days + dt.timedelta(minutes=i))
        phone.review(cid, 1 + i % 4, one_day + dt.timedelta(minutes=i))
    for i, cid in enumerate(ids[4:10]):
        tablet.review(cid, 4 - i % 3, two_days + dt.timedelta(hours=6, minutes=i))
    only_phone = {cid: device_state(phone, cid) for cid in ids[:4]}
    assert phone.pending() == 12 and tablet.pending() == 6

    # the tablet syncs first; the phone's reviews of cards 4 and 5 land around the tablet's
    assert tablet.sync()["created"] == 6
    pushed = phone.sync()
    assert pushed["created"] == 12 and phone.pending() == 0
    tablet.sync()
    assert ReviewLog.objects.filter(user=user).count() == 18
    for cid in ids:
        server = server_state(user, cid)
        assert memory_of(CardState.objects.get(user=user, card_id=cid)) == card_state_replay(
            user=user, card_id=cid
        )
        assert device_state(phone, cid) == server == device_state(tablet, cid), cid
    for cid, state in only_phone.items():  # the phone's offline FSRS gave exactly the server's state
        assert server_state(user, cid) == state
    assert server_state(user, ids[4])["reps"] == 3  # phone, tablet, phone: merged in time order

    # a retry of an upload that already arrived is all duplicates
    phone.review(ids[11], 3, now)
    phone.push()
    phone.db.execute(
        "insert into outbox select client_review_id, card, rating, reviewed_at, duration_ms from "
        "(select ? as client_review_id, ? as card, 3 as rating, ? as reviewed_at, null as duration_ms)",
        (ReviewLog.objects.get(user=user, card_id=ids[11]).client_review_id, ids[11], now.isoformat()),
    )
    assert phone.push() == {"created": 0, "duplicate": 1, "rejected": 0}
