"""Concurrent sync batches on the real PostgreSQL, each from its own connection: two devices' batches over the
same cards (in opposite orders), a retry racing its original, and a batch racing online reviews never
deadlock, and every card ends as the serial replay of its log."""

from __future__ import annotations

import datetime as dt

import pytest

from dlquiz.study.models import CardState, ReviewLog
from dlquiz.study.scheduling import memory_of
from dlquiz.study.services import card_state_replay, review_submit
from dlquiz.sync.services import OfflineReview, reviews_sync
from tests.factories import enrolled_user, race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def _race(fns):
    return race(fns, timeout=60)


def test_two_devices_batches_over_the_same_cards_race_without_deadlock_and_merge():
    user, _, cards = enrolled_user(40)
    start = NOW - dt.timedelta(days=9)
    phone = [
        OfflineReview(f"phone-{i:04d}", c.id, 1 + i % 4, start + dt.timedelta(hours=i))
        for i, c in enumerate(cards)
    ]
    tablet = [
        OfflineReview(f"tablet-{i:04d}", c.id, 4 - i % 4, start + dt.timedelta(hours=i, minutes=30))
        for i, c in enumerate(reversed(cards))
    ]
    for _ in range(3):  # the same batches again: the races end all duplicates
        results, errors = _race(
            [
                lambda: reviews_sync(user=user, reviews=phone, device_time=NOW, now=NOW),
                lambda: reviews_sync(user=user, reviews=tablet, device_time=NOW, now=NOW),
                lambda: reviews_sync(user=user, reviews=phone[::-1], device_time=NOW, now=NOW),  # a retry
            ]
        )
        assert errors == []
    assert ReviewLog.objects.filter(user=user).count() == 80
    for c in cards:
        assert memory_of(CardState.objects.get(user=user, card=c)) == card_state_replay(
            user=user, card_id=c.id
        )


def test_a_batch_racing_online_reviews_of_its_cards():
    user, _, cards = enrolled_user(20)
    batch = [
        OfflineReview(f"off-{i:04d}", c.id, 3, NOW - dt.timedelta(days=2, minutes=i))
        for i, c in enumerate(cards)
    ]
    online = [
        lambda c=c, i=i: review_submit(
            user=user, card_id=c.id, rating=2, client_review_id=f"on-{i:04d}", now=NOW
        )
        for i, c in enumerate(cards[:8])
    ]
    results, errors = _race(
        [lambda: reviews_sync(user=user, reviews=batch, device_time=NOW, now=NOW), *online]
    )
    assert errors == []
    assert ReviewLog.objects.filter(user=user).count() == 28
    for c in cards:
        assert memory_of(CardState.objects.get(user=user, card=c)) == card_state_replay(
            user=user, card_id=c.id
        )
