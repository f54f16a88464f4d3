"""Writing an Anki package (``.apkg``) from plain values with genanki. No Django here.

One Anki note per dlquiz card: ``cloze`` cards are notes of a cloze note type (Anki makes one card per
``{{cN::...}}``), every other kind a note of a two-field basic type (a ``reverse`` card is stored with its
sides already swapped; an exercise's front and back are its description and formula). The note's guid is
derived from the card's uid and its id from the card's id, so a re-export imported into the same Anki
collection updates the notes instead of adding copies (a note's modification time is the card's last edit,
and Anki's importer updates a note only from a newer one). Tags are the card's tags plus ``topic::<id>`` per
topic. With scheduling, each Anki card of the note gets the learner's FSRS state (type, queue, due,
interval, stability and difficulty in ``data``) and the learner's review log becomes Anki's ``revlog``.

genanki writes the collection (Anki's legacy schema 11, which every Anki since 2.1 imports); we write it to
an in-memory SQLite database, fix the ids, add the scheduling and zip it ourselves.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import re
import sqlite3
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

import genanki

from dlquiz.interop.apkg import markdown_to_anki_html

__all__ = ["BASIC_MODEL", "CLOZE_MODEL", "ExportCard", "ExportReview", "apkg_write", "note_guid", "note_id"]

#: Anki note ids of exported cards: this offset plus the dlquiz card id (stable across exports).
NOTE_ID_BASE = 1_000_000_000_000
CARD_ID_STRIDE = 100
#: Anki deck ids of exported decks: this offset plus the dlquiz deck id (never Anki's Default deck, 1).
DECK_ID_BASE = 1_000_000_000

BASIC_MODEL = genanki.Model(
    1_726_150_001,
    "dlquiz Basic",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[
        {"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}"}
    ],
)
CLOZE_MODEL = genanki.Model(
    1_726_150_002,
    "dlquiz Cloze",
    fields=[{"name": "Text"}, {"name": "Back Extra"}],
    templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}<br>\n{{Back Extra}}"}],
    model_type=genanki.Model.CLOZE,
)


@dataclass(frozen=True)
class ExportReview:
    """One review of the learner's log, with the memory before and after (``MemoryState.to_json`` form)."""

    reviewed_at: dt.datetime
    rating: int  # 0: a reset
    duration_ms: int
    state_before: dict[str, object]
    state_after: dict[str, object]


@dataclass(frozen=True)
class ExportCard:
    id: int
    uid: str
    kind: str
    front: str
    back: str
    tags: Sequence[str]
    topics: Sequence[str]
    position: int = 0
    modified: dt.datetime | None = None  # the card's last edit: Anki updates a note only from a newer one
    memory: dict[str, object] | None = None  # MemoryState.to_json(); None: no scheduling
    suspended: bool = False
    reviews: Sequence[ExportReview] = field(default_factory=tuple)


def note_guid(uid: str) -> str:
    """The Anki note guid of a dlquiz card: stable, so Anki updates the note on a re-import."""
    return str(genanki.guid_for("dlquiz", uid))


def note_id(card_id: int) -> int:
    return NOTE_ID_BASE + card_id


def _tag(text: str) -> str:
    return re.sub(r"\s+", "_", text.strip())


def _note(card: ExportCard) -> genanki.Note:
    tags = [_tag(t) for t in card.tags if t.strip()] + [f"topic::{_tag(t)}" for t in card.topics if t.strip()]
    if card.kind == "exercise":
        tags.append("dlquiz::exercise")
    model = CLOZE_MODEL if card.kind == "cloze" else BASIC_MODEL
    return genanki.Note(
        model=model,
        fields=[markdown_to_anki_html(card.front), markdown_to_anki_html(card.back)],
        tags=list(dict.fromkeys(tags)),
        guid=note_guid(card.uid),
        due=card.position,
    )


