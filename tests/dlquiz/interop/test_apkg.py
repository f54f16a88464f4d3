"""The .apkg reader and the Markdown <-> Anki HTML conversions on their own (no database)."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from dlquiz.interop.apkg import ApkgError, _render, anki_html_to_markdown, apkg_read, markdown_to_anki_html
from tests.dlquiz.interop.ankitools import make_package, zip_of

CAP = 50_000_000


def _legacy_collection(tmp_path: Path, history) -> tuple[bytes, object]:
    made = make_package(tmp_path, fmt="anki21", history=history)
    with zipfile.ZipFile(io.BytesIO(made.data)) as zf:
        return zf.read("collection.anki21"), made


def _patched(raw: bytes, *sql: str) -> bytes:
    con = sqlite3.connect(":memory:")
    con.deserialize(raw)
    for statement in sql:
        con.execute(statement)
    con.commit()
    return zip_of({"collection.anki21": con.serialize()})


def test_anki_20_learning_ratings_are_read_on_the_four_button_scale(tmp_path: Path):
    """Anki 2.0's scheduler gave learning cards three buttons (1 Again, 2 Good, 3 Easy); its revlog is read
    as today's 1/3/4, like Anki's own upgrade does. A v2 collection's ratings are taken as they are."""
    import datetime as dt

    t = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    raw, made = _legacy_collection(tmp_path, {"q": [(t, 3), (t + dt.timedelta(days=3), 3)]})
    as_is = apkg_read(zip_of({"collection.anki21": raw}), max_expanded=CAP)
    assert [r.rating for r in as_is.reviews] == [3, 3]
    v1 = _patched(
        raw,
        "UPDATE col SET conf = json_set(conf, '$.schedVer', 1)",
        "UPDATE revlog SET ease = 2 WHERE type = 0",  # Good on Anki 2.0's learning buttons
    )
    (learn, review) = apkg_read(v1, max_expanded=CAP).reviews
    assert (learn.rating, review.rating) == (3, 3)


def test_a_view_in_place_of_a_table_is_refused(tmp_path: Path):
    raw, _ = _legacy_collection(tmp_path, {})
    evil = _patched(
        raw, "ALTER TABLE notes RENAME TO notes_real", "CREATE VIEW notes AS SELECT * FROM notes_real"
    )
    with pytest.raises(ApkgError, match="not an Anki collection"):
        apkg_read(evil, max_expanded=CAP)


def test_garbage_in_a_column_is_a_clear_error_not_a_crash(tmp_path: Path):
    raw, _ = _legacy_collection(tmp_path, {})
    with pytest.raises(ApkgError, match="cannot be read"):
        apkg_read(_patched(raw, "UPDATE col SET models = 'not json'"), max_expanded=CAP)
    with pytest.raises(ApkgError, match="cannot be read"):
        apkg_read(_patched(raw, "UPDATE notes SET mid = 'x'"), max_expanded=CAP)


def test_a_member_named_twice_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("collection.anki21", b"a")
        with pytest.warns(UserWarning):
            zf.writestr("collection.anki21", b"b")
    with pytest.raises(ApkgError, match="twice"):
        apkg_read(buf.getvalue(), max_expanded=CAP)


def test_templates_render_sections_fields_and_drop_answer_boxes():
    fields = {"Front": "Q", "Back": "A", "Hint": "", "Extra": "<i>more</i>"}
    assert (
        _render("{{Front}}{{#Hint}} ({{Hint}}){{/Hint}}{{^Hint}} [no hint]{{/Hint}}", fields) == "Q [no hint]"
    )
    assert _render("{{FrontSide}}<hr id=answer>{{Back}}{{type:Back}} {{text:Extra}} {{Tags}}", fields) == (
        "<hr id=answer>A <i>more</i> "
    )
    cloze = {"Text": "{{c1::a}} {{c2::b::hint}} {{c1::c}}"}
    assert _render("{{cloze:Text}}", cloze, cloze_ord=1) == "a {{c1::b::hint}} c"
    assert _render("{{cloze:Text}}", cloze, cloze_ord=0) == "{{c1::a}} b {{c1::c}}"


def test_anki_html_becomes_markdown_with_dollar_math():
    html = (
        "<div>Loss \\(L = -\\sum_i y_i \\log p_i\\)&nbsp;is <b>convex</b> in <i>p</i></div>"
        "<div>\\[p_i = \\frac{e^{z_i}}{\\sum_j e^{z_j}}\\]</div><img src='x.png'>[sound:a.mp3]&lt;tag&gt;"
    )
    assert anki_html_to_markdown(html) == (
        "Loss $L = -\\sum_i y_i \\log p_i$ is **convex** in *p*\n"
        "$$p_i = \\frac{e^{z_i}}{\\sum_j e^{z_j}}$$\n[图]<tag>"
    )


def test_markdown_becomes_anki_html_with_mathjax_delimiters():
    md = "若 $a<b$ 且 **x** 为 `int`：\n$$\\sum_{i} a_i > 0$$\n价格 5 $ 不是公式"
    assert markdown_to_anki_html(md) == (
        "若 \\(a&lt;b\\) 且 <b>x</b> 为 <code>int</code>：<br>\\[\\sum_{i} a_i &gt; 0\\]<br>价格 5 $ 不是公式"
    )
    assert anki_html_to_markdown(markdown_to_anki_html(md)).replace("<code>", "`") == (
        "若 $a<b$ 且 **x** 为 int：\n$$\\sum_{i} a_i > 0$$\n价格 5 $ 不是公式"
    )


def test_json_models_and_decks_of_a_legacy_collection_are_read(tmp_path: Path):
    raw, _ = _legacy_collection(tmp_path, {})
    con = sqlite3.connect(":memory:")
    con.deserialize(raw)
    decks = json.loads(con.execute("SELECT decks FROM col").fetchone()[0])
    assert "DL::Imported" in {d["name"] for d in decks.values()}
    package = apkg_read(zip_of({"collection.anki21": raw}), max_expanded=CAP)
    assert package.main_deck() == "DL::Imported" and len(package.cards) == 5
