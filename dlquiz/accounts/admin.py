"""The admin's login page behind the API's sign-in limits (``dlquiz.api.throttles``).

``dlquiz/urls.py`` mounts :func:`admin_login` at ``admin/login/`` ahead of the admin's own URLs: a
posted sign-in counts against the client's address (the budget the API's login shares) and is refused
with 429 while the address or the username is over its limit; a failed one counts against the username.
"""

from __future__ import annotations

import math

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from dlquiz.api.throttles import LoginThrottle, username_failure, username_wait


def _too_many(wait: float | None) -> HttpResponse:
    response = HttpResponse(
        "登录尝试过多，请稍后再试。/ Too many sign-in attempts; try again later.",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    if wait is not None:
        response["Retry-After"] = str(math.ceil(wait))
    return response


def admin_login(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return admin.site.login(request)
    throttle = LoginThrottle()
    if not throttle.allow_request(request, None):
        return _too_many(throttle.wait())
    username = request.POST.get("username", "")
    wait = username_wait(username)
    if wait is not None:
        return _too_many(wait)
    response = admin.site.login(request)
    if response.status_code == 200:  # the form came back with its errors: the sign-in failed
        username_failure(username)
    return response
