"""Fair grading, counted over every family and many seeds (issue #10's figures).

For each family and seed 1..N (default 1000) the generated variant is graded as a learner would type it:

* every listed mistake, rounded as the prompt asks: graded correct? (target 0)
* the right answer rounded as the prompt asks: rejected? (target 0)
* the right answer rounded one digit coarser: anything but correct or "imprecise"? (target 0; counted
  apart: where that coarser value is exactly what a listed mistake gives, which names the mistake)
* seeds where no fair variant could be drawn (generation raised)

Usage: ``python bench/grading_audit.py [N] [family ...]``. Prints one line per family with a count and
the totals; the suite enforces the same on seeds 1..300 (tests/engine/test_fair_grading.py).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import all_families, grade
from engine.grading import parse_answer
from engine.values import NUMERIC_KINDS, Part, Precision, Variant, flat


def rounded(part: Part, value: object, coarser: int = 0) -> str:
    """``value`` typed as a learner who rounds as ``part`` asks (``coarser`` digits fewer)."""
    if part.kind not in NUMERIC_KINDS:
        return typed(part, value)
    prec: Precision = part.precision

    def one(x: float) -> str:
        d = prec.digits - coarser
        if prec.mode == "dec":
            return f"{x:.{max(d, 0)}f}"
        return f"{x:.{max(d, 1) - 1}e}"

    if part.kind == "real":
        return one(float(value))  # type: ignore[arg-type]
    if part.kind == "vector":
        return ", ".join(one(float(x)) for x in value)  # type: ignore[attr-defined]
    return "; ".join(" ".join(one(float(x)) for x in row) for row in value)  # type: ignore[attr-defined]


def typed(part: Part, value: object) -> str:
    if part.kind == "shape":
        return "x".join(str(int(d)) for d in value)  # type: ignore[attr-defined]
    if part.kind in ("set", "list"):
        return ", ".join(str(int(i)) for i in value) if value else "[]"  # type: ignore[attr-defined]
    if part.kind == "choice":
        return str(value)
    return repr(value)


def audit_variant(v: Variant) -> Counter[str]:
    c: Counter[str] = Counter()
    right = {p.name: rounded(p, p.answer) for p in v.parts}
    r = grade(v, right)
    if not r.correct:
        c["right answer rounded as asked, rejected"] += 1
    for p in v.parts:
        if p.kind not in NUMERIC_KINDS:
            continue
        typed = rounded(p, p.answer, coarser=1)
        coarse = grade(v, {**right, p.name: typed})
        if coarse.parts[[q.name for q in v.parts].index(p.name)].status not in ("correct", "imprecise"):
            # exactly a listed mistake's value (0.8 where 0.8003 is right and a mistake gives 0.8) is
            # that mistake, rightly: counted apart
            got = flat(parse_answer(p, typed))
            exact = any(
                n == p.name and all(abs(a - b) <= 1e-9 * abs(b) + 1e-12 for a, b in zip(got, flat(val)))
                for m in v.mistakes
                for n, val in m.values.items()
            )
            c[
                "coarser answer equal to a listed mistake's value"
                if exact
                else "right answer one digit coarser, neither correct nor imprecise"
            ] += 1
    for m in v.mistakes:
        answers = {**right, **{n: rounded(v.part(n), val) for n, val in m.values.items()}}
        res = grade(v, answers)
        if res.correct:
            c["listed mistake graded correct"] += 1
        elif m not in res.mistakes:
            c["listed mistake not named"] += 1
    return c


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    only = set(sys.argv[2:])
    total: Counter[str] = Counter()
    t0 = time.perf_counter()
    for fam in all_families():
        if only and fam.id not in only:
            continue
        c: Counter[str] = Counter()
        mistakes = 0
        for seed in range(1, n + 1):
            try:
                v = fam.generate(seed)
            except RuntimeError:
                c["no fair variant drawn"] += 1
                continue
            mistakes += len(v.mistakes)
            c += audit_variant(v)
        total += c
        total["mistakes checked"] += mistakes
        print(f"{fam.id:30s} mistakes checked {mistakes:6d}  " + "  ".join(f"{k}: {x}" for k, x in c.items()))
    print(f"\nseeds 1..{n}, {time.perf_counter() - t0:.0f} s")
    for key in (
        "mistakes checked",
        "listed mistake graded correct",
        "listed mistake not named",
        "right answer rounded as asked, rejected",
        "right answer one digit coarser, neither correct nor imprecise",
        "coarser answer equal to a listed mistake's value",
        "no fair variant drawn",
    ):
        print(f"{key}: {total[key]}")


if __name__ == "__main__":
    main()
