"""Settings' signed-in devices in a real Chromium: two devices signed in by token are listed; revoking one
(confirmed) removes it from the list and its token is refused (401) at once, the other still works;
screenshots at phone and desktop width."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import shoot
from tests.e2e.test_app import PASSWORD, sign_in

pytestmark = pytest.mark.e2e


def test_settings_list_the_devices_and_revoke_one(page: Any, app_server: str, small_deck: dict) -> None:
    import requests

    from dlquiz.accounts.services import user_create

    user_create(username="phones", password=PASSWORD, timezone="Asia/Shanghai", language="zh")
    tokens = {}
    for name in ("Pixel 9", "iPad"):
        resp = requests.post(
            f"{app_server}/api/v1/auth/token",
            json={"username": "phones", "password": PASSWORD, "device": name},
            timeout=10,
        )
        assert resp.status_code == 200, resp.text
        tokens[name] = resp.json()["token"]

    def me(token: str) -> int:
        return requests.get(
            f"{app_server}/api/v1/me", headers={"Authorization": f"Token {token}"}, timeout=10
        ).status_code

    pg = page
    sign_in(pg, app_server, "phones")
    pg.goto(f"{app_server}/settings")
    pg.wait_for_selector(".device-list li")
    items = pg.locator(".device-list li")
    assert items.count() == 2
    assert "iPad" in items.nth(0).inner_text() and "不会过期" in items.nth(0).inner_text()
    pg.locator(".devices").scroll_into_view_if_needed()
    shoot(pg, "settings-devices")
    pg.once("dialog", lambda d: d.accept())
    pg.get_by_role("button", name="撤销设备「Pixel 9」").click()
    pg.locator(".devices [role=status]").get_by_text("已撤销「Pixel 9」").wait_for()
    assert pg.locator(".device-list li").count() == 1
    assert "iPad" in pg.locator(".device-list li").inner_text()
    assert me(tokens["Pixel 9"]) == 401
    assert me(tokens["iPad"]) == 200
