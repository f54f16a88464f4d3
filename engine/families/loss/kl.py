"""KL divergence: its direction, and the argument order of ``F.kl_div``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, assert_never

import torch
import torch.nn.functional as F

from engine.families._support import simplex_units, simplex_units_cols
from engine.families.loss._data import F64, LN2, cuts_cols, tensor
from engine.family import Family, register
from engine.formatting import tex_vec, tnum
from engine.values import Mistake, Param, Part

__all__ = ["KLDivergence"]

_KL_CALLS = (
    "F.kl_div(Q.log(), P, reduction='sum')",
    "F.kl_div(P.log(), Q, reduction='sum')",
    "F.kl_div(Q, P, reduction='sum')",
    "F.kl_div(P, Q, reduction='sum')",
)


class Direction(StrEnum):
    """Which divergence is asked for (the ``direction`` parameter stores the value)."""

    PQ = "PQ"  # D_KL(P‖Q)
    QP = "QP"  # D_KL(Q‖P)


_DIRECTIONS = tuple(d.value for d in Direction)


@dataclass(frozen=True)
class _KlParams:
    """A variant's parameters: K outcomes, the direction asked for, and the distributions' seed."""

    k: int
    direction: Direction
    seed: int

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _KlParams:
        return cls(p["K"], Direction(p["direction"]), p["data_seed"])

    def dists(self) -> tuple[list[float], list[float]] | None:
        """P and Q (in steps of 1/20), or ``None`` where the draw is rejected: coinciding cuts, or Q a
        permutation of P (then KL(P‖Q) = KL(Q‖P), and the asymmetry the exercise teaches cannot show)."""
        a, b = simplex_units(self.seed, 40, self.k), simplex_units(self.seed, 41, self.k)
        if a is None or b is None or sorted(a) == sorted(b):
            return None
        return [u / 20 for u in a], [u / 20 for u in b]


@register
class KLDivergence(Family):
    id = "kl_divergence"
    version = 2  # 2: Q is never a permutation of P
    title = "KL 散度与 F.kl_div 的参数顺序"
    topics = ("003-0094",)
    schema = {
        "K": Param("int", 3, 4),
        "direction": Param("choice", choices=_DIRECTIONS),
        "data_seed": Param("int", 0, 10**6),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        if _KlParams.of(p).dists() is None:
            return "the distributions draw is degenerate (coinciding cuts, or Q a permutation of P)"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        seed, k = c["data_seed"].to(torch.int64), c["K"].to(torch.int64)
        _, a_ok = cuts_cols(seed, 40, k, 4)
        _, b_ok = cuts_cols(seed, 41, k, 4)
        pu = simplex_units_cols(seed, 40, k, 4).sort(dim=1).values
        qu = simplex_units_cols(seed, 41, k, 4).sort(dim=1).values
        return a_ok & b_ok & (pu != qu).any(1)

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _KlParams.of(p)
        pd, qd = q.dists() or ([], [])
        P, Q = tensor(pd), tensor(qd)
        match q.direction:
            case Direction.PQ:  # KL(P||Q): input is log Q, target is P
                return {"kl": F.kl_div(Q.log(), P, reduction="sum").item(), "call": _KL_CALLS[0]}
            case Direction.QP:
                return {"kl": F.kl_div(P.log(), Q, reduction="sum").item(), "call": _KL_CALLS[1]}
            case _:
                assert_never(q.direction)

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seed = c["data_seed"].to(torch.int64)
        k = c["K"].to(torch.int64)
        pu = simplex_units_cols(seed, 40, k, 4).to(F64)
        qu = simplex_units_cols(seed, 41, k, 4).to(F64)
        mask = pu > 0
        pu, qu = torch.where(mask, pu, 1.0) / 20, torch.where(mask, qu, 1.0) / 20  # padding adds 0 below
        pq = (mask * pu * torch.log(pu / qu)).sum(1)
        qp = (mask * qu * torch.log(qu / pu)).sum(1)
        qp_dir = c["direction"] == _DIRECTIONS.index(Direction.QP)
        return {"kl": torch.where(qp_dir, qp, pq), "call": qp_dir.to(F64)}

    def work(self, p: dict[str, Any]) -> dict[str, Any]:
        """The answers, P and Q, and the two distributions in the order the divergence takes them."""
        q = _KlParams.of(p)
        P, Q = q.dists() or ([], [])
        pq = q.direction is Direction.PQ
        a, b = (P, Q) if pq else (Q, P)
        an, bn = ("P", "Q") if pq else ("Q", "P")
        return {**self.solve(p), "P": P, "Q": Q, "a": a, "b": b, "an": an, "bn": bn}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        an, bn = w["an"], w["bn"]
        return (
            f"两个离散分布 $P={tex_vec(w['P'])}$，$Q={tex_vec(w['Q'])}$。\n\n"
            f"(1) 求 $D_{{KL}}({an}\\,\\|\\,{bn})$（自然对数）；"
            f"(2) 用 PyTorch 计算它应当怎样调用 `F.kl_div`？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        return (
            Part("kl", f"$D_{{KL}}({w['an']}\\|{w['bn']})$", "real", w["kl"]),
            Part("call", "`F.kl_div` 的写法", "choice", w["call"], choices=_KL_CALLS),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        an, bn = w["an"], w["bn"]
        terms = [
            f"{tnum(x)}\\ln\\frac{{{tnum(x)}}}{{{tnum(y)}}}" for x, y in zip(w["a"], w["b"], strict=False)
        ]
        return (
            f"$$D_{{KL}}({an}\\|{bn})=\\sum_i {an.lower()}_i\\ln\\frac{{{an.lower()}_i}}{{{bn.lower()}_i}}"
            f"={'+'.join(terms)}={tnum(w['kl'])}$$\n\n"
            "`F.kl_div(input, target)` 计算 $\\sum \\text{target}\\,(\\ln\\text{target}-\\text{input})$："
            "`input` 是**近似分布的对数**，`target` 是**参考分布**（概率）。所以 "
            f"$D_{{KL}}({an}\\|{bn})$ 写作 `{w['call']}`。"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        a, b, an, bn = w["a"], w["b"], w["an"], w["bn"]
        pq = _KlParams.of(p).direction is Direction.PQ
        reverse = sum(y * math.log(y / x) for x, y in zip(a, b, strict=False))
        no_log = sum(x * (math.log(x) - y) for x, y in zip(a, b, strict=False))
        swapped = _KL_CALLS[1] if pq else _KL_CALLS[0]
        no_log_call = _KL_CALLS[2] if pq else _KL_CALLS[3]
        return [
            Mistake("kl.reversed", f"算成了反方向的 KL({bn}‖{an})；KL 不对称", {"kl": reverse}),
            Mistake("kl.kl-div-args-swapped", "F.kl_div 的两个参数顺序弄反了", {"call": swapped}),
            Mistake(
                "kl.input-not-log",
                "F.kl_div 的 input 没有取 log（它要求对数概率）",
                {"call": no_log_call, "kl": no_log},
            ),
            # the same slip in the call alone, the divergence computed right by hand
            Mistake(
                "kl.call-input-not-log",
                "F.kl_div 的 input 应传对数概率（写法里漏了 .log()）",
                {"call": no_log_call},
            ),
            Mistake("kl.log2", "用了以 2 为底的对数", {"kl": w["kl"] / LN2}),
        ]
