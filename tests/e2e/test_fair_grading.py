"""Fair grading in the web app (issue #10, #15's near misses), in a real Chromium: each numeric input
states its precision, an answer with too few digits is a correction that costs nothing, and a mostly
right answer names the element that is off and suggests Hard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import shoot
from tests.e2e.test_app import sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def softmax_deck(transactional_db: None) -> None:
    from dlquiz.decks.models import Card, Deck

    deck = Deck.objects.create(slug="e2e-softmax", name="softmax 测试", position=0)
    Card.objects.create(
        uid="e2e.ex-softmax",
        deck=deck,
        kind="exercise",
        family="softmax",
        position=0,
        tags=["exercise"],
        topics=["001-0521"],
        front="计算 softmax",
        back="先减去最大值",
    )


def _answers(username: str) -> dict[str, list[float]]:
    from django.contrib.auth import get_user_model

    from dlquiz.exercises.models import ExerciseAttempt
    from dlquiz.exercises.services import attempt_variant

    user = get_user_model().objects.get(username=username)
    attempt = ExerciseAttempt.objects.get(user=user, review_number=0)
    return {k: list(v) for k, v in attempt_variant(attempt).answers.items()}


def _typed(values: list[float], digits: int) -> str:
    return ", ".join(f"{x:.{digits - 1}e}" for x in values)


def test_precision_imprecise_answer_and_near_miss(page: Any, app_server: str, softmax_deck: None) -> None:
    from dlquiz.study.models import ReviewLog

    pg = page
    pg.goto(f"{app_server}/")
    pg.wait_for_selector("#signin-title")
    sign_up(pg, app_server, "carol")
    pg.get_by_role("link", name="开始学习").click()
    pg.wait_for_selector(".card-face")
    pg.keyboard.press("Space")
    pg.wait_for_selector("#part-probs")
    assert (
        pg.locator("#part-probs-hint .precision").inner_text() == "保留 4 位有效数字（可写分数，可写百分数）"
    )
    assert "**作答要求**" not in pg.locator(".exercise-prompt").inner_text()
    assert "作答要求" in pg.locator(".exercise-prompt").inner_text()
    assert pg.locator("#part-probs").get_attribute("inputmode") == "text"
    answers = _answers("carol")

    # three significant digits where four are asked: no verdict, nothing recorded, the attempt stays open
    pg.locator("#part-shifted").fill(_typed(answers["shifted"], 4))
    pg.locator("#part-probs").fill(", ".join(f"{x:.3g}" for x in answers["probs"]))
    pg.keyboard.press("Enter")
    problem = pg.locator("#part-probs-problem")
    problem.wait_for()
    assert "不够精确" in problem.inner_text() and "4 位有效数字" in problem.inner_text()
    assert pg.get_by_text("这不计入评分").is_visible()
    assert ReviewLog.objects.count() == 0
    shoot(pg, "exercise-imprecise")

    # four digits, the third probability off: a near miss that names the element and suggests Hard
    probs = list(answers["probs"])
    probs[2] += 0.05
    pg.locator("#part-probs").fill(_typed(probs, 4))
    pg.keyboard.press("Enter")
    pg.wait_for_selector(".exercise-result")
    assert pg.locator(".near-miss").inner_text() == "差一点：大部分是对的"
    assert pg.locator("#part-probs-result .off").inner_text() == "第 3 个元素不对"
    assert pg.locator(".rate.suggested").get_attribute("data-rating") == "2"
    shoot(pg, "exercise-near-miss")
