"""The API's JSON parser: DRF's, with limits a stranger cannot push past.

- the body's size (``API_MAX_BODY_BYTES``): a declared ``Content-Length`` above it is refused (413) before
  anything is read, and the stream is read to one byte past the limit at most;
- nesting depth (:data:`MAX_DEPTH`): ``[[[[...]]]]`` is a 400, not a ``RecursionError``;
- numbers: ``NaN``, ``Infinity`` and numbers that overflow a float (``1e400``) are refused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers

__all__ = ["MAX_DEPTH", "BodyTooLarge", "JSONParser"]

#: The deepest nesting of arrays and objects a request body may have (the API's own bodies use 2).
MAX_DEPTH = 32


class BodyTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "请求体过大 / request body too large"
    default_code = "too_large"


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _too_deep(data: Any) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        parser_context = parser_context or {}
        limit = settings.API_MAX_BODY_BYTES
        request = parser_context.get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            declared = 0
        if declared > limit:
            raise BodyTooLarge()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyTooLarge()
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(
                raw.decode(encoding), parse_constant=_refuse_constant, parse_float=_finite_float
            )
        except RecursionError:
            raise exceptions.ParseError("JSON 嵌套过深 / JSON nested too deeply") from None
        except ValueError as exc:  # also UnicodeDecodeError, and integers of 4,300+ digits
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        except LookupError:  # a charset that is no text encoding (rot13, base64, hex...)
            raise exceptions.ParseError(f"不支持的字符集 / unsupported charset {encoding!r}") from None
        if _too_deep(data):
            raise exceptions.ParseError("JSON 嵌套过深 / JSON nested too deeply")
        return data
