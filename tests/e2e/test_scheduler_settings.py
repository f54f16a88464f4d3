"""Settings' memory model in a real Chromium: the last optimisation run (metrics, calibration plot,
parameters) of a learner whose simulated log was optimised, the retention advice chart beside the
retention control, the leech threshold; screenshots at phone and desktop width."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.e2e.conftest import shoot
from tests.e2e.test_app import PASSWORD, sign_in

pytestmark = pytest.mark.e2e


def test_settings_show_the_last_run_and_the_retention_advice(
    page: Any, app_server: str, small_deck: dict
) -> None:
    from dlquiz.accounts.services import user_create
    from dlquiz.scheduler.models import OptimizeRun
    from dlquiz.scheduler.services import optimize_execute, review_log_import
    from tests.dlquiz.scheduler.simlog import csv_text, simulate

    user = user_create(username="fsrs", password=PASSWORD, timezone="Asia/Shanghai", language="zh")
    review_log_import(
        user=user,
        name="sim.csv",
        data=csv_text(simulate(160, 7)).encode(),
        now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    run = optimize_execute(run_id=OptimizeRun.objects.create(user=user, trigger="command").pk)
    assert run.adopted, run.reason

    pg = page
    sign_in(pg, app_server, "fsrs")
    pg.get_by_role("link", name="设置").click()
    pg.wait_for_selector(".fsrs-metrics")
    assert "已采用" in pg.locator(".fsrs-run strong").inner_text()
    cells = pg.locator(".fsrs-metrics td").all_inner_texts()
    assert (
        cells[0] == f"{run.metrics_before['log_loss']:.4f}"
        and cells[1] == f"{run.metrics_after['log_loss']:.4f}"
    )
    assert pg.locator("#fsrs-calibration canvas").count() == 1
    assert "根据你的记录优化的参数" in pg.locator(".fsrs").inner_text()
    pg.get_by_role("button", name="帮我决定").click()
    pg.wait_for_selector("#retention-advice canvas")
    assert pg.get_by_label("遗忘多少次算“顽固卡”（自动暂停）").input_value() == "8"
    pg.locator(".fsrs-params summary").click()
    assert pg.locator(".fsrs-param-list li").count() == 21
    shoot(pg, "settings-fsrs")
