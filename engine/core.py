"""The engine's core: families, variants, answer parts, grading.

A *family* is an exercise template (``conv2d_output_size``). From a seed or explicit parameters it
builds a *variant*: the numbers, a Chinese prompt (Markdown + LaTeX), the answer parts with their
reference values, a worked solution and the values a catalogue of known mistakes would give.

Each family provides two independent computations of its answers:

* :meth:`Family.solve` runs the operation the way PyTorch does (an ``nn`` module on a meta tensor, an
  optimizer step, ``F.cross_entropy``...) or, where torch has no such op, a slow plain-Python reference;
* :meth:`Family.closed_form` evaluates the textbook formula on whole columns of parameters at once, in
  vectorised torch code on the engine's device. :func:`grade_batch` uses it; tests check the two agree.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

import numpy as np
import torch

from engine import parsing
from engine.device import get_device
from engine.parsing import Unreadable

__all__ = [
    "Family",
    "BatchGrade",
    "GradeResult",
    "InvalidParams",
    "Mistake",
    "Param",
    "Part",
    "PartResult",
    "Variant",
    "all_families",
    "get_family",
    "grade",
    "grade_batch",
    "register",
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
            d["answers"] = {p.name: _jsonable(p.answer) for p in self.parts}
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
            "parsed": _jsonable(self.parsed),
            "credit": self.credit,
            "feedback": self.feedback,
            "expected": _jsonable(self.expected),
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


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


class Family:
    """Base class of an exercise family. Subclasses set the class attributes and implement
    :meth:`build` (prompt, parts, solution, mistakes from ``solve``), :meth:`solve` and
    :meth:`closed_form`."""

    id: ClassVar[str]
    title: ClassVar[str]
    topics: ClassVar[tuple[str, ...]]
    version: ClassVar[int] = 1
    schema: ClassVar[dict[str, Param]]

    # -- to implement -------------------------------------------------------------------------
    def build(self, params: dict[str, Any]) -> Variant:
        raise NotImplementedError

    def solve(self, params: dict[str, Any]) -> dict[str, Any]:
        """Answers the way PyTorch computes them (or a slow plain-Python reference)."""
        raise NotImplementedError

    def closed_form(self, cols: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Answers from the closed-form formula, vectorised: each param is a 1-D tensor (choices as
        indices into ``schema[name].choices``); each result has the batch as its first dimension.
        Variable-length index answers (set/list parts) are padded on the right with -1; a choice part
        is given as the index of the right choice."""
        raise NotImplementedError

    # -- provided -----------------------------------------------------------------------------
    def constraint(self, params: dict[str, Any]) -> str | None:
        """Why these parameters make no valid exercise (``None`` when they do)."""
        return None

    def sample(self, rng: random.Random) -> dict[str, Any]:
        return {name: spec.sample(rng) for name, spec in self.schema.items()}

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(params, Mapping):
            raise InvalidParams("params must be an object")
        unknown = set(params) - set(self.schema)
        if unknown:
            raise InvalidParams(f"unknown parameters: {', '.join(sorted(unknown))}")
        missing = set(self.schema) - set(params)
        if missing:
            raise InvalidParams(f"missing parameters: {', '.join(sorted(missing))}")
        clean = {name: spec.validate(name, params[name]) for name, spec in self.schema.items()}
        why = self.constraint(clean)
        if why:
            raise InvalidParams(why)
        return clean

    def generate(self, seed: int) -> Variant:
        """A variant from a seed: the same seed always gives the same variant. Draws that violate
        the family's constraints or whose known mistakes coincide with the answer are redrawn."""
        rng = random.Random(f"{self.id}:{self.version}:{seed}")
        for _ in range(1000):
            params = self.sample(rng)
            if self.constraint(params) is None:
                return replace(_prune_mistakes(self.build(params)), seed=seed)
        raise RuntimeError(f"{self.id}: no valid parameters drawn for seed {seed}")

    def instantiate(self, params: Mapping[str, Any]) -> Variant:
        return _prune_mistakes(self.build(self.validate(params)))

    def constraint_mask(self, cols: dict[str, torch.Tensor]) -> torch.Tensor:
        """Vectorised :meth:`constraint`: a boolean tensor, True where a row is a valid exercise.

        The default applies :meth:`constraint` row by row (slow); families with constraints override it."""
        n = next(iter(cols.values())).shape[0]
        if type(self).constraint is Family.constraint:
            return torch.ones(n, dtype=torch.bool, device=next(iter(cols.values())).device)
        rows = self.rows(cols)
        return torch.tensor(
            [self.constraint(r) is None for r in rows],
            dtype=torch.bool,
            device=next(iter(cols.values())).device,
        )

    def sample_columns(
        self, n: int, *, generator: torch.Generator, device: torch.device | None = None
    ) -> dict[str, torch.Tensor]:
        """Parameters of ``n`` random variants drawn as tensors (the batch counterpart of :meth:`sample`),
        redrawing rows that break the family's constraints. Same distributions as :meth:`sample`."""
        device = device or get_device()
        out: dict[str, list[torch.Tensor]] = {k: [] for k in self.schema}
        have = 0
        for _ in range(100):
            m = max(16, int((n - have) * 1.3))
            cols = {}
            for name, spec in self.schema.items():
                if spec.kind == "int":
                    v = torch.randint(int(spec.low), int(spec.high) + 1, (m,), generator=generator)
                    cols[name] = v.to(torch.float64)
                elif spec.kind == "real":
                    u = (
                        torch.rand(m, generator=generator, dtype=torch.float64) * (spec.high - spec.low)
                        + spec.low
                    )
                    cols[name] = torch.round(u, decimals=spec.decimals)
                else:
                    cols[name] = torch.randint(0, len(spec.choices), (m,), generator=generator)
            cols = {k: v.to(device) for k, v in cols.items()}
            ok = self.constraint_mask(cols)
            for k in self.schema:
                out[k].append(cols[k][ok])
            have += int(ok.sum())
            if have >= n:
                return {k: torch.cat(v)[:n] for k, v in out.items()}
        raise RuntimeError(f"{self.id}: constraints reject almost every draw")

    def rows(self, cols: Mapping[str, torch.Tensor]) -> list[dict[str, Any]]:
        """Columns back to parameter dicts (choices decoded, ints as int)."""
        lists = {k: v.tolist() for k, v in cols.items()}
        n = len(next(iter(lists.values())))
        out = []
        for i in range(n):
            row: dict[str, Any] = {}
            for name, spec in self.schema.items():
                v = lists[name][i]
                row[name] = (
                    spec.choices[int(v)] if spec.kind == "choice" else (int(v) if spec.kind == "int" else v)
                )
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "topics": list(self.topics),
            "version": self.version,
            "params": {k: v.to_dict() for k, v in self.schema.items()},
        }

    def columns(
        self, params_list: Sequence[Mapping[str, Any]], device: torch.device | None = None
    ) -> dict[str, torch.Tensor]:
        """Parameters of many variants as 1-D tensors (float64; choices as indices)."""
        device = device or get_device()
        cols: dict[str, torch.Tensor] = {}
        for name, spec in self.schema.items():
            if spec.kind == "choice":
                values = [spec.choices.index(p[name]) for p in params_list]
                cols[name] = torch.tensor(values, dtype=torch.int64, device=device)
            else:
                cols[name] = torch.tensor(
                    [float(p[name]) for p in params_list], dtype=torch.float64, device=device
                )
        return cols


