"""The study endpoints over HTTP: personas, the error envelope, nothing written on bad input, query
counts, the queue and the cards beyond it, reviews, card actions, settings, the browser and practice cards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from rest_framework.test import APIRequestFactory, force_authenticate

from dlquiz.study.apis import (
    CardActionApi,
    CardOut,
    QueueItemOut,
    ReviewOut,
    StateOut,
    card_data,
    queue_item_data,
    review_data,
    state_data,
)
from dlquiz.study.models import CardState, ReviewLog, StudySettings
from dlquiz.study.selectors import study_queue
from dlquiz.study.services import review_submit
from tests.factories import api_error, client_for, enrolled_user, make_user, rid, token_client

pytestmark = pytest.mark.django_db


def _card_urls(card_id):
    return [
        ("get", f"/api/v1/cards/{card_id}"),
        ("get", f"/api/v1/cards/{card_id}/history"),
        ("post", f"/api/v1/cards/{card_id}/suspend"),
        ("post", f"/api/v1/cards/{card_id}/unsuspend"),
        ("post", f"/api/v1/cards/{card_id}/bury"),
        ("post", f"/api/v1/cards/{card_id}/reset"),
    ]


def test_card_endpoints_for_owner_other_user_and_anonymous(owner):
    user, _, cards = owner
    other = make_user()
    for method, url in _card_urls(cards[0].id):
        assert getattr(client_for(user), method)(url).status_code == 200, url
        api_error(getattr(client_for(other), method)(url), 404, "not_found")
        api_error(getattr(client_for(), method)(url), 401)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/decks",
        "/api/v1/study/queue",
        "/api/v1/settings",
        "/api/v1/dashboard",
        "/api/v1/cards",
        "/api/v1/ping",
        "/api/v1/study/extra-new",
        "/api/v1/practice/cards",
        "/api/v1/browse/facets",
    ],
)
def test_list_endpoints_need_a_learner_and_show_only_their_data(owner, url):
    user, deck, cards = owner
    other = make_user()
    api_error(client_for().get(url), 401)
    assert client_for(user).get(url).status_code == 200
    other_resp = client_for(other).get(url)
    assert other_resp.status_code == 200
    assert str(cards[0].front) not in other_resp.content.decode()


def test_submit_review_then_repeat_returns_first_result(owner):
    user, _, cards = owner
    c = client_for(user)
    body = {"card": cards[0].id, "rating": 3, "client_review_id": rid()}
    first = c.post("/api/v1/reviews", body, format="json")
    assert first.status_code == 201
    second = c.post("/api/v1/reviews", body, format="json")
    assert second.status_code == 200 and second.json() == first.json()
    assert ReviewLog.objects.count() == 1


@pytest.mark.parametrize(
    "body,field",
    [
        ({"rating": 3}, "card"),
        ({"card": "x", "rating": 3}, "card"),
        ({"rating": 9}, "rating"),
        ({"rating": "good"}, "rating"),
        ({"rating": 3, "client_review_id": "short"}, "client_review_id"),
        ({"rating": 3, "reviewed_at": "yesterday"}, "reviewed_at"),
    ],
)
def test_invalid_review_input_is_a_400_envelope_and_writes_nothing(owner, body, field):
    user, _, cards = owner
    payload = {"card": cards[0].id, "client_review_id": rid(), **body}
    payload = {
        k: v for k, v in payload.items() if not (k == "card" and "card" not in body and field == "card")
    }
    before = list(CardState.objects.filter(user=user).values())
    err = api_error(client_for(user).post("/api/v1/reviews", payload, format="json"), 400, "invalid")
    assert field in err["fields"]
    assert ReviewLog.objects.count() == 0 and list(CardState.objects.filter(user=user).values()) == before


def test_unknown_and_foreign_cards_answer_404_alike(owner):
    user, _, cards = owner
    stranger, _, their_cards = enrolled_user(1)
    for card_id in (999999, their_cards[0].id):
        resp = client_for(user).post(
            "/api/v1/reviews", {"card": card_id, "rating": 3, "client_review_id": rid()}, format="json"
        )
        api_error(resp, 404, "not_found")
    assert ReviewLog.objects.count() == 0


def test_undo_over_http(owner):
    user, _, cards = owner
    c = client_for(user)
    c.post("/api/v1/reviews", {"card": cards[0].id, "rating": 1, "client_review_id": rid()}, format="json")
    resp = c.post("/api/v1/reviews/undo")
    assert resp.status_code == 200 and resp.json()["card"] == cards[0].id
    assert CardState.objects.get(user=user, card=cards[0]).reps == 0
    api_error(c.post("/api/v1/reviews/undo"), 404)


def test_queue_carries_intervals_and_cards(owner):
    user, _, cards = owner
    data = client_for(user).get("/api/v1/study/queue?limit=2").json()
    assert [x["card"]["id"] for x in data["cards"]] == [cards[0].id, cards[1].id]
    first = data["cards"][0]
    assert first["queue"] == "new" and first["state"]["state"] == "new"
    assert first["intervals"] == {"again": 60, "hard": 330, "good": 600, "easy": first["intervals"]["easy"]}
    assert first["intervals"]["easy"] >= 86400
    api_error(client_for(user).get("/api/v1/study/queue?limit=0"), 400)


def test_queue_and_submit_query_counts_do_not_grow_with_the_deck(django_assert_max_num_queries):
    small_user, _, small_cards = enrolled_user(3)
    big_user, _, big_cards = enrolled_user(300)
    for user, cards in ((small_user, small_cards), (big_user, big_cards)):
        c = token_client(user)
        with django_assert_max_num_queries(8):
            assert c.get("/api/v1/study/queue?limit=20").status_code == 200
        with django_assert_max_num_queries(10):
            r = c.post(
                "/api/v1/reviews",
                {"card": cards[0].id, "rating": 3, "client_review_id": rid()},
                format="json",
            )
            assert r.status_code == 201


def test_queue_and_submit_exact_query_counts(django_assert_num_queries):
    user, _, cards = enrolled_user(30)
    c = token_client(user)
    # queue: token + user + settings (one join), today's counts, learning, reviews, new cards in the
    # interleaved order (their light columns, then the page's cards) = 6
    with django_assert_num_queries(6):
        assert c.get("/api/v1/study/queue?limit=10").status_code == 200
    # submit: token + user + settings, SAVEPOINT, lock the card state, the card's note and its siblings to
    # bury (none here: no update), insert the log, update the state, RELEASE SAVEPOINT = 8 (in production the
    # savepoint pair is BEGIN/COMMIT); on PostgreSQL the insert and the update are one statement = 7
    with django_assert_num_queries(7 if connection.vendor == "postgresql" else 8):
        r = c.post(
            "/api/v1/reviews", {"card": cards[0].id, "rating": 3, "client_review_id": rid()}, format="json"
        )
        assert r.status_code == 201


LIST_QUERIES = {
    # token + user + settings (one join), then the endpoint's own queries
    "/api/v1/decks": 2,  # the per-deck counts
    "/api/v1/dashboard": 5,  # the year's reviews, the next 30 days' dues, today's counts, the deck counts
    "/api/v1/cards": 3,  # the count, the page
    "/api/v1/cards/{card}/history": 3,  # the card's state (ownership), the page
    # today's counts, learning, reviews, the new cards' order and the new cards, the learning cards to come
    "/api/v1/study/queue": 7,
    "/api/v1/study/extra-new": 3,  # the new cards' order, the new cards
    "/api/v1/practice/cards": 3,  # studied cards, then new ones
    "/api/v1/browse/facets": 2,  # the cards' tags and topics
}


@pytest.mark.parametrize("n_cards", [3, 30])
@pytest.mark.parametrize("url", sorted(LIST_QUERIES))
def test_list_endpoint_query_count_does_not_grow_with_the_cards(django_assert_num_queries, url, n_cards):
    user, _, cards = enrolled_user(n_cards)
    c = token_client(user)
    for card in (cards[0], cards[0], cards[1]):
        c.post("/api/v1/reviews", {"card": card.id, "rating": 3, "client_review_id": rid()}, format="json")
    with django_assert_num_queries(LIST_QUERIES[url]):
        r = c.get(url.format(card=cards[0].id))
    assert r.status_code == 200


def test_settings_patch_validates(owner):
    user, _, _ = owner
    c = client_for(user)
    err = api_error(c.patch("/api/v1/settings", {"desired_retention": 1.5}, format="json"), 400)
    assert "desired_retention" in err["fields"]
    err = api_error(c.patch("/api/v1/settings", {"timezone": "Nowhere/Land"}, format="json"), 400)
    assert "timezone" in err["fields"]
    ok = c.patch("/api/v1/settings", {"desired_retention": 0.85, "reminder_time": "07:30"}, format="json")
    assert (
        ok.status_code == 200
        and ok.json()["desired_retention"] == 0.85
        and ok.json()["reminder_time"] == "07:30:00"
    )


def test_browse_search_filters_and_history(owner):
    user, deck, cards = owner
    c = client_for(user)
    c.post("/api/v1/reviews", {"card": cards[1].id, "rating": 3, "client_review_id": rid()}, format="json")
    res = c.get("/api/v1/cards", {"q": cards[2].front}).json()
    assert [r["card"]["id"] for r in res["results"]] == [cards[2].id]
    assert c.get("/api/v1/cards", {"q": "什么是"}).json()["count"] == 3
    assert [r["card"]["id"] for r in c.get("/api/v1/cards", {"state": "learning"}).json()["results"]] == [
        cards[1].id
    ]
    assert c.get("/api/v1/cards", {"state": "new"}).json()["count"] == 2
    assert c.get("/api/v1/cards", {"tag": "bn"}).json()["count"] == 3
    assert c.get("/api/v1/cards", {"tag": "b"}).json()["count"] == 0
    assert c.get("/api/v1/cards", {"topic": "001-0574"}).json()["count"] == 3
    assert c.get("/api/v1/cards", {"deck": deck.id, "page_size": 1}).json()["count"] == 3
    hist = c.get(f"/api/v1/cards/{cards[1].id}/history").json()
    assert [h["rating"] for h in hist["results"]] == [3]
    api_error(c.get("/api/v1/cards", {"state": "bogus"}), 400)


def test_card_detail_has_forgetting_curve_after_a_review(owner):
    user, _, cards = owner
    c = client_for(user)
    c.post("/api/v1/reviews", {"card": cards[0].id, "rating": 4, "client_review_id": rid()}, format="json")
    detail = c.get(f"/api/v1/cards/{cards[0].id}").json()
    curve = detail["curve"]
    assert curve[0] == {"day": 0, "retrievability": 1.0}
    values = [p["retrievability"] for p in curve]
    assert values == sorted(values, reverse=True) and values[-1] < 0.9


def test_unknown_card_action_is_refused_and_never_resets_the_card(owner):
    user, _, cards = owner
    client_for(user).post(
        "/api/v1/reviews", {"card": cards[0].id, "rating": 3, "client_review_id": rid()}, format="json"
    )
    before = list(CardState.objects.filter(user=user).values())
    request = APIRequestFactory().post(f"/api/v1/cards/{cards[0].id}/forget")
    force_authenticate(request, user=user)
    resp = CardActionApi.as_view(action_name="forget")(request, card_id=cards[0].id)
    assert resp.status_code == 404 and resp.data["error"]["code"] == "unknown_action"
    assert list(CardState.objects.filter(user=user).values()) == before
    assert list(ReviewLog.objects.filter(user=user).values_list("kind", flat=True)) == ["review"]


def test_extra_new_goes_past_the_daily_limit_in_order_with_intervals(django_assert_max_num_queries):
    user, deck, cards = enrolled_user(6)
    prefs = StudySettings.objects.get(user=user)
    prefs.new_per_day = 2
    prefs.save()
    user.study_settings = prefs  # the learner object caches its settings
    c = client_for(user)
    for card in cards[:2]:
        c.post("/api/v1/reviews", {"card": card.id, "rating": 3, "client_review_id": rid()}, format="json")
    queue = c.get("/api/v1/study/queue?limit=20").json()["cards"]  # today's limit is spent
    assert [i["queue"] for i in queue] == ["learning", "learning"]  # the two learnt, shown early
    with django_assert_max_num_queries(8):
        body = c.get("/api/v1/study/extra-new?limit=3").json()
    assert [i["card"]["id"] for i in body["cards"]] == [c_.id for c_ in cards[2:5]]
    item = body["cards"][0]
    assert item["queue"] == "new" and item["state"]["state"] == "new"
    assert 0 < item["intervals"]["again"] <= item["intervals"]["good"] < item["intervals"]["easy"]
    # a review of an extra card goes through the normal endpoint
    r = c.post(
        "/api/v1/reviews", {"card": cards[2].id, "rating": 3, "client_review_id": rid()}, format="json"
    )
    assert r.status_code == 201


def test_extra_new_skips_suspended_and_other_learners_cards():
    user, deck, cards = enrolled_user(3)
    other, _, other_cards = enrolled_user(2)
    CardState.objects.filter(user=user, card=cards[0]).update(suspended=True)
    ids = [i["card"]["id"] for i in client_for(user).get("/api/v1/study/extra-new").json()["cards"]]
    assert ids == [cards[1].id, cards[2].id]
    assert not set(ids) & {c.id for c in other_cards}


def test_practice_cards_records_nothing_and_prefers_studied_cards():
    user, deck, cards = enrolled_user(5)
    c = client_for(user)
    c.post("/api/v1/reviews", {"card": cards[3].id, "rating": 3, "client_review_id": rid()}, format="json")
    before = ReviewLog.objects.count()
    body = c.get("/api/v1/practice/cards?limit=2").json()
    assert len(body["cards"]) == 2 and body["cards"][0]["id"] == cards[3].id
    assert ReviewLog.objects.count() == before
    other = make_user()
    assert client_for(other).get("/api/v1/practice/cards").json()["cards"] == []


def test_facets_list_the_learners_tags_and_topics(settings, tmp_path):
    outline = tmp_path / "OUTLINE.tsv"
    outline.write_text(
        "topic\tseed\tline\tlevel\tkind\ttitle\n001-0574\ts.txt\t1\t2\tqa\tBN 的滑动统计量\n",
        encoding="utf-8",
    )
    settings.OUTLINE_PATH = outline
    user, _, _ = enrolled_user(2)
    body = client_for(user).get("/api/v1/browse/facets").json()
    assert body == {"tags": ["bn"], "topics": [{"id": "001-0574", "title": "BN 的滑动统计量"}]}
    assert client_for(make_user()).get("/api/v1/browse/facets").json() == {"tags": [], "topics": []}


def test_card_and_state_data_match_their_serializers():
    user, _, cards = enrolled_user(2)
    out = review_submit(
        user=user,
        card_id=cards[0].id,
        rating=3,
        client_review_id=rid(),
        now=dt.datetime(2026, 1, 5, 3, 4, 5, 678901, tzinfo=dt.UTC),
    )
    assert review_data(out.log) == ReviewOut(out.log).data
    assert review_data(ReviewLog.objects.get(pk=out.log.pk)) == ReviewOut(out.log).data
    for cs in CardState.objects.filter(user=user).select_related("card", "card__deck"):
        assert card_data(cs.card) == CardOut(cs.card).data
        assert state_data(cs) == StateOut(cs).data


def test_queue_item_data_matches_its_serializer():
    user, _, cards = enrolled_user(2)
    review_submit(
        user=user,
        card_id=cards[0].id,
        rating=1,
        client_review_id=rid(),
        now=dt.datetime(2026, 1, 5, 3, 4, 5, 678901, tzinfo=dt.UTC),
    )
    items, _ = study_queue(user=user, now=dt.datetime(2026, 1, 5, 4, tzinfo=dt.UTC))
    assert [i.queue for i in items] == ["learning", "new"]
    for item in items:
        shaped = {
            "state": item.state,
            "queue": item.queue,
            "intervals": {str(k): v for k, v in item.intervals.items()},
        }
        assert queue_item_data(item) == QueueItemOut(shaped).data
