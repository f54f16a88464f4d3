"""``POST sync/reviews``: a batch of one device's offline reviews; idempotent per item; per-item outcomes;
clock correction; the merge rule (a card's state is the serial replay of its whole log in ``reviewed_at``
order), checked against a replay written here from FSRS steps, and as a property over interleavings of two
devices' batches with duplicates and retries."""

from __future__ import annotations

import datetime as dt
import re
from itertools import count

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlquiz.study.models import CardState, ReviewLog, StudySettings
from dlquiz.study.scheduling import MemoryState, memory_of, review, review_seed, scheduler_for
from dlquiz.study.selectors import settings_get
from dlquiz.study.services import card_state_replay, review_submit, review_undo
from dlquiz.sync.services import OfflineReview, reviews_sync
from tests.factories import api_error, enrolled_user, token_client

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
_ids = count(1)


def rid() -> str:
    return f"rev-{next(_ids):08d}"


def serial_replay(user, card_id: int, reviews: list[tuple[dt.datetime, int]]) -> MemoryState:
    """The reference: one device that made every review of the card, in time order, online."""
    scheduler = scheduler_for(settings_get(user=user))
    m = MemoryState()
    for at, rating in sorted(reviews, key=lambda r: r[0]):
        m = review(
            m,
            rating=rating,
            now=at,
            scheduler=scheduler,
            seed=review_seed(user_id=user.pk, card_id=card_id, reps=m.reps),
        )
    return m


def item(card, rating: int, at: dt.datetime, cid: str | None = None) -> dict:
    return {
        "client_review_id": cid or rid(),
        "card": card.id,
        "rating": rating,
        "reviewed_at": at.isoformat(),
    }


def post(user, reviews: list[dict], device_time: dt.datetime = NOW):
    with time_machine.travel(NOW, tick=False):
        return token_client(user).post(
            "/api/v1/sync/reviews",
            {"device_time": device_time.isoformat(), "reviews": reviews},
            format="json",
        )


def test_a_batch_creates_every_review_and_answers_the_resulting_states():
    user, _, cards = enrolled_user(3)
    t0 = NOW - dt.timedelta(days=3)
    batch = [
        item(cards[0], 3, t0),
        item(cards[1], 1, t0 + dt.timedelta(minutes=1)),
        item(cards[0], 3, t0 + dt.timedelta(days=2)),
        item(cards[0], 4, t0 + dt.timedelta(minutes=20)),  # out of order in the batch: time decides
    ]
    resp = post(user, batch)
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert [i["outcome"] for i in body["items"]] == ["created"] * 4
    assert [i["client_review_id"] for i in body["items"]] == [b["client_review_id"] for b in batch]
    states = {s["card"]: s for s in body["states"]}
    assert set(states) == {cards[0].id, cards[1].id}
    expected = serial_replay(
        user, cards[0].id, [(t0, 3), (t0 + dt.timedelta(days=2), 3), (t0 + dt.timedelta(minutes=20), 4)]
    )
    stored = memory_of(CardState.objects.get(user=user, card=cards[0]))
    assert stored == expected
    assert (
        states[cards[0].id]["reps"] == 3
        and dt.datetime.fromisoformat(states[cards[0].id]["due"]) == expected.due
    )
    assert ReviewLog.objects.filter(user=user).count() == 4
    # the log's chain of states is the replay's
    chain = list(ReviewLog.objects.filter(user=user, card=cards[0]).order_by("reviewed_at"))
    assert [MemoryState.from_json(log.state_before) for log in chain[1:]] == [
        MemoryState.from_json(log.state_after) for log in chain[:-1]
    ]


def test_the_same_batch_again_is_all_duplicates_and_writes_nothing():
    user, _, cards = enrolled_user(2)
    batch = [item(cards[i % 2], 3, NOW - dt.timedelta(hours=5 - i)) for i in range(4)]
    first = post(user, batch).json()
    logs = list(ReviewLog.objects.filter(user=user).values_list("id", "state_after"))
    states = list(CardState.objects.filter(user=user).order_by("id").values())
    again = post(user, batch).json()
    assert [i["outcome"] for i in again["items"]] == ["duplicate"] * 4
    assert [i["reviewed_at"] for i in again["items"]] == [i["reviewed_at"] for i in first["items"]]
    assert again["states"] == first["states"]
    assert list(ReviewLog.objects.filter(user=user).values_list("id", "state_after")) == logs
    assert list(CardState.objects.filter(user=user).order_by("id").values()) == states


