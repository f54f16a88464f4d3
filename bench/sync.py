#!/usr/bin/env python
"""Offline-sync benchmark: PostgreSQL + gunicorn on loopback (``-w 2``).

Six learners study one 600-card deck. Five each upload one batch of 1,000 offline reviews over the 600 cards
(every card once, 400 of them twice, spread over the last ten days) to ``POST /api/v1/sync/reviews``: p50 of
the five. The same batches again (every item a duplicate): p50. A first full ``GET /api/v1/sync/changes`` of
each learner's 600 cards (every page): p50 and the number of requests. The sixth learner submits the same
1,000 reviews one at a time to ``POST /api/v1/reviews`` (in time order, one keep-alive connection), in the
same run. Then every batch learner's card states are checked against the single-review learner's.

Targets (issue #14): the 1,000-review batch at least 5x faster than 1,000 single submissions; a full first
sync under 1 s.

    .venv/bin/python bench/sync.py        # database dlquiz_bench_sync (SYNC_BENCH_DB=name for another)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = os.environ.get("SYNC_BENCH_DB", "dlquiz_bench_sync")
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dlquiz.settings")
os.environ.setdefault("THROTTLE_REVIEW", "1000000/min")
os.environ.pop("REDIS_URL", None)  # throttle counters in each process's memory: no shared Redis needed

import requests  # noqa: E402

from bench.review_loop import ensure_database, free_port, start_server  # noqa: E402

CARDS, REVIEWS, RUNS = 600, 1000, 5


def build_data() -> tuple[list[str], list[int]]:
    """Six learners enrolled in one 600-card deck; their device tokens and the deck's card ids."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from dlquiz.accounts.services import device_token_create, user_create
    from dlquiz.decks.models import Card, Deck
    from dlquiz.decks.services import deck_enroll

    call_command("migrate", verbosity=0)
    deck = Deck.objects.create(slug="bench-sync", name="bench sync")
    Card.objects.bulk_create(
        [
            Card(
                uid=f"bench-sync-{i}",
                deck=deck,
                kind="basic",
                front=f"问题 {i}：" + "为什么要做 BN？" * 8,
                back=f"答案 {i}：" + "归一化每个通道的激活。" * 8,
                position=i,
                tags=["bench"],
                topics=["001-0574"],
            )
            for i in range(CARDS)
        ]
    )
    tokens = []
    for k in range(RUNS + 1):
        user = user_create(username=f"sync-{k}", password="bench-password-123")
        deck_enroll(user=user, deck=deck)
        tokens.append(device_token_create(user=user, name="bench phone")[1])
    with connection.cursor() as cur:
        cur.execute("analyze")
    return tokens, list(Card.objects.filter(deck=deck).order_by("position").values_list("id", flat=True))


def offline_log(card_ids: list[int], now: dt.datetime) -> list[dict]:
    """1,000 reviews over the 600 cards: each card once, 400 a second time two to eight days later."""
    rng = random.Random(14)
    reviews = []
    for i, cid in enumerate(card_ids):
        first = now - dt.timedelta(days=10) + dt.timedelta(minutes=rng.randint(0, 24 * 60))
        reviews.append((first, cid, rng.choice((1, 3, 3, 3, 4))))
        if i < REVIEWS - CARDS:
            reviews.append((first + dt.timedelta(days=rng.randint(2, 8)), cid, rng.choice((2, 3, 3, 4))))
    rng.shuffle(reviews)  # a device sends its log in whatever order it kept it
    return [
        {
            "client_review_id": f"bench-{n:05d}",
            "card": cid,
            "rating": rating,
            "reviewed_at": at.isoformat(),
            "duration_ms": 4000,
        }
        for n, (at, cid, rating) in enumerate(reviews)
    ]


def session(token: str) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Token {token}"
    return s


def timed(fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ensure_database(DB_NAME)
    t = time.perf_counter()
    tokens, card_ids = build_data()
    print(f"data: {RUNS + 1} learners x {CARDS} cards in {time.perf_counter() - t:.1f}s")
    port = free_port()
    server = start_server(port, workers=2)
    base = f"http://127.0.0.1:{port}/api/v1"
    now = dt.datetime.now(dt.UTC)
    log = offline_log(card_ids, now)
    try:
        sessions = [session(tok) for tok in tokens]
        for s in sessions:  # warm up each worker's connection and the learner's settings
            s.get(f"{base}/ping").raise_for_status()

        def batch(s: requests.Session) -> dict:
            body = {"device_time": dt.datetime.now(dt.UTC).isoformat(), "reviews": log}
            r = s.post(f"{base}/sync/reviews", json=body, timeout=60)
            r.raise_for_status()
            return r.json()

        first, again = [], []
        for s in sessions[:RUNS]:
            secs, out = timed(lambda s=s: batch(s))
            assert [i["outcome"] for i in out["items"]] == ["created"] * REVIEWS, out["items"][:3]
            first.append(secs)
        for s in sessions[:RUNS]:
            secs, out = timed(lambda s=s: batch(s))
            assert [i["outcome"] for i in out["items"]] == ["duplicate"] * REVIEWS
            again.append(secs)

        def full_sync(s: requests.Session) -> tuple[int, int]:
            cursor, cards, requests_made = None, 0, 0
            while True:
                r = s.get(f"{base}/sync/changes", params={"cursor": cursor} if cursor else {}, timeout=60)
                r.raise_for_status()
                page, requests_made = r.json(), requests_made + 1
                cards += len(page["cards"])
                cursor = page["next_cursor"]
                if not page["has_more"]:
                    return cards, requests_made

        syncs = []
        for s in sessions[:RUNS]:
            secs, (n_cards, n_requests) = timed(lambda s=s: full_sync(s))
            assert n_cards == CARDS
            syncs.append(secs)

        single = sessions[RUNS]

        def singles() -> None:
            for item in sorted(log, key=lambda i: i["reviewed_at"]):
                r = single.post(f"{base}/reviews", json=item, timeout=30)
                assert r.status_code == 201, r.text[:200]

        singles_secs, _ = timed(singles)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)

    check(tokens)
    p50 = statistics.median
    print(
        f"sync/reviews, 1,000 offline reviews over {CARDS} cards: p50 {p50(first) * 1000:.0f} ms "
        f"(runs: {', '.join(f'{x * 1000:.0f}' for x in first)} ms)"
    )
    print(f"the same batch again (all duplicates): p50 {p50(again) * 1000:.0f} ms")
    print(
        f"first full sync/changes of {CARDS} cards: p50 {p50(syncs) * 1000:.0f} ms in {n_requests} request(s) "
        f"(target < 1000 ms)"
    )
    print(f"1,000 single POST /reviews: {singles_secs * 1000:.0f} ms ({singles_secs:.2f} ms per review)")
    print(f"batch vs singles: {singles_secs / p50(first):.1f}x faster (target >= 5x)")


def check(tokens: list[str]) -> None:
    """Every batch learner's cards hold the single-review learner's states: one merge rule either way."""
    from django.contrib.auth.models import User

    from dlquiz.study.models import CardState
    from dlquiz.study.scheduling import memory_of

    def states(username: str) -> dict:
        user = User.objects.get(username=username)
        return {cs.card_id: memory_of(cs) for cs in CardState.objects.filter(user=user)}

    reference = states(f"sync-{RUNS}")
    for k in range(RUNS):
        got = states(f"sync-{k}")
        for card_id, m in reference.items():
            assert got[card_id].reps == m.reps and got[card_id].stability == m.stability, card_id
    print(f"check: the {RUNS} batch learners' {CARDS} card states equal the single-review learner's")


if __name__ == "__main__":
    main()
