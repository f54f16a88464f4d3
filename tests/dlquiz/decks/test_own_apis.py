"""A learner's own decks and cards over HTTP (/api/v1/my/...): owner, other learner and anonymous; create,
edit, retire and restore; check_content's validation as a 400 envelope that writes nothing; notes import
(preview, then create); an own card studied through the ordinary queue and review path."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dlquiz.decks.models import Card, Deck
from dlquiz.study.models import CardState, ReviewLog, State
from tests.dlquiz.decks.conftest import need_node
from tests.factories import api_error, client_for, make_deck, make_user, rid

pytestmark = pytest.mark.django_db

CARD = {"kind": "basic", "front": "什么是 $\\sigma(x)$？", "back": "$\\frac{1}{1+e^{-x}}$"}


@pytest.fixture
def katex() -> None:
    need_node()  # every card write runs KaTeX, as check_content does


def _deck(user, name="我的卡组") -> dict:
    resp = client_for(user).post("/api/v1/my/decks", {"name": name}, format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()


def _card(user, deck_id, **fields) -> dict:
    resp = client_for(user).post(f"/api/v1/my/decks/{deck_id}/cards", {**CARD, **fields}, format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()


def _counts() -> tuple[int, int, int]:
    return Deck.objects.count(), Card.objects.count(), CardState.objects.count()


def test_create_a_deck_and_a_card_which_the_learner_then_studies(katex):
    user = make_user()
    deck = _deck(user)
    assert (deck["name"], deck["active"], deck["retired"]) == ("我的卡组", 0, 0)
    card = _card(user, deck["id"], tags=["mine"])
    assert (card["kind"], card["front"], card["tags"], card["draft"]) == (
        "basic",
        CARD["front"],
        ["mine"],
        False,
    )
    state = CardState.objects.get(user=user, card_id=card["id"])
    assert state.state == State.NEW
    # the ordinary study path: the queue offers it and a review is recorded on it
    queue = client_for(user).get("/api/v1/study/queue").json()["cards"]
    assert [c["card"]["id"] for c in queue] == [card["id"]]
    assert queue[0]["card"]["front"] == CARD["front"]
    resp = client_for(user).post(
        "/api/v1/reviews", {"card": card["id"], "rating": 3, "client_review_id": rid()}, format="json"
    )
    assert resp.status_code == 201, resp.content
    assert ReviewLog.objects.filter(user=user, card_id=card["id"], rating=3).count() == 1
    listed = client_for(user).get("/api/v1/my/decks").json()
    assert [(d["id"], d["active"]) for d in listed] == [(deck["id"], 1)]


def test_edit_a_card_checks_the_whole_card_and_clears_draft(katex):
    user = make_user()
    deck = _deck(user)
    card = _card(user, deck["id"])
    Card.objects.filter(pk=card["id"]).update(draft=True)
    resp = client_for(user).patch(f"/api/v1/my/cards/{card['id']}", {"back": "新答案 $x^2$"}, format="json")
    assert resp.status_code == 200, resp.content
    got = Card.objects.get(pk=card["id"])
    assert (got.front, got.back, got.draft) == (CARD["front"], "新答案 $x^2$", False)
    # becoming a cloze without a {{c1::...}} is refused with check_content's message on the front
    err = api_error(
        client_for(user).patch(f"/api/v1/my/cards/{card['id']}", {"kind": "cloze"}, format="json"),
        400,
        "invalid_card",
    )
    assert err["fields"] == {"front": ["cloze card without {{c1::...}} in its front"]}
    assert Card.objects.get(pk=card["id"]).kind == "basic"


def test_an_exercise_card_made_basic_drops_its_family_and_params(katex):
    """The web editor sends no family or params for a basic card: the exercise's are not kept behind it
    (they would make the card invalid), while a family sent with a basic card is still refused."""
    user = make_user()
    deck = _deck(user)
    exercise = {"kind": "exercise", "family": "conv2d_output_size", "params": {"dilation": [2]}}
    card = _card(user, deck["id"], **exercise)
    body = {
        "kind": "basic",
        "front": "卷积输出尺寸怎么算？",
        "back": "$(H+2P-K)/S+1$",
        "tags": [],
        "topics": [],
    }
    resp = client_for(user).patch(f"/api/v1/my/cards/{card['id']}", body, format="json")
    assert resp.status_code == 200, resp.content
    got = Card.objects.get(pk=card["id"])
    assert (got.kind, got.front, got.family, got.params) == ("basic", body["front"], "", {})
    err = api_error(
        client_for(user).patch(
            f"/api/v1/my/cards/{card['id']}", {"family": "conv2d_output_size"}, format="json"
        ),
        400,
        "invalid_card",
    )
    assert err["fields"] == {"family": ["family/params are only for exercise cards"]}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"front": "  "}, "front", "empty front"),
        ({"back": ""}, "back", "empty back"),
        ({"back": "x" * 601}, "back", "back is 601 characters (limit 600)"),
        ({"topics": ["999-9999"]}, "topics", "unknown topic 999-9999"),
        ({"front": "坏公式 $\\frac{1}{$"}, "front", "front: KaTeX cannot parse $\\frac{1}{$"),
        ({"back": "价格 $5"}, "back", "back: unbalanced $ (escape a literal dollar as \\$)"),
        ({"kind": "cloze", "front": "没有挖空"}, "front", "cloze card without {{c1::...}} in its front"),
        (
            {"kind": "exercise", "family": "no_such_family"},
            "family",
            "unknown engine family 'no_such_family'",
        ),
        (
            {"kind": "exercise", "family": "conv2d_output_size", "params": {"dilation": [9]}},
            "params",
            "params: dilation must lie in [1, 3], not 9",
        ),
        (
            {"kind": "basic", "family": "conv2d_output_size"},
            "family",
            "family/params are only for exercise cards",
        ),
    ],
)
def test_invalid_card_is_a_400_envelope_that_writes_nothing(katex, fields, field, message):
    user = make_user()
    deck = _deck(user)
    before = _counts()
    err = api_error(
        client_for(user).post(f"/api/v1/my/decks/{deck['id']}/cards", {**CARD, **fields}, format="json"),
        400,
        "invalid_card",
    )
    assert any(m.startswith(message) for m in err["fields"][field]), err
    assert _counts() == before
    # the check endpoint reports the same problem and writes nothing either
    resp = client_for(user).post("/api/v1/my/cards/check", {**CARD, **fields}, format="json")
    assert resp.status_code == 200
    assert any(p["field"] == field and p["message"].startswith(message) for p in resp.json()["problems"])
    assert _counts() == before


def test_check_of_a_valid_card_reports_nothing_and_a_long_back_warns(katex):
    user = make_user()
    assert client_for(user).post("/api/v1/my/cards/check", CARD, format="json").json() == {"problems": []}
    long = client_for(user).post("/api/v1/my/cards/check", {**CARD, "back": "长" * 301}, format="json").json()
    assert long["problems"] == [
        {"field": "back", "message": "back is 301 characters (keep it under 300)", "error": False}
    ]


def test_malformed_bodies_are_400_and_write_nothing():
    user = make_user()
    deck = _deck(user)
    before = _counts()
    for body in (
        {"kind": "reverse", "front": "x", "back": "y"},
        {"kind": "basic"},
        {**CARD, "tags": "not a list"},
        {**CARD, "tags": ["two words"]},
        {**CARD, "params": [1, 2]},
    ):
        resp = client_for(user).post(f"/api/v1/my/decks/{deck['id']}/cards", body, format="json")
        api_error(resp, 400)
    api_error(client_for(user).post("/api/v1/my/decks", {"name": "  "}, format="json"), 400)
    api_error(
        client_for(user).post("/api/v1/my/decks", {"name": "我的卡组"}, format="json"), 400, "duplicate_name"
    )
    assert _counts() == before


def test_retired_cards_leave_the_queue_and_come_back_when_restored(katex):
    user = make_user()
    deck = _deck(user)
    keep, drop = _card(user, deck["id"]), _card(user, deck["id"], front="第二张？")

    def queued() -> list[int]:
        return [c["card"]["id"] for c in client_for(user).get("/api/v1/study/queue").json()["cards"]]

    assert queued() == [keep["id"], drop["id"]]
    resp = client_for(user).post(f"/api/v1/my/cards/{drop['id']}/retire")
    assert resp.status_code == 200 and resp.json()["retired"] is True
    assert queued() == [keep["id"]]
    assert client_for(user).get("/api/v1/my/decks").json()[0]["retired"] == 1
    client_for(user).post(f"/api/v1/my/cards/{drop['id']}/restore")
    assert queued() == [keep["id"], drop["id"]]


def test_other_learners_decks_and_cards_are_404_and_anonymous_401(katex):
    owner, other = make_user(), make_user()
    deck = _deck(owner)
    card = _card(owner, deck["id"])
    bundled = make_deck(1)
    urls = [
        ("get", f"/api/v1/my/decks/{deck['id']}", None),
        ("patch", f"/api/v1/my/decks/{deck['id']}", {"name": "偷来的"}),
        ("post", f"/api/v1/my/decks/{deck['id']}/cards", CARD),
        ("get", f"/api/v1/my/cards/{card['id']}", None),
        ("patch", f"/api/v1/my/cards/{card['id']}", {"front": "改掉？"}),
        ("post", f"/api/v1/my/cards/{card['id']}/retire", None),
        ("post", f"/api/v1/my/cards/{card['id']}/restore", None),
    ]
    before = _counts()
    for method, url, body in urls:
        api_error(getattr(client_for(other), method)(url, body, format="json"), 404, "not_found")
        api_error(getattr(client_for(), method)(url, body, format="json"), 401)
    # a bundled deck and its cards are nobody's own
    api_error(client_for(owner).get(f"/api/v1/my/decks/{bundled.pk}"), 404, "not_found")
    bundled_card = bundled.cards.get()
    api_error(
        client_for(owner).patch(f"/api/v1/my/cards/{bundled_card.pk}", {"front": "x"}, format="json"), 404
    )
    assert _counts() == before
    assert Card.objects.get(pk=card["id"]).front == CARD["front"]
    assert Deck.objects.get(pk=deck["id"]).name == "我的卡组"
    assert client_for(other).get("/api/v1/my/decks").json() == []
    for method, url, body in urls:  # the owner still can
        assert getattr(client_for(owner), method)(url, body, format="json").status_code in (200, 201), url


def test_html_is_stored_as_written_never_interpreted_by_the_server(katex):
    user = make_user()
    deck = _deck(user)
    front = '<img src=x onerror="alert(1)"> <script>alert(2)</script>'
    card = _card(user, deck["id"], front=front)
    assert client_for(user).get(f"/api/v1/my/cards/{card['id']}").json()["front"] == front


NOTE = b"""# BN

