"""The run admin: runs are looked at, never written there."""

from __future__ import annotations

import pytest

from dlquiz.demos.models import DemoRun
from dlquiz.demos.services import demo_run_compute, demo_run_request
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_runs_are_listed_and_shown_read_only(client, django_user_model, monkeypatch):
    monkeypatch.setattr("dlquiz.demos.tasks.demo_run_enqueue", lambda **kw: None)
    req = demo_run_request(user=make_user(), demo_id="nms_steps", params={}, seed=1)
    demo_run_compute(run_id=req.run_id, token=1)
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456789")
    client.force_login(admin)
    page = client.get("/admin/demos/demorun/", {"status__exact": "done"})
    assert page.status_code == 200 and [r.pk for r in page.context["cl"].result_list] == [req.run_id]
    detail = client.get(f"/admin/demos/demorun/{req.run_id}/change/")
    assert detail.status_code == 200 and "nms_steps" in detail.content.decode()
    assert client.get("/admin/demos/demorun/add/").status_code == 403
    before = DemoRun.objects.get(pk=req.run_id).status
    client.post(f"/admin/demos/demorun/{req.run_id}/change/", {"status": "queued"})
    assert DemoRun.objects.get(pk=req.run_id).status == before == "done"
