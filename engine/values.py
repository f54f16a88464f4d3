"""The engine's value types: a family's parameter schema (:class:`Param`), the answer parts a learner
types (:class:`Part`), known mistakes, the :class:`Variant` a family builds, and grading results.

Plain frozen dataclasses (results are mutable while grading fills them); no torch, no registry.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "NUMERIC_KINDS",
    "GradeResult",
    "InvalidParams",
    "Mistake",
    "Param",
    "Part",
    "PartKind",
    "PartResult",
    "Variant",
    "flat",
    "jsonable",
]

PartKind = Literal["int", "real", "vector", "matrix", "shape", "set", "list", "choice"]
NUMERIC_KINDS = ("real", "vector", "matrix")


class InvalidParams(ValueError):
    """Explicit parameters outside the family's schema."""


@dataclass(frozen=True)
class Param:
    """One entry of a family's parameter schema."""

    kind: Literal["int", "real", "choice"]
    low: float = 0
    high: float = 0
    choices: tuple[Any, ...] = ()
    decimals: int = 2  # reals are drawn on this grid so the prompt shows exactly the value used

    def sample(self, rng: random.Random) -> Any:
        if self.kind == "int":
            return rng.randint(int(self.low), int(self.high))
        if self.kind == "real":
            return round(rng.uniform(self.low, self.high), self.decimals)
        return rng.choice(self.choices)

    def validate(self, name: str, value: Any) -> Any:
        if self.kind == "choice":
            if value not in self.choices:
                raise InvalidParams(f"{name} must be one of {list(self.choices)}, not {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidParams(f"{name} must be a number, not {value!r}")
        if self.kind == "int" and value != int(value):
            raise InvalidParams(f"{name} must be an integer, not {value!r}")
        if not (self.low <= value <= self.high):
            raise InvalidParams(f"{name} must lie in [{self.low}, {self.high}], not {value!r}")
        return int(value) if self.kind == "int" else float(value)

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "choice":
            return {"kind": "choice", "choices": list(self.choices)}
        return {"kind": self.kind, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Part:
    """One answer the learner types. ``answer`` is the reference value in the part's kind:
    int; float; list[float]; list[list[float]]; tuple[int, ...] (shape); list[int] (set/list of indices);
    str (choice)."""

    name: str
    label: str
    kind: PartKind
    answer: Any
    rtol: float = 1e-3
    atol: float = 0.0
    ratio: bool = False
    choices: tuple[str, ...] = ()
    unit: str = ""

    def expected_hint(self) -> str:
        return {
            "int": "一个整数",
            "real": "一个数（如 0.125、1e-3、1/8" + ("、12.5%" if self.ratio else "") + "）",
            "vector": "用逗号分隔的一组数，如 0.1, 0.2",
            "matrix": "矩阵，每行用分号分隔，如 1 2; 3 4",
            "shape": "形状，如 64x56x56 或 (64, 56, 56)",
            "set": "一组下标（顺序不限），如 0, 2, 3",
            "list": "按顺序的一组下标，如 3, 0, 2",
            "choice": "选项之一：" + "、".join(self.choices),
        }[self.kind]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "unit": self.unit,
            "hint": self.expected_hint(),
        }
        if self.choices:
            d["choices"] = list(self.choices)
        return d


@dataclass(frozen=True)
class Mistake:
    """A known mistake: what the answer parts would be under it. Only the parts listed are compared."""

    id: str
    title: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Variant:
    family: str
    version: int
    seed: int | None
    params: Mapping[str, Any]
    prompt: str
    parts: tuple[Part, ...]
    solution: str
    mistakes: tuple[Mistake, ...] = ()

    def part(self, name: str) -> Part:
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def answers(self) -> dict[str, Any]:
        return {p.name: p.answer for p in self.parts}

    def to_dict(self, *, with_answers: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "family": self.family,
            "version": self.version,
            "seed": self.seed,
            "params": dict(self.params),
            "prompt": self.prompt,
            "parts": [p.to_dict() for p in self.parts],
        }
        if with_answers:
            d["answers"] = {p.name: jsonable(p.answer) for p in self.parts}
            d["solution"] = self.solution
        return d


@dataclass
class PartResult:
    name: str
    status: Literal["correct", "wrong", "unreadable", "missing"]
    parsed: Any = None
    credit: float = 0.0
    feedback: str = ""
    expected: Any = None

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "correct": self.correct,
            "parsed": jsonable(self.parsed),
            "credit": self.credit,
            "feedback": self.feedback,
            "expected": jsonable(self.expected),
        }


@dataclass
class GradeResult:
    parts: list[PartResult]
    score: float
    readable: bool
    mistake: Mistake | None = None
    solution: str = ""

    @property
    def correct(self) -> bool:
        return self.readable and all(p.correct for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "parts": [p.to_dict() for p in self.parts],
            "score": self.score,
            "readable": self.readable,
            "correct": self.correct,
            "mistake": {"id": self.mistake.id, "title": self.mistake.title} if self.mistake else None,
            "solution": self.solution,
        }


def jsonable(v: Any) -> Any:
    """A part value as JSON can hold it: tuples as lists, non-finite floats as strings."""
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


def flat(value: Any) -> list[float]:
    """A part value (number, vector, matrix, shape, index list) as one flat list of floats.

    >>> flat([[1, 2], [3, 4.5]])
    [1.0, 2.0, 3.0, 4.5]
    """
    if not isinstance(value, (list, tuple)):
        return [float(value)]
    if not any(isinstance(v, (list, tuple)) for v in value):  # the common case: a number or a vector
        return [float(v) for v in value]
    out: list[float] = []
    for v in value:
        out.extend(flat(v))
    return out