def test_the_device_clock_is_corrected_and_a_future_review_alone_is_rejected():
    user, _, cards = enrolled_user(2)
    behind = dt.timedelta(hours=1)  # the device's clock is an hour slow
    device_now = NOW - behind
    batch = [
        item(cards[0], 3, device_now - dt.timedelta(minutes=30)),  # really 11:30
        item(cards[1], 3, device_now + dt.timedelta(minutes=4)),  # 12:04: within the 5 minutes
        item(cards[1], 2, device_now + dt.timedelta(minutes=6)),  # 12:06: in the future
        item(cards[0], 3, dt.datetime(1999, 12, 31, tzinfo=dt.UTC) - behind),
    ]
    body = post(user, batch, device_time=device_now).json()
    assert body["clock_offset_ms"] == 3_600_000
    assert [(i["outcome"], i["reason"]) for i in body["items"]] == [
        ("created", None),
        ("created", None),
        ("rejected", "future"),
        ("rejected", "too_early"),
    ]
    stored = dict(ReviewLog.objects.filter(user=user).values_list("client_review_id", "reviewed_at"))
    assert stored == {
        batch[0]["client_review_id"]: NOW - dt.timedelta(minutes=30),
        batch[1]["client_review_id"]: NOW + dt.timedelta(minutes=4),
    }


def test_a_clock_within_two_seconds_is_taken_as_right():
    user, _, cards = enrolled_user(1)
    at = NOW - dt.timedelta(minutes=3)
    body = post(user, [item(cards[0], 3, at)], device_time=NOW - dt.timedelta(seconds=1)).json()
    assert body["clock_offset_ms"] == 0
    assert ReviewLog.objects.get(user=user).reviewed_at == at


def test_an_offline_review_before_stored_ones_replays_the_card_and_the_log_keeps_every_review():
    user, _, cards = enrolled_user(1)
    card = cards[0]
    t = [NOW - dt.timedelta(days=d) for d in (6, 4, 2)]
    for at, rating in ((t[0], 3), (t[2], 3)):  # reviewed online on days -6 and -2
        review_submit(user=user, card_id=card.id, rating=rating, client_review_id=rid(), now=at)
    online_only = memory_of(CardState.objects.get(user=user, card=card))
    body = post(user, [item(card, 1, t[1])]).json()  # forgotten on day -4, on a phone offline
    assert body["items"][0]["outcome"] == "created"
    expected = serial_replay(user, card.id, [(t[0], 3), (t[1], 1), (t[2], 3)])
    assert expected != online_only
    assert memory_of(CardState.objects.get(user=user, card=card)) == expected
    assert card_state_replay(user=user, card_id=card.id) == expected
    logs = list(ReviewLog.objects.filter(user=user, card=card).order_by("reviewed_at"))
    assert [log.rating for log in logs] == [3, 1, 3]
    assert MemoryState.from_json(logs[2].state_before) == MemoryState.from_json(logs[1].state_after)
    assert MemoryState.from_json(logs[2].state_after) == expected


def test_a_late_offline_review_after_new_fsrs_parameters_replays_the_whole_log_with_them():
    """An optimisation run adopted parameters and rescheduled the card (its state is the replay with them,
    while its stored rows still hold the states made under the old ones): a review landing before stored
    ones must give the replay of the whole log with the parameters in force, not continue from a stored
    row's old state."""
    from django.contrib.auth.models import User

    from dlquiz.scheduler.services import cards_reschedule

    user, _, cards = enrolled_user(1)
    card = cards[0]
    t = [NOW - dt.timedelta(days=d) for d in (20, 12, 6)]
    for at in (t[0], t[2]):
        review_submit(user=user, card_id=card.id, rating=3, client_review_id=rid(), now=at)
    fitted = [
        0.4,
        0.9,
        3.0,
        10.0,
        6.0,
        0.7,
        2.5,
        0.01,
        1.5,
        0.2,
        1.0,
        1.8,
        0.05,
        0.3,
        1.2,
        0.5,
        2.0,
        0.6,
        0.1,
    ]
    StudySettings.objects.filter(user=user).update(fsrs_parameters=[*fitted, 0.07, 0.2])
    user = User.objects.get(pk=user.pk)  # no cached settings
    cards_reschedule(user=user)
    assert memory_of(CardState.objects.get(user=user, card=card)) == serial_replay(
        user, card.id, [(t[0], 3), (t[2], 3)]
    )
    reviews_sync(user=user, reviews=[OfflineReview(rid(), card.id, 2, t[1])], device_time=NOW, now=NOW)
    expected = serial_replay(user, card.id, [(t[0], 3), (t[1], 2), (t[2], 3)])
    assert memory_of(CardState.objects.get(user=user, card=card)) == expected
    # the log tells the same story: each row's states are the replay's
    logs = list(ReviewLog.objects.filter(user=user, card=card).order_by("reviewed_at"))
    assert MemoryState.from_json(logs[0].state_after) == serial_replay(user, card.id, [(t[0], 3)])
    assert MemoryState.from_json(logs[-1].state_after) == expected


