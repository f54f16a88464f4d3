"""dlquiz's exercise engine: computed exercises with PyTorch semantics. Never imports Django.

Public API::

    from engine import all_families, get_family, grade, grade_batch
    variant = get_family("conv2d_output_size").generate(seed=7)
    result = grade(variant, {"out": "15"})
"""

from engine.batch import grade_batch
from engine.device import get_device
from engine.family import Family, all_families, get_family, register
from engine.grading import grade
from engine.parsing import MAX_INPUT_CHARS, Unreadable
from engine.values import GradeResult, InvalidParams, Mistake, Param, Part, PartResult, Variant

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
