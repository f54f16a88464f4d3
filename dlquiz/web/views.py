"""Serves the built single-page app (frontend/dist/index.html) for every non-API path."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie


@ensure_csrf_cookie
def spa(request: HttpRequest) -> HttpResponse:
    index = settings.FRONTEND_DIST / "index.html"
    if not index.is_file():
        return HttpResponse(
            "<!doctype html><meta charset=utf-8><title>dlquiz</title>"
            "<p>The front end is not built yet: run <code>make run</code> (or <code>make frontend</code>).</p>",
            status=503,
        )
    return HttpResponse(index.read_text(encoding="utf-8"))
