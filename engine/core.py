"""TRANSITIONAL re-exports of the engine's old core module, split by job into :mod:`engine.values`,
:mod:`engine.family`, :mod:`engine.grading`, :mod:`engine.batch` and :mod:`engine.formatting`.
Removed once every family imports from those modules."""

from engine.batch import BatchGrade, grade_batch
from engine.family import Family, all_families, get_family, register
from engine.formatting import fmt
from engine.grading import grade
from engine.values import (
    NUMERIC_KINDS,
    GradeResult,
    InvalidParams,
    Mistake,
    Param,
    Part,
    PartResult,
    Variant,
)

__all__ = [
    "NUMERIC_KINDS",
    "BatchGrade",
    "Family",
    "GradeResult",
    "InvalidParams",
    "Mistake",
    "Param",
    "Part",
    "PartResult",
    "Variant",
    "all_families",
    "fmt",
    "get_family",
    "grade",
    "grade_batch",
    "register",
]
