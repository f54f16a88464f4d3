"""Exporting a deck to .apkg, opened by the official ``anki`` package (a real collection, Anki's importer)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from dlquiz.decks.models import Card
from dlquiz.decks.services import deck_enroll
from dlquiz.study.models import CardState, ReviewLog
from tests.dlquiz.interop.ankitools import collection, import_into
from tests.factories import api_error, client_for, make_deck, make_user, rid

pytestmark = pytest.mark.django_db


def _deck():
    deck = make_deck(0, name="BN & friends")
    Card.objects.create(
        uid="x.bn",
        deck=deck,
        kind="basic",
        front="BN 的输出 $y = \\gamma \\hat{x} + \\beta$ 中 **哪些** 可学习？",
        back="$\\gamma$ 和 $\\beta$：\n$$\\hat{x} = \\frac{x-\\mu}{\\sqrt{\\sigma^2+\\epsilon}}$$",
        tags=["bn", "two words"],
        topics=["001-0574", "002-0100"],
        position=0,
    )
    Card.objects.create(
        uid="x.cloze",
        deck=deck,
        kind="cloze",
        front="Adam 保存梯度的{{c1::一阶矩}}和{{c2::二阶矩}}，$t$ 步做偏差修正。",
        back="Kingma & Ba",
        tags=["adam"],
        topics=["003-0001"],
        position=1,
    )
    Card.objects.create(uid="x.rev", deck=deck, kind="reverse", front="答案 <b>", back="问题", position=2)
    Card.objects.create(
        uid="x.gone", deck=deck, kind="basic", front="retired", back="", retired=True, position=3
    )
    Card.objects.create(
        uid="x.ex",
        deck=deck,
        kind="exercise",
        family="conv2d_output_size",
        front="计算卷积层的输出尺寸",
        back="$\\lfloor (H+2P-K)/S\\rfloor+1$",
        tags=["conv"],
        position=4,
    )
    return deck


def _download(user, deck, **params):
    resp = client_for(user).get(f"/api/v1/anki/decks/{deck.pk}/export", params)
    assert resp.status_code == 200, resp.content
    assert resp["Content-Type"] == "application/octet-stream"
    assert resp["Content-Disposition"] == 'attachment; filename="bn-friends.apkg"'
    return resp.content


def _notes(col):
    return {
        col.get_note(nid)["Front" if "Front" in col.get_note(nid) else "Text"]: col.get_note(nid)
        for nid in col.find_notes("")
    }


def test_export_opens_in_anki_with_fields_math_tags_and_cloze(tmp_path: Path):
    user, deck = make_user(), _deck()
    deck_enroll(user=user, deck=deck)
    with collection(tmp_path / "anki") as col:
        log = import_into(col, _download(user, deck), tmp_path)
        assert len(log.new) == 4 and col.note_count() == 4  # the retired card stays out
        notes = _notes(col)
        bn = notes["BN 的输出 \\(y = \\gamma \\hat{x} + \\beta\\) 中 <b>哪些</b> 可学习？"]
        assert bn["Back"] == (
            "\\(\\gamma\\) 和 \\(\\beta\\)：<br>\\[\\hat{x} = \\frac{x-\\mu}{\\sqrt{\\sigma^2+\\epsilon}}\\]"
        )
        assert sorted(bn.tags) == ["bn", "topic::001-0574", "topic::002-0100", "two_words"]
        cloze = notes["Adam 保存梯度的{{c1::一阶矩}}和{{c2::二阶矩}}，\\(t\\) 步做偏差修正。"]
        assert cloze.note_type()["type"] == 1  # Anki's cloze note type
        assert cloze["Back Extra"] == "Kingma &amp; Ba"
        assert sorted(c.ord for c in cloze.cards()) == [0, 1]  # one card per deletion
        assert "{{c1::" not in col.get_card(cloze.cards()[0].id).question()
        assert notes["答案 &lt;b&gt;"]["Back"] == "问题"
        exercise = notes["计算卷积层的输出尺寸"]  # its description and formula, tagged as an exercise
        assert exercise["Back"] == "\\(\\lfloor (H+2P-K)/S\\rfloor+1\\)"
        assert sorted(exercise.tags) == ["conv", "dlquiz::exercise"]
        assert {col.decks.name(col.get_card(i).did) for i in col.find_cards("")} == {"BN & friends"}


def test_reexport_updates_notes_instead_of_duplicating(tmp_path: Path):
    user, deck = make_user(), _deck()
    deck_enroll(user=user, deck=deck)
    with collection(tmp_path / "anki") as col:
        import_into(col, _download(user, deck), tmp_path)
        later = timezone.now() + dt.timedelta(seconds=5)  # Anki updates a note from a newer one only
        Card.objects.filter(uid="x.rev").update(back="新的问题", updated_at=later)
        Card.objects.create(uid="x.new", deck=deck, kind="basic", front="新卡", back="b", position=9)
        log = import_into(col, _download(user, deck), tmp_path)
        assert len(log.new) == 1 and len(log.updated) == 1
        assert col.note_count() == 5
        assert _notes(col)["答案 &lt;b&gt;"]["Back"] == "新的问题"


def test_export_with_scheduling_carries_card_states_and_the_review_log(tmp_path: Path):
    user, deck = make_user(), _deck()
    deck_enroll(user=user, deck=deck)
    card = Card.objects.get(uid="x.bn")
    client = client_for(user)
    start = timezone.now() - dt.timedelta(days=30)
    for offset, rating in ((0, 3), (dt.timedelta(minutes=10), 3), (dt.timedelta(days=4), 3)):
        when = start + (offset or dt.timedelta(0))
        resp = client.post(
            "/api/v1/reviews",
            {"card": card.pk, "rating": rating, "client_review_id": rid(), "reviewed_at": when.isoformat()},
            format="json",
        )
        assert resp.status_code == 201, resp.content
    CardState.objects.filter(user=user, card__uid="x.rev").update(suspended=True)
    state = CardState.objects.get(user=user, card=card)
    assert state.state == 2
    with collection(tmp_path / "anki") as col:
        import_into(col, _download(user, deck, scheduling="true"), tmp_path)
        notes = _notes(col)
        (anki_card,) = notes["BN 的输出 \\(y = \\gamma \\hat{x} + \\beta\\) 中 <b>哪些</b> 可学习？"].cards()
        assert anki_card.type == 2 and anki_card.reps == 3
        assert anki_card.ivl == (state.due - state.last_review).days
        assert anki_card.memory_state.stability == pytest.approx(state.stability, abs=1e-3)
        assert anki_card.memory_state.difficulty == pytest.approx(state.difficulty, abs=1e-2)
        revlog = col.db.all("SELECT id, ease, time FROM revlog WHERE cid = ? ORDER BY id", anki_card.id)
        logs = ReviewLog.objects.filter(user=user, card=card).order_by("reviewed_at")
        assert [(r[0], r[1]) for r in revlog] == [
            (int(log.reviewed_at.timestamp() * 1000), log.rating) for log in logs
        ]
        (reverse,) = notes["答案 &lt;b&gt;"].cards()
        assert reverse.queue == -1  # suspended
        (new,) = [
            c
            for c in _notes(col)[
                "Adam 保存梯度的{{c1::一阶矩}}和{{c2::二阶矩}}，\\(t\\) 步做偏差修正。"
            ].cards()
            if c.ord == 0
        ]
        assert new.type == 0


def test_without_scheduling_every_card_is_new(tmp_path: Path):
    user, deck = make_user(), _deck()
    deck_enroll(user=user, deck=deck)
    CardState.objects.filter(user=user).update(state=2, stability=5.0, difficulty=5.0, reps=2)
    with collection(tmp_path / "anki") as col:
        import_into(col, _download(user, deck), tmp_path)
        assert {col.get_card(i).type for i in col.find_cards("")} == {0}
        assert col.db.scalar("SELECT count(*) FROM revlog") == 0


def test_only_a_deck_the_learner_studies_can_be_exported():
    user, other, deck = make_user(), make_user(), _deck()
    deck_enroll(user=user, deck=deck)
    api_error(client_for(other).get(f"/api/v1/anki/decks/{deck.pk}/export"), 404, "not_found")
    api_error(client_for(None).get(f"/api/v1/anki/decks/{deck.pk}/export"), 401)
    api_error(client_for(user).get("/api/v1/anki/decks/999999/export"), 404, "not_found")
    api_error(client_for(user).get(f"/api/v1/anki/decks/{deck.pk}/export", {"scheduling": "maybe"}), 400)


def test_the_download_answers_any_accept_header_and_errors_stay_json():
    user, deck = make_user(), _deck()
    deck_enroll(user=user, deck=deck)
    client = client_for(user)
    resp = client.get(f"/api/v1/anki/decks/{deck.pk}/export", HTTP_ACCEPT="application/octet-stream")
    assert resp.status_code == 200 and resp.content[:2] == b"PK"
    missing = client.get("/api/v1/anki/decks/999999/export", HTTP_ACCEPT="application/octet-stream")
    assert missing["Content-Type"] == "application/json"
    api_error(missing, 404, "not_found")
