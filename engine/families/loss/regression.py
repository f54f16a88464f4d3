"""Regression losses: MSE (mean against ½·sum), L1 / MAE, and Smooth L1 (PyTorch's beta form and Fast
R-CNN's sigma form)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, assert_never

import torch
import torch.nn.functional as F

from engine.core import Family, Mistake, Param, Part, Variant, fmt, register
from engine.families._support import tex_vec, tnum
from engine.families.loss._data import F64, pairs, pairs_cols, tensor, variant

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

    def build(self, p: dict[str, Any]) -> Variant:
        n = p["n"]
        pred, target = pairs(p["data_seed"], n, 10)
        r = self.solve(p)
        d = [a - b for a, b in zip(pred, target, strict=False)]
        sq = [x * x for x in d]
        prompt = (
            f"预测值 $\\hat y={tex_vec(pred)}$，目标值 $y={tex_vec(target)}$。\n\n"
            "求：(1) `F.mse_loss(y_hat, y)`（默认 `reduction='mean'`）；(2) 另一种常见写法 "
            "$\\frac12\\sum_i(\\hat y_i-y_i)^2$。"
        )
        solution = (
            f"差值 $\\hat y-y={tex_vec(d)}$，平方 ${tex_vec(sq)}$，平方和 $S={tnum(sum(sq))}$。\n\n"
            f"$$\\text{{MSE}}=\\frac{{S}}{{n}}=\\frac{{{tnum(sum(sq))}}}{{{n}}}={tnum(r['mean'])},\\qquad"
            f"\\frac12 S={tnum(r['half_sum'])}$$"
        )
        mistakes = [
            Mistake(
                "mse.half-sum-vs-mean",
                "把均值形式与 ½·求和形式弄反了",
                {"mean": r["half_sum"], "half_sum": r["mean"]},
            ),
            Mistake("mse.forgot-half", "½·求和漏掉了 ½", {"half_sum": sum(sq)}),
            Mistake("mse.mae-confused", "没有平方（算成了 MAE）", {"mean": sum(abs(x) for x in d) / n}),
        ]
        parts = (
            Part("mean", "`F.mse_loss`（mean）", "real", r["mean"], atol=1e-6),
            Part("half_sum", "$\\frac12\\sum(\\hat y-y)^2$", "real", r["half_sum"], atol=1e-6),
        )
        return variant(self, p, prompt, parts, solution, mistakes)


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

    def build(self, p: dict[str, Any]) -> Variant:
        n = p["n"]
        pred, target = pairs(p["data_seed"], n, 12)
        mae = self.solve(p)["mae"]
        d = [a - b for a, b in zip(pred, target, strict=False)]
        prompt = (
            f"预测值 $\\hat y={tex_vec(pred)}$，目标值 $y={tex_vec(target)}$。"
            "求 `F.l1_loss(y_hat, y)`（默认 `reduction='mean'`）。"
        )
        solution = (
            f"$|\\hat y-y|={tex_vec([abs(x) for x in d])}$\n\n"
            f"$$\\text{{MAE}}=\\frac1n\\sum_i|\\hat y_i-y_i|=\\frac{{{tnum(sum(abs(x) for x in d))}}}{{{n}}}={tnum(mae)}$$"
        )
        mistakes = [
            Mistake("mae.forgot-abs", "忘了取绝对值，正负差值相互抵消", {"mae": sum(d) / n}),
            Mistake(
                "mae.sum-not-mean",
                "求和后没有除以 n（默认 reduction='mean'）",
                {"mae": sum(abs(x) for x in d)},
            ),
            Mistake("mae.squared", "取了平方（算成了 MSE）", {"mae": sum(x * x for x in d) / n}),
        ]
        parts = (Part("mae", "L1 损失", "real", mae, atol=1e-6),)
        return variant(self, p, prompt, parts, solution, mistakes)


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

    def build(self, p: dict[str, Any]) -> Variant:
        q = _SmoothL1Params.of(p)
        n = q.n
        pred, target = q.pairs()
        beta = q.beta_in_use()
        loss = self.solve(p)["loss"]
        d = [a - b for a, b in zip(pred, target, strict=False)]
        head = f"预测 $\\hat t={tex_vec(pred)}$，目标 $t={tex_vec(target)}$，对 {n} 个坐标取平均。\n\n"
        if q.form is SmoothL1Form.BETA:
            prompt = head + f"求 `F.smooth_l1_loss(t_hat, t, beta={fmt(beta)})`（默认 `reduction='mean'`）。"
            rule = (
                f"$$\\ell(x)=\\begin{{cases}}0.5x^2/\\beta & |x|<\\beta\\\\ |x|-0.5\\beta & \\text{{否则}}"
                f"\\end{{cases}},\\quad \\beta={tnum(beta)}$$"
            )
        elif q.form is SmoothL1Form.SIGMA:
            s = q.sigma
            prompt = head + (
                f"按 Fast R-CNN 的定义（$\\sigma={s}$）求 Smooth L1 损失：\n\n"
                "$$\\text{smooth}_{L_1}(x)=\\begin{cases}0.5\\sigma^2x^2 & |x|<1/\\sigma^2\\\\ "
                "|x|-0.5/\\sigma^2 & \\text{否则}\\end{cases}$$"
            )
            rule = (
                f"与 PyTorch 的 beta 形式相同，$\\beta=1/\\sigma^2=1/{s * s}={tnum(beta)}$：\n\n"
                "$$\\ell(x)=\\begin{cases}0.5x^2/\\beta & |x|<\\beta\\\\ |x|-0.5\\beta & \\text{否则}\\end{cases}$$"
            )
        else:
            assert_never(q.form)
        per = [_smooth_l1(x, beta) for x in d]
        solution = (
            f"{rule}\n\n差值 $x=\\hat t-t={tex_vec(d)}$，逐项损失 ${tex_vec(per)}$\n\n"
            f"$$\\mathcal L=\\frac1{{{n}}}\\left({'+'.join(tnum(v) for v in per)}\\right)={tnum(loss)}$$"
        )

        def mean(f: Callable[[float], float]) -> float:
            return sum(f(x) for x in d) / n

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
        parts = (Part("loss", "Smooth L1 损失", "real", loss, atol=1e-6),)
        return variant(self, p, prompt, parts, solution, mistakes)
