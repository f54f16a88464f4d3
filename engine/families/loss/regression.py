"""Regression losses: MSE (mean against ½·sum), L1 / MAE, and Smooth L1 (PyTorch's beta form and Fast
R-CNN's sigma form)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, assert_never

import torch
import torch.nn.functional as F

from engine.families.loss._data import F64, pairs, pairs_cols, tensor
from engine.family import Family, register
from engine.formatting import fmt, tex_vec, tnum
from engine.values import Mistake, Param, Part

__all__ = ["MAELoss", "MSELoss", "SmoothL1"]

# -- mse_loss ----------------------------------------------------------------------------------------


@register
class MSELoss(Family):
    id = "mse_loss"
    title = "MSE：均值与 ½·求和"
    topics = ("002-0125", "003-0087")
    schema = {"n": Param("int", 2, 5), "data_seed": Param("int", 0, 10**6)}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        pred, target = map(tensor, pairs(p["data_seed"], p["n"], 10))
        return {
            "mean": F.mse_loss(pred, target).item(),
            "half_sum": F.mse_loss(pred, target, reduction="sum").item() / 2,
        }

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        pred, target, mask = pairs_cols(c, 5, 10)
        ss = ((pred - target) ** 2 * mask).sum(1)
        return {"mean": ss / c["n"], "half_sum": ss / 2}

    def work(self, p: dict[str, Any]) -> dict[str, Any]:
        pred, target = pairs(p["data_seed"], p["n"], 10)
        d = [a - b for a, b in zip(pred, target, strict=False)]
        return {**self.solve(p), "pred": pred, "target": target, "d": d, "sq": [x * x for x in d]}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        return (
            f"预测值 $\\hat y={tex_vec(w['pred'])}$，目标值 $y={tex_vec(w['target'])}$。\n\n"
            "求：(1) `F.mse_loss(y_hat, y)`（默认 `reduction='mean'`）；(2) 另一种常见写法 "
            "$\\frac12\\sum_i(\\hat y_i-y_i)^2$。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        return (
            Part("mean", "`F.mse_loss`（mean）", "real", w["mean"]),
            Part("half_sum", "$\\frac12\\sum(\\hat y-y)^2$", "real", w["half_sum"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        sq = w["sq"]
        return (
            f"差值 $\\hat y-y={tex_vec(w['d'])}$，平方 ${tex_vec(sq)}$，平方和 $S={tnum(sum(sq))}$。\n\n"
            f"$$\\text{{MSE}}=\\frac{{S}}{{n}}=\\frac{{{tnum(sum(sq))}}}{{{p['n']}}}={tnum(w['mean'])},\\qquad"
            f"\\frac12 S={tnum(w['half_sum'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        d, n = w["d"], p["n"]
        return [
            Mistake(
                "mse.half-sum-vs-mean",
                "把均值形式与 ½·求和形式弄反了",
                {"mean": w["half_sum"], "half_sum": w["mean"]},
            ),
            Mistake("mse.forgot-half", "½·求和漏掉了 ½", {"half_sum": sum(w["sq"])}),
            Mistake("mse.mae-confused", "没有平方（算成了 MAE）", {"mean": sum(abs(x) for x in d) / n}),
        ]


# -- mae_loss ----------------------------------------------------------------------------------------


@register
class MAELoss(Family):
    id = "mae_loss"
    title = "L1 / MAE 损失"
    topics = ("003-0084",)
    schema = {"n": Param("int", 2, 5), "data_seed": Param("int", 0, 10**6)}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        pred, target = map(tensor, pairs(p["data_seed"], p["n"], 12))
        return {"mae": F.l1_loss(pred, target).item()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        pred, target, mask = pairs_cols(c, 5, 12)
        return {"mae": ((pred - target).abs() * mask).sum(1) / c["n"]}

    def work(self, p: dict[str, Any]) -> dict[str, Any]:
        pred, target = pairs(p["data_seed"], p["n"], 12)
        d = [a - b for a, b in zip(pred, target, strict=False)]
        return {**self.solve(p), "pred": pred, "target": target, "d": d}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        return (
            f"预测值 $\\hat y={tex_vec(w['pred'])}$，目标值 $y={tex_vec(w['target'])}$。"
            "求 `F.l1_loss(y_hat, y)`（默认 `reduction='mean'`）。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        return (Part("mae", "L1 损失", "real", w["mae"]),)

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        d = w["d"]
        return (
            f"$|\\hat y-y|={tex_vec([abs(x) for x in d])}$\n\n"
            f"$$\\text{{MAE}}=\\frac1n\\sum_i|\\hat y_i-y_i|=\\frac{{{tnum(sum(abs(x) for x in d))}}}{{{p['n']}}}"
            f"={tnum(w['mae'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        d, n = w["d"], p["n"]
        return [
            Mistake("mae.forgot-abs", "忘了取绝对值，正负差值相互抵消", {"mae": sum(d) / n}),
            Mistake(
                "mae.sum-not-mean",
                "求和后没有除以 n（默认 reduction='mean'）",
                {"mae": sum(abs(x) for x in d)},
            ),
            Mistake("mae.squared", "取了平方（算成了 MSE）", {"mae": sum(x * x for x in d) / n}),
        ]


# -- smooth_l1 ---------------------------------------------------------------------------------------


def _smooth_l1(d: float, beta: float) -> float:
    a = abs(d)
    return 0.5 * a * a / beta if a < beta else a - 0.5 * beta


class SmoothL1Form(StrEnum):
    """How the loss is parametrised (the ``form`` parameter stores the value)."""

    BETA = "beta"  # PyTorch: F.smooth_l1_loss(..., beta=β)
    SIGMA = "sigma"  # Fast R-CNN: σ, the same loss with β = 1/σ²


_FORMS = tuple(f.value for f in SmoothL1Form)


@dataclass(frozen=True)
class _SmoothL1Params:
    """A variant's parameters: the form, its β or σ (the other is unused), n coordinates and their seed."""

    form: SmoothL1Form
    beta: float
    sigma: int
    n: int
    seed: int

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _SmoothL1Params:
        return cls(SmoothL1Form(p["form"]), p["beta"], p["sigma"], p["n"], p["data_seed"])

    def beta_in_use(self) -> float:
        """PyTorch's β for this variant."""
        match self.form:
            case SmoothL1Form.BETA:
                return self.beta
            case SmoothL1Form.SIGMA:
                return 1 / self.sigma**2
            case _:
                assert_never(self.form)

    def pairs(self) -> tuple[list[float], list[float]]:
        """Predictions and targets."""
        return pairs(self.seed, self.n, 50, -20, 20)


