"""Grading one answer sheet, and the rules that decide which known mistakes a variant can name.

Integers, shapes, index lists and choices are compared exactly; reals within the tolerance their part's
:class:`~engine.values.Precision` derives (one unit of the last digit the prompt asks for). The same
comparison decides, when a variant is built, whether each catalogued mistake can be told apart from
the right answer (:func:`screen_mistakes`), so a mistake a variant lists is one the grader names and
never one it accepts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from engine import parsing
from engine.parsing import Unreadable
from engine.values import NOISE_FLOOR, NUMERIC_KINDS, GradeResult, Mistake, Part, PartResult, Variant, flat

__all__ = ["grade", "imprecise", "parse_answer", "relation", "screen_mistakes"]

#: Past this many elements a wrong part's feedback stops listing the positions that are off.
_MAX_LISTED = 6


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


def _element_hits(part: Part, value: Any, target: Any) -> list[bool] | None:
    """Per element of a numeric part: within the tolerance of ``target``'s element (``None`` when the
    lengths or the matrix's rows differ)."""
    v, t = flat(value), flat(target)
    if len(v) != len(t) or (part.kind == "matrix" and len(value) != len(target)):
        return None
    prec = part.precision
    return [abs(a - b) <= prec.tolerance(b) for a, b in zip(v, t)]


def _matches(part: Part, value: Any, target: Any) -> bool:
    """``value`` is ``target`` as the part is graded: exactly, or within the tolerance of ``target``."""
    if part.kind in ("int", "shape", "list", "choice"):
        return _norm_exact(part, value) == _norm_exact(part, target)
    if part.kind == "set":
        return sorted(value) == sorted(target)
    hits = _element_hits(part, value, target)
    return hits is not None and all(hits)


def _norm_exact(part: Part, v: Any) -> Any:
    if part.kind in ("shape", "list"):
        return tuple(int(x) for x in v)
    if part.kind == "int":
        return int(v)
    return v


Relation = Literal["same", "distinct", "close"]


def relation(part: Part, value: Any) -> Relation:
    """How a mistake's value for a part stands to the right answer at the part's precision:

    * ``same``: the right answer itself (up to floating-point noise): the mistake changes nothing here;
    * ``distinct``: no typed number is accepted for both (some element lies further from the answer than
      the two tolerances together), so the mistake's value rounded as asked is graded wrong;
    * ``close``: neither: rounded as asked it may pass for the right answer.
    """
    if part.kind not in NUMERIC_KINDS:
        return "same" if _matches(part, value, part.answer) else "distinct"
    fv, fa = flat(value), flat(part.answer)
    if len(fv) != len(fa):
        return "distinct"
    prec = part.precision
    gaps = [abs(x - y) for x, y in zip(fv, fa)]
    if _exactly(fv, fa):
        return "same"
    if any(g > prec.tolerance(x) + prec.tolerance(y) for g, x, y in zip(gaps, fv, fa)):
        return "distinct"
    return "close"


def _valid(part: Part, value: Any) -> bool:
    """A value of the part's kind: a listed choice, finite numbers, as many as the answer has."""
    if part.kind == "choice":
        return value in part.choices
    fv = flat(value)
    if not all(math.isfinite(x) for x in fv):
        return False
    return part.kind in ("set", "list") or len(fv) == len(flat(part.answer))


def screen_mistakes(
    parts: Sequence[Part], mistakes: Iterable[Mistake], *, screen: bool = True
) -> tuple[tuple[Mistake, ...], tuple[str, ...]]:
    """The mistakes a variant lists, in the catalogue's order, and the ids of those it cannot tell apart.

    Dropped: a mistake that gives the right answer on every part it lists (e.g. "forgot the padding"
    when the padding is 0: in this variant it is no mistake) and, with ``screen``, a value that is not
    of the part's kind (not finite, the wrong length, no listed choice). Kept: every other mistake,
    also when two give the same values (grading then names both). A mistake whose values differ from
    the answer somewhere, but nowhere distinctly at the stated precision (:func:`relation`), would be
    graded correct: it is reported in the second tuple, and :meth:`engine.family.Family.generate` draws
    again rather than hand out such a variant.
    """
    by_name = {p.name: p for p in parts}
    kept: list[Mistake] = []
    indistinct: list[str] = []
    for m in mistakes:
        if screen and not all(_valid(by_name[n], v) for n, v in m.values.items()):
            continue
        rel = [relation(by_name[n], v) for n, v in m.values.items()]
        if all(r == "same" for r in rel):
            continue
        kept.append(m)
        if "distinct" not in rel:
            indistinct.append(m.id)
    return tuple(kept), tuple(indistinct)


def grade(variant: Variant, answers: Mapping[str, str]) -> GradeResult:
    """Grade a learner's answers (``{part name: typed text}``) against a variant.

    Integers, shapes and index lists are exact; reals pass within one unit of the last digit the part
    asks for. A part left blank, unreadable, or given with fewer digits than asked (but right to those
    digits: *imprecise*) has no verdict: the sheet is not ``readable``, scores nothing and costs nothing.

    Example:
        >>> from engine import get_family
        >>> v = get_family("conv2d_output_size").instantiate(
        ...     {"size": 32, "kernel": 3, "padding": 1, "stride": 1, "dilation": 1})
        >>> grade(v, {"out": "32"}).correct
        True
    """
    results = [_grade_part(part, answers.get(part.name), variant.mistakes) for part in variant.parts]
    readable = all(r.status in ("correct", "wrong") for r in results)
    score = sum(r.credit for r in results) / len(results) if results else 0.0
    wrong = readable and not all(r.correct for r in results)
    named = _explaining(variant, results) if wrong else []
    if named:
        titles = "」或「".join(m.title for m in named)
        for r in results:
            if r.status == "wrong" and any(r.name in m.values for m in named):
                r.feedback = f"不正确：看起来是「{titles}」"
    near = wrong and sum(_share(variant.part(r.name), r) for r in results) / len(results) > 0.5
    return GradeResult(results, score, readable, named, variant.solution, near)


