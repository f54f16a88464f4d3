"""Errors raised by services for a request that is understood but cannot be carried out.

Framework-free, so any service can raise them without depending on the API package; the API turns
them into its error envelope (``dlquiz/api/errors.py``).
"""

from __future__ import annotations

from http import HTTPStatus

__all__ = ["Conflict", "NotFound", "ServiceError"]


class ServiceError(Exception):
    """Raised by services for a request that is understood but cannot be carried out."""

    code: str = "invalid"
    status_code: int = HTTPStatus.BAD_REQUEST

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status_code = status_code or self.status_code
        self.fields = fields or {}


class NotFound(ServiceError):
    code: str = "not_found"
    status_code: int = HTTPStatus.NOT_FOUND


class Conflict(ServiceError):
    code: str = "conflict"
    status_code: int = HTTPStatus.CONFLICT
