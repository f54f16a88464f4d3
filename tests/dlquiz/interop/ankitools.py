"""Anki packages made by the official ``anki`` package (a real collection in a temporary directory), and
packages opened by it: the other side of dlquiz's reader and writer."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from anki.collection import (
    Collection,
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
)
from anki.decks import DeckId


@contextmanager
def collection(folder: Path) -> Iterator[Collection]:
    folder.mkdir(parents=True, exist_ok=True)
    col = Collection(str(folder / "collection.anki2"))
    try:
        yield col
    finally:
        col.close()


@dataclass
class Made:
    """What :func:`make_package` put in: Anki's card ids by name, and each card's (time, rating) log."""

    data: bytes
    card_ids: dict[str, int]
    history: dict[str, list[tuple[dt.datetime, int]]]


def make_package(folder: Path, *, fmt: str, history: dict[str, list[tuple[dt.datetime, int]]]) -> Made:
    """A deck "DL::Imported" with a basic+reversed note (cards ``q`` and ``q~r``), a cloze note with two
    deletions (``c1``, ``c2``) and a suspended basic note (``s``), the given reviews answered by Anki's own
    scheduler and then moved to the given times, exported as ``fmt``: ``anki21b`` (current), ``anki21``
    (legacy export) or ``anki2`` (the legacy collection as Anki 2.0 named it, alone in the zip)."""
    with collection(folder) as col:
        did = DeckId(col.decks.id("DL::Imported"))
        basic = col.models.by_name("Basic (and reversed card)")
        cloze = col.models.by_name("Cloze")
        plain = col.models.by_name("Basic")
        assert basic and cloze and plain
        n1 = col.new_note(basic)
        n1["Front"] = "What does BN normalise over, for \\(x \\in \\mathbb{R}^{N\\times C}\\)?"
        n1["Back"] = "<b>The batch</b>, per channel:<br>\\[\\mu_c = \\frac{1}{N}\\sum_i x_{ic}\\]"
        n1.tags = ["bn", "topic::001-0574"]
        col.add_note(n1, did)
        n2 = col.new_note(cloze)
        n2["Text"] = "Adam keeps {{c1::a running mean}} and {{c2::a running variance}} of the gradient."
        n2["Back Extra"] = "Kingma &amp; Ba, 2014"
        n2.tags = ["optim"]
        col.add_note(n2, did)
        n3 = col.new_note(plain)
        n3["Front"] = "Suspended question"
        n3["Back"] = "answer"
        col.add_note(n3, did)
        c_q, c_r = (c.id for c in sorted(n1.cards(), key=lambda c: c.ord))
        c_1, c_2 = (c.id for c in sorted(n2.cards(), key=lambda c: c.ord))
        (c_s,) = (c.id for c in n3.cards())
        col.sched.suspend_cards([c_s])
        ids = {"q": c_q, "q~r": c_r, "c1": c_1, "c2": c_2, "s": c_s}
        for name, reviews in history.items():
            for when, rating in reviews:
                answer(col, ids[name], rating, when)
        data = export_package(col, folder, fmt=fmt)
    return Made(data=data, card_ids=ids, history=history)


def export_package(col: Collection, folder: Path, *, fmt: str) -> bytes:
    """The whole collection as an .apkg with scheduling, in format ``fmt`` (see :func:`make_package`)."""
    out = folder / f"export-{len(list(folder.glob('export-*')))}.apkg"
    col.export_anki_package(
        out_path=str(out),
        options=ExportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=True, with_media=True, legacy=fmt != "anki21b"
        ),
        limit=None,
    )
    data = out.read_bytes()
    if fmt == "anki2":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            legacy = zf.read("collection.anki21")
        data = zip_of({"collection.anki2": legacy, "media": b"{}"})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert f"collection.{fmt}" in zf.namelist()
    return data


def answer(col: Collection, card_id: int, rating: int, when: dt.datetime) -> None:
    """Answer a card with Anki's scheduler, then move the log entry to ``when``."""
    before = {r for (r,) in col.db.all("SELECT id FROM revlog")}
    card = col.get_card(card_id)
    card.start_timer()
    col.sched.answerCard(card, rating)  # type: ignore[arg-type]
    (new,) = {r for (r,) in col.db.all("SELECT id FROM revlog")} - before
    col.db.execute("UPDATE revlog SET id = ? WHERE id = ?", int(when.timestamp() * 1000), new)


def zip_of(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def import_into(col: Collection, data: bytes, folder: Path) -> object:
    """Import an .apkg into ``col`` as Anki's File > Import does (with scheduling); returns Anki's log."""
    path = folder / f"import-{len(list(folder.glob('import-*')))}.apkg"
    path.write_bytes(data)
    request = ImportAnkiPackageRequest(
        package_path=str(path), options=ImportAnkiPackageOptions(with_scheduling=True)
    )
    return col.import_anki_package(request).log
