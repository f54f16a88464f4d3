"""The learner's main paths through the single-page app, in a real Chromium."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import shoot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
PASSWORD = "kernel-stride-padding-42"


def eventually(read: Callable[[], Any], expected: Any, timeout: float = 10.0) -> None:
    """The server catches up: the app shows the next card before the review it sent is saved."""
    deadline = time.monotonic() + timeout
    while (value := read()) != expected:
        assert time.monotonic() < deadline, f"still {value!r}, expected {expected!r}"
        time.sleep(0.05)


def stat(pg: Any, name: str) -> str:
    return pg.locator(f'[data-stat="{name}"] dd').inner_text().strip()


def current_card(pg: Any) -> int:
    return int(pg.locator(".card-face").get_attribute("data-card-id"))


def sign_up(pg: Any, base: str, username: str) -> None:
    pg.goto(f"{base}/signup")
    pg.get_by_label("用户名").fill(username)
    pg.get_by_label("密码", exact=True).fill(PASSWORD)
    shoot(pg, "signup")
    pg.get_by_role("button", name="注册").click()
    pg.wait_for_selector(".stats")


def expected_answer(username: str, card_id: int) -> int:
    from django.contrib.auth import get_user_model

    from dlquiz.exercises.models import ExerciseAttempt
    from dlquiz.exercises.services import attempt_variant

    user = get_user_model().objects.get(username=username)
    attempt = ExerciseAttempt.objects.get(user=user, card_id=card_id, review_number=0)
    return int(attempt_variant(attempt).answers["out"])


def test_sign_up_study_exercises_undo_and_dashboard(page: Any, app_server: str, small_deck: dict) -> None:
    from dlquiz.study.models import ReviewLog

    base = app_server
    pg = page
    pg.goto(f"{base}/")
    pg.wait_for_selector("#signin-title")
    shoot(pg, "signin")
    sign_up(pg, base, "alice")
    # This session ends after its 15 cards: no learning ahead (test_session.py shows learning cards coming
    # back when due and early when nothing else is left).
    from dlquiz.study.models import StudySettings

    StudySettings.objects.filter(user__username="alice").update(learn_ahead_minutes=0)

    # A new learner: everything is new, nothing reviewed yet.
    assert stat(pg, "new") == "15"
    assert stat(pg, "reviewed") == "0"
    assert pg.locator('tr[data-deck="e2e-conv"] td[data-col="new"]').inner_text() == "15"
    shoot(pg, "dashboard-empty")

    pg.get_by_role("link", name="开始学习").click()
    pg.wait_for_selector(".card-face")
    shoot(pg, "study-front")

    # Ten cards with the keyboard; revealing the answer moves nothing on the page.
    seen = []
    for i, rating in enumerate([3, 4, 2, 3, 3, 4, 2, 3, 3, 3]):
        card = current_card(pg)
        seen.append(card)
        assert not pg.locator(".answer").is_visible()
        before = pg.locator(".answer-bar").bounding_box()
        front_before = pg.locator(".card-face .front").bounding_box()
        pg.keyboard.press("Space" if i % 2 == 0 else "Enter")
        pg.wait_for_selector(".ratings")
        assert pg.locator(".answer").is_visible()
        assert pg.locator(".answer-bar").bounding_box() == before
        assert pg.locator(".card-face .front").bounding_box() == front_before
        # Each button shows the interval its rating gives.
        assert re.fullmatch(
            r"\d+(\.\d)?(分钟|小时|天|个月|年)", pg.locator(".rate-3 .rate-interval").inner_text()
        )
        if i == 0:
            shoot(pg, "study-revealed")
        pg.keyboard.press(str(rating))
        pg.wait_for_function(
            "(c) => document.querySelector('.card-face')?.dataset.cardId !== String(c)", arg=card
        )
    assert len(set(seen)) == 10
    assert pg.locator(".study-count").inner_text().startswith("本次已复习 10 张")

    # Undo: the last card comes back; its review is gone from the server.
    eventually(lambda: ReviewLog.objects.filter(user__username="alice").count(), 10)
    pg.keyboard.press("u")
    pg.wait_for_function(
        "(c) => document.querySelector('.card-face')?.dataset.cardId === String(c)", arg=seen[-1]
    )
    assert pg.locator(".study-count").inner_text().startswith("本次已复习 9 张")
    assert ReviewLog.objects.filter(user__username="alice").count() == 9
    pg.keyboard.press("Space")
    pg.keyboard.press("3")

    # Exercise 1: an unreadable answer is explained and costs nothing; then the right answer.
    pg.wait_for_selector("#part-out")
    ex1 = current_card(pg)
    pg.keyboard.press("Space")  # into the answer box, by keyboard
    assert pg.evaluate("document.activeElement.id") == "part-out"
    pg.keyboard.type("五十九")
    pg.keyboard.press("Enter")
    problem = pg.locator("#part-out-problem")
    problem.wait_for()
    assert "无法读取" in problem.inner_text()
    assert pg.get_by_text("这不计入评分").is_visible()
    assert pg.locator("#part-out").get_attribute("aria-invalid") == "true"
    assert ReviewLog.objects.filter(user__username="alice", card_id=ex1).count() == 0
    shoot(pg, "exercise-unreadable")
    right = expected_answer("alice", ex1)
    pg.locator("#part-out").fill(str(right))
    pg.keyboard.press("Enter")
    pg.wait_for_selector(".exercise-result")
    assert pg.locator(".verdict").inner_text().startswith("全部正确")
    assert f"读作 {right}" in pg.locator("#part-out-result").inner_text()
    assert pg.locator(".solution .katex").count() > 0
    assert pg.locator(".rate.suggested").get_attribute("data-rating") == "3"
    shoot(pg, "exercise-right")
    pg.keyboard.press("Enter")  # the suggested rating has the focus
    pg.wait_for_function("(c) => document.querySelector('.card-face')?.dataset.cardId !== String(c)", arg=ex1)
    eventually(lambda: list(ReviewLog.objects.filter(card_id=ex1).values_list("rating", flat=True)), [3])

    # Exercise 2: a wrong answer shows what was read, the expected value and the worked solution; the
    # learner changes the suggested rating (Again) to Hard.
    pg.wait_for_selector("#part-out")
    ex2 = current_card(pg)
    right = expected_answer("alice", ex2)
    pg.locator("#part-out").fill(f"{right + 1}")
    pg.keyboard.press("Enter")
    pg.wait_for_selector(".exercise-result")
    verdict = pg.locator("#part-out-result").inner_text()
    assert "不正确" in verdict and f"读作 {right + 1}" in verdict and f"正确答案 {right}" in verdict
    assert pg.locator(".rate.suggested").get_attribute("data-rating") == "1"
    shoot(pg, "exercise-wrong")
    pg.locator(".rate-2").click()
    pg.wait_for_function("(c) => document.querySelector('.card-face')?.dataset.cardId !== String(c)", arg=ex2)
    eventually(lambda: list(ReviewLog.objects.filter(card_id=ex2).values_list("rating", flat=True)), [2])

    # The cloze card: hidden until revealed (hint shown), then revealed in the answer area.
    front = pg.locator(".card-face .front")
    assert "[…]" in front.inner_text() and "[几个？]" in front.inner_text()
    assert "输出通道" not in front.inner_text()
    pg.keyboard.press("Space")
    assert pg.locator(".answer mark.cloze-shown").first.inner_text() == "输出通道"
    pg.keyboard.press("4")

    for _ in range(2):
        pg.wait_for_selector(".card-face")
        pg.keyboard.press("Space")
        pg.keyboard.press("3")
    pg.wait_for_selector(".finished")
    assert pg.get_by_role("heading", name="本次学习完成").is_visible()
    assert pg.locator('[data-testid="summary-count"]').inner_text() == "15"
    shoot(pg, "study-summary")

    # Every review went out with a fresh client_review_id and the time spent on the card.
    eventually(lambda: ReviewLog.objects.filter(user__username="alice").count(), 15)
    logs = list(ReviewLog.objects.filter(user__username="alice"))
    assert all(UUID_RE.match(log.client_review_id) for log in logs)
    assert len({log.client_review_id for log in logs}) == 15
    assert all(log.duration_ms is not None and log.duration_ms >= 0 for log in logs)

    # Nothing due now: the study screen offers new cards or practice.
    pg.get_by_role("link", name="返回概览").click()
    pg.wait_for_selector(".stats")
    assert stat(pg, "reviewed") == "15"
    assert stat(pg, "new") == "0"
    assert pg.locator('tr[data-deck="e2e-conv"] td[data-col="new"]').inner_text() == "0"
    # the charts and the heat map's cells are drawn in tasks of their own, after the screen has painted
    pg.wait_for_selector("#forecast-chart canvas")
    pg.wait_for_selector(".heatmap rect")
    assert pg.locator("#heat-title").is_visible() and pg.locator("#forecast-chart canvas").count() == 1
    assert pg.locator(".heatmap rect[data-count='15']").count() == 1
    shoot(pg, "dashboard")
    pg.get_by_role("link", name="学习", exact=True).click()
    pg.wait_for_selector(".finished")
    assert pg.get_by_role("heading", name="现在没有到期的卡片").is_visible()
    assert pg.get_by_role("button", name=re.compile("再学 10 张新卡")).is_visible()
    shoot(pg, "study-nothing-due")
    pg.get_by_role("link", name="练习模式").click()
    pg.wait_for_selector("#practice-title")
    pg.wait_for_selector(".card-face")
    shoot(pg, "practice")


def _learner_with_history(username: str) -> int:
    """A learner (Chinese interface) who has reviewed the depthwise card once; returns that card's id."""
    import uuid

    from django.utils import timezone

    from dlquiz.accounts.services import user_create
    from dlquiz.decks.models import Card
    from dlquiz.study.services import review_submit

    user = user_create(username=username, password=PASSWORD, timezone="Asia/Shanghai", language="zh")
    card = Card.objects.get(uid="e2e.dw")
    review_submit(
        user=user,
        card_id=card.pk,
        rating=3,
        client_review_id=str(uuid.uuid4()),
        now=timezone.now(),
        duration_ms=4200,
    )
    review_submit(
        user=user,
        card_id=card.pk,
        rating=3,
        client_review_id=str(uuid.uuid4()),
        now=timezone.now() + timezone.timedelta(minutes=11),
        duration_ms=3100,
    )
    return card.pk


