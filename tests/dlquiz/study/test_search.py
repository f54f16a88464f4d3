"""The card browser's search (issue #15): syntax, synonyms from content/synonyms.txt, relevance ranking."""

from __future__ import annotations

import datetime as dt

import pytest

from dlquiz.decks.models import Card, Deck
from dlquiz.decks.services import deck_enroll
from dlquiz.study.browse import card_search
from dlquiz.study.search import parse_query, synonyms_of
from dlquiz.study.services import card_suspend, review_submit
from tests.factories import client_for, make_user, rid

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


def test_parse_query_splits_words_phrases_and_filters():
    p = parse_query('IoU tag:detection deck:yolo topic:001-0304 is:Due kind:exercise "weight decay" foo:bar')
    assert p.words == ["IoU", "weight decay", "foo:bar"]
    assert (p.tags, p.decks, p.topics, p.is_, p.kinds) == (
        ["detection"],
        ["yolo"],
        ["001-0304"],
        ["due"],
        ["exercise"],
    )
    assert parse_query('unclosed "quote').words == ["unclosed", "quote"]


def test_synonyms_come_from_the_content_file():
    # content/synonyms.txt, read here independently of the code
    from django.conf import settings

    lines = (settings.CONTENT_DIR / "synonyms.txt").read_text(encoding="utf-8").splitlines()
    group = next(line for line in lines if line.startswith("批归一化"))
    names = [n.strip() for n in group.split("|")]
    assert {"BN", "BatchNorm"} <= set(names)
    assert set(synonyms_of("batchnorm")) == {"batchnorm", *names}
    assert synonyms_of("交并比")[0] == "交并比" and "IoU" in synonyms_of("交并比")
    assert synonyms_of("无关的词") == ("无关的词",)


@pytest.fixture
def learner():
    deck = Deck.objects.create(slug="det", name="检测", position=0)
    other = Deck.objects.create(slug="opt", name="优化器", position=1)
    specs = [
        (
            "det.back-iou",
            deck,
            "basic",
            "怎样衡量两个框的重合？",
            "用 IoU：交集除以并集。",
            ["detection"],
            ["t1"],
        ),
        (
            "det.front-sub",
            deck,
            "basic",
            "GIoU 与普通 IoU 有什么不同？",
            "多一个外接框项。",
            ["detection"],
            ["t1"],
        ),
        ("det.front-word", deck, "basic", "交并比（IoU）的取值范围？", "0 到 1。", ["detection"], ["t2"]),
        ("det.ex", deck, "exercise", "计算两个框的 IoU", "交集/并集", ["detection", "exercise"], ["t2"]),
        ("opt.bn", other, "basic", "BN 在训练和推理时有什么区别？", "推理用滑动平均。", ["bn"], ["t3"]),
        ("opt.none", other, "basic", "Adam 的两个动量", "一阶和二阶矩。", ["optim"], ["t4"]),
        ("det.giou-only", deck, "basic", "GIoU 损失是什么？", "广义的重合度。", ["detection"], ["t1"]),
    ]
    cards = Card.objects.bulk_create(
        [
            Card(
                uid=u,
                deck=d,
                kind=k,
                family="iou" if k == "exercise" else "",
                front=f,
                back=b,
                tags=t,
                topics=tp,
                position=i,
            )
            for i, (u, d, k, f, b, t, tp) in enumerate(specs)
        ]
    )
    user = make_user()
    deck_enroll(user=user, deck=deck)
    deck_enroll(user=user, deck=other)
    return user, {c.uid: c for c in cards}


def _uids(user, q, **kw):
    return [cs.card.uid for cs in card_search(user=user, q=q, now=T0, **kw).cards]


def test_ranking_front_over_back_whole_word_over_substring(learner):
    user, _ = learner
    # by hand: IoU as a whole word in the front (8) in three cards, in deck order; then "GIoU" alone in a
    # front (a substring, 4) although it comes last in the deck; then IoU in a back only (2)
    assert _uids(user, "IoU") == [
        "det.front-sub",
        "det.front-word",
        "det.ex",
        "det.giou-only",
        "det.back-iou",
    ]
    # "IoU" inside "GIoU" only: a substring of the front (4) ranks below whole words (8), above the back (2)
    assert _uids(user, "GIoU") == ["det.front-sub", "det.giou-only"]


def test_synonyms_find_the_other_language(learner):
    user, _ = learner
    found = card_search(user=user, q="交并比", now=T0)
    assert [cs.card.uid for cs in found.cards] == [
        "det.front-sub",
        "det.front-word",
        "det.ex",
        "det.giou-only",
        "det.back-iou",
    ]
    assert "IoU" in found.highlight and "交并比" in found.highlight
    assert _uids(user, "BatchNorm") == ["opt.bn"]  # written "BN" in the card
    assert _uids(user, "批归一化") == ["opt.bn"]


def test_syntax_filters(learner):
    user, c = learner
    assert _uids(user, "kind:exercise") == ["det.ex"]
    assert _uids(user, "tag:bn") == ["opt.bn"]
    assert _uids(user, "deck:优化") == ["opt.bn", "opt.none"]
    assert _uids(user, "deck:det topic:t2") == ["det.front-word", "det.ex"]
    assert _uids(user, "IoU kind:exercise") == ["det.ex"]
    card_suspend(user=user, card_id=c["opt.none"].id)
    assert _uids(user, "is:suspended") == ["opt.none"]
    assert _uids(user, "is:leech") == []
    review_submit(user=user, card_id=c["det.back-iou"].id, rating=3, client_review_id=rid(), now=T0)
    assert _uids(user, "is:due") == ["det.back-iou"]  # its 10-minute step ends today
    assert _uids(user, "is:new deck:det") == ["det.front-sub", "det.front-word", "det.ex", "det.giou-only"]
    assert _uids(user, "is:nonsense") == []


def test_cards_api_answers_ranked_with_the_names_to_highlight(learner):
    user, _ = learner
    r = client_for(user).get("/api/v1/cards", {"q": "交并比 is:new"})
    assert r.status_code == 200
    body = r.json()
    assert [x["card"]["uid"] for x in body["results"]] == [
        "det.front-sub",
        "det.front-word",
        "det.ex",
        "det.giou-only",
        "det.back-iou",
    ]
    assert body["count"] == 5 and "IoU" in body["highlight"]
    assert client_for(make_user()).get("/api/v1/cards", {"q": "IoU"}).json()["count"] == 0
    assert client_for(None).get("/api/v1/cards", {"q": "IoU"}).status_code in (401, 403)
