"""Browser security policies: the Content-Security-Policy the app passes (scripts only from our origin),
and in production HTTPS only (redirect, HSTS) with ``manage.py check --deploy`` clean."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.conftest import IN_CI

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
PRODUCTION = {
    "DLQUIZ_ENV": "production",
    "SECRET_KEY": "q8Vz-3nR!tK7wLp2@xF9cYh4$mJ6bN1sD5gA0eU*iO-rT8yW3kQ7vZ2pL9xC4nB6",
    "DATABASE_URL": "postgres://u@db:5432/x",
    "REDIS_URL": "redis://cache:6379/0",
    "ALLOWED_HOSTS": "dlquiz.example",
}


def _policy(header: str) -> dict[str, list[str]]:
    out = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        out[name] = values
    return out


def test_every_response_carries_a_policy_that_allows_scripts_only_from_our_origin():
    c = Client()
    for path in ("/study", "/api/v1/ping", "/admin/login/"):
        policy = _policy(c.get(path)["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], path
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'self'"]
        # KaTeX's fonts and style sheet come from our origin, its markup carries style attributes.
        assert policy["font-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert policy["style-src-attr"] == ["'unsafe-inline'"]


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline: list[str] = []
        self.handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data)


def test_the_built_app_page_runs_under_the_policy():
    """The page the app serves (the built index.html plus the meta tag the view injects) loads its
    scripts from our origin only: no inline script, no inline event handler, nothing from elsewhere."""
    if not (django_settings.FRONTEND_DIST / "index.html").is_file():
        if IN_CI:
            pytest.fail("frontend/dist is not built; CI builds it before the tests")
        pytest.skip("frontend/dist is not built (cd frontend && npm run build)")
    page = Client().get("/study")
    assert page.status_code == 200
    parser = _Scripts()
    parser.feed(page.content.decode())
    assert parser.scripts, "the built page loads the app's script"
    assert parser.inline == [] and parser.handlers == []
    for script in parser.scripts:
        assert (script.get("src") or "").startswith("/static/"), script
    # Style sheets (KaTeX's included) and fonts are bundled under our origin too.
    for href in re.findall(r'<link[^>]+href="([^"]+)"', page.content.decode()):
        assert href.startswith("/static/"), href
    css = "".join(
        p.read_text(encoding="utf-8") for p in (django_settings.FRONTEND_DIST / "assets").glob("*.css")
    )
    fonts = re.findall(r"url\(([^)]+)\)", css)
    assert any("KaTeX_Main-Regular" in f for f in fonts)
    assert all(f.strip("'\"").startswith(("/static/", "data:image/")) for f in fonts), fonts


def _production(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``python <args>`` with the production settings (the required variables set, nothing else)."""
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k not in ("DEBUG", "CI")}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "dlquiz.settings",
            "DLQUIZ_DATA_DIR": str(tmp_path),
            **PRODUCTION,
        },
        timeout=300,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    proc = _production(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "System check identified no issues" in proc.stdout, proc.stdout
    assert "WARNINGS" not in proc.stdout + proc.stderr


def test_production_redirects_plain_http_and_sends_hsts_over_https(tmp_path):
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "c = Client(HTTP_HOST='dlquiz.example')\n"
        "plain = c.get('/study?x=1')\n"
        "print(plain.status_code, plain['Location'])\n"
        "tls = c.get('/study', HTTP_X_FORWARDED_PROTO='https')\n"
        "print(tls.status_code != 301, tls['Strict-Transport-Security'])\n"
        "print(tls['Content-Security-Policy'].split(';')[1].strip())\n"
    )
    proc = _production(["-c", code], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "301 https://dlquiz.example/study?x=1",
        "True max-age=31536000; includeSubDomains; preload",
        "script-src 'self'",
    ]
