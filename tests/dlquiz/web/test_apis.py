"""The single-page app's extra endpoints: learn more new cards, practice, browse facets; and the page view."""

from __future__ import annotations

import math

import pytest
from django.test import Client
from rest_framework.test import APIClient

from dlquiz.study.models import CardState, ReviewLog, StudySettings
from tests.factories import enrolled_user, make_user, rid

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def conv_out(p):
    eff = p["dilation"] * (p["kernel"] - 1) + 1
    return math.floor((p["size"] + 2 * p["padding"] - eff) / p["stride"]) + 1


@pytest.mark.parametrize(
    "path", ["/api/v1/study/extra-new", "/api/v1/practice/cards", "/api/v1/browse/facets"]
)
def test_anonymous_is_refused(path):
    assert client_for(None).get(path).status_code == 403


def test_extra_new_goes_past_the_daily_limit_in_order_with_intervals(django_assert_max_num_queries):
    user, deck, cards = enrolled_user(6)
    prefs = StudySettings.objects.get(user=user)
    prefs.new_per_day = 2
    prefs.save()
    user.study_settings = prefs  # the learner object caches its settings
    c = client_for(user)
    for card in cards[:2]:
        c.post("/api/v1/reviews", {"card": card.id, "rating": 3, "client_review_id": rid()}, format="json")
    assert c.get("/api/v1/study/queue?limit=20").json()["cards"] == []  # today's limit is spent
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


def test_page_view_sets_the_csrf_cookie_and_says_whether_signed_in(settings, tmp_path):
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><head><title>x</title></head><body></body></html>"
    )
    settings.FRONTEND_DIST = tmp_path
    c = Client()
    r = c.get("/study")
    assert r.status_code == 200 and "csrftoken" in r.cookies
    assert '<meta name="dlquiz-signed-in" content="0" />' in r.content.decode()
    c.force_login(make_user())
    assert '<meta name="dlquiz-signed-in" content="1" />' in c.get("/browse?q=x").content.decode()