@register
class SmoothL1(Family):
    id = "smooth_l1"
    title = "Smooth L1（beta 形式与 Fast R-CNN 的 sigma 形式）"
    topics = ("004-0007", "001-1761")
    schema = {
        "form": Param("choice", choices=_FORMS),
        "beta": Param("choice", choices=(1.0, 0.5, 0.2, 0.1)),
        "sigma": Param("choice", choices=(1, 2, 3)),
        "n": Param("int", 2, 4),
        "data_seed": Param("int", 0, 10**6),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _SmoothL1Params.of(p)
        pred, target = map(tensor, q.pairs())
        return {"loss": F.smooth_l1_loss(pred, target, beta=q.beta_in_use()).item()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        pred, target, mask = pairs_cols(c, 4, 50, -20, 20)
        beta_c = torch.tensor(self.schema["beta"].choices, dtype=F64, device=pred.device)[c["beta"]]
        sigma = torch.tensor(self.schema["sigma"].choices, dtype=F64, device=pred.device)[c["sigma"]]
        s2 = torch.where(c["form"] == _FORMS.index(SmoothL1Form.BETA), 1 / beta_c, sigma**2)[
            :, None
        ]  # Fast R-CNN: sigma^2 = 1/beta
        x = (pred - target).abs()
        per = torch.where(x < 1 / s2, 0.5 * s2 * x * x, x - 0.5 / s2)
        return {"loss": (per * mask).sum(1) / c["n"]}

    def work(self, p: dict[str, Any]) -> dict[str, Any]:
        pred, target = _SmoothL1Params.of(p).pairs()
        return {
            **self.solve(p),
            "pred": pred,
            "target": target,
            "d": [a - b for a, b in zip(pred, target, strict=False)],
        }

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _SmoothL1Params.of(p)
        head = f"预测 $\\hat t={tex_vec(w['pred'])}$，目标 $t={tex_vec(w['target'])}$，对 {q.n} 个坐标取平均。\n\n"
        match q.form:
            case SmoothL1Form.BETA:
                return (
                    head
                    + f"求 `F.smooth_l1_loss(t_hat, t, beta={fmt(q.beta_in_use())})`（默认 `reduction='mean'`）。"
                )
            case SmoothL1Form.SIGMA:
                return head + (
                    f"按 Fast R-CNN 的定义（$\\sigma={q.sigma}$）求 Smooth L1 损失：\n\n"
                    "$$\\text{smooth}_{L_1}(x)=\\begin{cases}0.5\\sigma^2x^2 & |x|<1/\\sigma^2\\\\ "
                    "|x|-0.5/\\sigma^2 & \\text{否则}\\end{cases}$$"
                )
            case _:
                assert_never(q.form)

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        return (Part("loss", "Smooth L1 损失", "real", w["loss"]),)

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _SmoothL1Params.of(p)
        beta = q.beta_in_use()
        match q.form:
            case SmoothL1Form.BETA:
                rule = (
                    f"$$\\ell(x)=\\begin{{cases}}0.5x^2/\\beta & |x|<\\beta\\\\ |x|-0.5\\beta & \\text{{否则}}"
                    f"\\end{{cases}},\\quad \\beta={tnum(beta)}$$"
                )
            case SmoothL1Form.SIGMA:
                s = q.sigma
                rule = (
                    f"与 PyTorch 的 beta 形式相同，$\\beta=1/\\sigma^2=1/{s * s}={tnum(beta)}$：\n\n"
                    "$$\\ell(x)=\\begin{cases}0.5x^2/\\beta & |x|<\\beta\\\\ |x|-0.5\\beta & \\text{否则}\\end{cases}$$"
                )
            case _:
                assert_never(q.form)
        d = w["d"]
        per = [_smooth_l1(x, beta) for x in d]
        return (
            f"{rule}\n\n差值 $x=\\hat t-t={tex_vec(d)}$，逐项损失 ${tex_vec(per)}$\n\n"
            f"$$\\mathcal L=\\frac1{{{q.n}}}\\left({'+'.join(tnum(v) for v in per)}\\right)={tnum(w['loss'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _SmoothL1Params.of(p)
        beta, d = q.beta_in_use(), w["d"]

        def mean(f: Callable[[float], float]) -> float:
            return sum(f(x) for x in d) / q.n

        mistakes = [
            Mistake(
                "smoothl1.forgot-beta",
                "二次段漏掉了 /β（写成了 0.5x²）",
                {"loss": mean(lambda x: 0.5 * x * x if abs(x) < beta else abs(x) - 0.5 * beta)},
            ),
            Mistake("smoothl1.used-l1", "用成了 L1（没有二次段）", {"loss": mean(abs)}),
            Mistake(
                "smoothl1.linear-no-offset",
                "线性段漏掉了 −0.5β",
                {"loss": mean(lambda x: 0.5 * x * x / beta if abs(x) < beta else abs(x))},
            ),
        ]
        if q.form is SmoothL1Form.SIGMA:
            sigma = float(q.sigma)
            mistakes += [
                Mistake(
                    "smoothl1.sigma-as-beta",
                    "把 σ 直接当成了 β（应为 β = 1/σ²）",
                    {"loss": mean(lambda x: _smooth_l1(x, sigma))},
                ),
                Mistake(
                    "smoothl1.sigma-not-squared",
                    "用了 β = 1/σ（应为 1/σ²）",
                    {"loss": mean(lambda x: _smooth_l1(x, 1 / sigma))},
                ),
            ]
        return mistakes