def test_undo_of_a_late_offline_review_replays_the_reviews_after_it():
    user, _, cards = enrolled_user(1)
    card = cards[0]
    t = [NOW - dt.timedelta(days=d) for d in (6, 4, 2)]
    for at in (t[0], t[2]):
        review_submit(user=user, card_id=card.id, rating=3, client_review_id=rid(), now=at)
    before = memory_of(CardState.objects.get(user=user, card=card))
    post(user, [item(card, 1, t[1])])
    with time_machine.travel(NOW, tick=False):
        undone = review_undo(user=user)
    assert undone.rating == 1
    assert memory_of(CardState.objects.get(user=user, card=card)) == before
    last = ReviewLog.objects.filter(user=user, card=card).order_by("reviewed_at").last()
    assert MemoryState.from_json(last.state_after) == before


def test_repeated_and_conflicting_ids_in_and_across_batches():
    user, _, cards = enrolled_user(2)
    a = item(cards[0], 3, NOW - dt.timedelta(hours=2))
    post(user, [a])
    same_id_other_card = {**a, "card": cards[1].id}
    b = item(cards[1], 2, NOW - dt.timedelta(hours=1))
    b_again = dict(b)
    b_other_rating = {**b, "rating": 4}
    body = post(user, [a, same_id_other_card, b, b_again, b_other_rating]).json()
    assert [(i["outcome"], i["reason"]) for i in body["items"]] == [
        ("duplicate", None),
        ("rejected", "conflict"),
        ("created", None),
        ("duplicate", None),
        ("rejected", "conflict"),
    ]
    assert ReviewLog.objects.filter(user=user).count() == 2


def test_a_batch_never_touches_another_learners_data():
    user, _, cards = enrolled_user(2)
    other, _, their_cards = enrolled_user(2)
    shared_id = "same-id-for-both"
    review_submit(
        user=other,
        card_id=their_cards[0].id,
        rating=3,
        client_review_id=shared_id,
        now=NOW - dt.timedelta(days=1),
    )
    theirs_before = list(CardState.objects.filter(user=other).order_by("id").values())
    their_logs = list(ReviewLog.objects.filter(user=other).values())
    body = post(
        user,
        [
            item(their_cards[1], 3, NOW - dt.timedelta(hours=1)),  # their card: not found for me
            item(cards[0], 3, NOW - dt.timedelta(hours=1), cid=shared_id),  # their id: mine is a new review
        ],
    ).json()
    assert [(i["outcome"], i["reason"]) for i in body["items"]] == [
        ("rejected", "not_found"),
        ("created", None),
    ]
    assert {s["card"] for s in body["states"]} == {cards[0].id}
    assert list(CardState.objects.filter(user=other).order_by("id").values()) == theirs_before
    assert list(ReviewLog.objects.filter(user=other).values()) == their_logs


def test_bad_batches_are_a_400_and_write_nothing():
    user, _, cards = enrolled_user(1)
    good = item(cards[0], 3, NOW - dt.timedelta(hours=1))
    for reviews in (
        [{**good, "rating": 5}],
        [{**good, "client_review_id": "x"}],
        [{**good, "reviewed_at": "yesterday"}],
        [good] * 1001,
    ):
        api_error(post(user, reviews), 400)
    with time_machine.travel(NOW, tick=False):
        api_error(token_client(user).post("/api/v1/sync/reviews", {"reviews": [good]}, format="json"), 400)
    assert not ReviewLog.objects.exists()
    api_error(post_anonymous([good]), 401)


def post_anonymous(reviews):
    from rest_framework.test import APIClient

    return APIClient().post(
        "/api/v1/sync/reviews", {"device_time": NOW.isoformat(), "reviews": reviews}, format="json"
    )


def test_a_review_of_a_suspended_card_is_kept():
    user, _, cards = enrolled_user(1)
    CardState.objects.filter(user=user).update(suspended=True)
    body = post(user, [item(cards[0], 3, NOW - dt.timedelta(hours=1))]).json()
    assert body["items"][0]["outcome"] == "created" and body["states"][0]["suspended"] is True


