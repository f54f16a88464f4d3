"""The scheduler's endpoints: owner, another learner, anonymous."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from fsrs.scheduler import DEFAULT_PARAMETERS

from dlquiz.scheduler.models import OptimizeRun
from dlquiz.scheduler.selectors import RETENTIONS
from dlquiz.scheduler.services import cards_reschedule, review_log_import
from dlquiz.study import scheduling
from dlquiz.study.models import CardState, ReviewLog, StudySettings
from dlquiz.study.services import card_state_replay, settings_update
from tests.dlquiz.scheduler.simlog import csv_text, simulate
from tests.factories import client_for, make_user

pytestmark = pytest.mark.django_db
LATER = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def _upload(text: str, name: str = "log.csv"):
    return {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")}


def test_upload_imports_and_bad_rows_are_a_400_with_lines():
    user = make_user()
    c = client_for(user)
    r = c.post("/api/v1/scheduler/review-log", _upload(csv_text(simulate(3, 2))), format="multipart")
    assert r.status_code == 201, r.content
    assert r.json()["imported"] == 6 and r.json()["cards_created"] == 3
    bad = "card_id,review_rating,review_time,review_duration\n5,9,2025-01-01T00:00:00+00:00,1\n"
    r = c.post("/api/v1/scheduler/review-log", _upload(bad, "bad.csv"), format="multipart")
    assert r.status_code == 400
    assert r.json()["error"]["fields"]["file"] == ["bad.csv:2: review_rating '9' is not 1, 2, 3 or 4"]
    assert ReviewLog.objects.filter(user=user).count() == 6
    assert client_for().post(
        "/api/v1/scheduler/review-log", _upload(bad), format="multipart"
    ).status_code in (
        401,
        403,
    )


def test_parameters_runs_and_the_three_personas():
    owner, other = make_user(), make_user()
    r = client_for(owner).get("/api/v1/scheduler/parameters")
    assert r.status_code == 200
    assert r.json() == {"parameters": list(DEFAULT_PARAMETERS), "is_default": True, "history": []}
    assert client_for(owner).get("/api/v1/scheduler/runs/latest").status_code == 404
    run = OptimizeRun.objects.create(
        user=owner,
        trigger="button",
        adopted=True,
        parameters_after=[1.0] * 21,
        reason_code="adopted",
        reason_args={"reviews": 9, "before": "0.5000", "after": "0.4000", "total": 40},
    )
    StudySettings.objects.filter(user=owner).update(fsrs_parameters=[1.0] * 21)
    owner.refresh_from_db()  # a new request loads the learner's settings again
    body = client_for(owner).get("/api/v1/scheduler/parameters").json()
    assert body["is_default"] is False and body["parameters"] == [1.0] * 21
    assert [h["id"] for h in body["history"]] == [run.pk]
    body = client_for(owner).get(f"/api/v1/scheduler/runs/{run.pk}").json()
    assert body["id"] == run.pk and body["reason_code"] == "adopted"
    assert body["reason_args"] == {"reviews": 9, "before": "0.5000", "after": "0.4000", "total": 40}
    assert client_for(other).get(f"/api/v1/scheduler/runs/{run.pk}").status_code == 404
    assert client_for(other).get("/api/v1/scheduler/runs/latest").status_code == 404
    for path in ("parameters", "runs/latest", "retention-advice"):
        assert client_for().get(f"/api/v1/scheduler/{path}").status_code in (401, 403)
    assert client_for().post("/api/v1/scheduler/optimize").status_code in (401, 403)


def test_retention_advice_simulates_each_retention():
    user = make_user(new_per_day=5)
    c = client_for(user)
    r = c.get("/api/v1/scheduler/retention-advice")
    assert r.status_code == 409 and r.json()["error"]["code"] == "too_few_reviews"
    review_log_import(user=user, name="s.csv", data=csv_text(simulate(30, 4)).encode(), now=LATER)
    r = c.get("/api/v1/scheduler/retention-advice")
    assert r.status_code == 200
    body = r.json()
    assert body["desired_retention"] == 0.9
    assert (
        [p["retention"] for p in body["points"]]
        == list(RETENTIONS)
        == [0.7, 0.73, 0.76, 0.79, 0.82, 0.85, 0.88, 0.91, 0.94, 0.97]
    )
    per_day = [p["reviews_per_day"] for p in body["points"]]
    assert per_day[-1] > per_day[0] >= 5  # at least the day's new cards; more reviews for more retention


def test_changing_retention_then_rescheduling_equals_replay(django_capture_on_commit_callbacks):
    user = make_user()
    review_log_import(user=user, name="s.csv", data=csv_text(simulate(20, 5)).encode(), now=LATER)
    settings_update(user=user, desired_retention=0.8)
    user.refresh_from_db()
    with django_capture_on_commit_callbacks() as callbacks:
        r = client_for(user).post("/api/v1/scheduler/reschedule")
    assert r.status_code == 202 and len(callbacks) == 1
    assert cards_reschedule(user=user) > 0  # what the queued task runs
    for cs in CardState.objects.filter(user=user):
        assert scheduling.memory_of(cs) == card_state_replay(user=user, card_id=cs.card_id)
    assert cards_reschedule(user=user) == 0
