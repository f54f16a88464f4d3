"""Learners' time zones: one check for every writer (sign-up, settings, the model) and every reader.

``ZoneInfo`` raises ``ZoneInfoNotFoundError`` for an unknown key, ``ValueError`` for a malformed one
(``../etc``, a NUL byte) and ``OSError`` for a key that names a directory of the zone database
(``America``): all three mean "not a time zone".
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError

__all__ = ["validate_time_zone", "zone_get"]


def zone_get(name: str) -> ZoneInfo | None:
    """The time zone called ``name``, or None when there is none of that name."""
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def validate_time_zone(value: str) -> None:
    """A Django validator (model field, serializer field): ``value`` names an IANA time zone."""
    if zone_get(value) is None:
        raise ValidationError("unknown time zone", code="invalid")
