"""Request throttles: who the client is, the API's scoped rates, the sign-in limits.

- :func:`client_ip` is the one rule for a client's address: the TCP peer (``REMOTE_ADDR``), unless
  ``TRUSTED_PROXY_COUNT`` = N says N proxies of ours stand in front, each appending to
  ``X-Forwarded-For``: then the N-th address from the right (the one our outermost proxy saw). Anything
  further left was written by the client and is never trusted.
- Every throttle fails open: when the cache (Redis) is unreachable the request goes ahead and the
  outage is logged, so a cache outage never becomes a write or sign-in outage.
- Sign-ins are limited twice: per client address (:class:`LoginThrottle`, every attempt counts) and per
  username (:func:`authenticate_limited`, failed attempts count, from any address), so neither many
  addresses against one account nor one address against many accounts gets far.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError
from rest_framework.exceptions import Throttled
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

__all__ = [
    "LoginThrottle",
    "ScopedThrottle",
    "authenticate_limited",
    "client_ip",
    "username_failure",
    "username_wait",
]

logger = logging.getLogger(__name__)

# What a cache backend raises when its server cannot be reached: redis-py's errors (Django's RedisCache),
# socket errors (memcached and the like).
CACHE_ERRORS = (RedisError, OSError)


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or the ``TRUSTED_PROXY_COUNT``-th from the right of
    ``X-Forwarded-For`` when that many proxies of ours stand in front (see the module docstring)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if forwarded:
            return forwarded[-min(proxies, len(forwarded))]
    return remote


def _fail_open(what: str, exc: Exception) -> None:
    logger.warning("throttle %s skipped, the cache is unreachable: %r", what, exc)


class ScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle (a learner by id, an anonymous client by :func:`client_ip`), failing open."""

    def get_ident(self, request: Any) -> str:
        return client_ip(request)

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            _fail_open(f"scope {getattr(view, self.scope_attr, None)}", exc)
            return True


class LoginThrottle(SimpleRateThrottle):
    """Sign-in, sign-up and token requests per client address (``THROTTLE_LOGIN``), signed in or not;
    the API's views and the admin's login page share one budget. Fails open."""

    scope = "login"

    def get_ident(self, request: Any) -> str:
        return client_ip(request)

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            _fail_open("login", exc)
            return True


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _username_window(username: str) -> tuple[str, int, float]:
    """The cache key of this username's failures in the current fixed window, the limit, and the seconds
    left in the window."""
    count, _, per = settings.THROTTLE_LOGIN_USERNAME.partition("/")  # DRF's rate form: "10/hour"
    limit, period = int(count), _PERIODS[per[:1]]
    now = time.time()
    window = int(now // period)
    digest = hashlib.sha256(username.casefold().encode()).hexdigest()[:32]
    return f"throttle_login_username_{digest}_{window}", limit, period - now % period


def username_wait(username: str) -> float | None:
    """None while ``username`` may try to sign in; else the seconds until it may try again (after
    ``THROTTLE_LOGIN_USERNAME`` failed attempts, from whatever addresses). Fails open."""
    key, limit, left = _username_window(username)
    try:
        failures = cache.get(key, 0)
    except CACHE_ERRORS as exc:
        _fail_open("login username", exc)
        return None
    return left if failures >= limit else None


def username_failure(username: str) -> None:
    """Count a failed sign-in against ``username`` (atomically: concurrent guesses all count)."""
    key, _, left = _username_window(username)
    try:
        cache.add(key, 0, timeout=int(left) + 1)
        cache.incr(key)
    except ValueError:  # the window's key expired between add and incr: count it in a fresh one
        cache.add(key, 1, timeout=int(left) + 1)
    except CACHE_ERRORS as exc:
        _fail_open("login username", exc)


def authenticate_limited(request: HttpRequest, *, username: str, password: str) -> User | None:
    """``authenticate()`` behind the per-username limit: raises :class:`Throttled` (429) while the
    username is locked; a failure counts against it. The per-address limit is the view's throttle."""
    wait = username_wait(username)
    if wait is not None:
        raise Throttled(wait=wait)
    user = authenticate(request, username=username, password=password)
    if user is None:
        username_failure(username)
    return user