# -- registry --------------------------------------------------------------------------------------

_REGISTRY: dict[str, Family] = {}


def register(cls: type[Family]) -> type[Family]:
    """Class decorator adding a family to the registry."""
    if cls.id in _REGISTRY:
        raise ValueError(f"family {cls.id} registered twice")
    _REGISTRY[cls.id] = cls()
    return cls


def _load() -> None:
    import engine.families  # noqa: F401  (imports every family module, which registers itself)


def get_family(family_id: str) -> Family:
    _load()
    try:
        return _REGISTRY[family_id]
    except KeyError:
        raise KeyError(f"unknown exercise family {family_id!r}") from None


def all_families() -> list[Family]:
    _load()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


# -- grading ---------------------------------------------------------------------------------------


def _tol(part: Part, target: float) -> float:
    return part.atol + part.rtol * abs(target)


def _close(part: Part, value: float, target: float, tol: float) -> bool:
    return abs(value - target) <= tol


def _parse(part: Part, text: str) -> Any:
    if part.kind == "int":
        return parsing.parse_int(text)
    if part.kind == "real":
        return parsing.parse_real(text, ratio=part.ratio)
    if part.kind == "vector":
        return parsing.parse_vector(text, ratio=part.ratio)
    if part.kind == "matrix":
        return parsing.parse_matrix(text)
    if part.kind == "shape":
        return parsing.parse_shape(text)
    if part.kind in ("set", "list"):
        return parsing.parse_index_list(text)
    if part.kind == "choice":
        return parsing.parse_choice(text, part.choices)
    raise ValueError(part.kind)


