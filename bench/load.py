#!/usr/bin/env python
"""Load benchmark: many learners studying at once against ``gunicorn -w 2`` on PostgreSQL (loopback).

Creates the database ``dlquiz_load`` (dropped first if it exists), loads the bundled content, and signs up
``--learners`` learners (50) through the service sign-up uses (each studies every bundled deck). Then every
learner, in its own thread with its own connection (a closed loop: one request at a time), makes ``--reviews``
reviews (40): it fetches the queue, takes the extra new cards when the queue is empty, and every few reviews
also asks for the queue, the extra new cards and ``/api/v1/ping``. It prints throughput and p50/p99 latency
per endpoint, ``/ping`` under the same load beside them, and then checks that no request failed and that the
review log is right: ``learners x reviews`` rows, each card's rows a chain (every ``state_before`` the previous
``state_after``) and the stored card state equal to the last row and to a replay of the log.

    .venv/bin/python bench/load.py [--learners 50] [--reviews 40] [--workers 2]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres). A bounded client of our own (threads + requests) instead
of locust: no extra dependency, and the request mix and the checks after the run live in one short file.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import random
import signal
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = "dlquiz_load"
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dlquiz.settings")
os.environ.setdefault("THROTTLE_REVIEW", "1000000/min")
os.environ.pop("REDIS_URL", None)  # throttle counters in each process's memory: no shared Redis needed

import requests  # noqa: E402

from bench.review_loop import ensure_database, free_port, pct, start_server  # noqa: E402

PASSWORD = "load-password-123"


def build_data(learners: int) -> list[str]:
    """Migrate, load the bundled content, sign up the learners; their API tokens (the last: a learner kept
    out of the load, for the one-client figures)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from dlquiz.accounts.services import device_token_create, user_create

    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)
    tokens = []
    for i in range(learners):
        user = user_create(username=f"load-{i}", password=PASSWORD, email=f"load-{i}@example.com")
        tokens.append(device_token_create(user=user, name="bench")[1])
    solo = user_create(username="solo", password=PASSWORD)  # for the one-client figures: 20 new cards in both
    tokens.append(device_token_create(user=solo, name="bench")[1])
    with connection.cursor() as cur:
        cur.execute("analyze")
    return tokens


