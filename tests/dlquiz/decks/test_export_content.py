"""export_content writes the database's bundled cards back to content/*.cards; load_content keeps what
editors changed since the last load (conflicts) unless --force."""

from __future__ import annotations

import shutil
from io import StringIO

import pytest
from django.core.management import call_command

from dlquiz.decks.authoring import card_edit_save
from dlquiz.decks.contentfile import CardSpec, parse_file
from dlquiz.decks.export import content_export
from dlquiz.decks.models import Card, Deck
from dlquiz.decks.services import deck_load
from tests.conftest import ROOT, need_shared
from tests.dlquiz.decks.conftest import card

pytestmark = pytest.mark.django_db


def _texts(directory) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.cards"))}


def _fields(spec: CardSpec) -> tuple:
    return (
        spec.id,
        spec.deck,
        spec.kind,
        spec.topics,
        spec.tags,
        spec.front,
        spec.back,
        spec.family,
        spec.params,
    )


def test_load_then_export_is_the_identity_on_the_bundled_deck(tmp_path, settings):
    """Today's content/ (a copy), loaded and exported: every file byte for byte the same; with
    --canonical every card re-reads to the same card."""
    outline = need_shared() / "seeds" / "OUTLINE.tsv"
    copy = tmp_path / "content"
    shutil.copytree(ROOT / "content", copy)
    settings.CONTENT_DIR, settings.OUTLINE_PATH = copy, outline
    before = _texts(copy)
    specs_before = [_fields(s) for p in sorted(copy.glob("*.cards")) for s in parse_file(p)[0]]
    deck_load()
    result = content_export()
    assert result.changed == [] and (result.written, result.added, result.removed) == (0, 0, 0)
    assert _texts(copy) == before
    content_export(canonical=True)
    assert [_fields(s) for p in sorted(copy.glob("*.cards")) for s in parse_file(p)[0]] == specs_before
    assert deck_load().conflicts == []  # the canonical files hold what the database holds


@pytest.fixture
def loaded(content):
    path = content.write(
        "a.cards",
        "卷积",
        card("a.one", front="旧问题？", back="旧答案。"),
        "% 注释：下一张卡\n",
        card("a.two", kind="basic+reverse", front="正面", back="反面"),
        card("a.three"),
    )
    deck_load()
    return path


def test_an_edited_card_is_kept_and_reported_unless_forced(loaded, content):
    one = Card.objects.get(uid="a.one")
    one.front = "编辑改过的问题？"
    card_edit_save(card=one, user=None)
    # the file changes the same card too: a conflict, the editor's version kept
    text = loaded.read_text(encoding="utf-8").replace("旧答案。", "文件里的新答案。")
    loaded.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("load_content", stdout=out)
    line = text.splitlines().index("@card a.one") + 1
    assert f"conflict: content/a.cards:{line}: card a.one: changed in the admin" in out.getvalue()
    one.refresh_from_db()
    assert (one.front, one.back) == ("编辑改过的问题？", "旧答案。")
    # unchanged file, still edited: still a conflict, still kept
    result = deck_load()
    assert [c.split(": ")[1] for c in result.conflicts] == ["card a.one"]
    one.refresh_from_db()
    assert one.front == "编辑改过的问题？"
    # --force: the file wins
    out = StringIO()
    call_command("load_content", "--force", stdout=out)
    assert "overwritten (--force)" in out.getvalue()
    one.refresh_from_db()
    assert (one.front, one.back) == ("旧问题？", "文件里的新答案。")
    assert deck_load().conflicts == []
    assert one.history.first().history_change_reason == "load_content"


def test_a_card_loaded_before_hashes_were_recorded_and_then_edited_is_a_conflict_too(loaded, content):
    """A database loaded before loaded_hash existed has null hashes: an editor's change of such a card
    (and of the ~r card that follows it) is still kept and reported, not overwritten by the next load."""
    Card.objects.update(loaded_hash=None)
    two = Card.objects.get(uid="a.two")
    two.front = "编辑改过的正面"
    card_edit_save(card=two, user=None)
    result = deck_load()
    assert sorted(c.split(": ")[1] for c in result.conflicts) == ["card a.two", "card a.two~r"]
    two.refresh_from_db()
    assert two.front == "编辑改过的正面"
    assert Card.objects.get(uid="a.two~r").back == "编辑改过的正面"
    assert Card.objects.get(uid="a.one").loaded_hash  # an unedited card just gets its hash recorded