def _flat(value: Any) -> list[float]:
    if isinstance(value, (list, tuple)):
        out: list[float] = []
        for v in value:
            out.extend(_flat(v))
        return out
    return [float(value)]


def _tolerances(part: Part, mistakes: Sequence[Mistake]) -> list[float]:
    """Per-element tolerance, tightened so that no known wrong-convention value is ever accepted:
    a mistake value inside the plain tolerance shrinks it to half the distance."""
    target = _flat(part.answer)
    tols = [_tol(part, t) for t in target]
    for m in mistakes:
        if part.name not in m.values:
            continue
        wrong = _flat(m.values[part.name])
        if len(wrong) != len(target):
            continue
        diffs = [abs(w - t) for w, t in zip(wrong, target)]
        if all(d <= tol for d, tol in zip(diffs, tols)) and any(d > 0 for d in diffs):
            tols = [min(tol, d / 2) if d > 0 else tol for tol, d in zip(tols, diffs)]
    return tols


def _matches(part: Part, value: Any, target: Any, tols: Sequence[float] | None = None) -> bool:
    if part.kind in ("int", "shape", "list", "choice"):
        return _norm_exact(part, value) == _norm_exact(part, target)
    if part.kind == "set":
        return sorted(value) == sorted(target)
    v, t = _flat(value), _flat(target)
    if len(v) != len(t):
        return False
    if part.kind == "matrix" and len(value) != len(target):
        return False
    tols = tols if tols is not None else [_tol(part, x) for x in t]
    return all(_close(part, a, b, tol) for a, b, tol in zip(v, t, tols))


def _norm_exact(part: Part, v: Any) -> Any:
    if part.kind in ("shape", "list"):
        return tuple(int(x) for x in v)
    if part.kind == "int":
        return int(v)
    return v


def _prune_mistakes(variant: Variant) -> Variant:
    """Drop the mistakes this variant cannot reveal, keeping the catalogue's order of priority.

    Dropped: a mistake giving exactly the right answers (e.g. "forgot the padding" when the padding is
    0), and a mistake an earlier one would shadow in grading: grading names the first mistake whose
    values match every part the learner got wrong, so a later mistake whose wrong parts all match an
    earlier one's values (by the grader's own rule) could never be named."""
    kept: list[Mistake] = []
    for m in variant.mistakes:
        wrong = [n for n, v in m.values.items() if not _same(variant.part(n), v, variant.part(n).answer)]
        if not wrong:
            continue
        shadowed = False
        for k in kept:
            shared = [n for n in k.values if n in wrong]
            if shared and all(_matches(variant.part(n), m.values[n], k.values[n]) for n in shared):
                shadowed = True
                break
        if not shadowed:
            kept.append(m)
    return replace(variant, mistakes=tuple(kept))


def _same(part: Part, a: Any, b: Any) -> bool:
    if part.kind in NUMERIC_KINDS:
        fa, fb = _flat(a), _flat(b)
        return len(fa) == len(fb) and all(x == y for x, y in zip(fa, fb))
    return _matches(part, a, b)


