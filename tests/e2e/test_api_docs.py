"""The API's docs page (``/api/v1/docs``, Swagger UI from drf-spectacular-sidecar) renders in a real Chromium
under the app's Content-Security-Policy: the ``page`` fixture fails the test on any CSP report."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_every_operation_under_the_csp(page: Any, app_server: str) -> None:
    pg = page
    pg.goto(f"{app_server}/api/v1/docs")
    pg.wait_for_selector(".swagger-ui .info .title")
    assert "dlquiz API" in pg.locator(".swagger-ui .info .title").inner_text()
    for path in ("/api/v1/auth/tokens", "/api/v1/auth/token", "/api/v1/reviews"):
        assert pg.locator(f'.opblock-summary-path[data-path="{path}"]').count() >= 1, path
    pg.locator('.opblock-summary-path[data-path="/api/v1/auth/tokens"]').first.click()
    pg.wait_for_selector(".opblock.is-open .responses-wrapper")
    pg.locator(".opblock.is-open").first.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        pg.set_viewport_size(size)
        pg.wait_for_timeout(200)
        pg.screenshot(path=str(SCREENSHOTS / f"api-docs-{label}.png"), full_page=False)
