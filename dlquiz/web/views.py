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
    # Whether a session is signed in, so the app can skip asking the API (and a 403) when it is not.
    signed_in = "1" if request.user.is_authenticated else "0"
    html = index.read_text(encoding="utf-8").replace(
        "<head>", f'<head>\n    <meta name="dlquiz-signed-in" content="{signed_in}" />', 1
    )
    response = HttpResponse(html)
    response["Cache-Control"] = "no-cache"
    return response