def grade(variant: Variant, answers: Mapping[str, str]) -> GradeResult:
    """Grade a learner's answers (``{part name: typed text}``) against a variant.

    Integers, shapes and index lists are exact; reals pass when ``|x - t| <= atol + rtol*|t|``,
    tightened so a known wrong-convention value never passes. Unreadable input is reported as such
    (with what was expected) and scores nothing, without counting as wrong.

    Example:
        >>> from engine.core import get_family
        >>> v = get_family("conv2d_output_size").instantiate(
        ...     {"size": 32, "kernel": 3, "padding": 1, "stride": 1, "dilation": 1})
        >>> grade(v, {"out": "32"}).correct
        True
    """
    results: list[PartResult] = []
    for part in variant.parts:
        text = answers.get(part.name)
        if text is None or (isinstance(text, str) and not text.strip()):
            results.append(
                PartResult(part.name, "missing", feedback="没有作答。应填写" + part.expected_hint())
            )
            continue
        try:
            value = _parse(part, text)
        except Unreadable as exc:
            results.append(
                PartResult(
                    part.name,
                    "unreadable",
                    feedback=f"无法读取你的答案（{exc}）。应填写{part.expected_hint()}。",
                )
            )
            continue
        tols = _tolerances(part, variant.mistakes) if part.kind in NUMERIC_KINDS else None
        if _matches(part, value, part.answer, tols):
            results.append(PartResult(part.name, "correct", value, 1.0, "正确", part.answer))
        else:
            credit = _partial_credit(part, value)
            results.append(PartResult(part.name, "wrong", value, credit, "不正确", part.answer))
    readable = all(r.status in ("correct", "wrong") for r in results)
    score = sum(r.credit for r in results) / len(results) if results else 0.0
    mistake = _detect(variant, results) if readable and not all(r.correct for r in results) else None
    for r in results:
        if mistake and r.name in mistake.values and r.status == "wrong":
            r.feedback = f"不正确：看起来是「{mistake.title}」"
    return GradeResult(results, score, readable, mistake, variant.solution)


def _partial_credit(part: Part, value: Any) -> float:
    """Sets and lists earn the share of elements they get right; other kinds are all or nothing."""
    if part.kind == "set":
        want, got = set(part.answer), set(value)
        if not want and not got:
            return 1.0
        return len(want & got) / len(want | got)
    if part.kind in ("vector",) and len(_flat(value)) == len(_flat(part.answer)):
        hits = [abs(a - b) <= _tol(part, b) for a, b in zip(_flat(value), _flat(part.answer))]
        return sum(hits) / len(hits) * 0.5
    return 0.0


def _detect(variant: Variant, results: list[PartResult]) -> Mistake | None:
    by_name = {r.name: r for r in results}
    for m in variant.mistakes:
        compared = [n for n in m.values if n in by_name and by_name[n].status == "wrong"]
        if compared and all(_matches(variant.part(n), by_name[n].parsed, m.values[n]) for n in compared):
            return m
    return None


class BatchGrade:
    """The result of :func:`grade_batch`, kept as tensors: ``scores`` (n,) and, per part, ``status`` codes
    (0 unreadable or missing, 1 wrong, 2 correct). Indexing gives one item as a dict."""

    STATUS = ("unreadable", "wrong", "correct")

    def __init__(self, scores: torch.Tensor, status: dict[str, torch.Tensor]) -> None:
        self.scores = scores
        self.status = status

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {
            "score": float(self.scores[i]),
            "parts": {k: self.STATUS[int(v[i])] for k, v in self.status.items()},
        }

    def __iter__(self):  # type: ignore[no-untyped-def]
        scores = self.scores.tolist()
        status = {k: v.tolist() for k, v in self.status.items()}
        for i, sc in enumerate(scores):
            yield {"score": sc, "parts": {k: self.STATUS[v[i]] for k, v in status.items()}}


