"""End to end: an .apkg upload → Redis → a real Celery worker → the import row polled through the API."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dlquiz.decks.models import Card
from dlquiz.study.models import ReviewLog
from tests.dlquiz.interop.ankitools import make_package
from tests.dlquiz.interop.test_import import _history
from tests.factories import client_for, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_an_upload_is_imported_by_a_real_worker_and_polled_to_done(tmp_path: Path):
    from celery.contrib.testing.worker import start_worker

    from dlquiz.celery import app

    assert app.conf.broker_url.startswith("redis://")
    made = make_package(tmp_path, fmt="anki21b", history=_history())
    user = make_user()
    client = client_for(user)
    with app.connection_for_write() as conn:  # start from an empty queue
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=30):
        resp = client.post(
            "/api/v1/anki/imports",
            {"file": SimpleUploadedFile("deck.apkg", made.data, content_type="application/octet-stream")},
            format="multipart",
        )
        assert resp.status_code == 202, resp.content
        url = f"/api/v1/anki/imports/{resp.json()['id']}"
        seen = []
        end = time.monotonic() + 60
        while time.monotonic() < end:
            body = client.get(url).json()
            seen.append((body["status"], body["progress"]))
            if body["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
    assert body["status"] == "done", body
    assert body["progress"] == 1.0 and body["cards_created"] == 5 and body["reviews_imported"] == 7
    assert [p for _, p in seen] == sorted(p for _, p in seen)  # progress only goes forward
    assert Card.objects.filter(deck__owner=user).count() == 5
    assert ReviewLog.objects.filter(user=user).count() == 7
