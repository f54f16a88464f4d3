"""Anki interop in a real Chromium: a deck's export link downloads an .apkg that the official ``anki``
package imports, and an .apkg made by Anki is uploaded through the dashboard's form, imported by a real
Celery worker (default queue) while the page polls its progress, and shows up as the learner's deck.

The worker runs in this process and reads what the app server writes: PostgreSQL and Redis, like the
demonstration's end-to-end test (markers ``postgres`` and ``redis`` as well as ``e2e``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dlquiz.interop.ankitools import collection, import_into, make_package
from tests.dlquiz.interop.test_import import _history
from tests.e2e.conftest import shoot
from tests.e2e.test_app import sign_up

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def default_worker() -> Iterator[None]:
    """A Celery worker on the default queue, on the project's broker."""
    from celery.contrib.testing.worker import start_worker

    from dlquiz.celery import app

    assert app.conf.broker_url.startswith("redis://")
    with app.connection_for_write() as conn:  # start from an empty queue
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=60):
        yield


def test_export_link_and_import_form(
    page: Any, app_server: str, small_deck: dict[str, Any], default_worker: None, tmp_path: Path
) -> None:
    from dlquiz.decks.models import Deck

    base, pg = app_server, page
    sign_up(pg, base, "anna")
    deck = small_deck["deck"]

    # Export: the deck's link downloads an .apkg with every card; Anki imports it.
    link = pg.locator(f'tr[data-deck="{deck.slug}"] a.anki-export')
    assert link.get_attribute("href") == f"/api/v1/anki/decks/{deck.pk}/export"
    pg.get_by_label("导出时带上我的复习进度和记录").check()
    assert link.get_attribute("href") == f"/api/v1/anki/decks/{deck.pk}/export?scheduling=true"
    with pg.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "e2e-conv.apkg"
    saved = tmp_path / "export.apkg"
    download.save_as(saved)
    with collection(tmp_path / "anki") as col:
        import_into(col, saved.read_bytes(), tmp_path)
        assert col.note_count() == deck.cards.filter(retired=False).count()

    # Import: an .apkg made by Anki, uploaded through the form, polled until the worker is done.
    made = make_package(tmp_path / "made", fmt="anki21b", history=_history())
    package = tmp_path / "deck.apkg"
    package.write_bytes(made.data)
    pg.set_input_files("#anki-file", str(package))
    pg.get_by_label("导入到卡组（留空：用 Anki 牌组的名字）").fill("从 Anki 来的卡")
    pg.get_by_role("button", name="开始导入").click()
    status = pg.locator(".anki-status [role=status]")
    status.filter(has_text="导入完成").wait_for(timeout=60_000)
    assert status.inner_text() == "导入完成：新卡片 5 张，更新 0 张，复习记录 7 条"
    own = Deck.objects.get(owner__username="anna")
    assert own.name == "从 Anki 来的卡"
    pg.locator(f'tr[data-deck="{own.slug}"]').wait_for()  # the dashboard reloaded its decks
    shoot(pg, "anki-import")
    pg.get_by_role("link", name="浏览导入的卡组").click()
    pg.wait_for_url(f"**/browse?deck={own.pk}")
