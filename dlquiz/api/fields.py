"""Serializer fields that close gaps in DRF's own: non-finite floats, times with an offset, empty
query parameters."""

from __future__ import annotations

import math
import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from dlquiz.api.converters import MAX_ID


class IdField(serializers.IntegerField):
    """A row id in a body or a query: 1 to the largest 64-bit integer (a larger one would reach the
    database, where SQLite raises ``OverflowError``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class FiniteFloatField(serializers.FloatField):
    """A float that refuses NaN and ±infinity (``"NaN"``, ``"Infinity"``, ``1e400``): DRF's FloatField takes
    them, and every range check with NaN is false."""

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


_LOCAL_TIME = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"


@extend_schema_field({"type": "string", "pattern": _LOCAL_TIME, "example": "09:00"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time ``HH:MM`` or ``HH:MM:SS`` in the learner's own time zone. An offset
    (``09:00+08:00``) is refused rather than silently dropped, as are fractions of a second."""

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not re.match(_LOCAL_TIME, value):
            self.fail("invalid", format="HH:MM[:SS]")
        return super().to_internal_value(value)


class QueryDateTimeField(serializers.DateTimeField):
    """A date-time query parameter that is refused when given empty (``?due_before=``) instead of being
    treated as absent, as DRF does for an optional field."""

    def get_value(self, dictionary: Any) -> Any:
        return dictionary.get(self.field_name, empty)  # "" reaches parsing and fails: "invalid"
