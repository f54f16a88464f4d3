"""End-to-end tests: the built single-page app in a real headless Chromium (Playwright), against the app
served by Django on loopback (a Django test server, see ``app_server``) with a small deck in the test database.

They need /usr/bin/chromium and the built front end (frontend/dist; ``make test`` builds it). Outside CI
they skip when either is missing; under CI=true they never skip and fail loudly instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST_INDEX = ROOT / "frontend" / "dist" / "index.html"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
IN_CI = os.environ.get("CI") == "true"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def _missing() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} is missing (apt-get install chromium)")
    if not DIST_INDEX.is_file():
        missing.append("frontend/dist is not built (cd frontend && npm ci && npm run build, or make test)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package is missing (pip install -r requirements-dev.txt)")
    return missing


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing:
        if IN_CI:
            pytest.fail("end-to-end tests cannot run under CI=true: " + "; ".join(missing))
        pytest.skip(
            "end-to-end tests need a browser and the built front end: "
            + "; ".join(missing)
            + ". Provide them (or run under CI=true to make this a failure)."
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests' own ORM reads are synchronous
    # and safe, so Django's async-context guard is lifted while the browser module runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield b
            b.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="module")
def app_server(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The app (API, page view and static files) on a loopback port; its base URL.

    Like pytest-django's ``live_server``, except that with an in-memory SQLite test database (whose one
    connection every server thread would share) requests are served one at a time: concurrent
    transactions on a shared connection interleave. With PostgreSQL (CI) it serves requests in threads.
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIServer
    from django.db import connections
    from django.test.testcases import LiveServerThread
    from django.test.utils import modify_settings

    class SerialWSGIServer(WSGIServer):
        def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)

    with django_db_blocker.unblock():
        shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    for conn in shared.values():
        conn.inc_thread_sharing()

    class ServerThread(LiveServerThread):
        server_class = SerialWSGIServer if shared else ThreadedWSGIServer

    thread = ServerThread("localhost", StaticFilesHandler, connections_override=shared or None, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        with modify_settings(ALLOWED_HOSTS={"append": "localhost"}):
            yield f"http://localhost:{thread.port}"
    finally:
        thread.terminate()
        for conn in shared.values():
            conn.dec_thread_sharing()


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Any, app_server: str) -> Iterator[Any]:
    from django.core.cache import cache

    cache.clear()  # throttle counters (sign-in is rate-limited per address)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    # The app runs under its Content-Security-Policy (dlquiz.web.csp): whatever the policy blocks (an
    # inline script, a style, a font) Chromium reports on the console, and the test fails on it.
    pg.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    yield pg
    if request.node.stash.get(FAILED, False):  # what the page showed when the test failed
        out = ROOT / "test-artifacts" / "failures"
        out.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(out / f"{request.node.name}.png"), full_page=True)
        (out / f"{request.node.name}.html").write_text(pg.content(), encoding="utf-8")
    context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


def shoot(pg: Any, name: str) -> None:
    """Full-page screenshots of the current screen at phone (375 px) and desktop width; on the phone the
    page must not scroll sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = pg.viewport_size
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        pg.set_viewport_size(size)
        pg.wait_for_timeout(200)  # charts follow their container's width
        if label == "phone":
            overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name}: the page is {overflow}px wider than a 375px phone"
        pg.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    pg.set_viewport_size(before)


@pytest.fixture
def small_deck(transactional_db: None) -> dict[str, Any]:
    """A bundled deck: ten basic cards, two conv2d_output_size exercises, a cloze card and two more basic
    cards with distinct Chinese words to search for (introduced in that order)."""
    from dlquiz.decks.models import Card, Deck

    deck = Deck.objects.create(slug="e2e-conv", name="卷积测试", position=0)
    cards: list[Card] = []
    for i in range(10):
        cards.append(
            Card(
                uid=f"e2e.basic-{i}",
                deck=deck,
                kind="basic",
                position=i,
                tags=["basic"],
                topics=["000-0004"],
                front=f"第 {i} 题：标准卷积的参数量是多少？（$K={i + 1}$）",
                back=f"$K^2 C_{{in}} C_{{out}}$，这里 $K={i + 1}$。",
            )
        )
    for j in range(2):
        cards.append(
            Card(
                uid=f"e2e.ex-{j}",
                deck=deck,
                kind="exercise",
                family="conv2d_output_size",
                position=10 + j,
                tags=["exercise"],
                topics=["001-0304"],
                front="计算卷积层的输出尺寸",
                back=r"$\lfloor (H+2P-d(K-1)-1)/S\rfloor+1$",
            )
        )
    cards.append(
        Card(
            uid="e2e.cloze",
            deck=deck,
            kind="cloze",
            position=12,
            tags=["bias"],
            topics=["002-0446"],
            front="卷积层的 bias 按{{c1::输出通道}}设置，每个通道{{c2::一个::几个？}}标量。",
            back="bias 个数等于 $C_{out}$。",
        )
    )
    cards.append(
        Card(
            uid="e2e.pool",
            deck=deck,
            kind="basic",
            position=13,
            tags=["pool"],
            topics=["000-0017"],
            front="最大池化有可学习参数吗？",
            back="没有：池化只取窗口内的最大值。",
        )
    )
    cards.append(
        Card(
            uid="e2e.dw",
            deck=deck,
            kind="basic",
            position=14,
            tags=["depthwise"],
            topics=["000-0012"],
            front="深度可分离卷积由哪两步组成？",
            back="逐通道（depthwise）卷积加逐点（pointwise）$1\\times1$ 卷积。",
        )
    )
    Card.objects.bulk_create(cards)
    return {"deck": deck, "cards": list(deck.cards.order_by("position"))}