_NUM_RE_SRC = r"[ \t]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[ \t]*"
_LIST_ROW = rf"[ \t]*\[?(?:{_NUM_RE_SRC}(?:,{_NUM_RE_SRC})*)?\]?[ \t]*"
_SHAPE_ROW = r"[ \t]*\d+(?:[ \t]*x[ \t]*\d+)*[ \t]*"
_NUMERIC_CHARS = re.compile(r"[0-9eE+\-., \t\n]*")
_COLUMN_RES = {
    "scalar": re.compile(rf"{_NUM_RE_SRC}(?:\n{_NUM_RE_SRC})*"),
    "list": re.compile(rf"{_LIST_ROW}(?:\n{_LIST_ROW})*"),
    "shape": re.compile(rf"{_SHAPE_ROW}(?:\n{_SHAPE_ROW})*"),
}


def _parse_column(part: Part, texts: list[str | None], width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Parsed values (n, width) float64 (NaN where unreadable or of the wrong length) and a readable mask.

    The common typings are converted for the whole column at once (:func:`_parse_column_fast`); any other
    column goes through the tolerant per-item parser."""
    fast = _parse_column_fast(part, texts, width)
    if fast is not None:
        return fast
    nan_row = [math.nan] * width
    rows: list[list[float]] = []
    readable: list[bool] = []
    for text in texts:
        flat = nan_row
        ok_item = False
        if text:
            try:
                value = _parse(part, text)
                ok_item = True  # a readable answer of the wrong length stays NaN: wrong
                if part.kind == "choice":
                    flat = [float(part.choices.index(value))]
                else:
                    flat = sorted(_flat(value)) if part.kind == "set" else _flat(value)
                    if part.kind in ("set", "list") and len(flat) < width:
                        flat = flat + [-1.0] * (width - len(flat))  # index answers are padded with -1
                if len(flat) != width:
                    flat = nan_row
            except Unreadable:
                pass
        rows.append(flat)
        readable.append(ok_item)
    return torch.tensor(rows, dtype=torch.float64), torch.tensor(readable, dtype=torch.bool)


def _parse_column_fast(
    part: Part, texts: list[str | None], width: int
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The vectorised path for the common typings: plain numbers, numbers separated by commas (optionally
    bracketed; index lists may be shorter than the widest row), shapes like 64x56x56, choices typed as the
    choice itself. One regular expression checks the whole column and NumPy converts it; ``None`` when
    any text needs the tolerant per-item parser (full-width characters, fractions, percentages, ...)."""
    n = len(texts)
    if part.kind == "choice":
        index = {c: float(i) for i, c in enumerate(part.choices)}
        picked = [index.get(t) if isinstance(t, str) else None for t in texts]
        if any(v is None for v in picked):
            return None
        return torch.tensor(picked, dtype=torch.float64).reshape(n, 1), torch.ones(n, dtype=torch.bool)
    if not all(isinstance(t, str) and t and "\n" not in t for t in texts):
        return None
    joined = "\n".join(texts)  # type: ignore[arg-type]
    if len(joined) > 200 * n + 1000:
        return None
    # a cheap character check first; NumPy's conversion then rejects malformed numbers ("1e", "+-1")
    plain = "[" not in joined and "]" not in joined and _NUMERIC_CHARS.fullmatch(joined) is not None
    if part.kind in ("int", "real"):
        if width != 1 or "," in joined or not (plain or _COLUMN_RES["scalar"].fullmatch(joined)):
            return None
        try:
            values = np.array(joined.split("\n"), dtype=np.float64).reshape(n, 1)
        except ValueError:
            return None
    else:
        if part.kind == "shape":
            if not _COLUMN_RES["shape"].fullmatch(joined):
                return None
            rows = joined.replace("x", ",").split("\n")
        elif part.kind in ("vector", "list", "set"):
            if not (plain or _COLUMN_RES["list"].fullmatch(joined)):
                return None
            rows = joined.replace("[", "").replace("]", "").split("\n")
        else:
            return None
        lengths = np.fromiter((r.count(",") + 1 if r.strip() else 0 for r in rows), dtype=np.int64, count=n)
        if (lengths > width).any() or (part.kind in ("vector", "shape") and (lengths != width).any()):
            return None
        flat = ",".join(r for r in rows if r.strip())
        try:
            items = np.array(flat.split(","), dtype=np.float64) if flat else np.zeros(0)
        except ValueError:
            return None
        if part.kind in ("list", "set", "shape") and (items < 0).any():
            return None  # negative indices are unreadable to the tolerant parser too
        values = np.full((n, width), -1.0)  # index lists shorter than the widest are padded with -1
        starts = np.cumsum(lengths) - lengths
        values[np.repeat(np.arange(n), lengths), np.arange(len(items)) - np.repeat(starts, lengths)] = items
    if not np.isfinite(values).all():
        return None
    if part.kind in ("int", "list", "set", "shape") and not (values == np.round(values)).all():
        return None
    if part.kind == "set":
        values = np.sort(values, axis=1)
    return torch.from_numpy(values), torch.ones(n, dtype=torch.bool)


def grade_batch(
    family: Family,
    params: Sequence[Mapping[str, Any]] | Mapping[str, torch.Tensor],
    answers_list: Sequence[Mapping[str, str]],
    *,
    device: torch.device | None = None,
) -> BatchGrade:
    """Grade many submissions of one family at once.

    ``params`` is a list of parameter dicts or, already vectorised, a dict of parameter columns (as
    :meth:`Family.sample_columns` gives). Reference answers come from :meth:`Family.closed_form` on the
    whole columns, typed answers are parsed column by column (plain numbers in one vectorised step) and
    compared as tensor arithmetic on the engine's device.

    Example:
        >>> from engine.core import get_family
        >>> f = get_family("conv2d_output_size")
        >>> ps = [{"size": 32, "kernel": 3, "padding": 1, "stride": 2, "dilation": 1}] * 2
        >>> [r["score"] for r in grade_batch(f, ps, [{"out": "16"}, {"out": "15"}])]
        [1.0, 0.0]
    """
    device = device or get_device()
    if isinstance(params, Mapping):
        cols = {k: v.to(device) for k, v in params.items()}
        n = int(next(iter(cols.values())).shape[0]) if cols else 0
        first_row = family.rows({k: v[:1] for k, v in cols.items()})[0] if n else {}
    else:
        n = len(params)
        cols = family.columns(params, device) if n else {}
        first_row = dict(params[0]) if n else {}
    if n != len(answers_list):
        raise ValueError("params and answers_list differ in length")
    if n == 0:
        return BatchGrade(torch.zeros(0, dtype=torch.float64), {})
    refs = family.closed_form(cols)
    sample_parts = family.build(first_row).parts
    status: dict[str, torch.Tensor] = {}
    credit = torch.zeros(n, dtype=torch.float64, device=device)
    for part in sample_parts:
        ref = refs[part.name].to(device=device, dtype=torch.float64).reshape(n, -1)
        parsed, readable = _parse_column(part, [a.get(part.name) for a in answers_list], ref.shape[1])
        parsed, readable = parsed.to(device), readable.to(device)
        if part.kind == "set":  # -1 padding sorts first on both sides
            ref = ref.sort(dim=1).values
        if part.kind in NUMERIC_KINDS:
            ok = ((parsed - ref).abs() <= part.atol + part.rtol * ref.abs()).all(dim=1)
        else:
            ok = (parsed == ref).all(dim=1)
        ok = ok & readable
        credit += ok.to(torch.float64)
        status[part.name] = torch.where(ok, 2, torch.where(readable, 1, 0)).cpu()
    return BatchGrade((credit / len(sample_parts)).cpu(), status)


# -- helpers for family authors --------------------------------------------------------------------


def fmt(x: float, digits: int = 6) -> str:
    """A number as shown in prompts and solutions: integers plain, reals with ``digits`` significant."""
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    return f"{x:.{digits}g}"


def mistake_if(cond: bool, mid: str, title: str, values: Mapping[str, Any]) -> list[Mistake]:
    return [Mistake(mid, title, values)] if cond else []
