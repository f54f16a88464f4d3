#!/usr/bin/env python
"""An example offline client of the dlquiz API: Python's standard library, ``requests`` and py-fsrs (``fsrs``).

It signs in as a device (``POST auth/token``), keeps a local SQLite copy of the learner's cards, states and
settings (``GET sync/changes``, from the cursor the server handed out last time), studies offline with the
same FSRS rules as the server (the learner's scheduler settings and weights, no py-fsrs fuzz, the interval
fuzz seeded by learner, card and review number), queues each review with its own id, and syncs: it uploads
the queue (``POST sync/reviews``, 1,000 at a time; a retry is harmless, every item is idempotent) and then
downloads the changes. The server's states win: they are the replay of every device's reviews.

    python examples/sync_client.py --server http://127.0.0.1:8000 --user demo --password dlquiz-demo-2026 \\
        --db phone.sqlite3 study      # sync, rate the due cards "Good" offline, sync again
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sqlite3
import uuid
from typing import Any

import requests
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler
from fsrs import State as FsrsState

STATES = ("new", "learning", "review", "relearning")
BATCH = 1000
_FUZZ_RANGES = ((2.5, 7.0, 0.15), (7.0, 20.0, 0.1), (20.0, math.inf, 0.05))

SCHEMA = """
create table if not exists card (id integer primary key, deck integer, kind text, front text, back text,
                                 position integer, state text not null);  -- state: the card's state, JSON
create table if not exists outbox (client_review_id text primary key, card integer, rating integer,
                                   reviewed_at text, duration_ms integer);
