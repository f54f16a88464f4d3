"""Activations: softmax with the max-subtraction trick, and the value and derivative of the common
activation functions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F

from engine.families._support import draw_grid
from engine.family import Family, TypedParams, register
from engine.formatting import fmt, par, tex_vec, tnum
from engine.values import Mistake, Param, Part, Precision

__all__ = ["ActivationValues", "Softmax"]

F64 = torch.float64
_K = 4  # logits per softmax variant (a vector answer has one length per family)


# -- softmax ---------------------------------------------------------------------------------------


def _logits(seed: int, offset: int) -> list[float]:
    return [offset + draw_grid(seed, j, 3, -30, 30, 10) for j in range(_K)]


@dataclass(frozen=True)
class _SoftmaxParams(TypedParams):
    """Softmax's parameters, typed."""

    data_seed: int
    offset: int


@register
class Softmax(Family):
    id = "softmax"
    title = "Softmax 与减最大值技巧"
    topics = ("001-0521", "002-0069")
    schema = {
        "data_seed": Param("int", 0, 10**6),
        "offset": Param("choice", choices=(0, 5, 100, 1000)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _SoftmaxParams.of(p)
        z = torch.tensor(_logits(q.data_seed, q.offset), dtype=F64)
        return {"shifted": (z - z.max()).tolist(), "probs": F.softmax(z, dim=0).tolist()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seed = c["data_seed"].to(torch.int64)
        offset = torch.tensor(self.schema["offset"].choices, dtype=F64, device=seed.device)[c["offset"]]
        j = torch.arange(_K, device=seed.device)
        z = offset[:, None] + draw_grid(seed[:, None], j[None, :], 3, -30, 30, 10)
        shifted = z - z.max(dim=1, keepdim=True).values
        e = torch.exp(shifted)
        return {"shifted": shifted, "probs": e / e.sum(dim=1, keepdim=True)}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _SoftmaxParams.of(p)
        z = _logits(q.data_seed, q.offset)
        return (
            f"对 logits $z = {tex_vec(z)}$ 计算 softmax（数值稳定的写法：先减去最大值）。\n\n"
            "求：减去最大值后的 logits $z - \\max z$，以及 softmax 概率向量（按原顺序）。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        shifted, probs = w["shifted"], w["probs"]
        return (
            Part("shifted", "$z-\\max z$", "vector", shifted),
            Part("probs", "softmax 概率", "vector", probs, ratio=True),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _SoftmaxParams.of(p)
        z = _logits(q.data_seed, q.offset)
        shifted, probs = w["shifted"], w["probs"]
        zmax = max(z)
        exps = [math.exp(s) for s in shifted]
        total = sum(exps)
        return (
            f"$\\max z = {tnum(zmax)}$，$z-\\max z = {tex_vec(shifted)}$（softmax 对整体平移不变，"
            "减去最大值可避免 $e^{z}$ 溢出）。\n\n"
            f"$$e^{{z-\\max z}} = {tex_vec(exps)},\\quad \\sum = {tnum(total)}$$\n\n"
            f"$$p_i=\\frac{{e^{{z_i-\\max z}}}}{{\\sum_j e^{{z_j-\\max z}}}} = {tex_vec(probs)}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _SoftmaxParams.of(p)
        z = _logits(q.data_seed, q.offset)
        shifted = w["shifted"]
        zmax = max(z)
        exps = [math.exp(s) for s in shifted]
        total = sum(exps)
        s = sum(z)
        lse = math.log(total)
        return [
            Mistake(
                "softmax.no-exp",
                "没有取指数，直接把 logits 归一化了（z/Σz）",
                {"probs": [v / s for v in z] if s != 0 else [math.nan] * _K},
            ),
            Mistake("softmax.forgot-normalise", "取了指数却没有除以总和", {"probs": exps}),
            Mistake(
                "softmax.log-softmax",
                "给出的是 log-softmax（对数概率），不是概率",
                {"probs": [v - lse for v in shifted]},
            ),
            Mistake("softmax.shift-sign", "减反了：写成了 max z − z", {"shifted": [zmax - v for v in z]}),
        ]


# -- activation_values ------------------------------------------------------------------------------

_FNS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu")
_SQRT_2_PI = math.sqrt(2 / math.pi)


def _gelu_tanh(x: float) -> tuple[float, float]:
    """GELU's tanh approximation and its derivative (for the mistake)."""
    u = _SQRT_2_PI * (x + 0.044715 * x**3)
    t = math.tanh(u)
    return 0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_PI * (1 + 3 * 0.044715 * x**2)


@dataclass(frozen=True)
class _ActivationValuesParams(TypedParams):
    """ActivationValues's parameters, typed."""

    fn: Literal["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu"]
    x: float
    slope: float
    alpha: float


@register
class ActivationValues(Family):
    id = "activation_values"
    version = 2  # v2: draws where a listed mistake cannot show are redrawn
    title = "激活函数的值与导数"
    topics = ("001-0521",)
    schema = {
        "fn": Param("choice", choices=_FNS),
        "x": Param("real", -3.0, 3.0, decimals=1),
        "slope": Param("choice", choices=(0.01, 0.1, 0.2)),
        "alpha": Param("choice", choices=(1.0, 0.5, 1.5)),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _ActivationValuesParams.of(p)
        if q.fn in ("relu", "leaky_relu", "elu") and q.x == 0:
            return "the derivative at the kink x = 0 is a convention, not asked"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        kinked = torch.isin(
            c["fn"],
            torch.tensor([_FNS.index(f) for f in ("relu", "leaky_relu", "elu")], device=c["fn"].device),
        )
        return ~(kinked & (c["x"] == 0))

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _ActivationValuesParams.of(p)
        x = torch.tensor(float(q.x), dtype=F64, requires_grad=True)
        fn = q.fn
        y = {
            "sigmoid": lambda: torch.sigmoid(x),
            "tanh": lambda: torch.tanh(x),
            "relu": lambda: F.relu(x),
            "leaky_relu": lambda: F.leaky_relu(x, negative_slope=q.slope),
            "elu": lambda: F.elu(x, alpha=q.alpha),
            "gelu": lambda: F.gelu(x, approximate="none"),
        }[fn]()
        (grad,) = torch.autograd.grad(y, x)
        return {"value": y.item(), "grad": grad.item()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        x, fn = c["x"], c["fn"]
        dev = x.device
        k = torch.tensor(self.schema["slope"].choices, dtype=F64, device=dev)[c["slope"]]
        a = torch.tensor(self.schema["alpha"].choices, dtype=F64, device=dev)[c["alpha"]]
        pos = x > 0
        sig = 1 / (1 + torch.exp(-x))
        th = (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))
        cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
        pdf = torch.exp(-x * x / 2) / math.sqrt(2 * math.pi)
        zero, one = torch.zeros_like(x), torch.ones_like(x)
        values = torch.stack(
            [
                sig,
                th,
                torch.where(pos, x, zero),
                torch.where(pos, x, k * x),
                torch.where(pos, x, a * (torch.exp(x) - 1)),
                x * cdf,
            ],
            1,
        )
        grads = torch.stack(
            [
                sig * (1 - sig),
                1 - th * th,
                torch.where(pos, one, zero),
                torch.where(pos, one, k),
                torch.where(pos, one, a * torch.exp(x)),
                cdf + x * pdf,
            ],
            1,
        )
        idx = fn[:, None]
        return {"value": values.gather(1, idx)[:, 0], "grad": grads.gather(1, idx)[:, 0]}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _ActivationValuesParams.of(p)
        fn, x, k, a = q.fn, q.x, q.slope, q.alpha
        call = {
            "sigmoid": "`torch.sigmoid(x)`",
            "tanh": "`torch.tanh(x)`",
            "relu": "`F.relu(x)`",
            "leaky_relu": f"`F.leaky_relu(x, negative_slope={fmt(k)})`",
            "elu": f"`F.elu(x, alpha={fmt(a)})`",
            "gelu": "`F.gelu(x)`（默认 `approximate='none'`，即精确的 erf 形式）",
        }[fn]
        return f"在 $x={tnum(x)}$ 处，求 {call} 的函数值 $f(x)$ 与导数 $f'(x)$。"

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        v, g = w["value"], w["grad"]
        return (
            # five digits: GELU's tanh approximation lies within 2e-4 of the erf form at four
            Part("value", "函数值 $f(x)$", "real", v, precision=Precision.sig(5)),
            Part("grad", "导数 $f'(x)$", "real", g, precision=Precision.sig(5)),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _ActivationValuesParams.of(p)
        fn, x, k, a = q.fn, q.x, q.slope, q.alpha
        v, g = w["value"], w["grad"]
        xs = par(x)
        if fn == "sigmoid":
            sol = (
                f"$$\\sigma(x)=\\frac{{1}}{{1+e^{{-x}}}}=\\frac{{1}}{{1+e^{{{tnum(-x)}}}}}={tnum(v)}$$\n\n"
                f"$$\\sigma'(x)=\\sigma(x)\\,(1-\\sigma(x))={tnum(v)}\\times{par(1 - v)}={tnum(g)}$$"
            )
        elif fn == "tanh":
            sol = f"$$\\tanh({tnum(x)})={tnum(v)}$$\n\n$$\\tanh'(x)=1-\\tanh^2(x)=1-{par(v)}^2={tnum(g)}$$"
        elif fn == "relu":
            sol = (
                f"$$\\mathrm{{ReLU}}(x)=\\max(0,x)={tnum(v)},\\quad "
                f"\\mathrm{{ReLU}}'(x)={'1' if x > 0 else '0'}\\ (x{'>' if x > 0 else '<'}0)$$"
            )
        elif fn == "leaky_relu":
            sol = "$$f(x)=\\begin{cases}x & x>0\\\\ kx & x\\le 0\\end{cases}=\\max(x,kx)\\ (k<1)$$\n\n" + (
                f"$x>0$：$f(x)=x={tnum(v)}$，$f'(x)=1$"
                if x > 0
                else f"$x<0$：$f(x)=kx={tnum(k)}\\times{xs}={tnum(v)}$，$f'(x)=k={tnum(g)}$"
            )
        elif fn == "elu":
            sol = "$$f(x)=\\begin{cases}x & x>0\\\\ \\alpha(e^x-1) & x\\le 0\\end{cases}$$\n\n" + (
                f"$x>0$：$f(x)={tnum(v)}$，$f'(x)=1$"
                if x > 0
                else f"$x<0$：$f(x)={tnum(a)}\\times(e^{{{tnum(x)}}}-1)={tnum(v)}$，"
                f"$f'(x)=\\alpha e^x={tnum(a)}\\times e^{{{tnum(x)}}}={tnum(g)}$"
            )
        else:
            cdf = 0.5 * (1 + math.erf(x / math.sqrt(2)))
            pdf = math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
            sol = (
                "$$\\mathrm{GELU}(x)=x\\,\\Phi(x),\\quad \\Phi(x)=\\tfrac12\\left(1+\\mathrm{erf}(x/\\sqrt2)\\right)$$\n\n"
                f"$$\\Phi({tnum(x)})={tnum(cdf)},\\quad f(x)={xs}\\times{tnum(cdf)}={tnum(v)}$$\n\n"
                f"$$f'(x)=\\Phi(x)+x\\,\\varphi(x)={tnum(cdf)}+{xs}\\times{tnum(pdf)}={tnum(g)}$$"
            )
        return sol

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _ActivationValuesParams.of(p)
        fn, x, k = q.fn, q.x, q.slope
        v = w["value"]
        mistakes: list[Mistake] = []
        if fn == "sigmoid":
            mistakes.append(
                Mistake("act.sigmoid-derivative-as-sigma", "把 σ'(x) 写成了 σ(x)（应为 σ(1−σ)）", {"grad": v})
            )
        elif fn == "tanh":
            mistakes.append(
                Mistake(
                    "act.tanh-derivative-unsquared",
                    "tanh' 写成了 1−tanh(x)（应为 1−tanh²x）",
                    {"grad": 1 - v},
                )
            )
        elif fn == "leaky_relu":
            mistakes.append(
                Mistake(
                    "act.leaky-relu-max-kx-0",
                    "把 LeakyReLU 写成了 max(kx, 0)（应为 max(x, kx)）",
                    {"value": max(k * x, 0.0), "grad": k if x > 0 else 0.0},
                )
            )
        elif fn == "elu" and x < 0:
            mistakes.append(
                Mistake(
                    "act.elu-forgot-alpha",
                    "ELU 的负半轴漏掉了 α",
                    {"value": math.exp(x) - 1, "grad": math.exp(x)},
                )
            )
        elif fn == "gelu":
            tv, tg = _gelu_tanh(x)
            mistakes.append(
                Mistake(
                    "act.gelu-tanh-approx",
                    "用了 GELU 的 tanh 近似（题目是精确的 erf 形式）",
                    {"value": tv, "grad": tg},
                )
            )
        return mistakes
