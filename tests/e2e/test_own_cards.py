"""A learner's own cards in a real Chromium: a new deck, a card written with its live preview and
check_content's messages, studied through the study screen; HTML and script in a card stay inert text;
notes imported from an uploaded Markdown file (preview, then create)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import shoot
from tests.e2e.test_app import eventually, sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

XSS_FRONT = '前 <img src=x onerror="window.__xss=1;alert(1)"> 中 <script>window.__xss2=1;alert(2)</script> 后'


def _new_deck(pg: Any, base: str, name: str) -> None:
    pg.goto(f"{base}/my")
    pg.get_by_label("新卡组的名称").fill(name)
    pg.get_by_role("button", name="创建卡组").click()
    pg.wait_for_selector(f"h1:has-text('{name}')")


def test_learner_writes_a_card_with_preview_and_checks_then_studies_it(page: Any, app_server: str) -> None:
    from dlquiz.study.models import ReviewLog

    pg, base = page, app_server
    sign_up(pg, base, "author1")
    pg.get_by_role("link", name="我的卡组").click()
    pg.wait_for_selector("h1:has-text('我的卡组')")
    shoot(pg, "my-decks-empty")
    _new_deck(pg, base, "我的笔记")
    pg.get_by_role("link", name="添加卡片").click()
    pg.wait_for_selector("#card-front")

    # a formula KaTeX cannot parse: the server's message appears next to the front, nothing is saved
    pg.locator("#card-front").fill(r"sigmoid 的导数是什么？$\frac{1}{$")
    pg.locator("#card-back").fill(r"$\sigma'(x)=\sigma(x)(1-\sigma(x))$")
    pg.wait_for_selector("#card-front-error")
    assert "KaTeX cannot parse" in pg.locator("#card-front-error").inner_text()
    shoot(pg, "my-card-editor-error")
    pg.get_by_role("button", name="保存卡片").click()
    pg.wait_for_timeout(300)
    assert pg.url.endswith("/new")  # refused: still on the editor

    # fixed: the preview shows the formula rendered by KaTeX, the check reports nothing
    pg.locator("#card-front").fill(r"sigmoid 的导数 $\sigma'(x)$ 是什么？")
    pg.wait_for_selector("text=没有发现问题")
    assert pg.locator(".editor-preview .card-face .front .katex").count() == 1
    assert pg.locator(".editor-preview .back .katex").count() == 1
    assert pg.locator("#card-front-error").count() == 0
    shoot(pg, "my-card-editor")
    pg.get_by_role("button", name="保存卡片").click()
    pg.wait_for_selector(".own-cards li")
    assert "sigmoid 的导数" in pg.locator(".own-cards li").first.inner_text()
    shoot(pg, "my-deck")

    # studied through the ordinary study screen
    pg.get_by_role("link", name="学习", exact=True).click()
    pg.wait_for_selector(".card-face")
    assert "sigmoid 的导数" in pg.locator(".card-face .front").inner_text()
    pg.get_by_role("button", name="显示答案").click()
    pg.locator(".rate-3").click()  # Good
    eventually(lambda: ReviewLog.objects.filter(user__username="author1").count(), 1)
    log = ReviewLog.objects.get(user__username="author1")
    assert (log.card.front, log.rating) == (r"sigmoid 的导数 $\sigma'(x)$ 是什么？", 3)


def test_html_and_script_in_a_card_stay_text(page: Any, app_server: str) -> None:
    pg, base = page, app_server
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_up(pg, base, "author2")
    _new_deck(pg, base, "危险的卡片")
    pg.get_by_role("link", name="添加卡片").click()
    pg.locator("#card-front").fill(XSS_FRONT)
    pg.locator("#card-back").fill("<b onmouseover=alert(3)>粗</b> <iframe src=javascript:alert(4)></iframe>")
    pg.wait_for_selector("text=没有发现问题")

    def inert(where: str) -> None:
        root = pg.locator(where).first
        assert root.locator("img, script, iframe, b").count() == 0, where
        text = root.inner_text()
        assert "<img src=x onerror=" in text and "<script>" in text, text
        assert pg.evaluate("[window.__xss, window.__xss2]") == [None, None]

    inert(".editor-preview .card-face")
    pg.get_by_role("button", name="保存卡片").click()
    pg.wait_for_selector(".own-cards li")
    inert(".own-cards li")
    pg.get_by_role("link", name="学习", exact=True).click()
    pg.wait_for_selector(".card-face")
    inert(".card-face")
    pg.get_by_role("button", name="显示答案").click()
    assert "<b onmouseover=alert(3)>粗</b>" in pg.locator(".card-face .back").inner_text()
    assert pg.locator(".card-face .back b, .card-face .back iframe").count() == 0
    shoot(pg, "my-card-xss-studied")
    assert dialogs == []


def test_notes_import_preview_then_create(page: Any, app_server: str, tmp_path) -> None:
    from dlquiz.decks.models import Card

    pg, base = page, app_server
    sign_up(pg, base, "author3")
    note = tmp_path / "bn.md"
    note.write_text(
        "# BN\n\n## 1. BN 做了什么？\n按批归一化：$\\hat x=\\frac{x-\\mu}{\\sigma}$。\n", encoding="utf-8"
    )
    pg.goto(f"{base}/my/import")
    pg.get_by_label("放入卡组（没有则新建）").fill("BN 笔记")
    pg.locator("#import-files").set_input_files(str(note))
    pg.get_by_role("button", name="预览卡片").click()
    pg.wait_for_selector(".import-plan li")
    assert pg.locator(".import-plan li").count() == 1
    assert pg.locator(".import-plan li .katex").count() == 1
    assert Card.objects.filter(deck__owner__username="author3").count() == 0  # a preview writes nothing
    shoot(pg, "my-notes-import-preview")
    pg.get_by_role("button", name="创建这些卡片").click()
    pg.get_by_role("link", name="打开卡组").click()
    pg.wait_for_selector(".own-cards li")
    assert "BN 做了什么" in pg.locator(".own-cards li").first.inner_text()
    assert Card.objects.filter(deck__owner__username="author3", draft=True).count() == 1