def apkg_write(*, deck_id: int, deck_name: str, cards: Sequence[ExportCard], now: dt.datetime) -> bytes:
    """The ``.apkg`` of ``cards`` in one Anki deck. Cards with ``memory`` carry the learner's scheduling."""
    deck = genanki.Deck(DECK_ID_BASE + deck_id, deck_name)
    for card in cards:
        deck.add_note(_note(card))
    con = sqlite3.connect(":memory:")
    try:
        cursor = con.cursor()
        stamp = now.timestamp()
        genanki.Package(deck).write_to_db(cursor, stamp, itertools.count(int(stamp * 1000)))
        crt = _day_start(now)
        # schedVer 2: without it Anki takes the log for the old v1 scheduler's and renumbers its ratings
        cursor.execute(
            "UPDATE col SET crt = ?, conf = json_set(conf, '$.schedVer', 2)", (int(crt.timestamp()),)
        )
        genanki_ids = dict(cursor.execute("SELECT guid, id FROM notes").fetchall())
        revlog_ids: set[int] = set()
        for card in cards:
            _stable_ids(cursor, card, old=genanki_ids[note_guid(card.uid)])
            if card.memory is not None:
                _schedule(cursor, card, crt=crt, revlog_ids=revlog_ids)
        con.commit()
        collection = con.serialize()
    finally:
        con.close()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("collection.anki2", collection)
        zf.writestr("media", "{}")
    return out.getvalue()


def _day_start(now: dt.datetime) -> dt.datetime:
    day = now.astimezone(dt.UTC).date()
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _stable_ids(cursor: sqlite3.Cursor, card: ExportCard, *, old: int) -> None:
    """genanki numbers notes and cards by time; give them ids derived from the dlquiz card id instead."""
    nid = note_id(card.id)
    mod = int(card.modified.timestamp()) if card.modified else None
    cursor.execute("UPDATE notes SET id = ?, mod = coalesce(?, mod) WHERE id = ?", (nid, mod, old))
    cursor.execute(
        "UPDATE cards SET nid = ?, id = ? * ? + ord WHERE nid = ?", (nid, nid, CARD_ID_STRIDE, old)
    )


def _when(value: object) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _schedule(cursor: sqlite3.Cursor, card: ExportCard, *, crt: dt.datetime, revlog_ids: set[int]) -> None:
    """The learner's state on the note's cards, and its log as revlog rows (``revlog_ids``: the ids taken,
    each review's time in ms, moved on by 1 ms where two reviews share one)."""
    m = card.memory or {}
    state = _int(m.get("state"))
    due, last = _when(m.get("due")), _when(m.get("last_review"))
    stability, difficulty = m.get("stability"), m.get("difficulty")
    reps, lapses = _int(m.get("reps")), _int(m.get("lapses"))
    data: dict[str, float | int] = {}
    if isinstance(stability, float) and isinstance(difficulty, float):
        data = {"s": round(stability, 4), "d": round(difficulty, 3)}
        if last is not None:
            data["lrt"] = int(last.timestamp())
    if state == 0 or due is None:
        ctype, queue, anki_due, ivl, left = 0, 0, card.position, 0, 0
    elif state == 2:
        ivl = max(1, (due - last).days) if last else 1
        ctype, queue, anki_due, left = 2, 2, (due - crt).days, 0
    else:
        ivl = max(1, round(stability)) if state == 3 and isinstance(stability, float) else 0
        ctype, queue, anki_due, left = (1 if state == 1 else 3), 1, int(due.timestamp()), 1
    if card.suspended:
        queue = -1
    nid = note_id(card.id)
    cursor.execute(
        "UPDATE cards SET type = ?, queue = ?, due = ?, ivl = ?, factor = ?, reps = ?, lapses = ?, left = ?,"
        " data = ? WHERE nid = ?",
        (
            ctype,
            queue,
            anki_due,
            ivl,
            2500 if ctype else 0,
            reps,
            lapses,
            left,
            json.dumps(data) if data else "",
            nid,
        ),
    )
    first = nid * CARD_ID_STRIDE  # the log goes with the note's first card
    for review in card.reviews:
        rid = int(review.reviewed_at.timestamp() * 1000)
        while rid in revlog_ids:
            rid += 1
        revlog_ids.add(rid)
        cursor.execute(
            "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                rid,
                first,
                -1,
                review.rating,
                _interval(review.state_after, review.reviewed_at),
                _interval(review.state_before, review.reviewed_at),
                2500,
                review.duration_ms,
                _revlog_type(review),
            ),
        )


def _interval(memory: dict[str, object], at: dt.datetime) -> int:
    """Anki's revlog interval: days for a review card, negative seconds while learning."""
    due = _when(memory.get("due"))
    if due is None:
        return 0
    if memory.get("state") == 2:
        return max(1, (due - at).days)
    return -max(1, int((due - at).total_seconds()))


def _revlog_type(review: ExportReview) -> int:
    if review.rating == 0:
        return 4  # manual: the "forget"
    return {0: 0, 1: 0, 2: 1, 3: 2}.get(_int(review.state_before.get("state")), 0)


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0