def sign_in(pg: Any, base: str, username: str, password: str = PASSWORD) -> None:
    pg.goto(f"{base}/login")
    pg.get_by_label("用户名").fill(username)
    pg.get_by_label("密码").fill(password)
    pg.get_by_role("button", name="登录").click()
    pg.wait_for_selector(".stats")


def test_browse_search_card_page_settings_and_language(page: Any, app_server: str, small_deck: dict) -> None:
    from django.contrib.auth import get_user_model

    from dlquiz.study.models import CardState, StudySettings

    base = app_server
    pg = page
    dw = _learner_with_history("bob")
    sign_in(pg, base, "bob")

    # Full-text search over fronts and backs, Chinese included.
    pg.get_by_role("link", name="浏览").click()
    pg.wait_for_selector(".result")
    assert pg.locator(".result-count").inner_text() == "共 15 张卡片"
    pg.get_by_label("搜索问题和答案").fill("池化")
    pg.wait_for_function("() => document.querySelectorAll('.result').length === 1")
    assert "最大池化" in pg.locator(".result").inner_text()
    pg.get_by_label("搜索问题和答案").fill("pointwise")  # only in the back
    pg.wait_for_function("() => document.querySelector('.result-front')?.textContent.includes('深度可分离')")
    assert pg.locator(".result").count() == 1
    pg.get_by_label("搜索问题和答案").fill("")
    pg.wait_for_function("() => document.querySelectorAll('.result').length === 15")
    # Filters: state, tag, deck, topic.
    pg.get_by_label("状态").select_option("review")
    pg.wait_for_function("() => document.querySelectorAll('.result').length === 1")
    pg.get_by_label("状态").select_option("new")
    pg.wait_for_function("() => document.querySelectorAll('.result').length === 14")
    pg.get_by_label("标签", exact=True).select_option("exercise")
    pg.wait_for_function("() => document.querySelectorAll('.result').length === 2")
    assert "status" in pg.url or "tag=exercise" in pg.url
    pg.get_by_role("button", name="清除筛选").click()
    pg.wait_for_function("() => document.querySelectorAll('.result').length === 15")
    pg.get_by_label("主题", exact=True).select_option("000-0012")
    pg.wait_for_function("() => document.querySelectorAll('.result').length === 1")
    shoot(pg, "browse")

    # The card page: its review history and forgetting curve.
    pg.locator(".result-link").first.click()
    pg.wait_for_selector("#card-title")
    assert pg.url.endswith(f"/cards/{dw}")
    assert pg.locator("table.history tbody tr").count() == 2
    assert pg.locator("#curve-chart canvas").count() == 1
    assert pg.locator('[data-testid="card-state"]').inner_text() in ("复习", "学习中")
    shoot(pg, "card")

    # Settings: retention, limits, steps; saved to the learner's settings.
    pg.get_by_role("link", name="设置").click()
    pg.wait_for_selector("#desired_retention")
    assert pg.get_by_text("0.90 → 0.95").is_visible()
    pg.get_by_label("目标保持率").fill("0.85")
    pg.get_by_label("每天新卡数").fill("7")
    pg.get_by_label("学习步长（分钟，用空格分隔）").fill("2 15")
    pg.get_by_label("每天从几点开始（0–23）").fill("5")
    pg.get_by_label("提醒时间").fill("20:30")
    pg.get_by_label("有卡片到期时发邮件提醒").uncheck()
    pg.get_by_label("学习步长（分钟，用空格分隔）").press("Enter")
    pg.get_by_text("设置已保存").wait_for()
    prefs = StudySettings.objects.get(user__username="bob")
    assert (prefs.desired_retention, prefs.new_per_day, prefs.learning_steps, prefs.day_start_hour) == (
        0.85,
        7,
        [2, 15],
        5,
    )
    assert prefs.reminder_time.strftime("%H:%M") == "20:30" and prefs.email_reminders is False
    # A bad value is explained next to its field and nothing is saved.
    pg.get_by_label("学习步长（分钟，用空格分隔）").fill("2 abc")
    pg.get_by_role("button", name="保存").click()
    pg.locator("#learning_steps-error").wait_for()
    assert StudySettings.objects.get(user__username="bob").learning_steps == [2, 15]
    pg.get_by_label("学习步长（分钟，用空格分隔）").fill("2 15")
    shoot(pg, "settings")

    # Switch the interface to English: every string changes, the choice is stored in the settings and
    # in localStorage, and it survives a reload.
    pg.get_by_role("button", name="切换界面语言为 English").click()
    pg.get_by_role("heading", name="Settings").wait_for()
    body = pg.locator("body").inner_text()
    assert "Desired retention" in body and "Sign out" in body
    chrome = pg.locator(  # the per-deck limits are labelled by deck names: content, not interface
        "header, form.settings-form label:not(.deck-limits label), form.settings-form legend, .form-actions"
    ).all_inner_texts()
    assert not re.search(r"[\u4e00-\u9fff]", " ".join(chrome).replace("中文", "")), chrome
    assert pg.evaluate("localStorage.getItem('dlquiz.lang')") == "en"
    pg.wait_for_function("() => document.documentElement.lang === 'en'")
    eventually(lambda: StudySettings.objects.get(user__username="bob").language, "en")
    pg.reload()
    pg.get_by_role("heading", name="Settings").wait_for()
    shoot(pg, "settings-en")
    pg.get_by_role("link", name="Dashboard").click()
    pg.get_by_text("Reviews, last 365 days").wait_for()
    shoot(pg, "dashboard-en")

    # Password change, sign out, sign in with the new password.
    pg.goto(f"{base}/password")
    pg.get_by_label("Current password").fill(PASSWORD)
    pg.get_by_label("New password", exact=True).fill("a-much-newer-passphrase-7")
    pg.get_by_label("Repeat the new password").fill("a-much-newer-passphrase-7")
    pg.get_by_role("button", name="Change password").click()
    pg.get_by_text("Password changed").wait_for()
    shoot(pg, "password")
    pg.get_by_role("button", name="Sign out").click()
    pg.get_by_role("heading", name="Sign in").wait_for()
    pg.get_by_label("Username").fill("bob")
    pg.get_by_label("Password").fill(PASSWORD)
    pg.get_by_role("button", name="Sign in").click()
    pg.get_by_text("Wrong username or password").wait_for()
    pg.get_by_label("Password").fill("a-much-newer-passphrase-7")
    pg.get_by_role("button", name="Sign in").click()
    pg.get_by_role("heading", name="Dashboard").wait_for()
    assert get_user_model().objects.get(username="bob").check_password("a-much-newer-passphrase-7")

    # Suspend (S) and bury (B) from the study screen, in English now.
    pg.get_by_role("link", name="Study", exact=True).click()
    pg.wait_for_selector(".card-face")
    assert pg.get_by_role("button", name="Show answer").is_visible()
    shoot(pg, "study-en")
    first = current_card(pg)
    pg.keyboard.press("s")
    pg.wait_for_function(
        "(c) => document.querySelector('.card-face')?.dataset.cardId !== String(c)", arg=first
    )
    pg.get_by_text("Card suspended").wait_for()
    second = current_card(pg)
    pg.keyboard.press("b")
    pg.wait_for_function(
        "(c) => document.querySelector('.card-face')?.dataset.cardId !== String(c)", arg=second
    )
    pg.get_by_text("Card buried until tomorrow").wait_for()
    eventually(lambda: CardState.objects.get(user__username="bob", card_id=first).suspended, True)
    eventually(
        lambda: CardState.objects.get(user__username="bob", card_id=second).buried_until is not None, True
    )