class Recorder:
    """Latencies per endpoint and the failures, shared by the learner threads."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def call(self, s: requests.Session, name: str, method: str, url: str, body: dict | None = None) -> dict:
        t = time.perf_counter()
        try:
            r = s.request(method, url, json=body, timeout=60)
        except requests.RequestException as exc:
            with self._lock:
                self.errors.append(f"{name}: {exc!r}")
            return {}
        elapsed = (time.perf_counter() - t) * 1000
        with self._lock:
            self.ms[name].append(elapsed)
            if r.status_code not in (200, 201):
                self.errors.append(f"{name}: {r.status_code} {r.text[:200]}")
                return {}
        return r.json()  # type: ignore[no-any-return]


def learner(base: str, token: str, reviews: int, rec: Recorder, seed: int, start: threading.Barrier) -> None:
    rng = random.Random(seed)
    s = requests.Session()
    s.headers["Authorization"] = f"Token {token}"
    start.wait()
    done = 0
    while done < reviews:
        cards = rec.call(s, "GET study/queue", "GET", f"{base}/study/queue?limit=20").get("cards")
        if not cards:
            cards = rec.call(s, "GET study/extra-new", "GET", f"{base}/study/extra-new?limit=20").get("cards")
        if not cards:
            rec.errors.append("a learner ran out of cards")
            return
        for item in cards[: rng.randint(3, 8)]:
            body = {
                "card": item["card"]["id"],
                "rating": rng.choice((1, 2, 3, 3, 3, 4)),
                "client_review_id": uuid.uuid4().hex,
            }
            if rec.call(s, "POST reviews", "POST", f"{base}/reviews", body):
                done += 1
            if done % 5 == 0:  # the rest of the mix, at the same time as everyone's reviews
                rec.call(s, "GET study/extra-new", "GET", f"{base}/study/extra-new?limit=20")
                rec.call(s, "GET /ping", "GET", f"{base}/ping")
            if done >= reviews:
                break


def solo_latencies(base: str, token: str, rounds: int = 50) -> dict[str, list[float]]:
    """One client alone, a learner who has studied nothing: the queue and the extra new cards both hold
    20 new cards, so the two compare the same work."""
    rec = Recorder()
    s = requests.Session()
    s.headers["Authorization"] = f"Token {token}"
    urls = {"GET study/queue": "/study/queue?limit=20", "GET study/extra-new": "/study/extra-new?limit=20"}
    urls["GET /ping"] = "/ping"
    for _ in range(rounds):
        for name, url in urls.items():
            rec.call(s, name, "GET", base + url)
    if rec.errors:
        raise SystemExit(f"one-client phase failed: {rec.errors[:3]}")
    return {name: rec.ms[name] for name in urls}


def check_log(learners: int, reviews: int) -> list[str]:
    """What is wrong with the review log after the run (nothing: an empty list)."""
    from django.contrib.auth.models import User

    from dlquiz.study import scheduling
    from dlquiz.study.models import CardState, ReviewLog
    from dlquiz.study.scheduling import MemoryState
    from dlquiz.study.services import card_state_replay

    problems = []
    total = ReviewLog.objects.filter(user__username__startswith="load-").count()
    if total != learners * reviews:
        problems.append(f"{total} log rows, expected {learners * reviews}")
    for user in User.objects.filter(username__startswith="load-"):
        by_card: dict[int, list[ReviewLog]] = collections.defaultdict(list)
        for log in ReviewLog.objects.filter(user=user).order_by("id"):
            by_card[log.card_id].append(log)
        if sum(map(len, by_card.values())) != reviews:
            problems.append(f"{user.username}: {sum(map(len, by_card.values()))} rows, expected {reviews}")
        states = {cs.card_id: cs for cs in CardState.objects.filter(user=user, card_id__in=by_card)}
        for card_id, logs in by_card.items():
            if MemoryState.from_json(logs[0].state_before) != MemoryState():
                problems.append(f"{user.username} card {card_id}: the first row does not start from NEW")
            if any(b.state_before != a.state_after for a, b in zip(logs, logs[1:])):
                problems.append(f"{user.username} card {card_id}: the state_before chain is broken")
            stored = scheduling.memory_of(states[card_id])
            if stored != MemoryState.from_json(logs[-1].state_after):
                problems.append(f"{user.username} card {card_id}: the card state is not the last row's")
            if stored != card_state_replay(user=user, card_id=card_id):
                problems.append(f"{user.username} card {card_id}: the card state is not its replay")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--reviews", type=int, default=40, help="reviews per learner")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()

    ensure_database(DB_NAME)
    t = time.perf_counter()
    *tokens, solo_token = build_data(args.learners)
    print(f"data: bundled content and {args.learners} learners in {time.perf_counter() - t:.1f}s")
    port = free_port()
    server = start_server(port, workers=args.workers, threads=1)
    base = f"http://127.0.0.1:{port}/api/v1"
    rec = Recorder()
    try:
        start = threading.Barrier(len(tokens) + 1)
        threads = [
            threading.Thread(target=learner, args=(base, tok, args.reviews, rec, i, start))
            for i, tok in enumerate(tokens)
        ]
        for th in threads:
            th.start()
        start.wait()
        t0 = time.perf_counter()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        solo = solo_latencies(base, solo_token)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)

    n = sum(len(v) for v in rec.ms.values())
    print(
        f"load: {args.learners} learners x {args.reviews} reviews, gunicorn -w {args.workers}, "
        f"{os.cpu_count()} CPUs, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(
        f"{n} requests in {wall:.1f} s: {n / wall:.0f} req/s, {len(rec.ms['POST reviews']) / wall:.0f} reviews/s"
    )
    print(f"{'endpoint':<22}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for name in ("POST reviews", "GET study/queue", "GET study/extra-new", "GET /ping"):
        v = rec.ms.get(name, [])
        if v:
            print(f"{name:<22}{len(v):>9}{len(v) / wall:>8.1f}{pct(v, 0.5):>9.1f}{pct(v, 0.99):>9.1f}")
    print(
        "one client, nothing else running (the cost of one request; queue and extra-new both return 20 new "
        "cards): " + ", ".join(f"{name} p50 {pct(v, 0.5):.1f} ms" for name, v in solo.items())
    )
    problems = rec.errors + check_log(args.learners, args.reviews)
    print(f"errors: {len(rec.errors)}; log check: {'all rows right' if not problems else 'WRONG'}")
    for p in problems[:20]:
        print("  ", p)
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