create table if not exists meta (key text primary key, value text);
"""


class SyncClient:
    def __init__(self, server: str, db_path: str = ":memory:") -> None:
        self.api = server.rstrip("/") + "/api/v1"
        self.db = sqlite3.connect(db_path)
        self.db.executescript(SCHEMA)
        self.http = requests.Session()
        token = self._meta("token")
        if token:
            self.http.headers["Authorization"] = f"Token {token}"

    # -- the server ---------------------------------------------------------------------------------------
    def sign_in(self, username: str, password: str, device: str) -> None:
        r = self.http.post(
            f"{self.api}/auth/token", json={"username": username, "password": password, "device": device}
        )
        r.raise_for_status()
        self._set_meta("token", r.json()["token"])
        self.http.headers["Authorization"] = f"Token {r.json()['token']}"

    def sync(self) -> dict[str, int]:
        """Upload the queued reviews, then download everything that changed. Counts of what happened."""
        counts = self.push()
        counts["pages"] = self.pull()
        return counts

    def push(self) -> dict[str, int]:
        counts = {"created": 0, "duplicate": 0, "rejected": 0}
        while True:
            rows = self.db.execute(
                "select client_review_id, card, rating, reviewed_at, duration_ms from outbox order by rowid limit ?",
                (BATCH,),
            ).fetchall()
            if not rows:
                return counts
            body = {
                "device_time": _iso(dt.datetime.now(dt.UTC)),
                "reviews": [
                    {"client_review_id": i, "card": c, "rating": r, "reviewed_at": at}
                    | ({"duration_ms": ms} if ms is not None else {})
                    for i, c, r, at, ms in rows
                ],
            }
            resp = self.http.post(f"{self.api}/sync/reviews", json=body, timeout=60)
            resp.raise_for_status()
            answer = resp.json()
            with self.db:
                for item in answer["items"]:  # every outcome is final: a rejected review would be again
                    counts[item["outcome"]] += 1
                    self.db.execute(
                        "delete from outbox where client_review_id = ?", (item["client_review_id"],)
                    )
                for state in answer["states"]:
                    self.db.execute(
                        "update card set state = ? where id = ?", (json.dumps(state), state["card"])
                    )

    def pull(self) -> int:
        """Apply every page of changes since the last sync; the number of requests it took."""
        pages = 0
        while True:
            cursor = self._meta("cursor")
            resp = self.http.get(
                f"{self.api}/sync/changes", params={"cursor": cursor} if cursor else {}, timeout=60
            )
            resp.raise_for_status()
            page = resp.json()
            pages += 1
            with self.db:
                for c in page["cards"]:
                    self.db.execute(
                        "insert or replace into card values (?, ?, ?, ?, ?, ?, ?)",
                        (
                            c["id"],
                            c["deck"],
                            c["kind"],
                            c["front"],
                            c["back"],
                            c["position"],
                            json.dumps(c["state"]),
                        ),
                    )
                self.db.executemany("delete from card where id = ?", [(i,) for i in page["deleted"]])
                if not page["has_more"]:
                    self._set_meta("settings", json.dumps(page["settings"]))
                self._set_meta("cursor", page["next_cursor"])
            if not page["has_more"]:
                return pages

    # -- offline ------------------------------------------------------------------------------------------
    def due(self, now: dt.datetime, new: int = 20) -> list[int]:
        """Cards to study now: due learning and review cards, then up to ``new`` new ones."""
        due, fresh = [], []
        for card_id, state_json in self.db.execute("select id, state from card order by position, id"):
            s = json.loads(state_json)
            if s["suspended"] or (s["buried_until"] and _parse(s["buried_until"]) > now):
                continue
            if s["state"] == "new":
                fresh.append(card_id)
            elif _parse(s["due"]) <= now:
                due.append(card_id)
        return due + fresh[:new]

    def state(self, card_id: int) -> dict[str, Any]:
        row = self.db.execute("select state from card where id = ?", (card_id,)).fetchone()
        return json.loads(row[0])

    def review(
        self, card_id: int, rating: int, at: dt.datetime, duration_ms: int | None = None
    ) -> dict[str, Any]:
        """Rate a card offline: its new state by the server's rules, and the review queued for the next sync."""
        settings = json.loads(self._meta("settings") or "null")
        if settings is None:
            raise RuntimeError("sync once before studying offline")
        s = self.state(card_id)
        after = _fsrs_review(
            s, rating=rating, at=at, settings=settings, seed=f"{settings['learner']}:{card_id}:{s['reps']}"
        )
        with self.db:
            self.db.execute("update card set state = ? where id = ?", (json.dumps(after), card_id))
            self.db.execute(
                "insert into outbox values (?, ?, ?, ?, ?)",
                (uuid.uuid4().hex, card_id, rating, _iso(at), duration_ms),
            )
        return after

    def pending(self) -> int:
        return self.db.execute("select count(*) from outbox").fetchone()[0]

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("select value from meta where key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("insert or replace into meta values (?, ?)", (key, value))
        self.db.commit()


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _fuzzed_days(days: int, *, seed: str, maximum: int) -> int:
    """The server's interval fuzz (FSRS's ranges, drawn with a generator seeded per review)."""
    if days < 2.5:
        return days
    delta = 1.0
    for start, end, factor in _FUZZ_RANGES:
        delta += factor * max(min(float(days), end) - start, 0.0)
    lo = max(2, round(days - delta))
    hi = min(round(days + delta), maximum)
    lo = min(lo, hi)
    return min(round(random.Random(seed).random() * (hi - lo + 1) + lo), maximum)


def _fsrs_review(
    s: dict[str, Any], *, rating: int, at: dt.datetime, settings: dict[str, Any], seed: str
) -> dict[str, Any]:
    scheduler = Scheduler(
        parameters=tuple(settings["fsrs_parameters"]),
        desired_retention=settings["desired_retention"],
        learning_steps=tuple(dt.timedelta(minutes=m) for m in settings["learning_steps"]),
        relearning_steps=tuple(dt.timedelta(minutes=m) for m in settings["relearning_steps"]),
        maximum_interval=settings["maximum_interval"],
        enable_fuzzing=False,
    )
    at = at.astimezone(dt.UTC)
    if s["state"] == "new":  # a new card goes to FSRS as Learning at step 0
        card = FsrsCard(card_id=1, state=FsrsState.Learning, step=0, due=at)
    else:
        card = FsrsCard(
            card_id=1,
            state=FsrsState(STATES.index(s["state"])),
            step=s["step"],
            stability=s["stability"],
            difficulty=s["difficulty"],
            due=_parse(s["due"]),
            last_review=_parse(s["last_review"]) if s["last_review"] else None,
        )
    card, _ = scheduler.review_card(card, Rating(rating), review_datetime=at)
    due = card.due
    if card.state == FsrsState.Review:
        due = at + dt.timedelta(
            days=_fuzzed_days((card.due - at).days, seed=seed, maximum=settings["maximum_interval"])
        )
    lapses = s["lapses"] + (1 if s["state"] == "review" and rating == 1 else 0)
    return {
        **s,
        "state": STATES[int(card.state)],
        "step": card.step,
        "stability": card.stability,
        "difficulty": card.difficulty,
        "due": _iso(due),
        "last_review": _iso(at),
        "reps": s["reps"] + 1,
        "lapses": lapses,
        "buried_until": None,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", default="http://127.0.0.1:8000")
    p.add_argument("--db", default="dlquiz-offline.sqlite3")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--device", default="example client")
    p.add_argument("command", choices=["sync", "study"])
    args = p.parse_args()
    client = SyncClient(args.server, args.db)
    if args.user:
        client.sign_in(args.user, args.password, args.device)
    print("sync:", client.sync())
    if args.command == "study":
        now = dt.datetime.now(dt.UTC)
        cards = client.due(now)
        for card_id in cards:
            client.review(card_id, 3, now)
        print(f"studied {len(cards)} cards offline; sync:", client.sync())


if __name__ == "__main__":
    main()