def test_the_batchs_queries_do_not_grow_with_its_size():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user, _, cards = enrolled_user(120)
    c = token_client(user)

    def count_queries(n: int, start: dt.datetime) -> int:
        # every card reviewed before: half the batch lands before a stored review (a replay), half after
        batch = [item(cards[i % 120], 3, start + dt.timedelta(minutes=i)) for i in range(n)]
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as ctx:
            resp = c.post(
                "/api/v1/sync/reviews", {"device_time": NOW.isoformat(), "reviews": batch}, format="json"
            )
        assert resp.status_code == 200 and {i["outcome"] for i in resp.json()["items"]} == {"created"}
        # an executemany is one entry, "N times: SQL": one batch (on PostgreSQL a pipeline, one round trip)
        sql = [re.sub(r"^\d+ times: ", "", q["sql"]).split()[0].upper() for q in ctx.captured_queries]
        return sum(v not in ("INSERT", "UPDATE") for v in sql), sum(v in ("INSERT", "UPDATE") for v in sql)

    count_queries(120, NOW - dt.timedelta(days=5))
    small_reads, small_writes = count_queries(12, NOW - dt.timedelta(days=6))
    large_reads, large_writes = count_queries(240, NOW - dt.timedelta(days=7))
    # the token, a savepoint and its release, the states, the ids, the last times, the rows after
    assert small_reads == large_reads == 7
    assert small_writes == large_writes == 3  # batches of new rows, rewritten rows, card states


# -- the property: any interleaving of two devices' offline logs is one serial replay -------------------------

_review = st.tuples(
    st.integers(0, 2), st.integers(1, 4), st.integers(0, 10 * 24 * 60)
)  # card, rating, minute


@pytest.fixture
def learner_of_three():
    user, _, cards = enrolled_user(3)
    return user, cards


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    a=st.lists(_review, max_size=8),
    b=st.lists(_review, max_size=8),
    cuts=st.lists(st.integers(1, 4), min_size=8, max_size=8),
    order=st.randoms(use_true_random=False),
    retries=st.lists(st.integers(0, 20), max_size=3),
    online=st.lists(_review, max_size=3),
)
def test_any_interleaving_of_two_devices_batches_gives_one_serial_replay(
    learner_of_three, a, b, cuts, order, retries, online
):
    user, cards = learner_of_three
    with transaction.atomic():  # each example starts from the same learner, who has reviewed nothing
        start = NOW - dt.timedelta(days=11)
        used: set[int] = set()

        def reviews_of(device: str, log):
            out = []
            for k, (c, rating, minute) in enumerate(log):
                while minute in used:  # distinct instants: reviews of one instant keep their arrival order
                    minute += 1
                used.add(minute)
                out.append(
                    OfflineReview(
                        f"{device}-{k:04d}",
                        cards[c].id,
                        rating,
                        start + dt.timedelta(minutes=minute, seconds=7),
                    )
                )
            return out

        dev_a, dev_b = reviews_of("a", a), reviews_of("b", b)

        def batches(revs):
            out, i, j = [], 0, 0
            while i < len(revs):
                n = cuts[j % len(cuts)]
                out.append(revs[i : i + n])
                i, j = i + n, j + 1
            return out

        queue_a, queue_b = batches(dev_a), batches(dev_b)
        sent = []
        # each device sends its batches in its own order; the two streams interleave at random
        while queue_a or queue_b:
            src = queue_a if queue_a and (not queue_b or order.random() < 0.5) else queue_b
            sent.append(src.pop(0))
        for r in retries:  # a lost answer: the device sends a batch again, later
            if sent:
                sent.insert(min(len(sent), r % (len(sent) + 1)), list(sent[r % len(sent)]))
        # a duplicate inside one batch
        if sent and sent[0]:
            sent[0] = [*sent[0], sent[0][0]]
        # a few reviews made online in between, at the server's time
        online_reviews = reviews_of("web", online)
        for k, batch in enumerate(sent):
            reviews_sync(user=user, reviews=batch, device_time=NOW, now=NOW)
            if k < len(online_reviews):
                r = online_reviews[k]
                last = CardState.objects.get(user=user, card_id=r.card_id).last_review
                if last is None or r.reviewed_at >= last:
                    review_submit(
                        user=user,
                        card_id=r.card_id,
                        rating=r.rating,
                        client_review_id=r.client_review_id,
                        now=NOW,
                        reviewed_at=r.reviewed_at,
                    )
        stored_ids = set(ReviewLog.objects.filter(user=user).values_list("client_review_id", flat=True))
        everything = [r for r in [*dev_a, *dev_b, *online_reviews] if r.client_review_id in stored_ids]
        assert {r.client_review_id for r in [*dev_a, *dev_b]} <= stored_ids
        assert len(stored_ids) == ReviewLog.objects.filter(user=user).count()
        for card in cards:
            mine = [(r.reviewed_at, r.rating) for r in everything if r.card_id == card.id]
            expected = serial_replay(user, card.id, mine)
            assert memory_of(CardState.objects.get(user=user, card=card)) == expected
            assert card_state_replay(user=user, card_id=card.id) == expected
        transaction.set_rollback(True)


