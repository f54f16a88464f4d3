"""The demonstration endpoints (/work contract: docs/api.md "Demonstrations"): owner, other learner, anonymous."""

from __future__ import annotations

import pytest

from dlquiz.demos.models import DemoRequest, DemoRun
from dlquiz.demos.services import demo_run_compute
from dlquiz.study.browse import topic_titles
from engine.demos import all_demos, get_demo
from tests.factories import client_for, enrolled_user, make_user

pytestmark = pytest.mark.django_db
FAST = {"boxes": 8, "objects": 2}


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(
        "dlquiz.demos.tasks.demo_run_enqueue", lambda **kw: calls.append((kw["run_id"], kw["token"]))
    )
    return calls


def start(c, demo="nms_steps", body=None, capture=None):
    body = {"params": FAST, "seed": 0} if body is None else body
    if capture is None:
        return c.post(f"/api/v1/demos/{demo}/runs", body, format="json")
    with capture(execute=True):
        return c.post(f"/api/v1/demos/{demo}/runs", body, format="json")


def test_the_list_shows_every_demonstration_with_its_schema_and_question():
    c = client_for(make_user())
    res = c.get("/api/v1/demos")
    assert res.status_code == 200
    demos = {d["id"]: d for d in res.json()["results"]}
    assert len(demos) == 8 and set(demos) == {d.id for d in all_demos()}
    titles = topic_titles()
    for demo in all_demos():
        d = demos[demo.id]
        assert d["schema"] == {name: s.to_dict() for name, s in demo.schema.items()}
        assert d["defaults"] == {name: s.default for name, s in demo.schema.items()}
        assert [t["id"] for t in d["topics"]] == list(demo.topics)
        assert all(t["title"] == titles.get(t["id"], "") for t in d["topics"])
        assert d["version"] == demo.version and d["title"] == demo.title
        assert d["question"]["question"] and len(d["question"]["choices"]) >= 2
    assert "IoU 阈值 0.5" in demos["nms_steps"]["question"]["question"]


def test_the_detail_lists_the_learners_cards_of_its_topics():
    user, deck, cards = enrolled_user(3)  # the factory's cards cite topic 001-0574 (BN)
    enrolled_user(2)  # another learner's deck: never listed
    c = client_for(user)
    bn = c.get("/api/v1/demos/batchnorm").json()
    assert "001-0574" in get_demo("batchnorm").topics
    assert [x["id"] for x in bn["cards"]] == [x.id for x in cards]
    assert bn["cards"][0] == {
        "id": cards[0].id,
        "front": cards[0].front,
        "deck": deck.id,
        "deck_name": deck.name,
        "kind": "basic",
    }
    assert c.get("/api/v1/demos/nms_steps").json()["cards"] == []
    assert c.get("/api/v1/demos/no_such_demo").status_code == 404


def test_identical_requests_get_the_same_run(queued, django_capture_on_commit_callbacks):
    a, b = client_for(make_user()), client_for(make_user())
    first = start(a, capture=django_capture_on_commit_callbacks)
    assert first.status_code == 202
    run = first.json()
    assert run["status"] == "queued" and run["progress"] == 0 and run["result"] is None
    assert run["params"] == get_demo("nms_steps").canonical(FAST) and run["seed"] == 0
    assert run["prediction"] == {"choice": None, "right": None}
    assert run["question"] == get_demo("nms_steps").question(run["params"]).to_dict()
    assert run["question"]["choices"] == ["1–2 个", "3–4 个", "5–8 个"]  # for 8 boxes
    second = start(
        b, body={"params": {**FAST, "iou_threshold": 0.5}}, capture=django_capture_on_commit_callbacks
    )
    assert second.status_code == 202 and second.json()["id"] == run["id"]
    assert len(queued) == 1
    demo_run_compute(run_id=run["id"], token=1)
    third = start(client_for(make_user()), capture=django_capture_on_commit_callbacks).json()
    assert third["id"] == run["id"] and third["status"] == "done" and third["progress"] == 100
    assert third["result"] == get_demo("nms_steps").run(FAST, seed=0).to_dict()
    assert len(queued) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"params": {"boxes": 100}}, "params"),
        ({"params": {"boxes": "many"}}, "params"),
        ({"params": {"nope": 1}}, "params"),
        ({"params": [1, 2]}, "params"),
        ({"seed": -1}, "seed"),
        ({"seed": "x"}, "seed"),
    ],
)
def test_bad_parameters_are_a_400_and_start_nothing(queued, body, field):
    res = start(client_for(make_user()), body=body)
    assert res.status_code == 400
    err = res.json()["error"]
    assert field in err["fields"]
    if field == "params" and isinstance(body["params"], dict):
        assert err["code"] == "invalid_params" and next(iter(body["params"])) in err["message"]
    assert not DemoRun.objects.exists() and queued == []


