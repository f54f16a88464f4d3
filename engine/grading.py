"""Grading one answer sheet, and the rule that decides which known mistakes a variant keeps.

Integers, shapes and index lists are compared exactly; reals within ``atol + rtol*|t|``, tightened so
that no known mistake's value is ever accepted. :func:`prune_mistakes` uses the same comparisons, so a
mistake a variant keeps is one the grader can name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engine import parsing
from engine.parsing import Unreadable
from engine.values import NUMERIC_KINDS, GradeResult, Mistake, Part, PartResult, Variant, flat

__all__ = ["grade", "parse_answer", "prune_mistakes"]


def _tol(part: Part, target: float) -> float:
    return part.atol + part.rtol * abs(target)


def _close(part: Part, value: float, target: float, tol: float) -> bool:
    return abs(value - target) <= tol


def parse_answer(part: Part, text: str) -> Any:
    """A typed answer read as the part's kind (raises :class:`Unreadable`, whatever went wrong reading it:
    a parse failure is never a grading error)."""
    try:
        return _parse_kind(part, text)
    except Unreadable:
        raise
    except (ValueError, ArithmeticError, TypeError) as exc:
        raise Unreadable(f"cannot read this answer ({type(exc).__name__})") from exc


def _parse_kind(part: Part, text: str) -> Any:
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
    raise AssertionError(f"unknown part kind {part.kind!r}")


def _tolerances(part: Part, mistakes: Sequence[Mistake]) -> list[float]:
    """Per-element tolerance, tightened so that no known wrong-convention value is ever accepted:
    a mistake value inside the plain tolerance shrinks it to half the distance."""
    target = flat(part.answer)
    tols = [_tol(part, t) for t in target]
    for m in mistakes:
        if part.name not in m.values:
            continue
        wrong = flat(m.values[part.name])
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
    v, t = flat(value), flat(target)
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


def _same(part: Part, a: Any, b: Any) -> bool:
    if part.kind in NUMERIC_KINDS:
        fa, fb = flat(a), flat(b)
        return len(fa) == len(fb) and all(x == y for x, y in zip(fa, fb))
    return _matches(part, a, b)


_EXACT_KINDS = ("int", "shape", "list", "choice", "set")


def prune_mistakes(
    parts: Sequence[Part], mistakes: Iterable[Mistake], *, screen: bool = True
) -> tuple[Mistake, ...]:
    """The mistakes a grader can name without doubt, in the catalogue's order of priority.

    Dropped: a mistake giving exactly the right answers (e.g. "forgot the padding" when the padding is
    0), and a mistake an earlier one would shadow in grading: grading names the first mistake whose
    values match every part the learner got wrong, so a later mistake whose wrong parts all match an
    earlier one's values (by the grader's own rule) could never be named. With ``screen`` (the default)
    also: values that are not finite or have the wrong length, and values so close to the answer that a
    learner's rounding could be taken for them (they would also tighten the tolerance on the right
    answer).
    """
    by_name = {p.name: p for p in parts}
    kept: list[Mistake] = []
    for m in mistakes:
        if screen and not all(_distinct(by_name[n], v) for n, v in m.values.items()):
            continue
        wrong = [n for n, v in m.values.items() if not _same(by_name[n], v, by_name[n].answer)]
        if not wrong:
            continue
        shadowed = False
        for k in kept:
            shared = [n for n in k.values if n in wrong]
            if shared and all(_matches(by_name[n], m.values[n], k.values[n]) for n in shared):
                shadowed = True
                break
        if not shadowed:
            kept.append(m)
    return tuple(kept)


def _distinct(part: Part, value: Any) -> bool:
    """A value of the part's kind, finite, as long as the answer, and either the answer itself or well
    away from it (beyond twice the grading tolerance)."""
    if part.kind == "choice":
        return value in part.choices
    fv, fa = flat(value), flat(part.answer)
    if not all(math.isfinite(x) for x in fv):
        return False
    if part.kind in ("set", "list"):
        return True
    if len(fv) != len(fa):
        return False
    if part.kind in _EXACT_KINDS or fv == fa:  # fv == fa: the answer itself (what _same checks, flat)
        return True
    return not all(abs(x - y) <= 2.0 * (part.atol + part.rtol * max(abs(x), abs(y))) for x, y in zip(fv, fa))


def grade(variant: Variant, answers: Mapping[str, str]) -> GradeResult:
    """Grade a learner's answers (``{part name: typed text}``) against a variant.

    Integers, shapes and index lists are exact; reals pass when ``|x - t| <= atol + rtol*|t|``,
    tightened so a known wrong-convention value never passes. Unreadable input is reported as such
    (with what was expected) and scores nothing, without counting as wrong.

    Example:
        >>> from engine import get_family
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
            value = parse_answer(part, text)
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
    if part.kind in ("vector",) and len(flat(value)) == len(flat(part.answer)):
        hits = [abs(a - b) <= _tol(part, b) for a, b in zip(flat(value), flat(part.answer))]
        return sum(hits) / len(hits) * 0.5
    return 0.0


def _detect(variant: Variant, results: list[PartResult]) -> Mistake | None:
    by_name = {r.name: r for r in results}
    for m in variant.mistakes:
        compared = [n for n in m.values if n in by_name and by_name[n].status == "wrong"]
        if compared and all(_matches(variant.part(n), by_name[n].parsed, m.values[n]) for n in compared):
            return m
    return None
