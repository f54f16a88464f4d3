"""The engine's value types: a family's parameter schema (:class:`Param`), the answer parts a learner
types (:class:`Part`), known mistakes, the :class:`Variant` a family builds, and grading results.

Plain frozen dataclasses (results are mutable while grading fills them); no torch, no registry.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

__all__ = [
    "NUMERIC_KINDS",
    "GradeResult",
    "InvalidParams",
    "Mistake",
    "Param",
    "Part",
    "PartKind",
    "Precision",
    "PartResult",
    "Variant",
    "flat",
    "jsonable",
]

PartKind = Literal["int", "real", "vector", "matrix", "shape", "set", "list", "choice"]
NUMERIC_KINDS = ("real", "vector", "matrix")
PartStatus = Literal["correct", "wrong", "imprecise", "unreadable", "missing"]

#: Below this magnitude a reference value is floating-point noise around 0 (torch's float arithmetic).
NOISE_FLOOR = 1e-12
#: Relative slack on a tolerance, so that a typed decimal exactly one unit away is not lost to binary
#: floating point (0.1235 - 0.1234 is 1.0000000000000286e-04 in floats).
_SLACK = 1 + 1e-9


@dataclass(frozen=True)
class Precision:
    """What a numeric part asks for, as its prompt states it; the grading tolerance derives from it.

    ``mode`` is ``"sig"`` (``digits`` significant digits), ``"dec"`` (``digits`` decimals) or ``"exact"``
    (integers, shapes, indices, choices). An answer is accepted when it lies within one unit of the last
    asked digit of the right value (:meth:`tolerance`): the right value rounded as asked always passes
    (it is at most half a unit away), and so does a slightly different last digit from rounding on the
    way. One that gives fewer digits than asked but agrees with the right
    value to the digits it gives is *imprecise* (:meth:`is_coarser`, :meth:`rounds_to`), not wrong. ``fraction`` and
    ``percent`` say whether ``1/8`` and ``12.5%`` are accepted (the prompt says so too).

    >>> Precision.sig(4).tolerance(0.123456) < 1.01e-4 < Precision.sig(3).tolerance(0.123456)
    True
    >>> Precision.sig(4).describe()
    '保留 4 位有效数字（可写分数）'
    """

    mode: Literal["exact", "sig", "dec"] = "sig"
    digits: int = 4
    fraction: bool = True
    percent: bool = False

    @classmethod
    def sig(cls, digits: int, *, percent: bool = False) -> Precision:
        return cls("sig", digits, percent=percent)

    @classmethod
    def dec(cls, digits: int, *, percent: bool = False) -> Precision:
        return cls("dec", digits, percent=percent)

    @classmethod
    def exact(cls) -> Precision:
        return cls("exact", 0, fraction=False)

    def unit(self, target: float, digits: int | None = None) -> float:
        """One unit of the last asked digit (or of ``digits`` digits) at the value ``target``."""
        d = self.digits if digits is None else digits
        if self.mode == "exact":
            return 0.0
        if self.mode == "dec":
            return 10.0**-d
        a = abs(target)
        if a < NOISE_FLOOR:
            return 0.0
        return 10.0 ** (math.floor(math.log10(a)) - d + 1)

    def tolerance(self, target: float) -> float:
        """How far an accepted answer may lie from ``target``: one unit of the last asked digit."""
        return max(self.unit(target) * _SLACK, NOISE_FLOOR if self.mode != "exact" else 0.0)

    def is_coarser(self, target: float, typed_unit: float) -> bool:
        """Whether an answer whose last typed digit is worth ``typed_unit`` (0.01 for ``0.12``, 100 for
        ``1200``) is given more coarsely than asked, and ``target`` rounded at that digit is what was
        typed can then be checked with :meth:`rounds_to`."""
        return self.mode != "exact" and typed_unit > self.unit(target) * _SLACK

    @staticmethod
    def rounds_to(target: float, typed: float, typed_unit: float) -> bool:
        """``typed`` is ``target`` rounded at the digit worth ``typed_unit`` (half a unit away at most)."""
        return abs(typed - target) <= 0.5 * typed_unit * _SLACK

    def tolerance_tensor(self, target: Any) -> Any:
        """:meth:`tolerance` on a float64 tensor of targets, element-wise (the batch grader's)."""
        import torch

        if self.mode == "exact":
            return torch.zeros_like(target)
        if self.mode == "dec":
            unit = torch.full_like(target, 10.0**-self.digits)
        else:
            a = target.abs()
            exp = torch.floor(torch.log10(torch.where(a < NOISE_FLOOR, 1.0, a))) - self.digits + 1
            unit = torch.where(a < NOISE_FLOOR, 0.0, torch.pow(10.0, exp))
        return torch.clamp(unit * _SLACK, min=NOISE_FLOOR)

    def describe(self) -> str:
        """The statement a prompt makes (Chinese), e.g. ``保留 4 位有效数字（可写分数）``."""
        if self.mode == "exact":
            return "填精确值"
        what = f"保留 {self.digits} 位有效数字" if self.mode == "sig" else f"保留 {self.digits} 位小数"
        extras = []
        if self.fraction:
            extras.append("可写分数")
        if self.percent:
            extras.append("可写百分数")
        return f"{what}（{'，'.join(extras)}）" if extras else what

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "digits": self.digits,
            "fraction": self.fraction,
            "percent": self.percent,
            "text": self.describe(),
        }


