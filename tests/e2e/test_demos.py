"""A demonstration in a real Chromium, computed by a real Celery worker on the ``demos`` queue: from a card
to its demonstration, a changed parameter in the shareable URL, the progress bar moving, the prediction,
the plot, and back to the card.

The worker runs in this process (a thread, Celery's test worker) and reads the runs the app server writes,
so the database must be one that several connections share (PostgreSQL) and the broker Redis: marked
``postgres`` and ``redis`` as well as ``e2e`` (run with DATABASE_URL and REDIS_URL set, as CI does).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import shoot
from tests.e2e.test_app import sign_up

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

# The regularisation demonstration (topics 002-0364 002-0372 002-0384 001-0107); a card on 002-0372.
DEMO = "overfitting"
EPOCHS = 1000  # the default is 300; the most (several seconds of training) leaves time to watch its progress


@pytest.fixture
def demo_worker() -> Iterator[None]:
    """A Celery worker consuming the ``demos`` queue (only), on the project's broker."""
    from celery.contrib.testing.worker import start_worker

    from dlquiz.celery import app

    assert app.conf.broker_url.startswith("redis://")
    with app.connection_for_write() as conn:  # start from an empty queue
        conn.default_channel.queue_purge("demos")
    with start_worker(app, perform_ping_check=False, pool="solo", queues=["demos"], shutdown_timeout=60):
        yield


@pytest.fixture
def regularisation_card(small_deck: dict[str, Any]) -> Any:
    """A card of the small deck on a topic of the demonstration (added before the learner enrols)."""
    from dlquiz.decks.models import Card

    return Card.objects.create(
        uid="e2e.dropout",
        deck=small_deck["deck"],
        kind="basic",
        position=20,
        tags=["regularization"],
        topics=["002-0372"],
        front="Dropout 为什么能减轻过拟合？",
        back="训练时随机丢弃神经元，网络不能依赖个别神经元。",
    )


def progress_value(pg: Any) -> int:
    return int(pg.locator("#demo-progress").get_attribute("value") or "0")


def test_card_to_demonstration_run_and_back(
    page: Any, app_server: str, regularisation_card: Any, demo_worker: None
) -> None:
    from dlquiz.demos.models import DemoRun

    base, pg = app_server, page
    sign_up(pg, base, "dora")
    card_id = regularisation_card.pk

    # The card links to the demonstration of its topic.
    pg.goto(f"{base}/cards/{card_id}")
    link = pg.locator(".demo-links a")
    link.wait_for()
    assert link.count() == 1
    assert link.get_attribute("href") == f"/demos/{DEMO}"
    link.click()
    pg.wait_for_selector(f'.demo-page[data-demo="{DEMO}"] .demo-form')

    # Controls come from the schema; changing one puts it (and the seed) into the URL.
    epochs = pg.locator("#param-epochs")
    assert epochs.input_value() == "300"
    epochs.fill(str(EPOCHS))
    pg.locator("#demo-seed").fill("7")
    pg.wait_for_url(lambda url: f"epochs={EPOCHS}" in url and "seed=7" in url)
    shared_url = pg.url

    # Start: the progress bar moves from where it started to 100 while the worker computes.
    pg.get_by_role("button", name="开始运行").click()
    pg.wait_for_selector("#demo-progress")
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = pg.locator(".run-status").get_attribute("data-status")
        seen.append(progress_value(pg))
        if status in ("done", "failed", "cancelled"):
            break
        if len(seen) == 1:
            shoot(pg, "demo-running")
        time.sleep(0.05)
    assert status == "done", f"the run ended {status}: {pg.locator('.run-status').inner_text()}"
    assert seen[-1] == 100
    assert any(0 < v < 100 for v in seen), f"no progress in between was shown: {sorted(set(seen))}"
    assert seen == sorted(seen), "progress went backwards"

    run = DemoRun.objects.get(demo=DEMO)
    assert run.params["epochs"] == EPOCHS and run.seed == 7
    assert run.status == DemoRun.Status.DONE

    # The prediction comes before the result; answered, it is graded against this run's answer.
    assert pg.locator(".demo-result").count() == 0
    choices = run.result["prediction"]["choices"]
    answer = run.result["prediction"]["answer"]
    pg.get_by_label(choices[answer], exact=True).check()
    pg.get_by_role("button", name="提交预测").click()
    verdict = pg.locator(".verdict[data-right]")
    verdict.wait_for()
    assert verdict.get_attribute("data-right") == "true"

    # The result: the run's figures and explanation, and the accuracy plot drawn by uPlot.
    pg.wait_for_selector(".demo-result #demo-chart-acc canvas")
    assert run.result["explanation"] in pg.locator(".demo-explanation").inner_text()
    first = run.result["figures"][0]
    assert pg.locator(f'[data-figure="{first["key"]}"] dt').inner_text() == first["label"]
    legend = pg.locator("#demo-chart-acc .u-legend").inner_text()
    for name in ("不正则化 · 训练", "权值衰减 · 验证", "Dropout · 训练"):  # the runs named in words
        assert name in legend, legend
    assert "none" not in legend and "weight_decay" not in legend, legend
    shoot(pg, "demo-result")

    # The shareable URL opens the same parameters and seed; starting it again joins the same run.
    pg.goto(shared_url)
    pg.wait_for_selector(".demo-form")
    assert pg.locator("#param-epochs").input_value() == str(EPOCHS)
    assert pg.locator("#demo-seed").input_value() == "7"
    pg.get_by_role("button", name="开始运行").click()
    pg.wait_for_function("() => document.querySelector('.run-status')?.dataset.status === 'done'")
    assert DemoRun.objects.filter(demo=DEMO).count() == 1

    # Back to the card from the demonstration's list of cards.
    back = pg.locator(f'.demo-cards a[href="/cards/{card_id}"]')
    assert back.count() == 1
    back.click()
    pg.wait_for_selector("#card-title")
    assert pg.url == f"{base}/cards/{card_id}"
    assert "Dropout 为什么能减轻过拟合" in pg.locator(".card-content").inner_text()