## 1. BN \xe6\x98\xaf\xe4\xbb\x80\xe4\xb9\x88\xef\xbc\x9f
\xe6\x89\xb9\xe5\xbd\x92\xe4\xb8\x80\xe5\x8c\x96\xef\xbc\x9a$\\hat x=\\frac{x-\\mu}{\\sigma}$\xe3\x80\x82

## 2. \xe4\xb8\xba\xe4\xbb\x80\xe4\xb9\x88\xe6\x9c\x89\xe7\x94\xa8\xef\xbc\x9f
\xe8\xae\xad\xe7\xbb\x83\xe6\x9b\xb4\xe7\xa8\xb3\xe3\x80\x82
"""


def test_notes_import_previews_then_creates_draft_cards_the_learner_studies():
    user = make_user()
    body = {"deck_name": "BN 笔记", "files": [{"name": "bn.md", "text": NOTE.decode()}], "dry_run": True}
    preview = client_for(user).post("/api/v1/my/notes-import", body, format="json")
    assert preview.status_code == 200, preview.content
    p = preview.json()
    assert p["deck"] is None and p["dry_run"] is True
    assert [c["action"] for c in p["cards"]] == ["create", "create"]
    assert "BN 是什么" in p["cards"][0]["front"] and "\\frac{x-\\mu}{\\sigma}" in p["cards"][0]["back"]
    assert Deck.objects.filter(owner=user).count() == 0 and Card.objects.count() == 0
    done = client_for(user).post("/api/v1/my/notes-import", {**body, "dry_run": False}, format="json").json()
    deck = Deck.objects.get(owner=user)
    assert done["deck"] == deck.pk and done["summary"].startswith("2 created")
    cards = list(deck.cards.order_by("position"))
    assert [(c.front, c.draft) for c in cards] == [(x["front"], True) for x in p["cards"]]
    assert CardState.objects.filter(user=user, card__deck=deck, state=State.NEW).count() == 2
    # the same notes again: nothing new
    again = client_for(user).post("/api/v1/my/notes-import", {**body, "dry_run": False}, format="json").json()
    assert [c["action"] for c in again["cards"]] == ["unchanged", "unchanged"]
    assert deck.cards.count() == 2


def test_notes_import_refuses_empty_notes_with_the_reason_and_writes_nothing():
    user = make_user()
    body = {"deck_name": "空", "files": [{"name": "empty.md", "text": "# 只有标题\n"}], "dry_run": False}
    err = api_error(
        client_for(user).post("/api/v1/my/notes-import", body, format="json"), 400, "invalid_notes"
    )
    assert err["fields"]["files"] == [
        "empty.md: no text to make cards from (only headings, images or blank lines)"
    ]
    api_error(
        client_for(user).post("/api/v1/my/notes-import", {"deck_name": "x", "files": []}, format="json"), 400
    )
    assert Deck.objects.count() == 0


def test_deck_list_and_deck_page_take_a_constant_number_of_queries():
    user = make_user()

    def add(n_decks: int, n_cards: int) -> list[Deck]:
        decks = [
            Deck.objects.create(slug=f"u-{user.pk}-{rid()}", name=rid(), owner=user) for _ in range(n_decks)
        ]
        for d in decks:
            Card.objects.bulk_create(
                [
                    Card(uid=rid(), deck=d, kind="basic", front="问？", back="答", position=i)
                    for i in range(n_cards)
                ]
            )
        return decks

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client_for(user).get(url).status_code == 200
        return len(ctx.captured_queries)

    small = add(1, 1)[0]
    few = (queries("/api/v1/my/decks"), queries(f"/api/v1/my/decks/{small.pk}"))
    big = add(6, 25)[0]
    assert (queries("/api/v1/my/decks"), queries(f"/api/v1/my/decks/{big.pk}")) == few
    assert few[0] <= 2 and few[1] <= 3


def test_card_writes_and_checks_are_throttled_per_learner(monkeypatch, katex):
    """Each check or write may start KaTeX: past THROTTLE_CONTENT a learner gets 429 (nothing written),
    while another learner keeps their own budget and reads stay open."""
    from django.core.cache import cache

    from dlquiz.api.throttles import ScopedThrottle

    monkeypatch.setitem(ScopedThrottle.THROTTLE_RATES, "content", "3/min")
    cache.clear()
    user, other = make_user(), make_user()
    deck = _deck(user)
    c = client_for(user)
    codes = [c.post("/api/v1/my/cards/check", CARD, format="json").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    before = _counts()
    api_error(c.post(f"/api/v1/my/decks/{deck['id']}/cards", CARD, format="json"), 429, "throttled")
    assert _counts() == before
    assert c.get(f"/api/v1/my/decks/{deck['id']}").status_code == 200
    assert client_for(other).post("/api/v1/my/cards/check", CARD, format="json").status_code == 200
    cache.clear()
