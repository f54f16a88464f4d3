"""notes_import / manage.py import_notes: a learner's notes as their own draft cards."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dlquiz.decks.contentfile import parse_text
from dlquiz.decks.models import Card, Deck, Enrollment
from dlquiz.decks.services import NotesImportError, deck_load, notes_import
from dlquiz.study.models import CardState, ReviewLog, State
from tests.dlquiz.decks.conftest import card
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NOTE = """# 卷积
## 标准卷积
参数量 $K^2 C_{in} C_{out}$。
## 空洞卷积
![[dilated.png]]
扩大感受野。
**1、为什么用空洞卷积？**
不缩小特征图。
"""


def _note(text: str = NOTE) -> list[tuple[str, bytes]]:
    return [("卷积笔记.md", text.encode())]


def _rows() -> list[tuple[str, str, bool, bool]]:
    return list(Card.objects.order_by("position").values_list("front", "back", "draft", "retired"))


def test_import_creates_the_learners_own_enrolled_deck_of_draft_cards():
    user = make_user()
    result = notes_import(user=user, deck_name="我的笔记", files=_note())
    deck = Deck.objects.get()
    assert (deck.name, deck.owner, deck.source) == ("我的笔记", user, "卷积笔记.md")
    assert deck.slug.startswith(f"u{user.pk}-")
    assert _rows() == [
        ("卷积 › 标准卷积", "参数量 $K^2 C_{in} C_{out}$。", True, False),
        ("卷积 › 空洞卷积", "[图]\n扩大感受野。", True, False),
        ("空洞卷积 › 为什么用空洞卷积？", "不缩小特征图。", True, False),
    ]
    assert set(Card.objects.values_list("kind", flat=True)) == {"basic"}
    assert list(Card.objects.order_by("position").values_list("source_line", flat=True)) == [2, 4, 7]
    assert Enrollment.objects.filter(user=user, deck=deck).exists()
    assert CardState.objects.filter(user=user, state=State.NEW).count() == 3
    assert result.summary() == "3 created, 0 updated, 0 unchanged, 0 retired"


def test_uids_are_prefixed_by_the_user_and_can_never_be_a_bundled_id(content):
    content.write("a.cards", "卷积", card("a.one"))
    deck_load()
    alice, bob = make_user(), make_user()
    notes_import(user=alice, deck_name="笔记", files=_note())
    notes_import(user=bob, deck_name="笔记", files=_note())
    alice_uids = list(Card.objects.filter(deck__owner=alice).values_list("uid", flat=True))
    bob_uids = list(Card.objects.filter(deck__owner=bob).values_list("uid", flat=True))
    assert len(alice_uids) == len(bob_uids) == 3
    assert all(u.startswith(f"u{alice.pk}:") for u in alice_uids)
    assert all(u.startswith(f"u{bob.pk}:") for u in bob_uids)
    for uid in alice_uids:  # the content format rejects such an id, so no content card can take it
        _, errors = parse_text(
            f"@deck d\n@card {uid}\nkind: basic\ntopics: 900-0001\nfront: q\nback: a\n", path="x"
        )
        assert errors == [errors[0]] and "bad card id" in errors[0].message
    assert Card.objects.get(uid="a.one").deck.owner is None


def test_dry_run_writes_nothing_and_says_what_it_would_create():
    user = make_user()
    result = notes_import(user=user, deck_name="我的笔记", files=_note(), dry_run=True)
    assert (Deck.objects.count(), Card.objects.count(), Enrollment.objects.count()) == (0, 0, 0)
    assert [(c.action, c.front, c.line) for c in result.cards] == [
        ("create", "卷积 › 标准卷积", 2),
        ("create", "卷积 › 空洞卷积", 4),
        ("create", "空洞卷积 › 为什么用空洞卷积？", 7),
    ]
    assert (
        result.summary()
        == "3 would be created, 0 would be updated, 0 unchanged, 0 would be retired (dry run: nothing written)"
    )


def test_reimport_updates_in_place_keeps_history_retires_gone_sections_and_adds_new_ones():
    user = make_user()
    notes_import(user=user, deck_name="笔记", files=_note())
    ids = dict(Card.objects.values_list("front", "id"))
    standard = Card.objects.get(pk=ids["卷积 › 标准卷积"])
    standard.draft = False  # the owner reviewed it
    standard.save()
    CardState.objects.filter(card=standard).update(state=State.REVIEW, reps=2)
    ReviewLog.objects.create(
        user=user,
        card=standard,
        rating=3,
        reviewed_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        client_review_id="r1",
        state_before={},
        state_after={},
        prior_state=State.NEW,
    )

    again = notes_import(user=user, deck_name="笔记", files=_note())
    assert again.summary() == "0 created, 0 updated, 3 unchanged, 0 retired"
    assert Card.objects.count() == 3

    edited = NOTE.replace("参数量 $K^2 C_{in} C_{out}$。", "参数量 $K^2 C_{in} C_{out}$，加 bias。")
    edited = edited.replace(
        "**1、为什么用空洞卷积？**\n不缩小特征图。\n", "## 深度可分离卷积\n先 DW 再 PW。\n"
    )
    result = notes_import(user=user, deck_name="笔记", files=_note(edited))
    assert result.summary() == "1 created, 1 updated, 1 unchanged, 1 retired"
    standard.refresh_from_db()
    assert (standard.pk, standard.back, standard.draft) == (
        ids["卷积 › 标准卷积"],
        "参数量 $K^2 C_{in} C_{out}$，加 bias。",
        True,
    )
    assert CardState.objects.get(card=standard).reps == 2
    assert ReviewLog.objects.filter(card=standard).count() == 1
    assert Card.objects.get(pk=ids["空洞卷积 › 为什么用空洞卷积？"]).retired is True
    assert Card.objects.filter(deck__owner=user, retired=False).count() == 3
    assert (
        CardState.objects.filter(user=user).count() == 4
    )  # the new card got a state; the retired one kept its


def test_same_file_in_two_decks_makes_separate_cards():
    user = make_user()
    notes_import(user=user, deck_name="甲", files=_note())
    notes_import(user=user, deck_name="乙", files=_note())
    assert Card.objects.count() == 6
    assert Deck.objects.filter(owner=user).count() == 2


@pytest.mark.parametrize(
    "bad,message",
    [
        (
            ("pic.md", b"\x89PNG\r\n\x1a\n\x00\x00"),
            "pic.md: binary file (not a text note); import Markdown or plain-text notes",
        ),
        (
            ("gbk.md", "# 中文\n正文".encode("gbk")),
            "gbk.md: not UTF-8 text (invalid byte 0xd6 at offset 2); "
            "save the note as UTF-8 and import it again",
        ),
        (("empty.md", b""), "empty.md: empty file"),
        (
            ("images.md", b"# only\n![[a.png]]\n"),
            "images.md: no text to make cards from (only headings, images or blank lines)",
        ),
    ],
)
def test_a_bad_file_writes_nothing_even_next_to_good_ones(bad, message):
    user = make_user()
    with pytest.raises(NotesImportError) as info:
        notes_import(user=user, deck_name="笔记", files=[*_note(), bad])
    assert info.value.messages == [message]
    assert (Deck.objects.count(), Card.objects.count(), Enrollment.objects.count()) == (0, 0, 0)


def test_command_dry_run_prints_the_plan_and_errors_name_the_file(tmp_path):
    user = make_user("alice")
    note = tmp_path / "bn.md"
    note.write_text("# BN\n## 移动平均\nmomentum=0.9。\n", encoding="utf-8")
    out = StringIO()
    call_command("import_notes", "--user", "alice", "--deck", "BN", "--dry-run", str(note), stdout=out)
    assert out.getvalue().splitlines() == [
        "bn.md:2: create: BN › 移动平均  |  momentum=0.9。",
        "deck 'BN': 1 would be created, 0 would be updated, 0 unchanged, 0 would be retired (dry run: nothing written)",
    ]
    assert Card.objects.count() == 0

    out = StringIO()
    call_command("import_notes", "--user", "alice", "--deck", "BN", str(note), stdout=out)
    assert out.getvalue().splitlines()[-1] == "deck 'BN': 1 created, 0 updated, 0 unchanged, 0 retired"
    assert Card.objects.get().deck.owner == user

    bad = tmp_path / "bad.md"
    bad.write_bytes(b"")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_notes", "--user", "alice", "--deck", "BN", str(bad), stderr=err)
    assert err.getvalue().splitlines() == ["bad.md: empty file"]
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("import_notes", "--user", "nobody", "--deck", "BN", str(note))
