"""The study session a learner expects (issue #15), in a real Chromium: a card rated Again comes back after
its step with time moved forward (the browser's clock and the server's), a new learner meets an exercise in
the first session, and a suspend is undone like a rating."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from tests.e2e.conftest import DESKTOP, shoot
from tests.e2e.test_app import current_card, eventually, sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _next_card(pg: Any, card: int) -> None:
    pg.wait_for_function(
        "(c) => document.querySelector('.card-face')?.dataset.cardId !== String(c)", arg=card
    )


def _left(pg: Any) -> int:
    return int(pg.locator(".study-count").inner_text().split("队列中")[1].split("张")[0])


def test_again_comes_back_after_its_step_with_time_moved_forward(
    page: Any, app_server: str, small_deck: dict
) -> None:
    from dlquiz.study.models import CardState, ReviewLog

    pg = page
    pg.clock.install()  # the page's Date and timers, moved forward below together with the server's clock
    sign_up(pg, app_server, "lena")
    pg.get_by_role("link", name="开始学习").click()
    pg.wait_for_selector(".card-face")
    first = current_card(pg)
    pg.keyboard.press("Space")
    pg.keyboard.press("1")  # Again: back in one minute (learning step 1 min)
    _next_card(pg, first)
    second = current_card(pg)
    eventually(lambda: ReviewLog.objects.filter(user__username="lena").count(), 1)
    due = CardState.objects.get(user__username="lena", card_id=first).due
    left = _left(pg)
    assert pg.locator(".study-count").inner_text().startswith("本次已复习 1 张")

    # 70 seconds later (server and page): the card's step is due; it is queued right after the card on screen
    with time_machine.travel(due + dt.timedelta(seconds=10), tick=True):
        pg.clock.fast_forward(70_000)
        pg.wait_for_function(
            "(n) => document.querySelector('.study-count')?.textContent.includes(`队列中 ${n} 张`)",
            arg=left + 1,
        )
        pg.keyboard.press("Space")
        pg.keyboard.press("3")
        _next_card(pg, second)
        assert current_card(pg) == first  # not after the 13 new cards still queued
        assert pg.locator(".study-head .badge").inner_text() == "学习中"
        shoot(pg, "study-learning-again")
        pg.keyboard.press("Space")
        pg.keyboard.press("3")
        _next_card(pg, first)
        eventually(lambda: ReviewLog.objects.filter(user__username="lena", card_id=first).count(), 2)


def test_end_screen_says_when_the_next_learning_cards_come(
    page: Any, app_server: str, small_deck: dict
) -> None:
    from dlquiz.decks.models import Card
    from dlquiz.study.models import StudySettings

    pg = page
    Card.objects.filter(deck=small_deck["deck"]).exclude(uid__in=["e2e.basic-0", "e2e.basic-1"]).update(
        retired=True
    )
    sign_up(pg, app_server, "mona")
    StudySettings.objects.filter(user__username="mona").update(learn_ahead_minutes=5)
    pg.get_by_role("link", name="开始学习").click()
    for _ in range(2):  # Good: both to their 10-minute step, beyond the 5-minute window
        pg.wait_for_selector(".card-face")
        card = current_card(pg)
        pg.keyboard.press("Space")
        pg.keyboard.press("3")
        _next_card(pg, card)
    pg.wait_for_selector(".finished")
    text = pg.locator('[data-testid="learning-later"]').inner_text()
    assert text.startswith("还有 2 张学习中的卡片，10分钟后到期") or text.startswith(
        "还有 2 张学习中的卡片，9分钟后到期"
    )
    shoot(pg, "study-learning-later")


def test_a_new_learner_meets_an_exercise_in_the_first_session(
    page: Any, app_server: str, small_deck: dict
) -> None:
    from dlquiz.decks.models import Card

    pg = page
    # The exercises share their topic with the second card: they are introduced right after it (the default
    # new-card order), not after the ten cards before them in the deck.
    Card.objects.filter(deck=small_deck["deck"], kind="exercise").update(topics=["000-0004"])
    Card.objects.filter(uid="e2e.basic-1").update(topics=["000-0004"])
    Card.objects.filter(uid="e2e.basic-0").update(topics=["000-0001"])
    sign_up(pg, app_server, "nina")
    pg.get_by_role("link", name="开始学习").click()
    kinds = []
    for _ in range(4):
        pg.wait_for_selector(".card-face")
        card = current_card(pg)
        kinds.append(Card.objects.get(pk=card).kind)
        if kinds[-1] == "exercise":
            pg.wait_for_selector("#part-out")
            shoot(pg, "study-first-exercise")
            break
        pg.keyboard.press("Space")
        pg.keyboard.press("3")
        _next_card(pg, card)
    assert kinds == ["basic", "basic", "exercise"]


def test_undo_of_a_suspend(page: Any, app_server: str, small_deck: dict) -> None:
    from dlquiz.study.models import CardState

    pg = page
    sign_up(pg, app_server, "olga")
    pg.get_by_role("link", name="开始学习").click()
    pg.wait_for_selector(".card-face")
    card = current_card(pg)
    pg.keyboard.press("s")
    _next_card(pg, card)
    eventually(lambda: CardState.objects.get(user__username="olga", card_id=card).suspended, True)
    pg.keyboard.press("u")
    pg.wait_for_function(
        "(c) => document.querySelector('.card-face')?.dataset.cardId === String(c)", arg=card
    )
    assert pg.locator(".flash").inner_text() == "已撤销暂停，卡片回到队列"
    assert CardState.objects.get(user__username="olga", card_id=card).suspended is False
    shoot(pg, "study-undo-suspend")


LONG_FORMULA = (
    r"$$\mathrm{FLOPs} = 2 \cdot H_{out} \cdot W_{out} \cdot C_{out} \cdot \left(\frac{C_{in}}{g} \cdot K_h \cdot "
    r"K_w + \mathbb{1}[\text{bias}]\right) + \sum_{l=1}^{L} \left(N_l \cdot \frac{H_l W_l}{S_l^2}\right) "
    r"+ \frac{\partial \mathcal{L}}{\partial W} \cdot \eta_t$$"
)


def test_dark_mode_and_a_long_formula_on_a_phone(browser: Any, app_server: str, small_deck: dict) -> None:
    from dlquiz.decks.models import Card
    from tests.e2e.conftest import PHONE, SCREENSHOTS

    Card.objects.filter(uid="e2e.basic-0").update(back=f"展开后的总计算量：\n\n{LONG_FORMULA}\n\n（含 bias）")
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        color_scheme="dark",
        has_touch=True,
        is_mobile=True,
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    # a touch screen without hover (Chromium's emulation of a phone; the context's flags alone leave hover on)
    context.new_cdp_session(pg).send(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "hover", "value": "none"}, {"name": "prefers-color-scheme", "value": "dark"}]},
    )
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_up(pg, app_server, "pia")
        # the system's dark scheme is followed; the switch picks light, then back to the system's
        assert pg.evaluate("document.documentElement.dataset.theme") == "dark"
        bg = pg.evaluate("getComputedStyle(document.documentElement).backgroundColor")
        assert bg == "rgb(15, 20, 25)"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # (the viewport only: a full-page screenshot resets Chromium's phone emulation, hover included)
        pg.screenshot(path=str(SCREENSHOTS / "dark-dashboard-phone.png"))
        pg.get_by_role("link", name="开始学习").tap()  # taps: a mouse click would turn hover back on
        pg.wait_for_selector(".card-face")
        # a touch screen: no keyboard hints
        assert not pg.locator(".keys-help").is_visible()
        pg.get_by_role("button", name="显示答案").tap()
        math = pg.locator(".answer .katex-display").first
        math.wait_for()
        scroll = pg.evaluate(
            "() => { const m = document.querySelector('.answer .katex-display');"
            " return [m.scrollWidth, m.clientWidth, getComputedStyle(m).overflowX]; }"
        )
        assert scroll[0] > scroll[1] and scroll[2] == "auto"  # it scrolls inside its block
        overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0  # the page itself does not scroll sideways
        pg.screenshot(path=str(SCREENSHOTS / "dark-long-formula-phone.png"), full_page=True)
        pg.locator(".theme-switch").tap()  # system -> dark (explicit)
        pg.locator(".theme-switch").tap()  # dark -> light
        assert pg.evaluate("document.documentElement.dataset.theme") == "light"
        pg.screenshot(path=str(SCREENSHOTS / "light-long-formula-phone.png"), full_page=True)
        assert pg.evaluate("localStorage.getItem('dlquiz.theme')") == "light"
    finally:
        context.close()
    assert errors == []


def test_first_visit_in_the_browsers_language_and_time_zone(
    browser: Any, app_server: str, small_deck: dict
) -> None:
    from dlquiz.study.models import StudySettings
    from tests.e2e.test_app import PASSWORD

    context = browser.new_context(viewport=DESKTOP, locale="en-US", timezone_id="America/Los_Angeles")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        pg.goto(f"{app_server}/signup")
        pg.get_by_label("Username").fill("quinn")  # an English browser: the interface is in English
        pg.get_by_label("Password", exact=True).fill(PASSWORD)
        pg.get_by_role("button", name="Sign up").click()
        pg.wait_for_selector(".stats")
        prefs = StudySettings.objects.get(user__username="quinn")
        assert (prefs.timezone, prefs.language) == ("America/Los_Angeles", "en")
        welcome = pg.locator('[data-testid="welcome"]')
        text = welcome.inner_text()
        assert "Again" in text and "exercises" in text and "Settings" in text
        shoot(pg, "first-visit")
        welcome.get_by_role("button", name="Got it").click()
        assert welcome.count() == 0
        pg.reload()
        pg.wait_for_selector(".stats")
        assert pg.locator('[data-testid="welcome"]').count() == 0
    finally:
        context.close()
    assert errors == []


def test_search_with_synonyms_and_syntax(page: Any, app_server: str, small_deck: dict) -> None:
    pg = page
    sign_up(pg, app_server, "rita")
    pg.get_by_role("link", name="浏览").click()
    pg.wait_for_selector(".result")
    box = pg.get_by_label("搜索问题和答案")
    # "maxpool" is not in any card: its synonym 最大池化 (content/synonyms.txt) is, marked in the result
    box.fill("maxpool")
    pg.wait_for_function("() => document.querySelectorAll('.result').length === 1")
    pg.wait_for_selector(".result mark.hit")
    assert pg.locator(".result mark.hit").first.inner_text() == "最大池化"
    shoot(pg, "search-synonym")
    # syntax: the exercises only
    box.fill("kind:exercise")
    pg.wait_for_function("() => document.querySelectorAll('.result').length === 2")
    assert pg.locator(".result-count").inner_text() == "共 2 张卡片"
    # a word and a tag: 卷积 is in many cards, the depthwise tag in one
    box.fill("卷积 tag:depthwise")
    pg.wait_for_function("() => document.querySelectorAll('.result').length === 1")
    assert "深度可分离" in pg.locator(".result").inner_text()
    # nothing is suspended yet
    box.fill("is:suspended")
    pg.wait_for_function("() => document.querySelector('.result-count')?.textContent.includes('没有')")
    # the tag picker is searchable: typing narrows its list, and a single match is picked at once
    box.fill("")
    pg.wait_for_function("() => document.querySelectorAll('.result').length > 2")
    pg.locator("#browse-tag-find").fill("depthw")
    pg.wait_for_function("() => document.querySelector('#browse-tag').value === 'depthwise'")
    assert pg.locator("#browse-tag option").count() == 2  # "all" and the one match
    pg.wait_for_function("() => document.querySelectorAll('.result').length === 1")
    shoot(pg, "search-tag-picker")


def test_custom_study_of_one_deck_and_exercises_only(page: Any, app_server: str, small_deck: dict) -> None:
    from dlquiz.decks.models import Card, Deck

    other = Deck.objects.create(slug="e2e-other", name="另一个卡组", position=1)
    Card.objects.bulk_create(
        [
            Card(
                uid=f"e2e.other-{i}",
                deck=other,
                kind="basic",
                position=100 + i,
                front=f"另一组第 {i} 题",
                back="答",
            )
            for i in range(3)
        ]
    )
    other_ids = set(Card.objects.filter(deck=other).values_list("id", flat=True))
    pg = page
    sign_up(pg, app_server, "sara")
    pg.locator('tr[data-deck="e2e-other"] .deck-study').click()  # the deck list: study this deck
    pg.wait_for_selector('[data-testid="scope-note"]')
    seen = []
    for _ in range(3):
        pg.wait_for_selector(".card-face")
        card = current_card(pg)
        seen.append(card)
        pg.keyboard.press("Space")
        pg.keyboard.press("4")
        _next_card(pg, card)
    pg.wait_for_selector(".finished")
    assert set(seen) == other_ids  # the other deck's three cards, nothing from the first deck
    shoot(pg, "custom-study-deck-done")
    # the dashboard's "exercises only": the two exercises of the first deck
    pg.get_by_role("link", name="返回概览").click()
    pg.wait_for_selector(".stats")
    pg.locator('[data-testid="study-exercises"]').click()
    pg.wait_for_selector("#part-out")
    assert Card.objects.get(pk=current_card(pg)).kind == "exercise"
    assert _left(pg) == 2
    # Practice is in the navigation and takes the same choices
    pg.get_by_role("link", name="练习", exact=True).click()
    pg.wait_for_selector("#practice-title")
    pg.locator("details.scope summary").click()
    pg.get_by_label("卡组", exact=True).select_option(label="另一个卡组")
    pg.get_by_role("button", name="开始练习").click()
    pg.wait_for_function("() => location.search.includes('deck=')")
    pg.wait_for_selector(".card-face")
    assert current_card(pg) in other_ids


def test_per_deck_limit_and_new_card_order_in_settings(page: Any, app_server: str, small_deck: dict) -> None:
    from dlquiz.decks.models import Deck
    from dlquiz.study.models import StudySettings

    other = Deck.objects.create(slug="e2e-more", name="更多卡片", position=1)
    pg = page
    sign_up(pg, app_server, "tina")
    pg.get_by_role("link", name="设置").click()
    limit = f"#deck-limit-{small_deck['deck'].id}"
    pg.wait_for_selector(limit)
    pg.locator(limit).fill("3")
    pg.locator(f"#deck-review-limit-{small_deck['deck'].id}").fill("40")
    pg.locator("#new_card_order").select_option("mixed")
    pg.locator("#learn_ahead_minutes").fill("5")
    shoot(pg, "settings-session")
    pg.get_by_role("button", name="保存", exact=True).click()
    pg.wait_for_selector("text=设置已保存")
    prefs = StudySettings.objects.get(user__username="tina")
    assert prefs.deck_new_limits == {str(small_deck["deck"].id): 3}
    assert prefs.deck_review_limits == {str(small_deck["deck"].id): 40}
    assert (prefs.new_card_order, prefs.learn_ahead_minutes) == ("mixed", 5)
    assert str(other.id) not in prefs.deck_new_limits