#: What a real, vector or matrix part asks for unless its family says otherwise.
DEFAULT_PRECISION = Precision.sig(4)


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
    #: What the part asks for (its prompt states it); exact for integers, shapes, indices and choices,
    #: and ``percent`` follows ``ratio``. The grading tolerance derives from it, nowhere else.
    precision: Precision = DEFAULT_PRECISION
    ratio: bool = False
    choices: tuple[str, ...] = ()
    unit: str = ""

    def __post_init__(self) -> None:
        if self.kind not in NUMERIC_KINDS:
            object.__setattr__(self, "precision", Precision.exact())
        elif self.precision.percent != self.ratio:
            object.__setattr__(self, "precision", replace(self.precision, percent=self.ratio))

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
            "precision": self.precision.to_dict(),
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
    #: Ids of catalogued mistakes this variant cannot tell from the right answer at the precision it
    #: states (a learner making one would be graded correct): :meth:`Family.generate` never returns such
    #: a variant, it draws again.
    indistinct: tuple[str, ...] = ()

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
    """One part's verdict. ``imprecise``: fewer digits than the part asks for, agreeing with the right
    value to the digits given; like ``unreadable`` and ``missing`` it is no verdict and costs nothing.
    ``off``: for a wrong vector, matrix or ordered list of the right length, the (flat, 0-based)
    positions of the elements that are off."""

    name: str
    status: PartStatus
    parsed: Any = None
    credit: float = 0.0
    feedback: str = ""
    expected: Any = None
    off: list[int] | None = None

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
            "off": self.off,
        }


@dataclass
class GradeResult:
    """A graded answer sheet. ``readable``: every part has a verdict (none missing, unreadable or
    imprecise), so the grade counts. ``mistakes``: every known mistake that explains all the parts
    answered (more than one when their values agree at the stated precision); ``mistake`` is the first.
    ``near_miss``: wrong, but most of it right (more than half of the parts' elements)."""

    parts: list[PartResult]
    score: float
    readable: bool
    mistakes: list[Mistake] = field(default_factory=list)
    solution: str = ""
    near_miss: bool = False

    @property
    def mistake(self) -> Mistake | None:
        return self.mistakes[0] if self.mistakes else None

    @property
    def correct(self) -> bool:
        return self.readable and all(p.correct for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        named = [{"id": m.id, "title": m.title} for m in self.mistakes]
        return {
            "parts": [p.to_dict() for p in self.parts],
            "score": self.score,
            "readable": self.readable,
            "correct": self.correct,
            "mistake": named[0] if named else None,
            "mistakes": named,
            "near_miss": self.near_miss,
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
