#!/usr/bin/env python
"""Anki interop benchmark: the import of an .apkg with a long review history, its re-import (everything
already there) and the export of the imported deck with scheduling, on a fresh database.

A package of CARDS cards with REVIEWS reviews each (written by our own exporter, spread over a year) is
imported the way the worker does it (``anki_import_start`` then ``anki_import_run``); prints seconds and
rates for each step. SQLite in a temporary directory unless DATABASE_URL names an empty database.

    .venv/bin/python bench/anki.py [CARDS] [REVIEWS]
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_TMP = tempfile.mkdtemp(prefix="dlquiz-anki-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dlquiz.settings")

CARDS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
REVIEWS = int(sys.argv[2]) if len(sys.argv) > 2 else 10


def package(now: dt.datetime) -> bytes:
    from dlquiz.interop.apkgwrite import ExportCard, ExportReview, apkg_write

    start = now - dt.timedelta(days=365)
    step = dt.timedelta(days=300 / max(REVIEWS, 1))
    empty: dict[str, object] = {"state": 0}
    cards = [
        ExportCard(
            id=i + 1,
            uid=f"bench.{i}",
            kind="cloze" if i % 5 == 0 else "basic",
            front=f"第 {i} 题 {{{{c1::$x_{{{i}}}$}}}}"
            if i % 5 == 0
            else f"第 {i} 题：$\\sum_k x_k^{i % 7}$？",
            back=f"答案 {i}",
            tags=["bench"],
            topics=["001-0001"],
            position=i,
            memory={
                "state": 2,
                "stability": 10.0,
                "difficulty": 5.0,
                "due": now.isoformat(),
                "last_review": start.isoformat(),
                "reps": REVIEWS,
                "lapses": 0,
            },
            reviews=[
                ExportReview(
                    reviewed_at=start + r * step + dt.timedelta(seconds=i),
                    rating=(1, 3, 3, 4, 3, 2)[(i + r) % 6],
                    duration_ms=4000,
                    state_before=empty,
                    state_after=empty,
                )
                for r in range(REVIEWS)
            ],
        )
        for i in range(CARDS)
    ]
    return apkg_write(deck_id=1, deck_name="Bench", cards=cards, now=now)


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dlquiz.interop.selectors import anki_export
    from dlquiz.interop.services import anki_import_run, anki_import_start
    from dlquiz.study.models import StudySettings

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    StudySettings.objects.create(user=user)
    now = timezone.now()
    t = time.perf_counter()
    data = package(now)
    t_write = time.perf_counter() - t
    print(f"database: {connection.vendor}; {CARDS} cards x {REVIEWS} reviews = {CARDS * REVIEWS} reviews")
    print(f"write the package (genanki + scheduling): {t_write:.2f} s, {len(data) / 1e6:.1f} MB")

    for label in ("import", "re-import (all there)"):
        t = time.perf_counter()
        row = anki_import_start(user=user, file_name="bench.apkg", data=data)
        t_check = time.perf_counter() - t
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            row = anki_import_run(import_id=row.pk)
            t_run = time.perf_counter() - t
        assert row.status == "done", row.error
        print(
            f"{label}: upload check {t_check:.2f} s; worker {t_run:.2f} s "
            f"({row.reviews_imported / t_run:,.0f} reviews/s, {CARDS / t_run:,.0f} cards/s), "
            f"{len(queries)} queries; created {row.cards_created}, updated {row.cards_updated}, "
            f"reviews {row.reviews_imported}"
        )
    deck_id = row.deck_id
    assert deck_id is not None
    t = time.perf_counter()
    export = anki_export(user=user, deck_id=deck_id, scheduling=True, now=now)
    print(
        f"export with scheduling: {time.perf_counter() - t:.2f} s, {export.cards} cards, {len(export.data) / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
