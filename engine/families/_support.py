"""Helpers shared by the norm, activation, loss and init families (no family is registered here).

* :func:`draw_int` / :func:`draw_grid`: numbers derived deterministically from a ``data_seed``
  parameter. The same integer arithmetic runs on Python ints (``build``/``solve``) and on int64 tensors
  (``closed_form``), so a variant's data can be rebuilt from its parameters, one at a time or a whole
  column at once, and the prompt shows exactly the numbers used.
* :func:`clean_mistakes`: keeps only the known mistakes a grader can tell apart, from the answer and
  from each other.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import torch

from engine.core import Mistake, Part, fmt

__all__ = [
    "clean_mistakes",
    "draw_grid",
    "draw_int",
    "par",
    "signed",
    "simplex_units",
    "simplex_units_cols",
    "tex_vec",
    "tnum",
    "vec_str",
]

_M31 = 0x7FFFFFFF
T = TypeVar("T", int, torch.Tensor)


def _mix(x: T) -> T:
    """A 31-bit integer hash (xorshift-multiply rounds); products stay below 2**63."""
    x = x & _M31
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & _M31
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & _M31
    return x ^ (x >> 16)


def draw_int(seed: T, i: T | int, salt: int, lo: int, hi: int) -> T:
    """An integer in ``[lo, hi]`` drawn from ``(seed, i, salt)``.

    ``seed`` and ``i`` are non-negative ints (below 2**31) or int64 tensors (broadcast together); the
    same integer arithmetic runs on both, so ints and tensors give identical results.
    """
    x = _mix(seed + 0x9E3779B)
    x = _mix(x ^ ((i * 0x85EBCA6B) & _M31))
    x = _mix(x ^ ((salt * 0xC2B2AE35 + 0x27D4EB2F) & _M31))
    return lo + x % (hi - lo + 1)


def draw_grid(seed: T, i: T | int, salt: int, lo: int, hi: int, scale: int) -> Any:
    """A real on a grid: ``draw_int(...) / scale`` (a float, or a float64 tensor for tensor input)."""
    k = draw_int(seed, i, salt, lo, hi)
    if isinstance(k, torch.Tensor):
        return k.to(torch.float64) / scale
    return k / scale


def simplex_units(seed: int, salt: int, k: int, units: int = 20) -> list[int] | None:
    """A probability vector of ``k`` entries in steps of ``1/units``, every entry at least one step:
    ``k-1`` cut points in ``[1, units-1]``; ``None`` when two cuts coincide (the draw is rejected)."""
    cuts = [draw_int(seed, j, salt, 1, units - 1) for j in range(k - 1)]
    if len(set(cuts)) < len(cuts):
        return None
    edges = [0, *sorted(cuts), units]
    return [b - a for a, b in zip(edges, edges[1:], strict=False)]


def simplex_units_cols(
    seed: torch.Tensor, salt: int, k: torch.Tensor, kmax: int, units: int = 20
) -> torch.Tensor:
    """Column form of :func:`simplex_units` (rows assumed valid): ``(B, kmax)`` int64 steps, zero past
    each row's ``k``."""
    j = torch.arange(kmax - 1, device=seed.device)
    cuts = draw_int(seed[:, None], j[None, :], salt, 1, units - 1)
    cuts = torch.where(j[None, :] < (k[:, None] - 1), cuts, torch.full_like(cuts, units))
    cuts = cuts.sort(dim=1).values
    zero = torch.zeros_like(cuts[:, :1])
    full = torch.full_like(cuts[:, :1], units)
    edges = torch.cat([zero, cuts, full], dim=1)
    return edges[:, 1:] - edges[:, :-1]


def tnum(x: float, digits: int = 6) -> str:
    """A number for LaTeX: ``1e-05`` becomes ``10^{-5}``, ``2.5e-06`` becomes ``2.5\\times10^{-6}``."""
    s = fmt(x, digits)
    if "e" not in s:
        return s
    mant, exp = s.split("e")
    e = int(exp)
    return f"10^{{{e}}}" if mant in ("1", "1.0") else f"{mant}\\times10^{{{e}}}"


def par(x: float, digits: int = 6) -> str:
    """:func:`tnum`, in parentheses when negative (for products and differences)."""
    s = tnum(x, digits)
    return f"({s})" if s.startswith("-") else s


def signed(x: float, digits: int = 6) -> str:
    """A term appended to a sum: ``+0.5`` or ``-0.5``."""
    s = tnum(x, digits)
    return s if s.startswith("-") else "+" + s


def vec_str(values: Iterable[float]) -> str:
    """``[0.1, -2, 3.5]`` as shown in prompts."""
    return "[" + ", ".join(fmt(float(v)) for v in values) + "]"


def tex_vec(values: Iterable[float]) -> str:
    """A LaTeX row vector."""
    return "(" + ",\\ ".join(tnum(float(v)) for v in values) + ")"


# -- mistakes --------------------------------------------------------------------------------------

_EXACT = ("int", "shape", "list", "choice", "set")


def _flat(v: Any) -> list[float]:
    if isinstance(v, (list, tuple)):
        return [x for item in v for x in _flat(item)]
    return [float(v)]


def _equal(part: Part, a: Any, b: Any) -> bool:
    if part.kind == "choice":
        return a == b
    if part.kind == "set":
        return sorted(_flat(a)) == sorted(_flat(b))
    fa, fb = _flat(a), _flat(b)
    return len(fa) == len(fb) and all(x == y for x, y in zip(fa, fb, strict=False))


def _near(part: Part, a: Any, b: Any, factor: float = 2.0) -> bool:
    """Within ``factor`` times the grading tolerance (exact kinds: equal)."""
    if part.kind in _EXACT:
        return _equal(part, a, b)
    fa, fb = _flat(a), _flat(b)
    if len(fa) != len(fb):
        return False
    return all(
        abs(x - y) <= factor * (part.atol + part.rtol * max(abs(x), abs(y)))
        for x, y in zip(fa, fb, strict=False)
    )


def _usable(part: Part, value: Any) -> bool:
    """A value of the part's kind, finite, and as long as the answer."""
    if part.kind == "choice":
        return value in part.choices
    flat = _flat(value)
    return all(math.isfinite(x) for x in flat) and (
        part.kind in ("set", "list") or len(flat) == len(_flat(part.answer))
    )


def clean_mistakes(parts: Sequence[Part], mistakes: Iterable[Mistake]) -> tuple[Mistake, ...]:
    """The mistakes a grader can name without doubt, in order.

    Dropped here: values that are not finite or have the wrong length, and values so close to the answer
    that a learner's rounding could be taken for them (they would also tighten the tolerance on the right
    answer). Mistakes equal to the answer or shadowed by an earlier one are dropped by the core for every
    family (``engine.core._prune_mistakes``).
    """
    by_name = {p.name: p for p in parts}
    kept: list[Mistake] = []
    for m in mistakes:
        usable = all(
            _usable(by_name[n], v)
            and (_equal(by_name[n], v, by_name[n].answer) or not _near(by_name[n], v, by_name[n].answer))
            for n, v in m.values.items()
        )
        if usable:
            kept.append(m)
    return tuple(kept)