def test_a_lapse_reaching_the_leech_threshold_offline_tags_and_suspends_the_card():
    user, _, cards = enrolled_user(2, leech_threshold=2)
    d0 = NOW - dt.timedelta(days=20)
    # Easy: straight to review; Again: a lapse; Good after the relearning step: review again; Again: lapse 2
    at = [d0, d0 + dt.timedelta(days=5), d0 + dt.timedelta(days=5, minutes=15), d0 + dt.timedelta(days=15)]
    body = post(
        user, [item(cards[0], r, t) for r, t in zip((4, 1, 3, 1), at, strict=True)] + [item(cards[1], 1, d0)]
    ).json()
    states = {s["card"]: s for s in body["states"]}
    assert (
        states[cards[0].id]["lapses"],
        states[cards[0].id]["leech"],
        states[cards[0].id]["suspended"],
    ) == (2, True, True)
    assert (states[cards[1].id]["lapses"], states[cards[1].id]["leech"]) == (0, False)
    assert CardState.objects.get(user=user, card=cards[0]).leech


def _sibling_deck(user):
    from dlquiz.decks.models import Card, Deck
    from dlquiz.decks.services import deck_enroll

    deck = Deck.objects.create(slug="sync-sib", name="Siblings")
    specs = [("bn", "basic"), ("bn~r", "reverse"), ("clz", "cloze"), ("clz~c2", "cloze")]
    Card.objects.bulk_create(
        [Card(uid=u, deck=deck, kind=k, front=u, back="", position=i) for i, (u, k) in enumerate(specs)]
    )
    deck_enroll(user=user, deck=deck)
    return {c.uid: c for c in deck.cards.all()}


def test_offline_reviews_bury_siblings_like_online_ones_and_undo_lifts_it():
    """A synced review made on the learner's current study day buries the other cards of its note until the
    day ends (04:00 Shanghai); one made on an earlier day does not; a sibling reviewed in the same batch is
    not buried; undo of the synced review lifts the bury."""
    from dlquiz.study.models import CardState as CS

    user, _, _ = enrolled_user(0)  # Asia/Shanghai, the study day starts at 04:00
    cards = _sibling_deck(user)
    today = NOW - dt.timedelta(hours=1)  # 19:00 in Shanghai on 10 March
    day_end = dt.datetime(2026, 3, 11, 4, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    batch = [
        OfflineReview(rid(), cards["bn"].id, 3, today),
        OfflineReview(rid(), cards["clz"].id, 3, NOW - dt.timedelta(days=2)),  # an earlier day
    ]
    with transaction.atomic():
        reviews_sync(user=user, reviews=batch, device_time=NOW, now=NOW)

    def buried(uid):
        return CS.objects.get(user=user, card=cards[uid]).buried_until

    assert buried("bn~r") == day_end
    assert buried("clz~c2") is None and buried("bn") is None
    # both directions reviewed offline in one batch: neither ends up buried
    other, _, _ = enrolled_user(0)
    theirs = {uid: c for uid, c in cards.items()}
    from dlquiz.decks.services import deck_enroll

    deck_enroll(user=other, deck=cards["bn"].deck)
    pair = [
        OfflineReview(rid(), theirs["bn"].id, 3, today),
        OfflineReview(rid(), theirs["bn~r"].id, 3, today),
    ]
    with transaction.atomic():
        reviews_sync(user=other, reviews=pair, device_time=NOW, now=NOW)
    assert not CS.objects.filter(
        user=other, card__in=[theirs["bn"], theirs["bn~r"]], buried_until__isnull=False
    )
    # undo the learner's synced review of bn: its sibling comes back today
    with time_machine.travel(NOW, tick=False):
        review_undo(user=user)  # the last created: clz's (an earlier day, no bury) ...
        assert buried("bn~r") == day_end
        review_undo(user=user)  # ... then bn's, which buried bn~r
    assert buried("bn~r") is None
