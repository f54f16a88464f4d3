"""``/api/v1/docs``: Swagger UI served from the package (drf-spectacular-sidecar), no CDN and nothing inline,
so the app's Content-Security-Policy lets it run (the page renders in Chromium: tests/e2e/test_api_docs.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_docs_page_loads_only_files_of_our_own_origin():
    c = Client()
    resp = c.get("/api/v1/docs")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in resp["Content-Security-Policy"]
    html = resp.content.decode()
    assert "<style" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert len(scripts) == 3 and all('src="/' in attrs for attrs in scripts)  # no inline script
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    for url in urls:
        got = c.get(url)
        assert got.status_code == 200, url
        body = got.getvalue() if got.streaming else got.content
        assert len(body) > 0, url
    init = c.get("/api/v1/docs?script=")
    assert init["Content-Type"].startswith("application/javascript")
    assert '"/api/v1/schema"' in init.content.decode()
