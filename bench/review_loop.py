#!/usr/bin/env python
"""Review-loop benchmark: PostgreSQL + gunicorn on loopback.

Two learners: one studying 1,000 cards, one studying 100,000 (both with review history). Prints p50/p99
latency of fetching the queue and of submitting a review for each, and the throughput of review
submission next to a trivial authenticated JSON endpoint (``/api/v1/ping``) measured in the same run.

Targets (issue #2): latency at 100k within 1.5x of latency at 1k; review submission throughput at least
half the trivial endpoint's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dlquiz_bench .venv/bin/python bench/review_loop.py
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = "dlquiz_bench"
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dlquiz.settings")
os.environ.setdefault("THROTTLE_REVIEW", "1000000/min")

import requests  # noqa: E402


def ensure_database(name: str = DB_NAME) -> None:
    """A fresh, empty database ``name`` (dropped first if it exists)."""
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")


def build_data() -> dict[str, str]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from dlquiz.accounts.services import device_token_create, user_create
    from dlquiz.decks.models import Card, Deck, Enrollment
    from dlquiz.study.models import CardState, ReviewLog, State

    call_command("migrate", verbosity=0)
    rng = random.Random(0)
    now = dt.datetime.now(dt.UTC)
    tokens = {}
    for name, n_cards in (("small", 1_000), ("big", 100_000)):
        user = user_create(username=f"bench-{name}", password="bench-password-123")
        deck = Deck.objects.create(slug=f"bench-{name}", name=f"bench {name}", owner=user)
        Card.objects.bulk_create(
            [
                Card(
                    uid=f"bench-{name}-{i}",
                    deck=deck,
                    kind="basic",
                    front=f"Q {i}",
                    back=f"A {i}",
                    position=i,
                )
                for i in range(n_cards)
            ],
            batch_size=5000,
        )
        Enrollment.objects.create(user=user, deck=deck)
        card_ids = list(Card.objects.filter(deck=deck).order_by("position").values_list("id", flat=True))
        states, logs = [], []
        for i, cid in enumerate(card_ids):
            if i % 10 < 6:  # 60% studied before: review cards, a few due now, the rest spread over months
                last = now - dt.timedelta(days=rng.randint(1, 60))
                due = (
                    now - dt.timedelta(hours=rng.randint(1, 48))
                    if i % 50 == 0
                    else now + dt.timedelta(days=rng.randint(1, 120))
                )
                states.append(
                    CardState(
                        user=user,
                        card_id=cid,
                        state=State.REVIEW,
                        stability=rng.uniform(2, 60),
                        difficulty=rng.uniform(2, 8),
                        due=due,
                        last_review=last,
                        reps=2,
                        new_order=i,
                    )
                )
                for k in range(2):
                    at = last - dt.timedelta(days=3 * (1 - k))
                    logs.append(
                        ReviewLog(
                            user=user,
                            card_id=cid,
                            rating=3,
                            reviewed_at=at,
                            client_review_id=f"seed-{cid}-{k}",
                            state_before={},
                            state_after={},
                            prior_state=State.NEW if k == 0 else State.LEARNING,
                        )
                    )
            else:
                states.append(CardState(user=user, card_id=cid, state=State.NEW, new_order=i))
        CardState.objects.bulk_create(states, batch_size=5000)
        ReviewLog.objects.bulk_create(logs, batch_size=5000)
        prefs = user.study_settings
        prefs.max_reviews_per_day = 100_000
        prefs.new_per_day = 100_000
        prefs.save()
        tokens[name] = device_token_create(user=user, name="bench")[1]
    with connection.cursor() as cur:
        cur.execute("analyze")
    return tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, *, workers: int | None = None, threads: int = 2) -> subprocess.Popen[bytes]:
    """gunicorn on loopback (``workers`` defaults to one per CPU), once it answers."""
    env = dict(os.environ, DEBUG="false")
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "dlquiz.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers or os.cpu_count() or 2),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=10)  # the SPA shell: no auth needed
            return proc
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def latency(session: requests.Session, method: str, url: str, n: int, body=None) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = session.request(method, url, json=body() if callable(body) else body, timeout=30)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code in (200, 201), (url, r.status_code, r.text[:200])
    return out


def throughput(make_session, method: str, url: str, body, seconds: float = 5.0, clients: int = 8) -> float:
    count = [0] * clients
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        s = make_session()
        while time.monotonic() < stop:
            r = s.request(method, url, json=body(i) if callable(body) else body, timeout=30)
            assert r.status_code in (200, 201), r.text[:200]
            count[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(count) / seconds


def main() -> None:
    ensure_database()
    t = time.perf_counter()
    tokens = build_data()
    print(f"data: 1k-card and 100k-card learners built in {time.perf_counter() - t:.1f}s")
    port = free_port()
    server = start_server(port)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:

        def session(name: str) -> requests.Session:
            s = requests.Session()
            s.headers["Authorization"] = f"Token {tokens[name]}"
            return s

        # latency: the two learners' requests interleaved, so background load hits both alike
        sessions = {name: session(name) for name in ("small", "big")}
        for s in sessions.values():
            latency(s, "GET", f"{base}/study/queue?limit=20", 20)  # warm up
        queue_ms: dict[str, list[float]] = {"small": [], "big": []}
        for _ in range(200):
            for name, s in sessions.items():
                queue_ms[name] += latency(s, "GET", f"{base}/study/queue?limit=20", 1)
        due = {
            name: iter([c["card"]["id"] for c in s.get(f"{base}/study/queue?limit=200").json()["cards"]] * 10)
            for name, s in sessions.items()
        }
        submit_ms: dict[str, list[float]] = {"small": [], "big": []}
        for _ in range(200):
            for name, s in sessions.items():
                submit_ms[name] += latency(
                    s,
                    "POST",
                    f"{base}/reviews",
                    1,
                    body=lambda it=due[name]: {
                        "card": next(it),
                        "rating": 3,
                        "client_review_id": uuid.uuid4().hex,
                    },
                )
        for name in ("small", "big"):
            q, sub = queue_ms[name], submit_ms[name]
            print(
                f"{name:>5} ({'1k' if name == 'small' else '100k'} cards): queue p50 {pct(q, 0.5):6.2f} ms "
                f"p99 {pct(q, 0.99):6.2f} ms | submit p50 {pct(sub, 0.5):6.2f} ms p99 {pct(sub, 0.99):6.2f} ms"
            )
        rq = pct(queue_ms["big"], 0.5) / pct(queue_ms["small"], 0.5)
        rs = pct(submit_ms["big"], 0.5) / pct(submit_ms["small"], 0.5)
        print(f"latency ratio 100k/1k (p50): queue {rq:.2f}x, submit {rs:.2f}x  (target <= 1.5x)")

        # throughput: alternating rounds of the trivial endpoint and review submission
        big = session("big")
        due_big = [c["card"]["id"] for c in big.get(f"{base}/study/queue?limit=200").json()["cards"]]
        counter = iter(range(10**9))
        ping_rounds, review_rounds = [], []
        for _ in range(3):
            ping_rounds.append(throughput(lambda: session("big"), "GET", f"{base}/ping", None, seconds=3))
            review_rounds.append(
                throughput(
                    lambda: session("big"),
                    "POST",
                    f"{base}/reviews",
                    lambda i: {
                        "card": due_big[next(counter) % len(due_big)],
                        "rating": 3,
                        "client_review_id": uuid.uuid4().hex,
                    },
                    seconds=3,
                )
            )
        ping_rps, review_rps = statistics.median(ping_rounds), statistics.median(review_rounds)
        print(
            f"throughput (8 clients, 3 alternating rounds of 3 s, medians): ping {ping_rps:.0f} req/s, "
            f"review submit {review_rps:.0f} req/s, ratio {review_rps / ping_rps:.2f} (target >= 0.5)"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)


if __name__ == "__main__":
    main()
