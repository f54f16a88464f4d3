"""Binary losses on one sigmoid output: BCE (probabilities against BCEWithLogits) and the focal loss."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, assert_never

import torch
import torch.nn.functional as F

from engine.families._support import draw_grid, draw_int
from engine.families.loss._data import F64, Given, tensor
from engine.family import Family, register
from engine.formatting import fmt, tex_vec, tnum
from engine.values import Mistake, Param, Part

__all__ = ["BCELoss", "FocalLoss"]

# -- bce_loss ----------------------------------------------------------------------------------------


_GIVEN = (Given.PROBS.value, Given.LOGITS.value)


@dataclass(frozen=True)
class _BceParams:
    """A variant's parameters: what the outputs are given as, how many samples, and their seed."""

    given: Given
    n: int
    seed: int

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _BceParams:
        return cls(Given(p["given"]), p["n"], p["data_seed"])

    def data(self) -> tuple[list[float], list[int]]:
        """The model outputs (probabilities or logits, as given) and the 0/1 labels."""
        seed, n = self.seed, self.n
        match self.given:
            case Given.PROBS:
                x = [draw_grid(seed, j, 30, 1, 19, 20) for j in range(n)]
            case Given.LOGITS:
                x = [draw_grid(seed, j, 31, -30, 30, 10) for j in range(n)]
            case _:
                assert_never(self.given)
        return x, [draw_int(seed, j, 32, 0, 1) for j in range(n)]


def _bce_plain(p: list[float], y: list[int]) -> float:
    return -sum(yi * math.log(pi) + (1 - yi) * math.log(1 - pi) for pi, yi in zip(p, y, strict=False)) / len(
        p
    )


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