def test_too_many_runs_is_a_429(settings, queued):
    settings.DEMO_MAX_QUEUED = 3
    c = client_for(make_user())
    assert [start(c, body={"params": FAST, "seed": s}).status_code for s in range(3)] == [202] * 3
    res = start(c, body={"params": FAST, "seed": 3})
    assert res.status_code == 429 and res.json()["error"]["code"] == "too_many_runs"
    assert DemoRun.objects.count() == 3


def test_other_learners_and_strangers_cannot_see_a_run():
    owner = client_for(make_user())
    run = start(owner).json()
    other = client_for(make_user())
    for path in (f"/api/v1/demo-runs/{run['id']}",):
        assert owner.get(path).status_code == 200
        assert other.get(path).status_code == 404
        assert client_for().get(path).status_code == 401
    assert other.post(f"/api/v1/demo-runs/{run['id']}/cancel").status_code == 404
    assert (
        other.post(f"/api/v1/demo-runs/{run['id']}/prediction", {"choice": 0}, format="json").status_code
        == 404
    )
    assert other.get("/api/v1/demo-runs").json()["results"] == []
    assert client_for().get("/api/v1/demos").status_code == 401
    assert start(client_for()).status_code == 401
    assert owner.get("/api/v1/demo-runs/99999999").status_code == 404


def test_history_lists_the_learners_runs_newest_first(django_assert_max_num_queries):
    c = client_for(make_user())
    ids = [start(c, body={"params": FAST, "seed": s}).json()["id"] for s in (5, 6)]
    start(c, body={"params": FAST, "seed": 5})  # asked again: now the newest
    with django_assert_max_num_queries(3):
        res = c.get("/api/v1/demo-runs")
    body = res.json()
    assert body["count"] == 2 and [r["id"] for r in body["results"]] == [ids[0], ids[1]]


def test_cancel_and_a_finished_run(django_capture_on_commit_callbacks):
    c = client_for(make_user())
    run = start(c).json()
    res = c.post(f"/api/v1/demo-runs/{run['id']}/cancel")
    assert res.status_code == 200 and res.json()["status"] == "cancelled"
    assert c.post(f"/api/v1/demo-runs/{run['id']}/cancel").status_code == 409
    again = start(c, capture=django_capture_on_commit_callbacks).json()
    assert again["id"] == run["id"] and again["status"] == "queued"
    demo_run_compute(run_id=run["id"], token=DemoRun.objects.get(pk=run["id"]).enqueued)
    res = c.post(f"/api/v1/demo-runs/{run['id']}/cancel")
    assert res.status_code == 409 and res.json()["error"]["code"] == "finished"


def test_prediction_is_stored_and_graded(django_capture_on_commit_callbacks):
    c = client_for(make_user())
    run = start(c, body={}).json()  # defaults: 12 boxes, choices "1–3", "4–6", "7–12" kept
    path = f"/api/v1/demo-runs/{run['id']}/prediction"
    assert c.post(path, {"choice": 7}, format="json").status_code == 400
    assert c.post(path, {}, format="json").status_code == 400
    res = c.post(path, {"choice": 1}, format="json")
    assert res.status_code == 200 and res.json()["prediction"] == {"choice": 1, "right": None}
    assert c.post(path, {"choice": 2}, format="json").status_code == 409
    demo_run_compute(run_id=run["id"], token=1)
    done = c.get(f"/api/v1/demo-runs/{run['id']}").json()
    answer = done["result"]["prediction"]["answer"]
    kept = len(done["result"]["series"]["kept"])
    assert answer == (0 if kept <= 3 else 1 if kept <= 6 else 2)
    assert done["prediction"] == {"choice": 1, "right": answer == 1}
    assert DemoRequest.objects.get(run_id=run["id"]).prediction == 1
