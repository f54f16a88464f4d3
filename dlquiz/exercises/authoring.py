"""For editors: an exercise card's variants previewed, and the card checked against its family's grader.

Public engine functions only (``engine.get_family``, ``engine.grade``, the ``Variant``'s parts, answers,
mistakes and solution) and the variant drawing the study loop uses (:func:`variant_draw`), so what the
editor sees is what a learner draws.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from typing import Any

import engine
from dlquiz.decks.models import Card
from dlquiz.exercises.services import _fits, variant_draw

__all__ = ["CardVerification", "answer_text", "exercise_card_verify", "exercise_variants_preview"]

PREVIEW_SEEDS = (1, 2, 3, 4)
VERIFY_SEEDS = tuple(range(1, 9))
RANDOM_INPUTS = 100


def answer_text(value: Any) -> str:
    """A reference value as a learner would type it (``64x56x56`` for a shape, ``1, 2`` for a vector,
    ``1 2; 3 4`` for a matrix)."""
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    if isinstance(value, list):
        if value and isinstance(value[0], list):
            return "; ".join(" ".join(str(x) for x in row) for row in value)
        return ", ".join(str(v) for v in value)
    return str(value)


def exercise_variants_preview(*, card: Card, seeds: tuple[int, ...] = PREVIEW_SEEDS) -> list[dict[str, Any]]:
    """What a learner may draw from this card: for each seed the prompt, the reference answers (as they
    would be typed), the worked solution and the parameters. A family that cannot draw says why."""
    out: list[dict[str, Any]] = []
    for seed in seeds:
        try:
            v = variant_draw(card=card, seed=seed)
        except Exception as exc:  # an unknown family or params the family refuses: shown, not raised
            out.append(
                {"seed": seed, "params": {}, "prompt": "", "answers": [], "solution": "", "error": str(exc)}
            )
            continue
        out.append(
            {
                "seed": seed,
                "params": dict(v.params),
                "prompt": v.prompt,
                "answers": [{"label": p.label or p.name, "text": answer_text(p.answer)} for p in v.parts],
                "solution": v.solution,
            }
        )
    return out


@dataclass
class CardVerification:
    """What :func:`exercise_card_verify` found: how many checks ran and every failure, in words."""

    uid: str
    variants: int = 0
    own_answers: int = 0
    mistakes: int = 0
    random_inputs: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # not failures: mistakes that coincide in a variant

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        head = (
            f"{self.uid}: {self.variants} variants, {self.own_answers} own answers, {self.mistakes} named "
            f"mistakes, {self.random_inputs} random inputs"
        )
        if self.ok:
            same = (
                f" ({len(self.notes)} mistakes coincide with another in some variant)" if self.notes else ""
            )
            return f"{head}: all as expected{same}"
        shown = "; ".join(self.failures[:5]) + (
            f"; … {len(self.failures) - 5} more" if len(self.failures) > 5 else ""
        )
        return f"{head}: {len(self.failures)} failed: {shown}"


def exercise_card_verify(
    *,
    card: Card,
    seeds: tuple[int, ...] = VERIFY_SEEDS,
    random_inputs: int = RANDOM_INPUTS,
    rng_seed: int = 0,
) -> CardVerification:
    """Grade an exercise card's family on variants drawn as the study loop draws them (``seeds``):

    - each variant lies within the card's ``params`` narrowing;
    - each variant's own reference answers are graded correct;
    - each named mistake typed in (the other parts right) is graded wrong and named as that mistake (or
      as one listed before it that gives the same values in this variant: a note, not a failure);
    - ``random_inputs`` random inputs (spread over the variants and parts: junk text, numbers far from
      the answer, the answer perturbed) never crash the grader and are never accepted: each one is
      built to differ from the reference answer, so accepting it would be wrong.
    """
    report = CardVerification(uid=card.uid)
    if card.kind != Card.Kind.EXERCISE:
        report.failures.append("not an exercise card")
        return report
    variants: list[engine.Variant] = []
    for seed in seeds:
        try:
            v = variant_draw(card=card, seed=seed)
        except Exception as exc:
            report.failures.append(f"seed {seed}: no variant ({exc})")
            continue
        variants.append(v)
        if not _fits(v.params, card.params or {}):
            report.failures.append(f"seed {seed}: variant {dict(v.params)} lies outside the card's params")
    report.variants = len(variants)
    for v in variants:
        own = {p.name: answer_text(p.answer) for p in v.parts}
        report.own_answers += 1
        result = _grade(v, own, report, what="own answer")
        if result is not None and not result.correct:
            report.failures.append(f"{_where(v)}: its own answer {own} is graded wrong")
        for m in v.mistakes:
            report.mistakes += 1
            typed = {**own, **{name: answer_text(value) for name, value in m.values.items()}}
            result = _grade(v, typed, report, what=f"mistake {m.id}")
            if result is None:
                continue
            if result.correct:
                report.failures.append(f"{_where(v)}: mistake {m.id} {typed} is graded correct")
            elif not result.mistakes:
                report.failures.append(f"{_where(v)}: mistake {m.id} is graded wrong but not named")
            elif m.id not in {named.id for named in result.mistakes}:
                names = ", ".join(named.id for named in result.mistakes)
                report.failures.append(f"{_where(v)}: mistake {m.id} is named {names}")
            elif len(result.mistakes) > 1:
                # several mistakes give the same values here: the grader names them all
                others = ", ".join(named.id for named in result.mistakes if named.id != m.id)
                report.notes.append(f"{_where(v)}: mistake {m.id} gives the same answer as {others}")
    rng = random.Random(rng_seed)
    for i in range(random_inputs if variants else 0):
        v = variants[i % len(variants)]
        part = v.parts[(i // len(variants)) % len(v.parts)]
        text = _random_wrong(part, rng)
        typed = {p.name: answer_text(p.answer) for p in v.parts}
        typed[part.name] = text
        report.random_inputs += 1
        result = _grade(v, typed, report, what=f"random input {text!r}")
        if result is not None and result.correct:
            report.failures.append(
                f"{_where(v)}: part {part.name}: {text!r} is accepted, answer {part.answer!r}"
            )
    return report


def _where(v: engine.Variant) -> str:
    return f"{v.family} seed {v.seed}"


def _grade(
    v: engine.Variant, answers: dict[str, str], report: CardVerification, *, what: str
) -> engine.GradeResult | None:
    try:
        return engine.grade(v, answers)
    except Exception as exc:  # the grader must never raise: report it
        report.failures.append(f"{_where(v)}: {what} crashes the grader ({type(exc).__name__}: {exc})")
        return None


_JUNK = string.ascii_letters + string.punctuation + " 　，。（）×÷√πΩ①²³½"


def _random_wrong(part: engine.Part, rng: random.Random) -> str:
    """A typed input that is not the part's answer: junk, or the answer moved well outside any tolerance."""
    style = rng.randrange(3)
    answer = part.answer
    if style == 0 or part.kind == "choice":
        if part.kind == "choice" and rng.random() < 0.5:
            others = [c for c in part.choices if c != answer]
            if others:
                return rng.choice(others)
        return "".join(rng.choice(_JUNK) for _ in range(rng.randint(1, 12))).strip() or "?"
    return answer_text(_moved(answer, part.kind, rng))


def _moved(value: Any, kind: str, rng: random.Random) -> Any:
    """``value`` with at least one number changed far beyond the grader's tolerance (exact kinds: by a
    whole number, reals: by 50% to 300% of the value plus 1)."""
    if isinstance(value, tuple):  # shape
        dims = list(value)
        i = rng.randrange(len(dims)) if dims else 0
        if not dims:
            return (rng.randint(1, 9),)
        dims[i] = dims[i] + rng.randint(1, 9)
        return tuple(dims)
    if isinstance(value, list):
        if not value:
            return [rng.randint(0, 9)]
        items = list(value)
        if kind in ("set", "list"):
            return [*items, max(int(x) for x in items) + rng.randint(1, 5)]
        i = rng.randrange(len(items))
        items[i] = _moved(items[i], kind, rng)
        return items
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value}{rng.randint(1, 9)}"
    if isinstance(value, int) and kind in ("int", "shape", "set", "list"):
        return value + rng.choice([-1, 1]) * rng.randint(1, 50)
    sign = rng.choice([-1, 1])
    return float(value) + sign * (abs(float(value)) * rng.uniform(0.5, 3.0) + 1.0)
