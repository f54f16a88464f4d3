"""OpenAPI additions for drf-spectacular: every operation documents the error envelope for the statuses
any request may get (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)."""

from __future__ import annotations

from typing import Any

__all__ = ["ERROR_STATUSES", "error_responses"]

#: Status -> when it is answered. Any operation may meet each of them (a bad body, no or a bad token, a
#: CSRF failure, an unknown card, a conflicting write, a body over the size limit, a throttle, an outage).
ERROR_STATUSES = {
    "400": "invalid input (`fields` names the fields) or an unreadable body",
    "401": "not signed in: no credentials or a bad token (`WWW-Authenticate: Token`)",
    "403": "refused: a signed-in session without its CSRF token",
    "404": "no such object or URL",
    "409": "conflicts with the current state",
    "413": "request body too large",
    "429": "too many requests (throttled)",
    "503": "a service the request needs is unavailable",
}

ENVELOPE = {
    "type": "object",
    "description": "The one error envelope of the API.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "machine-readable, e.g. `invalid`, `not_found`"},
                "message": {"type": "string", "description": "for people (Chinese / English)"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "the messages for each invalid field (dotted paths for nested ones)",
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}


def error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Add the ``ErrorEnvelope`` schema, one ``Error<status>`` response per status, and a reference to each
    on every operation that does not document that status itself."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["ErrorEnvelope"] = ENVELOPE
    responses = components.setdefault("responses", {})
    for status, description in ERROR_STATUSES.items():
        responses[f"Error{status}"] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
        }
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method in ("get", "put", "patch", "post", "delete", "head", "options", "trace"):
                for status in ERROR_STATUSES:
                    operation["responses"].setdefault(
                        status, {"$ref": f"#/components/responses/Error{status}"}
                    )
    return result
