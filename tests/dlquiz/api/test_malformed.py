"""Every malformed request is a 4xx in the one envelope, never a 500, and writes nothing."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.core import signing
from rest_framework.test import APIClient

from dlquiz.exercises.models import ExerciseAttempt
from dlquiz.exercises.services import PRACTICE_TOKEN_SALT
from dlquiz.study.models import ReviewLog, StudySettings
from tests.factories import api_error, client_for, enrolled_user, rid, token_client

pytestmark = pytest.mark.django_db

HUGE_ANSWERS = ["1x10^400", "10^400", "\\frac{1}{10^400}", "1" * 4400, "10^" + "9" * 5000]


@pytest.fixture
def exercise():
    user, _, cards = enrolled_user(2, kind="exercise", family="conv2d_output_size")
    return user, cards, client_for(user)


@pytest.mark.parametrize("text", HUGE_ANSWERS, ids=range(len(HUGE_ANSWERS)))
def test_huge_exercise_answers_are_unreadable_not_a_500(exercise, text):
    user, cards, c = exercise
    url = f"/api/v1/cards/{cards[0].id}/exercise"
    ex = c.get(url).json()
    res = c.post(url, {"attempt": ex["attempt"], "answers": {"out": text}}, format="json")
    assert res.status_code == 200, res.content
    assert res.json()["readable"] is False and res.json()["parts"][0]["status"] == "unreadable"
    assert ExerciseAttempt.objects.get(pk=ex["attempt"]).result is None  # unreadable: answer again
    drawn = c.post("/api/v1/practice/exercise", {"card": cards[0].id}, format="json").json()
    res = c.post(
        "/api/v1/practice/exercise/answer", {"token": drawn["token"], "answers": {"out": text}}, format="json"
    )
    assert res.status_code == 200 and res.json()["parts"][0]["status"] == "unreadable"


def test_deeply_nested_json_to_login_is_a_400_envelope():
    body = "[" * 1024 + "]" * 1024  # 2 KB
    resp = APIClient().post("/api/v1/auth/login", body, content_type="application/json")
    api_error(resp, 400, "parse_error")
    body = '{"username": ' + "[" * 40 + "]" * 40 + ', "password": "x"}'  # parses, but deeper than allowed
    api_error(
        APIClient().post("/api/v1/auth/login", body, content_type="application/json"), 400, "parse_error"
    )


@pytest.mark.parametrize("charset", ["rot13", "base64", "hex"])
def test_json_in_a_charset_that_is_no_text_encoding_is_a_400_envelope(charset):
    body = b'{"username": "a", "password": "b"}'
    resp = APIClient().post("/api/v1/auth/login", body, content_type=f"application/json; charset={charset}")
    assert charset in api_error(resp, 400, "parse_error")["message"]


@pytest.mark.parametrize(
    "body",
    [
        '{"card": 1, "rating": NaN}',
        '{"card": 1, "rating": Infinity}',
        '{"card": 1e400}',
        '{"card": 1' + "0" * 5000 + "}",
    ],
    ids=["nan", "infinity", "overflow", "4300-digits"],
)
def test_non_finite_and_oversized_numbers_are_a_400(body):
    user, _, _ = enrolled_user(1)
    api_error(
        client_for(user).post("/api/v1/reviews", body, content_type="application/json"), 400, "parse_error"
    )
    assert ReviewLog.objects.count() == 0


def test_a_body_over_the_limit_is_a_413_envelope(settings):
    settings.API_MAX_BODY_BYTES = 1000
    user, _, cards = enrolled_user(1)
    c = client_for(user)
    padded = {"card": cards[0].id, "rating": 3, "client_review_id": rid(), "pad": "x" * 2000}
    api_error(c.post("/api/v1/reviews", padded, format="json"), 413, "too_large")
    assert ReviewLog.objects.count() == 0
    ok = {"card": cards[0].id, "rating": 3, "client_review_id": rid()}
    assert c.post("/api/v1/reviews", ok, format="json").status_code == 201


def test_a_declared_100_mb_body_is_refused_before_it_is_read():
    user, _, cards = enrolled_user(1)
    body = b'{"card": 1}'
    # The test client's payload raises if more than its 11 bytes are read: the parser reads none of them.
    resp = client_for(user).generic(
        "POST", "/api/v1/reviews", body, content_type="application/json", CONTENT_LENGTH=str(100 * 2**20)
    )
    api_error(resp, 413, "too_large")


def test_a_body_without_a_truthful_length_is_read_to_the_limit_only(settings):
    from dlquiz.api.parsers import BodyTooLarge, JSONParser

    settings.API_MAX_BODY_BYTES = 10

    class Endless:
        read_sizes: list[int] = []

        def read(self, n=-1):
            self.read_sizes.append(n)
            return b"[" * n

    stream = Endless()
    with pytest.raises(BodyTooLarge):
        JSONParser().parse(stream, parser_context={})
    assert stream.read_sizes == [11]


def _cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize(
    "cursor", ["!!not-base64!!", _cursor("p=abc"), _cursor("p=1e9999"), _cursor("p=" + "9" * 40), "é"]
)
def test_a_tampered_history_cursor_is_a_400(cursor):
    user, _, cards = enrolled_user(1)
    c = client_for(user)
    c.post("/api/v1/reviews", {"card": cards[0].id, "rating": 3, "client_review_id": rid()}, format="json")
    resp = c.get(f"/api/v1/cards/{cards[0].id}/history", {"cursor": cursor})
    assert "cursor" in api_error(resp, 400, "invalid")["fields"]


def test_a_history_cursor_the_api_made_still_works():
    user, _, cards = enrolled_user(1)
    c = client_for(user)
    for _ in range(3):
        c.post(
            "/api/v1/reviews", {"card": cards[0].id, "rating": 3, "client_review_id": rid()}, format="json"
        )
    first = c.get(f"/api/v1/cards/{cards[0].id}/history", {"page_size": 2}).json()
    second = c.get(first["next"]).json()
    assert len(first["results"]) == 2 and len(second["results"]) == 1


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2, 3],
        "text",
        {"u": None},
        {"c": 1, "f": "conv2d_output_size", "v": 1, "p": {}},  # no learner
        {"f": "no_such_family", "v": 1, "p": {}},
        {"f": "conv2d_output_size", "v": "x", "p": {}},
        {"f": "conv2d_output_size", "v": 1, "p": "params"},
        {"f": "conv2d_output_size", "v": 1, "p": {"size": "huge"}},
        {"f": "conv2d_output_size", "v": 1},
    ],
    ids=range(9),
)
def test_a_forged_practice_token_is_a_400(exercise, payload):
    user, cards, c = exercise
    if isinstance(payload, dict) and "c" not in payload:
        payload = {"u": user.pk, "c": cards[0].id, **payload}
    token = signing.dumps(payload, salt=PRACTICE_TOKEN_SALT, compress=True)
    resp = c.post(
        "/api/v1/practice/exercise/answer", {"token": token, "answers": {"out": "1"}}, format="json"
    )
    assert "token" in api_error(resp, 400)["fields"]


def test_an_unknown_api_url_is_a_404_envelope_and_other_pages_stay_html():
    api_error(APIClient().get("/api/v1/no-such-endpoint"), 404, "not_found")
    api_error(APIClient().post("/api/nope", {}, format="json"), 404, "not_found")
    page = APIClient().get("/static/no-such-file.css")
    assert page.status_code == 404 and not page["Content-Type"].startswith("application/json")


def test_a_server_error_under_api_is_a_500_envelope(settings, monkeypatch):
    settings.DEBUG = False

    def boom(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("dlquiz.study.apis.deck_due_counts", boom)
    user, _, _ = enrolled_user(1)
    c = client_for(user)
    c.raise_request_exception = False
    api_error(c.get("/api/v1/decks"), 500, "server_error")


@pytest.mark.parametrize("url", ["/api/v1/decks", "/api/v1/me", "/api/v1/study/queue"])
def test_no_or_a_bad_token_is_a_401_with_www_authenticate(url):
    resp = APIClient().get(url)
    api_error(resp, 401, "not_authenticated")
    assert resp["WWW-Authenticate"] == "Token"
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    resp = bad.get(url)
    api_error(resp, 401, "authentication_failed")
    assert resp["WWW-Authenticate"] == "Token"


def test_a_signed_in_session_without_csrf_is_still_a_403():
    user, _, cards = enrolled_user(1)
    c = APIClient(enforce_csrf_checks=True)
    c.force_login(user)
    resp = c.post(
        "/api/v1/reviews", {"card": cards[0].id, "rating": 3, "client_review_id": rid()}, format="json"
    )
    api_error(resp, 403)
    assert "WWW-Authenticate" not in resp


@pytest.mark.parametrize(
    "reviewed_at",
    [
        "0001-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
        "0001-01-01T00:00:00+08:00",
        "9999-12-31T23:59:59-08:00",
    ],
)
def test_reviewed_at_outside_a_sane_window_is_refused(reviewed_at):
    user, _, cards = enrolled_user(1)
    resp = token_client(user).post(
        "/api/v1/reviews",
        {"card": cards[0].id, "rating": 3, "client_review_id": rid(), "reviewed_at": reviewed_at},
        format="json",
    )
    assert "reviewed_at" in api_error(resp, 400)["fields"]
    assert ReviewLog.objects.count() == 0


def test_reviewed_at_in_the_recent_past_is_accepted():
    user, _, cards = enrolled_user(1)
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).isoformat()
    resp = token_client(user).post(
        "/api/v1/reviews",
        {"card": cards[0].id, "rating": 3, "client_review_id": rid(), "reviewed_at": when},
        format="json",
    )
    assert resp.status_code == 201


@pytest.mark.parametrize("value", ["09:00+08:00", "09:00Z", "09:00:00.5", "9:00", "24:00", "", "noon"])
def test_reminder_time_with_an_offset_or_garbage_is_refused(value):
    user, _, _ = enrolled_user(1)
    resp = client_for(user).patch("/api/v1/settings", {"reminder_time": value}, format="json")
    assert "reminder_time" in api_error(resp, 400)["fields"]
    assert StudySettings.objects.get(user=user).reminder_time == dt.time(9, 0)


@pytest.mark.parametrize("value,stored", [("07:30", dt.time(7, 30)), ("23:59:59", dt.time(23, 59, 59))])
def test_reminder_time_as_a_wall_clock_time_is_stored(value, stored):
    user, _, _ = enrolled_user(1)
    resp = client_for(user).patch("/api/v1/settings", {"reminder_time": value}, format="json")
    assert resp.status_code == 200
    assert StudySettings.objects.get(user=user).reminder_time == stored


def test_an_empty_due_before_is_refused():
    user, _, _ = enrolled_user(1)
    c = client_for(user)
    assert "due_before" in api_error(c.get("/api/v1/cards?due_before="), 400)["fields"]
    assert c.get("/api/v1/cards").status_code == 200


def test_undo_answers_the_id_of_the_review_it_removed():
    user, _, cards = enrolled_user(1)
    c = client_for(user)
    made = c.post(
        "/api/v1/reviews", {"card": cards[0].id, "rating": 3, "client_review_id": rid()}, format="json"
    )
    undone = c.post("/api/v1/reviews/undo")
    assert undone.status_code == 200 and undone.json()["id"] == made.json()["id"]
    assert not ReviewLog.objects.exists()


BEYOND_64_BITS = 2**63  # one past the largest row id: SQLite raised OverflowError (a 500)


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", "/api/v1/cards/{id}"),
        ("get", "/api/v1/cards/{id}/history"),
        ("post", "/api/v1/cards/{id}/suspend"),
        ("get", "/api/v1/cards/{id}/exercise"),
        ("get", "/api/v1/cards/" + "9" * 40),
    ],
)
def test_an_id_beyond_64_bits_in_the_path_is_a_404_envelope(method, url):
    user, _, _ = enrolled_user(1)
    c = client_for(user)
    c.raise_request_exception = False
    api_error(getattr(c, method)(url.format(id=BEYOND_64_BITS)), 404, "not_found")
    assert getattr(c, method)(url.format(id=BEYOND_64_BITS - 1)).status_code == 404  # the largest id: no card


@pytest.mark.parametrize(
    "method,url,body",
    [
        (
            "post",
            "/api/v1/reviews",
            {"card": BEYOND_64_BITS, "rating": 3, "client_review_id": "id-beyond-64"},
        ),
        ("post", "/api/v1/practice/exercise", {"card": BEYOND_64_BITS}),
        ("get", "/api/v1/cards", {"deck": BEYOND_64_BITS}),
        ("get", "/api/v1/practice/cards", {"deck": BEYOND_64_BITS}),
    ],
)
def test_an_id_beyond_64_bits_in_a_body_or_query_is_a_400(method, url, body):
    user, _, _ = enrolled_user(1)
    c = client_for(user)
    c.raise_request_exception = False
    resp = c.post(url, body, format="json") if method == "post" else c.get(url, body)
    field = "deck" if "deck" in body else "card"
    assert field in api_error(resp, 400, "invalid")["fields"]
    assert ReviewLog.objects.count() == 0


@pytest.mark.parametrize(("url", "is_api"), [("/api/v1/decks", True), ("/", False)])
def test_a_database_outage_outside_a_drf_view_is_a_503(settings, monkeypatch, url, is_api):
    """A middleware that meets the outage (here the session's) never reaches the API's exception
    handler: handler500 answers the same 503 with Retry-After, the envelope under /api/."""
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.db import OperationalError

    settings.DEBUG = False

    def refused(self, request):
        raise OperationalError("connection refused")

    monkeypatch.setattr(SessionMiddleware, "process_request", refused)
    c = APIClient()
    c.raise_request_exception = False
    resp = c.get(url)
    assert resp.status_code == 503
    assert resp["Retry-After"] == "5"
    if is_api:
        api_error(resp, 503, "unavailable")
    else:
        assert not resp["Content-Type"].startswith("application/json")
