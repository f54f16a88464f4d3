"""dlquiz's exercise engine: computed exercises with PyTorch semantics. Never imports Django.

Public API::

    from engine import all_families, get_family, grade, grade_batch
    variant = get_family("conv2d_output_size").generate(seed=7)
    result = grade(variant, {"out": "15"})
"""

from engine.core import (
    Family,
    GradeResult,
    InvalidParams,
    Mistake,
    Param,
    Part,
    PartResult,
    Variant,
    all_families,
    get_family,
    grade,
    grade_batch,
    register,
)
from engine.device import get_device
from engine.parsing import MAX_INPUT_CHARS, Unreadable

__all__ = [
    "MAX_INPUT_CHARS",
    "Family",
    "GradeResult",
    "InvalidParams",
    "Mistake",
    "Param",
    "Part",
    "PartResult",
    "Unreadable",
    "Variant",
    "all_families",
    "get_device",
    "get_family",
    "grade",
    "grade_batch",
    "register",
]
