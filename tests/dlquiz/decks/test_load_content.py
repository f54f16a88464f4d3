"""manage.py load_content / deck_load: idempotent upsert by card id, retire/restore, atomic refusal."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dlquiz.decks.models import Card, Deck, Enrollment
from dlquiz.decks.services import ContentInvalid, bundled_decks_enroll, deck_enroll, deck_load
from dlquiz.study.models import CardState, ReviewLog, State
from tests.dlquiz.decks.conftest import card
from tests.factories import make_user

pytestmark = pytest.mark.django_db

EXERCISE = 'family: conv2d_output_size\nparams: {"stride": [1, 2]}'


def _two_files(content, *, a_back: str = "答案 a1。", extra_a: tuple[str, ...] = ()) -> None:
    content.write(
        "a-first.cards",
        "卷积",
        card("a.one", back=a_back),
        card("a.two", front="正面 two", back="背面 two", kind="basic+reverse"),
        card("a.three", front="bias 按{{c1::输出通道}}设置", back="每个输出通道一个。", kind="cloze"),
        *extra_a,
    )
    content.write(
        "b-second.cards",
        "池化",
        card("b.one", topics="900-0002"),
        card("b.ex", front="计算输出尺寸", back="", kind="exercise", topics="001-0304", extra=EXERCISE),
    )


def _uids() -> list[str]:
    return list(Card.objects.order_by("position").values_list("uid", flat=True))


def test_first_load_creates_one_deck_per_file_reverse_and_cloze_cards_in_global_order(content):
    _two_files(content)
    result = deck_load()
    assert (result.created, result.updated, result.unchanged, result.retired) == (6, 0, 0, 0)
    assert _uids() == ["a.one", "a.two", "a.two~r", "a.three", "b.one", "b.ex"]
    assert list(Card.objects.order_by("position").values_list("position", flat=True)) == [0, 1, 2, 3, 4, 5]
    decks = list(Deck.objects.order_by("position").values_list("slug", "name", "source", "owner"))
    assert decks == [
        ("a-first", "卷积", "content/a-first.cards", None),
        ("b-second", "池化", "content/b-second.cards", None),
    ]
    forward, reverse = Card.objects.get(uid="a.two"), Card.objects.get(uid="a.two~r")
    assert (forward.kind, forward.front, forward.back) == ("basic", "正面 two", "背面 two")
    assert (reverse.kind, reverse.front, reverse.back, reverse.deck.slug) == (
        "reverse",
        "背面 two",
        "正面 two",
        "a-first",
    )
    assert Card.objects.get(uid="a.three").kind == "cloze"
    ex = Card.objects.get(uid="b.ex")
    assert (ex.kind, ex.family, ex.params, ex.topics, ex.deck.slug) == (
        "exercise",
        "conv2d_output_size",
        {"stride": [1, 2]},
        ["001-0304"],
        "b-second",
    )
    assert Card.objects.get(uid="a.one").source_line == 3


def test_second_load_creates_and_updates_nothing(content):
    _two_files(content)
    deck_load()
    stamps = dict(Card.objects.values_list("uid", "updated_at"))
    result = deck_load()
    assert (result.created, result.updated, result.unchanged, result.retired, result.repositioned) == (
        0,
        0,
        6,
        0,
        0,
    )
    assert dict(Card.objects.values_list("uid", "updated_at")) == stamps


def test_edit_keeps_the_card_its_states_and_review_history(content):
    _two_files(content)
    deck_load()
    user = make_user()
    deck_enroll(user=user, deck=Deck.objects.get(slug="a-first"))
    target = Card.objects.get(uid="a.one")
    CardState.objects.filter(user=user, card=target).update(state=State.REVIEW, reps=3, stability=4.5)
    ReviewLog.objects.create(
        user=user,
        card=target,
        rating=3,
        reviewed_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        client_review_id="r1",
        state_before={},
        state_after={},
        prior_state=State.NEW,
    )

    _two_files(content, a_back="改过的答案。")
    result = deck_load()

    assert (result.created, result.updated, result.unchanged) == (0, 1, 5)
    edited = Card.objects.get(uid="a.one")
    assert (edited.pk, edited.back) == (target.pk, "改过的答案。")
    state = CardState.objects.get(user=user, card=edited)
    assert (state.state, state.reps, state.stability) == (State.REVIEW, 3, 4.5)
    assert list(ReviewLog.objects.values_list("card_id", "client_review_id")) == [(target.pk, "r1")]


def test_removed_card_is_retired_with_its_history_and_restored_when_it_comes_back(content):
    _two_files(content)
    deck_load()
    user = make_user()
    deck_enroll(user=user, deck=Deck.objects.get(slug="a-first"))
    three = Card.objects.get(uid="a.three")
    ReviewLog.objects.create(
        user=user,
        card=three,
        rating=1,
        reviewed_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        client_review_id="r2",
        state_before={},
        state_after={},
        prior_state=State.NEW,
    )

    content.write(
        "a-first.cards",
        "卷积",
        card("a.one", back="答案 a1。"),
        card("a.two", front="正面 two", back="背面 two", kind="basic+reverse"),
    )
    result = deck_load()
    assert (result.retired, result.created, result.updated) == (1, 0, 0)
    three.refresh_from_db()
    assert three.retired is True
    assert CardState.objects.filter(user=user, card=three).count() == 1
    assert ReviewLog.objects.filter(card=three).count() == 1

    _two_files(content)
    result = deck_load()
    three.refresh_from_db()
    assert (result.restored, result.retired, result.created) == (1, 0, 0)
    assert three.retired is False
    assert Card.objects.filter(retired=True).count() == 0


def test_a_file_with_errors_refuses_the_whole_load_and_changes_nothing(content):
    _two_files(content)
    deck_load()
    before = list(Card.objects.order_by("uid").values_list("uid", "back", "retired", "position"))

    _two_files(content, a_back="这次编辑不能生效。", extra_a=(card("a.four"),))
    bad = content.write("c-bad.cards", "坏文件", card("c.one", topics="999-0001"))
    with pytest.raises(ContentInvalid) as info:
        deck_load()
    assert [str(e) for e in info.value.report.errors] == [
        "content/c-bad.cards:5: card c.one: unknown topic 999-0001"
    ]
    assert list(Card.objects.order_by("uid").values_list("uid", "back", "retired", "position")) == before
    assert not Deck.objects.filter(slug="c-bad").exists()

    out = StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("load_content", stdout=out)
    assert "content/c-bad.cards:5: card c.one: unknown topic 999-0001" in out.getvalue()
    bad.unlink()
    assert deck_load().created == 1


def test_unknown_family_refuses_unless_allowed(content):
    content.write(
        "a.cards",
        "练习",
        card("a.ex", back="", kind="exercise", topics="001-0304", extra="family: no_such_family"),
    )
    with pytest.raises(ContentInvalid, match="1 error"):
        deck_load()
    assert Card.objects.count() == 0
    result = deck_load(allow_unknown_families=True)
    assert result.created == 1
    assert result.warnings == [
        "content/a.cards:6: card a.ex: unknown engine family 'no_such_family' (loaded anyway)"
    ]


def test_an_empty_content_directory_is_refused_instead_of_retiring_everything(content):
    _two_files(content)
    deck_load()
    for path in content.dir.glob("*.cards"):
        path.unlink()
    with pytest.raises(ContentInvalid):
        deck_load()
    assert Card.objects.filter(retired=False).count() == 6


def test_enrolled_learners_get_states_for_new_cards_and_every_learner_gets_new_decks(content):
    _two_files(content)
    deck_load()
    user = make_user()
    deck_enroll(user=user, deck=Deck.objects.get(slug="a-first"))
    assert CardState.objects.filter(user=user).count() == 4

    _two_files(content, extra_a=(card("a.four"),))
    content.write("c-third.cards", "新卡组", card("c.one"))
    result = deck_load()

    four = Card.objects.get(uid="a.four")
    state = CardState.objects.get(user=user, card=four)
    assert (state.state, state.new_order) == (State.NEW, four.position)
    assert Enrollment.objects.filter(user=user, deck__slug="c-third").exists()
    assert CardState.objects.filter(user=user, card__uid="c.one").exists()
    assert (result.created, result.decks_created, result.states_created) == (2, 1, 2)


def test_inserting_a_card_moves_the_new_queue_order_of_later_cards(content):
    _two_files(content)
    deck_load()
    user = make_user()
    for deck in Deck.objects.all():
        deck_enroll(user=user, deck=deck)
    content.write(
        "a-first.cards",
        "卷积",
        card("a.zero"),
        card("a.one", back="答案 a1。"),
        card("a.two", front="正面 two", back="背面 two", kind="basic+reverse"),
        card("a.three", front="bias 按{{c1::输出通道}}设置", back="每个输出通道一个。", kind="cloze"),
    )
    result = deck_load()
    assert (result.created, result.updated, result.repositioned) == (1, 0, 6)  # b-second moves too
    orders = dict(CardState.objects.filter(user=user).values_list("card__uid", "new_order"))
    assert orders == {"a.zero": 0, "a.one": 1, "a.two": 2, "a.two~r": 3, "a.three": 4, "b.one": 5, "b.ex": 6}


def _deck_of(n: int, back: str = "答案") -> list[str]:
    return [card(f"q.c{i}", back=f"{back} {i}。") for i in range(n)]


@pytest.mark.parametrize("phase", ["create", "update"])
def test_bulk_writes_no_query_per_card(content, phase):
    """Queries grow only with the bulk batches (SQLite caps a statement at 999 parameters, so Django
    writes about 70 cards and 50 history records per INSERT), never one per card."""
    counts = []
    for n in (20, 400):
        Deck.objects.all().delete()
        content.write("q.cards", "量", *_deck_of(n))
        if phase == "update":
            deck_load()
            content.write("q.cards", "量", *_deck_of(n, back="新答案"))
        with CaptureQueriesContext(connection) as ctx:
            result = deck_load()
        assert (result.created if phase == "create" else result.updated) == n
        counts.append(len(ctx.captured_queries))
    assert counts[0] <= 12
    # twice the batches: every card written also gets its history record (django-simple-history)
    assert counts[1] - counts[0] <= 2 * ((400 - 20) // 50)


def test_command_prints_the_summary(content):
    _two_files(content)
    out = StringIO()
    call_command("load_content", stdout=out)
    assert "created 6, updated 0, unchanged 0, retired 0 (restored 0, repositioned 0)" in out.getvalue()
    out = StringIO()
    call_command("load_content", stdout=out)
    assert "created 0, updated 0, unchanged 6, retired 0" in out.getvalue()


def test_bundled_decks_enroll_is_idempotent_and_does_not_query_per_deck(content):
    for i in range(6):
        content.write(f"f{i}.cards", f"卡组{i}", *[card(f"f{i}.c{j}") for j in range(5)])
    deck_load()
    user = make_user()
    with CaptureQueriesContext(connection) as ctx:
        assert bundled_decks_enroll(user=user) == 6
    assert len(ctx.captured_queries) <= 8
    assert Enrollment.objects.filter(user=user).count() == 6
    orders = list(
        CardState.objects.filter(user=user).order_by("new_order").values_list("new_order", flat=True)
    )
    assert orders == list(range(30))
    assert bundled_decks_enroll(user=user) == 6
    assert CardState.objects.filter(user=user).count() == 30
