"""Helpers shared by the family modules (no family is registered here).

* :func:`draw_int` / :func:`draw_grid`: numbers derived deterministically from a ``data_seed``
  parameter. The same integer arithmetic runs on Python ints (``build``/``solve``) and on int64 tensors
  (``closed_form``), so a variant's data can be rebuilt from its parameters, one at a time or a whole
  column at once, and the prompt shows exactly the numbers used.
* :func:`draw_bits`: 31 random bits from ``(seed, i, salt)``, for families that cut them up themselves.
"""

from __future__ import annotations

from typing import Any, TypeVar

import torch

__all__ = [
    "M31",
    "draw_bits",
    "draw_grid",
    "draw_int",
    "mix31",
    "simplex_units",
    "simplex_units_cols",
]

M31 = 0x7FFFFFFF  # 31-bit mask: every hash stays a non-negative int64
T = TypeVar("T", int, torch.Tensor)


def mix31(x: T) -> T:
    """A 31-bit integer hash (xorshift-multiply rounds); products stay below 2**63."""
    x = x & M31
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & M31
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & M31
    return x ^ (x >> 16)


def draw_int(seed: T, i: T | int, salt: int, lo: int, hi: int) -> T:
    """An integer in ``[lo, hi]`` drawn from ``(seed, i, salt)``.

    ``seed`` and ``i`` are non-negative ints (below 2**31) or int64 tensors (broadcast together); the
    same integer arithmetic runs on both, so ints and tensors give identical results.
    """
    x = mix31(seed + 0x9E3779B)
    x = mix31(x ^ ((i * 0x85EBCA6B) & M31))
    x = mix31(x ^ ((salt * 0xC2B2AE35 + 0x27D4EB2F) & M31))
    return lo + x % (hi - lo + 1)


def draw_bits(seed: T, i: T | int, salt: int) -> T:
    """31 random bits drawn from ``(seed, i, salt)``: :func:`draw_int` over ``[0, 2**31 - 1]``."""
    return draw_int(seed, i, salt, 0, M31)


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