@register
class BCELoss(Family):
    id = "bce_loss"
    title = "BCE：概率输入与 BCEWithLogits"
    topics = ("003-0097",)
    schema = {
        "given": Param("choice", choices=_GIVEN),
        "n": Param("int", 1, 4),
        "data_seed": Param("int", 0, 10**6),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _BceParams.of(p)
        x, y = q.data()
        xt, yt = tensor(x), tensor([float(v) for v in y])
        match q.given:
            case Given.PROBS:
                return {"loss": F.binary_cross_entropy(xt, yt).item()}
            case Given.LOGITS:
                return {"loss": F.binary_cross_entropy_with_logits(xt, yt).item()}
            case _:
                assert_never(q.given)

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seed = c["data_seed"].to(torch.int64)
        j = torch.arange(4, device=seed.device)[None, :]
        mask = (j < c["n"][:, None]).to(F64)
        y = draw_int(seed[:, None], j, 32, 0, 1).to(F64)
        prob = draw_grid(seed[:, None], j, 30, 1, 19, 20)
        z = draw_grid(seed[:, None], j, 31, -30, 30, 10)
        from_probs = -(y * torch.log(prob) + (1 - y) * torch.log(1 - prob))
        # stable logits form: max(z, 0) - z*y + log(1 + e^{-|z|})
        from_logits = torch.clamp(z, min=0) - z * y + torch.log1p(torch.exp(-z.abs()))
        per = torch.where((c["given"] == _GIVEN.index(Given.PROBS))[:, None], from_probs, from_logits)
        return {"loss": (per * mask).sum(1) / c["n"]}

    def work(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _BceParams.of(p)
        x, y = q.data()
        match q.given:
            case Given.PROBS:
                probs = x
            case Given.LOGITS:
                probs = [_sigmoid(v) for v in x]
            case _:
                assert_never(q.given)
        return {**self.solve(p), "x": x, "y": y, "probs": probs}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _BceParams.of(p)
        x, y = w["x"], w["y"]
        match q.given:
            case Given.PROBS:
                return (
                    f"模型对 {q.n} 个样本输出的正类**概率**为 $p={tex_vec(x)}$，标签 $y={tex_vec(y)}$。"
                    "求 `F.binary_cross_entropy(p, y)`（默认 `reduction='mean'`，自然对数）。"
                )
            case Given.LOGITS:
                return (
                    f"模型对 {q.n} 个样本输出的 **logits** 为 $z={tex_vec(x)}$，标签 $y={tex_vec(y)}$。"
                    "求 `F.binary_cross_entropy_with_logits(z, y)`（默认 `reduction='mean'`）。"
                )
            case _:
                assert_never(q.given)

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        return (Part("loss", "BCE 损失", "real", w["loss"]),)

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _BceParams.of(p)
        probs, y = w["probs"], w["y"]
        match q.given:
            case Given.PROBS:
                solution = "直接用概率：\n\n"
            case Given.LOGITS:
                solution = f"先过 sigmoid：$p=\\sigma(z)={tex_vec(probs)}$（BCEWithLogits 内部只做这一次 sigmoid）。\n\n"
            case _:
                assert_never(q.given)
        terms = [-math.log(pi) if yi == 1 else -math.log(1 - pi) for pi, yi in zip(probs, y, strict=False)]
        return solution + (
            "$$\\ell_i=-[y_i\\ln p_i+(1-y_i)\\ln(1-p_i)]$$\n\n"
            f"逐项：${tex_vec(terms)}$\n\n"
            f"$$\\mathcal L=\\frac1{{{q.n}}}\\left({'+'.join(tnum(v) for v in terms)}\\right)={tnum(w['loss'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _BceParams.of(p)
        x, y = w["x"], w["y"]
        yt = tensor([float(v) for v in y])
        mistakes: list[Mistake] = []
        match q.given:
            case Given.PROBS:
                mistakes.append(
                    Mistake(
                        "bce.sigmoid-on-probs",
                        "对概率又做了一次 sigmoid（用成了 BCEWithLogits）",
                        {"loss": F.binary_cross_entropy_with_logits(tensor(x), yt).item()},
                    )
                )
            case Given.LOGITS:
                mistakes.append(
                    Mistake(
                        "bce.double-sigmoid",
                        "sigmoid 做了两次（先手动 sigmoid 再用 BCEWithLogits）",
                        {"loss": F.binary_cross_entropy_with_logits(tensor(w["probs"]), yt).item()},
                    )
                )
                if all(0 < v < 1 for v in x):
                    mistakes.append(
                        Mistake("bce.logit-as-prob", "把 logit 直接当成了概率", {"loss": _bce_plain(x, y)})
                    )
            case _:
                assert_never(q.given)
        if q.n > 1:
            mistakes.append(
                Mistake(
                    "bce.sum-not-mean",
                    "求和后没有除以样本数（默认 reduction='mean'）",
                    {"loss": w["loss"] * q.n},
                )
            )
        return mistakes


# -- focal_loss --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FocalParams:
    """A variant's parameters: the predicted probability of the positive class, the 0/1 label, α, γ."""

    prob: float
    label: int
    alpha: float
    gamma: float

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _FocalParams:
        return cls(p["p"], p["label"], p["alpha"], p["gamma"])

    def alpha_t(self) -> float:
        """α for a positive label, 1 − α for a negative one."""
        return self.alpha if self.label == 1 else 1 - self.alpha


@register
class FocalLoss(Family):
    id = "focal_loss"
    title = "Focal loss（alpha、gamma）"
    topics = ("001-1761",)
    schema = {
        "p": Param("real", 0.05, 0.95, decimals=2),
        "label": Param("int", 0, 1),
        "alpha": Param("choice", choices=(0.25, 0.5, 0.75)),
        "gamma": Param("choice", choices=(0.0, 0.5, 1.0, 2.0, 5.0)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        # torchvision.ops.sigmoid_focal_loss's formula, written with torch ops on a probability
        # (torchvision is not a dependency): ce * (1 - p_t)^gamma * alpha_t.
        q = _FocalParams.of(p)
        prob = torch.tensor(q.prob, dtype=F64)
        y = torch.tensor(float(q.label), dtype=F64)
        ce = F.binary_cross_entropy(prob, y, reduction="none")
        p_t = prob * y + (1 - prob) * (1 - y)
        loss = ce * ((1 - p_t) ** q.gamma)
        alpha_t = q.alpha * y + (1 - q.alpha) * (1 - y)
        return {"p_t": p_t.item(), "loss": (alpha_t * loss).item()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        prob, pos = c["p"], c["label"] == 1
        alpha = torch.tensor(self.schema["alpha"].choices, dtype=F64, device=prob.device)[c["alpha"]]
        gamma = torch.tensor(self.schema["gamma"].choices, dtype=F64, device=prob.device)[c["gamma"]]
        pt = torch.where(pos, prob, 1 - prob)
        at = torch.where(pos, alpha, 1 - alpha)
        return {"p_t": pt, "loss": -at * (1 - pt) ** gamma * torch.log(pt)}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _FocalParams.of(p)
        return (
            f"二分类 focal loss（RetinaNet / `torchvision.ops.sigmoid_focal_loss` 的定义），$\\alpha={fmt(q.alpha)}$，"
            f"$\\gamma={fmt(q.gamma)}$。某个 anchor 的正类预测概率 $p={fmt(q.prob)}$，标签 $y={q.label}$。\n\n"
            "求 $p_t$ 与该样本的 focal loss $\\mathrm{FL}=-\\alpha_t(1-p_t)^\\gamma\\ln p_t$（自然对数）。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        return (
            Part("p_t", "$p_t$", "real", w["p_t"], ratio=True),
            Part("loss", "focal loss", "real", w["loss"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _FocalParams.of(p)
        pt, at = w["p_t"], q.alpha_t()
        return (
            "$$p_t=\\begin{cases}p & y=1\\\\ 1-p & y=0\\end{cases},\\quad "
            "\\alpha_t=\\begin{cases}\\alpha & y=1\\\\ 1-\\alpha & y=0\\end{cases}$$\n\n"
            f"$y={q.label}$：$p_t={tnum(pt)}$，$\\alpha_t={tnum(at)}$\n\n"
            f"$$\\mathrm{{FL}}=-{tnum(at)}\\times(1-{tnum(pt)})^{{{tnum(q.gamma)}}}\\times\\ln {tnum(pt)}"
            f"={tnum(w['loss'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _FocalParams.of(p)
        prob, g, pt, at = q.prob, q.gamma, w["p_t"], q.alpha_t()
        ce = -math.log(pt)
        mod = (1 - pt) ** g
        mistakes = [
            Mistake("focal.forgot-alpha", "漏掉了 α_t", {"loss": mod * ce}),
            Mistake(
                "focal.alpha-wrong-class",
                "α 用在了错误的类别上（正类应乘 α，负类乘 1−α）",
                {"loss": (1 - at) * mod * ce},
            ),
            Mistake("focal.gamma-on-pt", "调制因子写成了 p_t^γ（应为 (1−p_t)^γ）", {"loss": at * pt**g * ce}),
        ]
        if q.label == 0:
            mistakes.append(
                Mistake(
                    "focal.pt-is-p",
                    "负样本也直接用 p 当 p_t（应为 1−p）",
                    {"p_t": prob, "loss": at * (1 - prob) ** g * -math.log(prob)},
                )
            )
        return mistakes
