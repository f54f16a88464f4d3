"""One error envelope for the whole API: ``{"error": {"code", "message", "fields"}}``.

Services raise :class:`dlquiz.errors.ServiceError` (and its subclasses); DRF's and Django's own
exceptions are mapped onto the same envelope."""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from dlquiz.errors import ServiceError

logger = logging.getLogger(__name__)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for k, v in detail.items():
            out.update(_flatten(v, f"{prefix}{k}" if not prefix else f"{prefix}.{k}"))
    elif isinstance(detail, list):
        if all(not isinstance(x, (dict, list)) for x in detail):
            out[prefix or "non_field_errors"] = [str(x) for x in detail]
        else:
            for i, v in enumerate(detail):
                out.update(_flatten(v, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def envelope(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database is unreachable (or dropped the connection, or gave up on a lock): nothing was
        # written (the request's transaction rolls back), so the client may retry.
        logger.error("database unavailable: %r", exc)
        set_rollback()
        return Response(
            envelope("unavailable", "服务暂时不可用，请稍后重试 / service unavailable, try again shortly"),
            status=503,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, ServiceError):
        return Response(envelope(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        response.data = envelope("invalid", "请求数据无效 / invalid input", fields)
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = envelope(str(code), str(exc.detail))
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: the envelope under ``/api/`` (a URL that matches no endpoint), Django's page elsewhere."""
    if _is_api(request):
        return JsonResponse(envelope("not_found", "未找到 / not found"), status=404)
    return defaults.page_not_found(request, exception or Http404())


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the envelope under ``/api/`` (the error itself is logged by Django), Django's page
    elsewhere. A database outage met outside a DRF view (a middleware saving the session, say) is the same
    503 the API's exception handler gives, on every path: the client may retry."""
    exc = sys.exc_info()[1]  # Django calls handler500 while handling the exception
    if isinstance(exc, (OperationalError, InterfaceError)):
        body = envelope("unavailable", "服务暂时不可用，请稍后重试 / service unavailable, try again shortly")
        if _is_api(request):
            response: HttpResponse = JsonResponse(body, status=503)
        else:
            response = HttpResponse(
                body["error"]["message"], status=503, content_type="text/plain; charset=utf-8"
            )
        response["Retry-After"] = "5"
        return response
    if _is_api(request):
        return JsonResponse(envelope("server_error", "服务器错误 / server error"), status=500)
    return defaults.server_error(request)
