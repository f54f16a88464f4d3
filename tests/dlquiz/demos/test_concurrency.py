"""Identical requests at the same instant on the real PostgreSQL, each from its own connection: one run, one
task (the unique key settles the insert race); one learner's parallel requests cannot pass the cap together."""

from __future__ import annotations

import pytest

from dlquiz.demos.models import DemoRequest, DemoRun
from dlquiz.demos.services import demo_run_request
from dlquiz.errors import ServiceError
from tests.dlquiz.study.test_concurrency import _race
from tests.factories import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queued(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr("dlquiz.demos.tasks.demo_run_enqueue", lambda **kw: calls.append(kw["run_id"]))
    return calls


def test_identical_requests_at_once_make_one_run_and_one_task(queued, settings):
    settings.DEMO_MAX_QUEUED = 10  # five runs queued per learner here
    users = [make_user() for _ in range(4)]
    for seed in range(5):  # several rounds: the race is won by different threads
        fns = [
            lambda u=u, s=seed: demo_run_request(user=u, demo_id="nms_steps", params={"boxes": 9}, seed=s)
            for u in users
        ]
        results, errors = _race(fns)
        assert errors == []
        assert len({r.run_id for r in results}) == 1
    assert DemoRun.objects.count() == 5 and DemoRequest.objects.count() == 20
    assert sorted(queued) == sorted(DemoRun.objects.values_list("id", flat=True))  # one task per run


def test_one_learners_parallel_requests_cannot_pass_the_cap_together(queued, settings):
    settings.DEMO_MAX_QUEUED = 2
    user = make_user()
    fns = [lambda s=s: demo_run_request(user=user, demo_id="nms_steps", params={}, seed=s) for s in range(6)]
    results, errors = _race(fns)
    assert len([r for r in results if r is not None]) == 2
    assert len(errors) == 4 and all(isinstance(e, ServiceError) and e.code == "too_many_runs" for e in errors)
    assert DemoRun.objects.count() == 2 and len(queued) == 2