def test_export_writes_the_editors_changes_and_the_next_load_has_no_conflict(loaded, content):
    original = loaded.read_text(encoding="utf-8")
    one = Card.objects.get(uid="a.one")
    one.back = "新的答案：$x^2$\n\n第二段。"
    card_edit_save(card=one, user=None)
    two = Card.objects.get(uid="a.two")
    two.front = "新正面"
    card_edit_save(card=two, user=None)
    three = Card.objects.get(uid="a.three")
    three.retired = True
    card_edit_save(card=three, user=None)
    deck = Deck.objects.get(slug="a")
    new = Card(
        uid="a.four",
        deck=deck,
        kind="basic",
        front="新卡？",
        back="新卡答。",
        topics=["900-0001"],
        loaded_hash="",
    )
    card_edit_save(card=new, user=None)
    result = deck_load()  # before the export: the new card is kept, not retired; the retired stays retired
    assert any("card a.four: added or changed in the admin" in c for c in result.conflicts)
    assert not Card.objects.get(uid="a.four").retired
    result = content_export()
    assert (result.written, result.added, result.removed) == (2, 1, 1)
    text = loaded.read_text(encoding="utf-8")
    assert (
        text
        == original.replace("旧答案。", "新的答案：$x^2$\n\n第二段。")
        .replace("正面\nback:", "新正面\nback:")
        .replace("@card a.three\nkind: basic\ntopics: 900-0001\nfront:\n问题？\nback:\n答案。\n", "")
        .rstrip("\n")
        + "\n\n@card a.four\nkind: basic\ntopics: 900-0001\nfront:\n新卡？\nback:\n新卡答。\n"
    )
    assert "% 注释：下一张卡" in text
    result = deck_load()
    assert result.conflicts == [] and result.created == 0
    assert Card.objects.get(uid="a.two~r").back == "新正面"
    assert content_export().changed == []


def test_an_edited_card_that_the_file_moves_reaches_synced_devices_in_its_new_place(content):
    """A conflict keeps the editor's content but the card still takes the file's place (the order new cards
    come in): devices that keep an offline copy (``sync/changes``: cards edited since their cursor) must be
    told, so the move stamps the card's ``updated_at`` as every other change of a loaded card does."""
    import datetime as dt

    import time_machine

    from dlquiz.decks.services import bundled_decks_enroll
    from tests.factories import make_user, token_client

    t0 = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(t0, tick=False):
        content.write("a.cards", "卷积", card("a.one"), card("a.two"), card("a.three"))
        deck_load()
        user = make_user()
        bundled_decks_enroll(user=user)
    client = token_client(user)
    with time_machine.travel(t0 + dt.timedelta(hours=1), tick=False):
        one = Card.objects.get(uid="a.one")
        one.front = "编辑改过的问题？"
        card_edit_save(card=one, user=None)
    with time_machine.travel(t0 + dt.timedelta(minutes=90), tick=False):
        first = client.get("/api/v1/sync/changes").json()  # the device has the edit
    device = {c["id"]: c["position"] for c in first["cards"]}
    with time_machine.travel(t0 + dt.timedelta(hours=2), tick=False):
        # the file moves a.one to the end
        content.write("a.cards", "卷积", card("a.two"), card("a.three"), card("a.one"))
        result = deck_load()
    assert [c.split(": ")[1] for c in result.conflicts] == ["card a.one"]
    with time_machine.travel(t0 + dt.timedelta(hours=3), tick=False):
        page = client.get("/api/v1/sync/changes", {"cursor": first["next_cursor"]}).json()
    device.update({c["id"]: c["position"] for c in page["cards"]})
    server = dict(Card.objects.filter(deck__slug__isnull=False, retired=False).values_list("id", "position"))
    assert device == server
