"""Serializer fields that close gaps in DRF's own: non-finite floats, times with an offset, empty
query parameters."""

from __future__ import annotations

import math
from typing import Any

from rest_framework import serializers


class FiniteFloatField(serializers.FloatField):
    """A float that refuses NaN and ±infinity (``"NaN"``, ``"Infinity"``, ``1e400``): DRF's FloatField takes
    them, and every range check with NaN is false."""

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value