def _grade_part(part: Part, text: str | None, mistakes: Sequence[Mistake] = ()) -> PartResult:
    if text is None or (isinstance(text, str) and not text.strip()):
        return PartResult(part.name, "missing", feedback="没有作答。应填写" + part.expected_hint())
    try:
        value = parse_answer(part, text)
    except Unreadable as exc:
        return PartResult(
            part.name, "unreadable", feedback=f"无法读取你的答案（{exc}）。应填写{part.expected_hint()}。"
        )
    if _matches(part, value, part.answer):
        return PartResult(part.name, "correct", value, 1.0, "正确", part.answer)
    # Fewer digits than asked, right to those: no verdict, unless it is exactly what a listed mistake
    # gives (AUC 1 where 0.9583 is right and counting ties as 1 gives 1: that is the mistake).
    if (
        part.kind in NUMERIC_KINDS
        and imprecise(part, value, text)
        and not any(n == part.name and _exactly(value, v) for m in mistakes for n, v in m.values.items())
    ):
        return PartResult(
            part.name,
            "imprecise",
            value,
            feedback=f"不够精确：与正确值在你给出的位数上一致，但本题要求{part.precision.describe()}。"
            "请按要求补足位数。",
        )
    off = _off(part, value)
    feedback = "不正确"
    if off:
        shown = "、".join(str(i + 1) for i in off[:_MAX_LISTED]) + ("…" if len(off) > _MAX_LISTED else "")
        feedback = f"不正确：第 {shown} 个元素不对"
    return PartResult(part.name, "wrong", value, _partial_credit(part, value), feedback, part.answer, off)


def imprecise(part: Part, value: Any, text: str) -> bool:
    """Fewer digits than asked somewhere, and every element right to the digits typed (or accepted)."""
    prec = part.precision
    digits = parsing.typed_digits(text)
    v, t = flat(value), flat(part.answer)
    if len(digits) != len(v) or len(v) != len(t):
        return False
    coarse = False
    for x, y, d in zip(v, t, digits):
        if abs(x - y) <= prec.tolerance(y):
            continue
        if d is None:
            return False
        typed_unit = _typed_unit(x, *d)
        if not (prec.is_coarser(y, typed_unit) and prec.rounds_to(y, x, typed_unit)):
            return False
        coarse = True
    return coarse


def _typed_unit(x: float, sig: int, decimals: int) -> float:
    """What the last digit typed is worth: 0.01 for ``0.12``, 0.1 for ``0.9``, 100 for ``1200``."""
    if x == 0:
        return 10.0**-decimals
    return 10.0 ** (math.floor(math.log10(abs(x))) - sig + 1)


def _exactly(value: Any, target: Any) -> bool:
    """``value`` is ``target`` up to floating-point noise (0.8 typed for 0.80000000002)."""
    v, t = flat(value), flat(target)
    return len(v) == len(t) and all(abs(a - b) <= 1e-9 * abs(b) + NOISE_FLOOR for a, b in zip(v, t))


def _off(part: Part, value: Any) -> list[int] | None:
    """The 0-based positions of the wrong elements of a vector, matrix or ordered list of the right
    length (``None`` for other kinds, other lengths, or a single number)."""
    if part.kind in ("vector", "matrix"):
        hits = _element_hits(part, value, part.answer)
    elif part.kind == "list" and len(value) == len(part.answer):
        hits = [int(a) == int(b) for a, b in zip(value, part.answer)]
    else:
        return None
    if hits is None or len(hits) < 2:
        return None
    return [i for i, h in enumerate(hits) if not h]


def _partial_credit(part: Part, value: Any) -> float:
    """Sets earn the share of elements they get right; vectors half that share; other kinds nothing."""
    if part.kind == "set":
        want, got = set(part.answer), set(value)
        if not want and not got:
            return 1.0
        return len(want & got) / len(want | got)
    if part.kind == "vector":
        hits = _element_hits(part, value, part.answer)
        return sum(hits) / len(hits) * 0.5 if hits else 0.0
    return 0.0


def _share(part: Part, r: PartResult) -> float:
    """How much of a part is right, element by element (for a near miss)."""
    if r.status == "correct":
        return 1.0
    if part.kind == "set":
        return r.credit
    if r.off is not None:
        return 1.0 - len(r.off) / len(flat(part.answer))
    return 0.0


def _explaining(variant: Variant, results: list[PartResult]) -> list[Mistake]:
    """The mistakes that explain every part answered: each part a mistake lists has the mistake's value
    (within its tolerance), every other part is right, and some part is wrong."""
    named = []
    for m in variant.mistakes:
        ok = True
        for r in results:
            if r.name in m.values:
                ok = _matches(variant.part(r.name), r.parsed, m.values[r.name])
            else:
                ok = r.status == "correct"
            if not ok:
                break
        if ok and any(r.status == "wrong" and r.name in m.values for r in results):
            named.append(m)
    return named
