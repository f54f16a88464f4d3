"""Softmax cross-entropy over K classes: from logits or from probabilities, and with label smoothing."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, assert_never

import torch
import torch.nn.functional as F

from engine.families._support import draw_grid, simplex_units, simplex_units_cols
from engine.families.loss._data import F64, LN2, LN10, Given, cuts_cols, tensor
from engine.family import Family, register
from engine.formatting import fmt, tex_vec, tnum
from engine.values import Mistake, Param, Part

__all__ = ["CrossEntropy", "LabelSmoothing"]

# -- cross_entropy -----------------------------------------------------------------------------------

_KMAX = 5
_GIVEN = (Given.LOGITS.value, Given.PROBS.value)


@dataclass(frozen=True)
class _CeParams:
    """A variant's parameters: what the model output is given as, K classes, the target class, and
    the seed its numbers are drawn from."""

    given: Given
    k: int
    target: int
    seed: int

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _CeParams:
        return cls(Given(p["given"]), p["K"], p["target"], p["data_seed"])

    def logits(self) -> list[float]:
        return [draw_grid(self.seed, j, 20, -30, 40, 10) for j in range(self.k)]

    def probs(self) -> list[float] | None:
        """The probabilities (in steps of 1/20), or ``None`` where the draw is rejected."""
        units = simplex_units(self.seed, 21, self.k)
        return None if units is None else [u / 20 for u in units]


@register
class CrossEntropy(Family):
    id = "cross_entropy"
    title = "交叉熵（logits 或概率）"
    topics = ("002-0132", "003-0097")
    schema = {
        "given": Param("choice", choices=_GIVEN),
        "K": Param("int", 3, _KMAX),
        "target": Param("int", 0, _KMAX - 1),
        "data_seed": Param("int", 0, 10**6),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _CeParams.of(p)
        if q.target >= q.k:
            return "target must be a class index below K"
        if q.given is Given.PROBS and q.probs() is None:
            return "the probability draw has coinciding cut points"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        k = c["K"].to(torch.int64)
        _, distinct = cuts_cols(c["data_seed"].to(torch.int64), 21, k, _KMAX)
        return (c["target"] < c["K"]) & ((c["given"] != _GIVEN.index(Given.PROBS)) | distinct)

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _CeParams.of(p)
        t = torch.tensor([q.target])
        match q.given:
            case Given.LOGITS:
                z = tensor(q.logits())
                return {"p": F.softmax(z, dim=0)[q.target].item(), "loss": F.cross_entropy(z[None], t).item()}
            case Given.PROBS:
                probs = tensor(q.probs() or [])
                return {"p": probs[q.target].item(), "loss": F.nll_loss(torch.log(probs)[None], t).item()}
            case _:
                assert_never(q.given)

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seed = c["data_seed"].to(torch.int64)
        k = c["K"].to(torch.int64)
        t = c["target"].to(torch.int64)[:, None]
        j = torch.arange(_KMAX, device=seed.device)[None, :]
        z = draw_grid(seed[:, None], j, 20, -30, 40, 10)
        z = torch.where(j < k[:, None], z, torch.full_like(z, -math.inf))
        m = z.max(dim=1).values
        lse = m + torch.log(torch.exp(z - m[:, None]).sum(1))
        zt = z.gather(1, t)[:, 0]
        probs_units = simplex_units_cols(seed, 21, k, _KMAX)
        pt_given = probs_units.gather(1, t)[:, 0].to(F64) / 20
        from_probs = c["given"] == _GIVEN.index(Given.PROBS)
        pt = torch.where(from_probs, pt_given, torch.exp(zt - lse))
        return {"p": pt, "loss": torch.where(from_probs, -torch.log(pt_given), lse - zt)}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _CeParams.of(p)
        k, t = q.k, q.target
        match q.given:
            case Given.LOGITS:
                return (
                    f"一个 {k} 分类模型对某个样本输出 logits $z={tex_vec(q.logits())}$（类别下标从 0 开始），"
                    f"真实类别为 {t}。\n\n"
                    f"求：softmax 后真实类别的概率 $p_{{{t}}}$，以及 `F.cross_entropy(z, target)` 的值（自然对数）。"
                )
            case Given.PROBS:
                return (
                    f"一个 {k} 分类模型对某个样本输出的**概率**（已经过 softmax）为 $q={tex_vec(q.probs() or [])}$"
                    f"（类别下标从 0 开始），真实类别为 {t}。\n\n"
                    f"求：真实类别的概率 $p_{{{t}}}$，以及交叉熵损失（自然对数）。"
                )
            case _:
                assert_never(q.given)

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        t = p["target"]
        return (
            Part("p", f"真实类别的概率 $p_{{{t}}}$", "real", w["p"], ratio=True),
            Part("loss", "交叉熵损失", "real", w["loss"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _CeParams.of(p)
        t, pt, loss = q.target, w["p"], w["loss"]
        match q.given:
            case Given.LOGITS:
                z = q.logits()
                zmax = max(z)
                exps = [math.exp(v - zmax) for v in z]
                return (
                    f"$$p_{{{t}}}=\\frac{{e^{{z_{{{t}}}}}}}{{\\sum_j e^{{z_j}}}}"
                    f"=\\frac{{e^{{{tnum(z[t] - zmax)}}}}}{{{'+'.join(f'e^{{{tnum(v - zmax)}}}' for v in z)}}}"
                    f"=\\frac{{{tnum(exps[t])}}}{{{tnum(sum(exps))}}}={tnum(pt)}$$\n\n"
                    f"（分子分母同乘 $e^{{-\\max z}}$，$\\max z={tnum(zmax)}$）\n\n"
                    f"$$\\mathcal L=-\\ln p_{{{t}}}=-\\ln {tnum(pt)}={tnum(loss)}$$"
                )
            case Given.PROBS:
                return (
                    f"已经是概率，直接取真实类别：$p_{{{t}}}={tnum(pt)}$。\n\n"
                    f"$$\\mathcal L=-\\ln p_{{{t}}}=-\\ln {tnum(pt)}={tnum(loss)}$$\n\n"
                    "（对概率不能再用 `F.cross_entropy`，它内部还会做一次 log_softmax；"
                    "应写 `F.nll_loss(q.log(), target)`。）"
                )
            case _:
                assert_never(q.given)

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _CeParams.of(p)
        t, loss = q.target, w["loss"]
        mistakes: list[Mistake] = []
        match q.given:
            case Given.LOGITS:
                z = q.logits()
                zt, s = z[t], sum(z)
                if zt > 0:
                    mistakes.append(
                        Mistake(
                            "ce.no-softmax",
                            "没有做 softmax，直接对原始 logit 取了 −log",
                            {"loss": -math.log(zt)},
                        )
                    )
                if s != 0 and zt / s > 0:
                    mistakes.append(
                        Mistake(
                            "ce.forgot-exp",
                            "没有取指数，直接用 z/Σz 当作概率",
                            {"p": zt / s, "loss": -math.log(zt / s)},
                        )
                    )
            case Given.PROBS:
                qt = tensor(q.probs() or [])
                mistakes.append(
                    Mistake(
                        "ce.softmax-on-probs",
                        "把概率当 logits 又做了一次 softmax（F.cross_entropy(q)）",
                        {
                            "p": F.softmax(qt, 0)[t].item(),
                            "loss": F.cross_entropy(qt[None], torch.tensor([t])).item(),
                        },
                    )
                )
            case _:
                assert_never(q.given)
        return [
            *mistakes,
            Mistake("ce.log2", "用了以 2 为底的对数（PyTorch 用自然对数）", {"loss": loss / LN2}),
            Mistake("ce.log10", "用了以 10 为底的对数（PyTorch 用自然对数）", {"loss": loss / LN10}),
        ]


# -- label_smoothing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _LsParams:
    """A variant's parameters: K classes, the target class, the smoothing ε, and the logits' seed."""

    k: int
    target: int
    eps: float
    seed: int

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _LsParams:
        return cls(p["K"], p["target"], p["eps"], p["data_seed"])

    def logits(self) -> list[float]:
        return [draw_grid(self.seed, j, 60, -20, 30, 10) for j in range(self.k)]


@register
class LabelSmoothing(Family):
    id = "label_smoothing"
    version = 2  # v2: draws where a listed mistake cannot show are redrawn
    title = "带 label smoothing 的交叉熵"
    topics = ("003-0097",)
    schema = {
        "K": Param("int", 3, _KMAX),
        "target": Param("int", 0, _KMAX - 1),
        "eps": Param("choice", choices=(0.1, 0.2, 0.05, 0.3)),
        "data_seed": Param("int", 0, 10**6),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _LsParams.of(p)
        if q.target >= q.k:
            return "target must be a class index below K"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        return c["target"] < c["K"]

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        ls = _LsParams.of(p)
        z = tensor(ls.logits()).requires_grad_(True)
        t = ls.target
        loss = F.cross_entropy(z[None], torch.tensor([t]), label_smoothing=ls.eps)
        (grad,) = torch.autograd.grad(loss, z)
        q = (F.softmax(z.detach(), 0) - grad).tolist()  # d CE / dz = softmax(z) - q: torch's own targets
        other = next(i for i in range(ls.k) if i != t)
        return {"q_t": q[t], "q_other": q[other], "loss": loss.item()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seed = c["data_seed"].to(torch.int64)
        k = c["K"]
        eps = torch.tensor(self.schema["eps"].choices, dtype=F64, device=seed.device)[c["eps"]]
        j = torch.arange(_KMAX, device=seed.device)[None, :]
        mask = j < k[:, None]
        z = draw_grid(seed[:, None], j, 60, -20, 30, 10)
        m = torch.where(mask, z, -math.inf).max(1).values
        lse = m + torch.log((torch.exp(z - m[:, None]) * mask).sum(1))
        logp = z - lse[:, None]
        q_other = eps / k
        q_t = 1 - eps + eps / k
        zt = logp.gather(1, c["target"].to(torch.int64)[:, None])[:, 0]
        loss = -(q_t * zt + q_other * ((logp * mask).sum(1) - zt))
        return {"q_t": q_t, "q_other": q_other, "loss": loss}

    def work(self, p: dict[str, Any]) -> dict[str, Any]:
        z = _LsParams.of(p).logits()
        zmax = max(z)
        lse = zmax + math.log(sum(math.exp(v - zmax) for v in z))
        return {**self.solve(p), "z": z, "logp": [v - lse for v in z]}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _LsParams.of(p)
        return (
            f"{q.k} 分类，logits $z={tex_vec(w['z'])}$（类别下标从 0 开始），真实类别为 {q.target}。用 "
            f"`F.cross_entropy(z, target, label_smoothing={fmt(q.eps)})`。\n\n"
            "求：平滑后的目标分布中真实类别的概率 $q_t$、任一其他类别的概率 $q_{other}$，以及损失值。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        return (
            Part("q_t", "$q_t$", "real", w["q_t"], ratio=True),
            Part("q_other", "$q_{other}$", "real", w["q_other"], ratio=True),
            Part("loss", "损失", "real", w["loss"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _LsParams.of(p)
        eps = q.eps
        return (
            "PyTorch 的 label smoothing 把 $\\varepsilon$ 均分给**全部** $K$ 个类别（含真实类）：\n\n"
            f"$$q_t=1-\\varepsilon+\\frac{{\\varepsilon}}{{K}}=1-{tnum(eps)}+\\frac{{{tnum(eps)}}}{{{q.k}}}={tnum(w['q_t'])},\\quad "
            f"q_{{other}}=\\frac{{\\varepsilon}}{{K}}={tnum(w['q_other'])}$$\n\n"
            f"$\\log\\mathrm{{softmax}}(z)={tex_vec(w['logp'])}$\n\n"
            f"$$\\mathcal L=-\\sum_i q_i\\log p_i={tnum(w['loss'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _LsParams.of(p)
        k, t, eps, logp = q.k, q.target, q.eps, w["logp"]

        def ce_with(qt: float, qo: float) -> float:
            return -sum((qt if i == t else qo) * lp for i, lp in enumerate(logp))

        qo_wrong = eps / (k - 1)
        return [
            Mistake(
                "ls.eps-over-k-minus-1",
                "用了 ε/(K−1) 的约定（PyTorch 是 ε/K，真实类也分到一份）",
                {"q_t": 1 - eps, "q_other": qo_wrong, "loss": ce_with(1 - eps, qo_wrong)},
            ),
            Mistake("ls.no-smoothing", "忽略了 label smoothing（普通交叉熵）", {"loss": -logp[t]}),
        ]
