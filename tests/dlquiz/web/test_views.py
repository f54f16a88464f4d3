"""The page view: the single-page app for every non-API path."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_page_view_sets_the_csrf_cookie_and_says_whether_signed_in(settings, tmp_path):
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><head><title>x</title></head><body></body></html>"
    )
    settings.FRONTEND_DIST = tmp_path
    c = Client()
    r = c.get("/study")
    assert r.status_code == 200 and "csrftoken" in r.cookies
    assert '<meta name="dlquiz-signed-in" content="0" />' in r.content.decode()
    c.force_login(make_user())
    assert '<meta name="dlquiz-signed-in" content="1" />' in c.get("/browse?q=x").content.decode()
