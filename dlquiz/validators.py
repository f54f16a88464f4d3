"""Validators shared by models and the API (framework-free apart from Django's ValidationError)."""

from __future__ import annotations

import math

from django.core.exceptions import ValidationError

__all__ = ["validate_finite"]


def validate_finite(value: float) -> None:
    """Refuse NaN and ±infinity: every comparison with NaN is false, so range validators let it pass."""
    if not math.isfinite(value):
        raise ValidationError("must be a finite number", code="invalid")
