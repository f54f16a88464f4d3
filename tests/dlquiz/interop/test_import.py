"""Importing .apkg files made by the official ``anki`` package (current and legacy formats): cards, the
review log, FSRS states rebuilt by replay, re-imports, and refusals of bad files that write nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
import time_machine
import zstandard
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from dlquiz.decks.models import Card, Deck, Enrollment
from dlquiz.interop.models import AnkiImport
from dlquiz.interop.services import anki_import_run
from dlquiz.study.models import CardState, ReviewLog, State
from tests.dlquiz.interop.ankitools import answer, collection, export_package, make_package, zip_of
from tests.factories import api_error, client_for, make_user, rid

pytestmark = pytest.mark.django_db


def _history() -> dict[str, list[tuple[dt.datetime, int]]]:
    t0 = (timezone.now() - dt.timedelta(days=80)).replace(microsecond=0)
    minutes, days = dt.timedelta(minutes=1), dt.timedelta(days=1)
    return {
        # learn, graduate, lapse, relearn, review again
        "q": [
            (t0, 3),
            (t0 + 10 * minutes, 3),
            (t0 + 5 * days, 1),
            (t0 + 5 * days + 12 * minutes, 3),
            (t0 + 12 * days, 4),
        ],
        "c2": [(t0 + 2 * minutes, 2), (t0 + 3 * days, 3)],
    }


def _expected(reviews: list[tuple[dt.datetime, int]]) -> FsrsCard:
    """The FSRS card after these reviews, by the fsrs package alone (the learner's default settings)."""
    scheduler = Scheduler(
        desired_retention=0.9,
        learning_steps=(dt.timedelta(minutes=1), dt.timedelta(minutes=10)),
        relearning_steps=(dt.timedelta(minutes=10),),
        maximum_interval=36500,
        enable_fuzzing=False,
    )
    card = FsrsCard()
    for when, rating in reviews:
        card, _ = scheduler.review_card(card, Rating(rating), review_datetime=when)
    return card


def _upload(client, data: bytes, *, name: str = "deck.apkg", **extra):
    return client.post(
        "/api/v1/anki/imports",
        {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream"), **extra},
        format="multipart",
    )


def _import(user, data: bytes, **extra) -> AnkiImport:
    resp = _upload(client_for(user), data, **extra)
    assert resp.status_code == 202, resp.content
    body = resp.json()
    assert body["status"] == "queued" and body["progress"] == 0.0
    anki_import_run(import_id=body["id"])
    done = client_for(user).get(f"/api/v1/anki/imports/{body['id']}")
    assert done.status_code == 200 and done.json()["status"] == "done", done.content
    return AnkiImport.objects.get(pk=body["id"])


@pytest.mark.parametrize("fmt", ["anki21b", "anki21", "anki2"])
def test_import_of_each_format_gives_cards_history_and_replayed_fsrs_state(tmp_path: Path, fmt: str):
    made = make_package(tmp_path, fmt=fmt, history=_history())
    user = make_user()
    row = _import(user, made.data)
    deck = Deck.objects.get(owner=user)
    assert deck.name == "DL::Imported" and row.deck_id == deck.pk
    assert Enrollment.objects.filter(user=user, deck=deck).exists()
    cards = {(c.kind, c.front): c for c in Card.objects.filter(deck=deck)}
    assert row.cards_created == len(cards) == 5
    q = cards["basic", "What does BN normalise over, for $x \\in \\mathbb{R}^{N\\times C}$?"]
    assert q.back == "**The batch**, per channel:\n$$\\mu_c = \\frac{1}{N}\\sum_i x_{ic}$$"
    assert q.tags == ["bn"] and q.topics == ["001-0574"]
    reverse = cards["basic", q.back]
    assert reverse.back == q.front
    c1 = cards["cloze", "Adam keeps {{c1::a running mean}} and a running variance of the gradient."]
    c2 = cards["cloze", "Adam keeps a running mean and {{c1::a running variance}} of the gradient."]
    assert c1.back == c2.back == "Kingma & Ba, 2014" and c1.tags == ["optim"]
    suspended = cards["basic", "Suspended question"]
    assert CardState.objects.get(user=user, card=suspended).suspended

    assert row.reviews_imported == 7 and ReviewLog.objects.filter(user=user).count() == 7
    for card, name in ((q, "q"), (c2, "c2")):
        logs = list(ReviewLog.objects.filter(user=user, card=card).order_by("reviewed_at"))
        assert [(log.reviewed_at, log.rating) for log in logs] == made.history[name]
        state = CardState.objects.get(user=user, card=card)
        want = _expected(made.history[name])
        assert State(state.state).label == want.state.name.lower()
        assert state.stability == pytest.approx(want.stability, rel=1e-9)
        assert state.difficulty == pytest.approx(want.difficulty, rel=1e-9)
        assert state.last_review == made.history[name][-1][0]
        assert state.reps == len(made.history[name])
        assert logs[-1].state_after == {**logs[-1].state_after, "stability": state.stability}
    assert CardState.objects.get(user=user, card=q).lapses == 1
    assert CardState.objects.get(user=user, card=c1).state == State.NEW


def test_reimport_updates_cards_and_adds_only_new_reviews(tmp_path: Path):
    history = _history()
    made = make_package(tmp_path, fmt="anki21b", history=history)
    user = make_user()
    _import(user, made.data)
    _import(user, made.data)  # the same file twice: nothing changes
    assert Card.objects.filter(deck__owner=user).count() == 5
    assert ReviewLog.objects.filter(user=user).count() == 7
    # The learner edits a note and reviews once more in Anki, then exports again.
    later = history["q"][-1][0] + dt.timedelta(days=15)
    with collection(tmp_path) as col:
        note = col.get_card(made.card_ids["q"]).note()
        note["Back"] = "The mini-batch"
        col.update_note(note)
        answer(col, made.card_ids["q"], 2, later)
        again = _import(user, export_package(col, tmp_path, fmt="anki21b"))
    assert (again.cards_created, again.cards_updated, again.reviews_imported) == (0, 2, 1)
    card = Card.objects.get(deck__owner=user, kind="basic", front__startswith="What does BN")
    assert card.back == "The mini-batch"
    assert ReviewLog.objects.filter(user=user, card=card).count() == 6
    want = _expected([*history["q"], (later, 2)])
    assert CardState.objects.get(user=user, card=card).stability == pytest.approx(want.stability, rel=1e-9)


def test_imported_reviews_merge_with_reviews_made_in_dlquiz_in_time_order(tmp_path: Path):
    """A review made in dlquiz after the first import, then an older Anki review arriving with a second
    import: the card's state is the replay of all of them in time order, and every log row says so."""
    history = _history()
    made = make_package(tmp_path, fmt="anki21", history=history)
    user = make_user()
    _import(user, made.data, deck_name="Mine")
    assert Deck.objects.get(owner=user).name == "Mine"
    card = Card.objects.get(deck__owner=user, kind="basic", front__startswith="What does BN")
    end = history["q"][-1][0]
    late, middle = end + dt.timedelta(days=30), end + dt.timedelta(days=10)
    resp = client_for(user).post(
        "/api/v1/reviews",
        {"card": card.pk, "rating": 3, "client_review_id": rid(), "reviewed_at": late.isoformat()},
        format="json",
    )
    assert resp.status_code in (200, 201), resp.content
    with collection(tmp_path) as col:
        answer(col, made.card_ids["q"], 1, middle)
        _import(user, export_package(col, tmp_path, fmt="anki21"), deck_name="Mine")
    merged = [*history["q"], (middle, 1), (late, 3)]
    logs = list(ReviewLog.objects.filter(user=user, card=card).order_by("reviewed_at"))
    assert [(log.reviewed_at, log.rating) for log in logs] == merged
    for i, log in enumerate(logs):
        want = _expected(merged[: i + 1])
        assert log.state_after["stability"] == pytest.approx(want.stability, rel=1e-9)
        if i:
            assert log.state_before == logs[i - 1].state_after
    state = CardState.objects.get(user=user, card=card)
    assert state.stability == pytest.approx(_expected(merged).stability, rel=1e-9)
    assert (state.reps, state.lapses) == (7, 2)


def _refused(user, data: bytes, status: int, code: str, name: str = "deck.apkg") -> str:
    cards, decks = Card.objects.count(), Deck.objects.count()
    error = api_error(_upload(client_for(user), data, name=name), status, code)
    assert AnkiImport.objects.count() == 0 and Card.objects.count() == cards and Deck.objects.count() == decks
    return error["message"]


def test_bad_files_are_refused_with_a_clear_error_and_nothing_written(tmp_path: Path, settings):
    user = make_user()
    good = make_package(tmp_path, fmt="anki21b", history={}).data
    assert "zip" in _refused(user, b"not a zip at all", 400, "invalid_package")
    assert "truncated" in _refused(user, good[: len(good) // 2], 400, "invalid_package")
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        packed = zf.read("collection.anki21b")
    _refused(user, zip_of({"collection.anki21b": packed[: len(packed) // 2]}), 400, "invalid_package")
    assert "collection" in _refused(user, zip_of({"media": b"{}"}), 400, "invalid_package")
    assert "SQLite" in _refused(user, zip_of({"collection.anki21": b"x" * 4096}), 400, "invalid_package")
    assert "zstd" in _refused(
        user, zip_of({"collection.anki21b": b"SQLite format 3\x00"}), 400, "invalid_package"
    )
    garbage = zstandard.ZstdCompressor().compress(b"SQLite format 3\x00" + b"\x07" * 8192)
    _refused(user, zip_of({"collection.anki21b": garbage}), 400, "invalid_package")
    # A valid SQLite database that is no Anki collection.
    import sqlite3

    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE notes (x)")
    con.commit()
    _refused(user, zip_of({"collection.anki21": con.serialize()}), 400, "invalid_package")


def test_zip_and_zstd_bombs_stop_at_the_cap(settings):
    settings.ANKI_IMPORT_MAX_EXPANDED_BYTES = 1_000_000
    user = make_user()
    zeros = b"SQLite format 3\x00" + bytes(20_000_000)
    bomb = zip_of({"collection.anki21": zeros})
    assert len(bomb) < 100_000
    assert "1000000" in _refused(user, bomb, 413, "too_large")
    zbomb = zip_of(
        {"collection.anki21b": zstandard.ZstdCompressor().compress(zeros)}, compression=zipfile.ZIP_STORED
    )
    assert len(zbomb) < 100_000
    _refused(user, zbomb, 413, "too_large")


def test_an_upload_over_the_limit_is_413(settings, tmp_path: Path):
    settings.ANKI_IMPORT_MAX_BYTES = 10_000
    user = make_user()
    _refused(user, b"PK" + bytes(20_000), 413, "too_large")


def test_member_paths_are_never_used_as_file_names(tmp_path: Path, monkeypatch):
    """Members named to escape a folder are neither read nor written: only the collection is read, in memory."""
    made = make_package(tmp_path / "src", fmt="anki21", history={})
    with zipfile.ZipFile(io.BytesIO(made.data)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    evil = zip_of({**members, "../../escaped.txt": b"x", "/abs/escaped.txt": b"x", "0": b"media"})
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    user = make_user()
    _import(user, evil)
    assert Card.objects.filter(deck__owner=user).count() == 5
    assert not list(tmp_path.rglob("escaped.txt")) and list(work.iterdir()) == []


def test_imports_are_private_and_need_sign_in(tmp_path: Path):
    user, other = make_user(), make_user()
    made = make_package(tmp_path, fmt="anki21b", history={})
    resp = _upload(client_for(user), made.data)
    import_id = resp.json()["id"]
    api_error(client_for(other).get(f"/api/v1/anki/imports/{import_id}"), 404, "not_found")
    api_error(client_for(None).get(f"/api/v1/anki/imports/{import_id}"), 401)
    api_error(_upload(client_for(None), made.data), 401)
    assert client_for(user).get(f"/api/v1/anki/imports/{import_id}").json()["status"] == "queued"


def test_at_most_two_imports_wait_at_once(tmp_path: Path):
    user = make_user()
    data = make_package(tmp_path, fmt="anki21b", history={}).data
    first = _upload(client_for(user), data).json()["id"]
    assert _upload(client_for(user), data).status_code == 202
    api_error(_upload(client_for(user), data), 409, "conflict")
    assert AnkiImport.objects.filter(user=user).count() == 2
    assert _upload(client_for(make_user()), data).status_code == 202  # another learner's are their own
    anki_import_run(import_id=first)
    assert _upload(client_for(user), data).status_code == 202  # one has finished


def test_a_device_that_syncs_gets_the_states_an_import_rebuilt(tmp_path: Path):
    """The import stamps the card states it sets, so ``sync/changes`` hands them to a device that already
    synced, even when no card text changed."""
    history = _history()
    made = make_package(tmp_path, fmt="anki21b", history=history)
    user = make_user()
    client = client_for(user)
    start = timezone.now()
    with time_machine.travel(start - dt.timedelta(hours=1)):
        _import(user, made.data)
    with time_machine.travel(start - dt.timedelta(minutes=30)):  # the sync window's overlap is 2 minutes
        page = client.get("/api/v1/sync/changes").json()
    assert not page["has_more"] and len(page["cards"]) == 5
    later = history["q"][-1][0] + dt.timedelta(days=15)
    with collection(tmp_path) as col:
        answer(col, made.card_ids["q"], 3, later)
        _import(user, export_package(col, tmp_path, fmt="anki21b"))
    changes = client.get("/api/v1/sync/changes", {"cursor": page["next_cursor"]}).json()
    card = Card.objects.get(deck__owner=user, kind="basic", front__startswith="What does BN")
    state = CardState.objects.get(user=user, card=card)
    assert [c["id"] for c in changes["cards"]] == [card.pk]
    assert changes["cards"][0]["state"]["stability"] == state.stability
    assert state.stability == pytest.approx(_expected([*history["q"], (later, 3)]).stability, rel=1e-9)


def test_an_import_that_cannot_finish_ends_failed_with_a_message(tmp_path: Path, monkeypatch):
    from dlquiz.interop import services
    from dlquiz.interop.tasks import anki_import_task

    user = make_user()
    resp = _upload(client_for(user), make_package(tmp_path, fmt="anki21b", history={}).data)
    import_id = resp.json()["id"]

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_cards_write", broken)
    with pytest.raises(RuntimeError):
        anki_import_task.run(import_id)
    body = client_for(user).get(f"/api/v1/anki/imports/{import_id}").json()
    assert body["status"] == "failed" and body["error"] == "导入出错 / the import failed: RuntimeError"
    assert body["finished_at"] is not None
    assert AnkiImport.objects.get(pk=import_id).package == b""
    assert not Card.objects.filter(deck__owner=user).exists()  # the cards' transaction rolled back


def test_the_admin_lists_imports_read_only(client, tmp_path: Path):
    user = make_user()
    import_id = _upload(client_for(user), make_package(tmp_path, fmt="anki2", history={}).data).json()["id"]
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123456")
    client.force_login(admin)
    page = client.get("/admin/interop/ankiimport/")
    assert page.status_code == 200 and "deck.apkg" in page.content.decode()
    assert client.get("/admin/interop/ankiimport/add/").status_code == 403
    detail = client.get(f"/admin/interop/ankiimport/{import_id}/change/")
    assert detail.status_code == 200 and 'name="package"' not in detail.content.decode()


def test_a_device_that_syncs_while_a_long_import_runs_gets_the_states_of_its_later_batches(
    tmp_path: Path, monkeypatch
):
    """An import writes its history in batches over minutes; a device that syncs between two batches must
    get the later batch's states at its next sync, so each batch stamps the states it sets with its own time
    (not the import's start, which the device's next window, reaching back 2 minutes, no longer covers)."""
    from dlquiz.interop import services

    made = make_package(tmp_path, fmt="anki21b", history=_history())
    user = make_user()
    client = client_for(user)
    start = timezone.now().replace(microsecond=0)
    monkeypatch.setattr(services, "_HISTORY_BATCH", 1)  # one card's history per batch: two batches
    write = services._history_write
    calls: list[str] = []
    cursor: list[str] = []

    def slow_write(**kwargs):
        calls.append("batch")
        if len(calls) == 1:
            return write(**kwargs)
        with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
            page = client.get("/api/v1/sync/changes").json()  # a device syncs between the batches
            assert not page["has_more"]
            cursor.append(page["next_cursor"])
            return write(**kwargs)  # the second batch commits ten minutes after the import began

    monkeypatch.setattr(services, "_history_write", slow_write)
    with time_machine.travel(start, tick=False):
        row = _import(user, made.data)
    assert len(calls) == 2 and row.reviews_imported == 7
    with time_machine.travel(start + dt.timedelta(minutes=11), tick=False):
        changes = client.get("/api/v1/sync/changes", {"cursor": cursor[0]}).json()
    sent = {c["id"]: c["state"] for c in changes["cards"]}
    reviewed = CardState.objects.filter(user=user, reps__gt=0)
    assert reviewed.count() == 2
    last = max(reviewed, key=lambda cs: cs.changed_at)  # the second batch's card
    assert last.card_id in sent and sent[last.card_id]["reps"] == last.reps > 0
