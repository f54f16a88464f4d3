"""Normalisation layers: the BatchNorm training forward, BN running statistics, and which axes
BN / LN / IN / GN reduce over."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from engine.families._support import draw_grid, draw_int
from engine.family import Family, TypedParams, register
from engine.formatting import fmt, par, signed, tex_vec, tnum
from engine.values import Mistake, Param, Part

__all__ = ["BNForward", "BNRunningStats", "NormAxes"]

F64 = torch.float64


# -- bn_forward ------------------------------------------------------------------------------------


def _bn_values(seed: int, n: int) -> list[float]:
    """The batch: ``n`` values on a 0.1 grid in [-2, 4]."""
    return [draw_grid(seed, j, 1, -20, 40, 10) for j in range(n)]


@dataclass(frozen=True)
class _BNForwardParams(TypedParams):
    """BNForward's parameters, typed."""

    n: int
    data_seed: int
    index: int
    gamma: float
    beta: float
    eps: float


@register
class BNForward(Family):
    id = "bn_forward"
    version = 2  # v2: draws where a listed mistake cannot show are redrawn
    title = "BatchNorm 训练前向"
    topics = ("002-0334", "001-0661")
    schema = {
        "n": Param("int", 3, 6),
        "data_seed": Param("int", 0, 10**6),
        "index": Param("int", 1, 6),
        "gamma": Param("real", 0.5, 2.0, decimals=1),
        "beta": Param("real", -1.0, 1.0, decimals=1),
        "eps": Param("choice", choices=(1e-5, 1e-3, 0.01, 0.1)),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _BNForwardParams.of(p)
        if q.index > q.n:
            return "index must not exceed the batch size n"
        if len(set(_bn_values(q.data_seed, q.n))) < 2:
            return "the batch values are all equal"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        seed = c["data_seed"].to(torch.int64)
        j = torch.arange(6, device=seed.device)[None, :]
        x = draw_int(seed[:, None], j, 1, -20, 40)  # the grid values' integer numerators
        differs = ((x != x[:, :1]) & (j < c["n"][:, None])).any(1)
        return (c["index"] <= c["n"]) & differs

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _BNForwardParams.of(p)
        n, i = q.n, q.index - 1
        x = torch.tensor(_bn_values(q.data_seed, n), dtype=F64).reshape(n, 1)
        var, mean = torch.var_mean(x[:, 0], correction=0)  # what BN normalises with in train mode
        plain = nn.BatchNorm1d(1, eps=q.eps, affine=False, dtype=F64).train()
        bn = nn.BatchNorm1d(1, eps=q.eps, affine=True, dtype=F64).train()
        with torch.no_grad():
            bn.weight.fill_(q.gamma)
            bn.bias.fill_(q.beta)
            xhat, y = plain(x), bn(x)
        return {"mean": mean.item(), "var": var.item(), "xhat": xhat[i, 0].item(), "y": y[i, 0].item()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seed = c["data_seed"].to(torch.int64)
        j = torch.arange(6, device=seed.device)
        x = draw_grid(seed[:, None], j[None, :], 1, -20, 40, 10)
        mask = (j[None, :] < c["n"][:, None]).to(F64)
        mean = (x * mask).sum(1) / c["n"]
        var = (((x - mean[:, None]) ** 2) * mask).sum(1) / c["n"]
        eps = torch.tensor(self.schema["eps"].choices, dtype=F64, device=seed.device)[c["eps"]]
        xi = x.gather(1, (c["index"].to(torch.int64) - 1)[:, None])[:, 0]
        xhat = (xi - mean) / torch.sqrt(var + eps)
        return {"mean": mean, "var": var, "xhat": xhat, "y": c["gamma"] * xhat + c["beta"]}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _BNForwardParams.of(p)
        n, i, g, b, eps = q.n, q.index, q.gamma, q.beta, q.eps
        xs = _bn_values(q.data_seed, n)
        xi = xs[i - 1]
        return (
            f"一个 `nn.BatchNorm1d` 层处于训练模式（`model.train()`）。某个通道在一个 mini-batch 中收到的 "
            f"{n} 个标量为 $x = {tex_vec(xs)}$。该层参数 $\\gamma={fmt(g)}$，$\\beta={fmt(b)}$，"
            f"$\\varepsilon={tnum(eps)}$。\n\n"
            f"求：batch 均值 $\\mu_B$；归一化时使用的 batch 方差 $\\sigma_B^2$；第 {i} 个元素 "
            f"$x_{{{i}}}={fmt(xi)}$ 的归一化值 $\\hat x_{{{i}}}$ 与输出 $y_{{{i}}}$。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        q = _BNForwardParams.of(p)
        i = q.index
        mean, var, xhat, y = w["mean"], w["var"], w["xhat"], w["y"]
        return (
            Part("mean", "batch 均值 $\\mu_B$", "real", mean),
            Part("var", "batch 方差 $\\sigma_B^2$", "real", var),
            Part("xhat", f"归一化值 $\\hat x_{{{i}}}$", "real", xhat),
            Part("y", f"输出 $y_{{{i}}}$", "real", y),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _BNForwardParams.of(p)
        n, i, g, b, eps = q.n, q.index, q.gamma, q.beta, q.eps
        xs = _bn_values(q.data_seed, n)
        mean, var, xhat, y = w["mean"], w["var"], w["xhat"], w["y"]
        xi = xs[i - 1]
        sq = "+".join(f"({tnum(v)}{signed(-mean)})^2" for v in xs)
        return (
            f"$$\\mu_B=\\frac{{1}}{{{n}}}\\sum_j x_j=\\frac{{{tnum(sum(xs))}}}{{{n}}}={tnum(mean)}$$\n\n"
            "训练时 BN 用**有偏**方差（除以 $n$；无偏方差只用于更新 running_var）：\n\n"
            f"$$\\sigma_B^2=\\frac{{1}}{{{n}}}\\left[{sq}\\right]={tnum(var)}$$\n\n"
            f"$$\\hat x_{{{i}}}=\\frac{{x_{{{i}}}-\\mu_B}}{{\\sqrt{{\\sigma_B^2+\\varepsilon}}}}"
            f"=\\frac{{{tnum(xi)}{signed(-mean)}}}{{\\sqrt{{{tnum(var)}+{tnum(eps)}}}}}={tnum(xhat)}$$\n\n"
            f"$$y_{{{i}}}=\\gamma\\hat x_{{{i}}}+\\beta={tnum(g)}\\times{par(xhat)}{signed(b)}={tnum(y)}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _BNForwardParams.of(p)
        n, i, g, b, eps = q.n, q.index, q.gamma, q.beta, q.eps
        xs = _bn_values(q.data_seed, n)
        mean, var, xhat = w["mean"], w["var"], w["xhat"]
        xi = xs[i - 1]
        var_u = var * n / (n - 1)
        xhat_u = (xi - mean) / math.sqrt(var_u + eps)
        xhat_noeps = (xi - mean) / math.sqrt(var)
        xhat_out = (xi - mean) / (math.sqrt(var) + eps)
        return [
            Mistake(
                "bn.unbiased-batch-var",
                "训练前向用了无偏方差（除以 n-1）；BN 归一化用有偏方差",
                {"var": var_u, "xhat": xhat_u, "y": g * xhat_u + b},
            ),
            Mistake("bn.forgot-eps", "漏掉了分母中的 ε", {"xhat": xhat_noeps, "y": g * xhat_noeps + b}),
            Mistake(
                "bn.eps-outside-sqrt",
                "ε 加在了根号外（应为 √(σ²+ε)）",
                {"xhat": xhat_out, "y": g * xhat_out + b},
            ),
            Mistake("bn.forgot-affine", "漏掉了仿射变换 γx̂+β", {"y": xhat}),
        ]


# -- bn_running_stats ------------------------------------------------------------------------------

_MAX_STEPS, _MAX_BATCH = 4, 4


def _batches(seed: int, steps: int, batch: int) -> list[list[int]]:
    """``steps`` mini-batches of ``batch`` integers in [0, 9]."""
    return [[draw_int(seed, t * 8 + j, 2, 0, 9) for j in range(batch)] for t in range(steps)]


def _stats(values: list[int]) -> tuple[float, float, float]:
    """Mean, biased variance and unbiased variance of a short list (plain Python)."""
    n = len(values)
    m = sum(values) / n
    ss = sum((v - m) ** 2 for v in values)
    return m, ss / n, ss / (n - 1)


def _ema(init: float, xs: list[float], w_new: float) -> float:
    r = init
    for x in xs:
        r = (1 - w_new) * r + w_new * x
    return r


@dataclass(frozen=True)
class _BNRunningStatsParams(TypedParams):
    """BNRunningStats's parameters, typed."""

    convention: Literal["pytorch", "tensorflow", "cumulative"]
    momentum: float
    steps: int
    batch: int
    data_seed: int
    init_mean: float
    init_var: float


@register
class BNRunningStats(Family):
    id = "bn_running_stats"
    title = "BN running mean / var 的更新"
    topics = ("001-0574", "001-0594")
    schema = {
        "convention": Param("choice", choices=("pytorch", "tensorflow", "cumulative")),
        "momentum": Param("choice", choices=(0.1, 0.01, 0.05, 0.2, 0.3)),
        "steps": Param("int", 1, _MAX_STEPS),
        "batch": Param("int", 2, _MAX_BATCH),
        "data_seed": Param("int", 0, 10**6),
        "init_mean": Param("real", -1.0, 1.0, decimals=1),
        "init_var": Param("real", 0.5, 2.0, decimals=1),
    }

    @staticmethod
    def _decay(p: dict[str, Any]) -> float:
        """Keras' ``momentum`` (the weight of the old value) shown for the TensorFlow convention."""
        q = _BNRunningStatsParams.of(p)
        return round(1 - q.momentum, 6)

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _BNRunningStatsParams.of(p)
        batches = _batches(q.data_seed, q.steps, q.batch)
        if q.convention == "tensorflow":
            # No TensorFlow here: Keras' rule, moving = decay * moving + (1 - decay) * batch, with the
            # biased batch variance (tf.nn.moments), as a plain loop.
            d = self._decay(p)
            rm, rv = q.init_mean, q.init_var
            for b in batches:
                x = torch.tensor(b, dtype=F64)
                bv, bm = torch.var_mean(x, correction=0)
                rm = d * rm + (1 - d) * bm.item()
                rv = d * rv + (1 - d) * bv.item()
            return {"mean": rm, "var": rv}
        momentum = None if q.convention == "cumulative" else q.momentum
        bn = nn.BatchNorm1d(1, momentum=momentum, affine=False, dtype=F64).train()
        running_mean, running_var = bn.running_mean, bn.running_var
        assert running_mean is not None and running_var is not None  # track_running_stats=True
        with torch.no_grad():
            running_mean.fill_(q.init_mean)
            running_var.fill_(q.init_var)
            for b in batches:
                bn(torch.tensor(b, dtype=F64).reshape(-1, 1))
        return {"mean": running_mean.item(), "var": running_var.item()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seed = c["data_seed"].to(torch.int64)
        dev = seed.device
        t = torch.arange(_MAX_STEPS, device=dev)[None, :, None]
        j = torch.arange(_MAX_BATCH, device=dev)[None, None, :]
        x = draw_int(seed[:, None, None], t * 8 + j, 2, 0, 9).to(F64)  # (B, steps, batch)
        n = c["batch"][:, None]
        mask = (j < c["batch"][:, None, None]).to(F64)
        bm = (x * mask).sum(2) / n
        ss = (((x - bm[:, :, None]) ** 2) * mask).sum(2)
        bv_biased, bv_unbiased = ss / n, ss / (n - 1)
        active = torch.arange(_MAX_STEPS, device=dev)[None, :] < c["steps"][:, None]  # (B, steps)
        m = torch.tensor(self.schema["momentum"].choices, dtype=F64, device=dev)[c["momentum"]]
        decay = torch.round((1 - m) * 1e6) / 1e6
        conv = c["convention"]
        # exponential moving average: new = (1 - w) old + w batch
        w = torch.where(conv == 1, 1 - decay, m)
        bv = torch.where((conv == 1)[:, None], bv_biased, bv_unbiased)
        rm, rv = c["init_mean"].clone(), c["init_var"].clone()
        for s in range(_MAX_STEPS):
            rm = torch.where(active[:, s], (1 - w) * rm + w * bm[:, s], rm)
            rv = torch.where(active[:, s], (1 - w) * rv + w * bv[:, s], rv)
        # cumulative (momentum=None): the plain average of the batch statistics
        k = c["steps"]
        cm = (bm * active).sum(1) / k
        cv = (bv_unbiased * active).sum(1) / k
        cum = conv == 2
        return {"mean": torch.where(cum, cm, rm), "var": torch.where(cum, cv, rv)}

    def _wording(self, p: dict[str, Any]) -> tuple[str, tuple[str, str], str]:
        """The layer call, the names of its two running statistics and the update rule, per convention."""
        q = _BNRunningStatsParams.of(p)
        conv, m, m0, v0 = q.convention, q.momentum, q.init_mean, q.init_var
        if conv == "pytorch":
            layer = (
                f"`bn = nn.BatchNorm1d(1, momentum={fmt(m)})`，把 `running_mean` 设为 {fmt(m0)}、"
                f"`running_var` 设为 {fmt(v0)}，在 `bn.train()` 模式下"
            )
            names = ("`running_mean`", "`running_var`")
            rule = (
                f"PyTorch：$\\text{{running}}\\leftarrow(1-m)\\cdot\\text{{running}}+m\\cdot\\text{{batch}}$，$m={fmt(m)}$ 是**新值**的权重；"
                "running_var 用**无偏**的 batch 方差（除以 $n-1$）。"
            )
        elif conv == "tensorflow":
            d = self._decay(p)
            layer = (
                f"`tf.keras.layers.BatchNormalization(momentum={fmt(d)})`，`moving_mean` 初值 {fmt(m0)}、"
                f"`moving_variance` 初值 {fmt(v0)}，在 `training=True` 下"
            )
            names = ("`moving_mean`", "`moving_variance`")
            rule = (
                f"Keras：$\\text{{moving}}=d\\cdot\\text{{moving}}+(1-d)\\cdot x_t$，$d={fmt(d)}$ 是**旧值**"
                "的权重（与 PyTorch 的 momentum 相反）；方差用**有偏**的 batch 方差（tf.nn.moments）。"
            )
        else:
            layer = (
                f"`bn = nn.BatchNorm1d(1, momentum=None)`（累计平均），把 `running_mean` 设为 {fmt(m0)}、"
                f"`running_var` 设为 {fmt(v0)}，在 `bn.train()` 模式下"
            )
            names = ("`running_mean`", "`running_var`")
            rule = (
                "`momentum=None`：第 $t$ 步的权重为 $1/t$（第 1 步直接覆盖初值），"
                "即前 $t$ 个 batch 统计量的简单平均；running_var 用**无偏**的 batch 方差。"
            )
        return layer, names, rule

    def work(self, p: dict[str, Any]) -> dict[str, Any]:
        """The answers, plus the drawn batches and their statistics: means, biased and unbiased variances."""
        q = _BNRunningStatsParams.of(p)
        batches = _batches(q.data_seed, q.steps, q.batch)
        bms, bvb, bvu = (list(col) for col in zip(*(_stats(b) for b in batches), strict=True))
        return {**self.solve(p), "batches": batches, "bms": bms, "bvb": bvb, "bvu": bvu}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _BNRunningStatsParams.of(p)
        k, n = q.steps, q.batch
        shown = "\n".join(f"- 第 {t + 1} 个 batch：${tex_vec(b)}$" for t, b in enumerate(w["batches"]))
        layer, names, rule = self._wording(p)
        return (
            f"{layer}依次送入 {k} 个 mini-batch（单通道，每个 {n} 个标量）：\n\n{shown}\n\n"
            f"求 {k} 步之后的 {names[0]} 与 {names[1]}。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        layer, names, rule = self._wording(p)
        return (
            Part("mean", names[0], "real", w["mean"]),
            Part("var", names[1], "real", w["var"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _BNRunningStatsParams.of(p)
        conv, m, k = q.convention, q.momentum, q.steps
        m0, v0 = q.init_mean, q.init_var
        bms, bvb, bvu = w["bms"], w["bvb"], w["bvu"]
        stat_lines = "\n".join(
            f"- 第 {t + 1} 步：$\\mu={fmt(bms[t])}$，有偏方差 ${fmt(bvb[t])}$，无偏方差 ${fmt(bvu[t])}$"
            for t in range(k)
        )
        layer, names, rule = self._wording(p)
        if conv == "cumulative":
            calc = (
                f"$$\\text{{mean}}=\\frac{{{'+'.join(fmt(v) for v in bms)}}}{{{k}}}={fmt(w['mean'])},\\quad"
                f"\\text{{var}}=\\frac{{{'+'.join(fmt(v) for v in bvu)}}}{{{k}}}={fmt(w['var'])}$$"
            )
        else:
            wt = 1 - self._decay(p) if conv == "tensorflow" else m
            bv = bvb if conv == "tensorflow" else bvu
            steps_m, steps_v, rm, rv = [], [], m0, v0
            for t in range(k):
                nm, nv = (1 - wt) * rm + wt * bms[t], (1 - wt) * rv + wt * bv[t]
                steps_m.append(f"{tnum(1 - wt)}\\times{par(rm)}+{tnum(wt)}\\times{par(bms[t])}={tnum(nm)}")
                steps_v.append(f"{tnum(1 - wt)}\\times{tnum(rv)}+{tnum(wt)}\\times{tnum(bv[t])}={tnum(nv)}")
                rm, rv = nm, nv
            calc = "\n\n".join(f"第 {t + 1} 步：$${steps_m[t]},\\quad {steps_v[t]}$$" for t in range(k))
        return f"{rule}\n\n各 batch 的统计量：\n\n{stat_lines}\n\n{calc}"

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _BNRunningStatsParams.of(p)
        conv, m, k = q.convention, q.momentum, q.steps
        m0, v0 = q.init_mean, q.init_var
        bms, bvb, bvu = w["bms"], w["bvb"], w["bvu"]

        def ema_pair(w_new: float, var_list: list[float]) -> dict[str, float]:
            return {"mean": _ema(m0, bms, w_new), "var": _ema(v0, var_list, w_new)}

        mistakes: list[Mistake] = []
        if conv == "pytorch":
            mistakes += [
                Mistake(
                    "bn.tf-vs-pytorch-momentum",
                    "把 momentum 当成了旧值的权重（PyTorch 中它是新值的权重）",
                    ema_pair(1 - m, bvu),
                ),
                Mistake(
                    "bn.biased-running-var",
                    "running_var 用了有偏方差（PyTorch 用无偏方差更新）",
                    {"var": _ema(v0, bvb, m)},
                ),
            ]
        elif conv == "tensorflow":
            d = self._decay(p)
            mistakes += [
                Mistake(
                    "bn.tf-vs-pytorch-momentum",
                    "把 Keras 的 momentum 当成了新值的权重（Keras 中它是旧值的权重）",
                    ema_pair(d, bvb),
                ),
                Mistake(
                    "bn.unbiased-var-in-tf",
                    "moving_variance 用了无偏方差（Keras 用有偏的 batch 方差）",
                    {"var": _ema(v0, bvu, 1 - d)},
                ),
            ]
        else:
            mistakes += [
                Mistake(
                    "bn.cumulative-vs-exponential",
                    "按指数滑动平均（momentum=0.1）算了；momentum=None 是简单累计平均",
                    ema_pair(0.1, bvu),
                ),
                Mistake(
                    "bn.cumulative-counted-init",
                    "把初值也算进了累计平均（第 1 步应直接覆盖初值）",
                    {"mean": (m0 + sum(bms)) / (k + 1), "var": (v0 + sum(bvu)) / (k + 1)},
                ),
                Mistake(
                    "bn.biased-running-var",
                    "running_var 用了有偏方差（PyTorch 用无偏方差更新）",
                    {"var": sum(bvb) / k},
                ),
            ]
        return mistakes


# -- norm_axes -------------------------------------------------------------------------------------

_NORMS = ("BN", "LN", "IN", "GN")


def _stat_dims(norm: str) -> tuple[int, ...]:
    return {"BN": (0, 2, 3), "LN": (1, 2, 3), "IN": (2, 3), "GN": (2, 3)}[norm]


def _stats_keepdim(
    x: torch.Tensor, norm: str, groups: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(view, mean, biased var) with keepdim, GN on the view ``(N, G, C//G*H, W)``."""
    n, c, h, w = x.shape
    v = x.view(n, groups, c // groups * h, w) if norm == "GN" else x
    var, mean = torch.var_mean(v, dim=_stat_dims(norm), keepdim=True, correction=0)
    return v, mean, var


@cache
def _check_against_functional(norm: str, c: int, groups: int) -> None:
    """On a small probe with the same channels, the axes reproduce F.batch_norm / F.layer_norm /
    F.instance_norm / F.group_norm (checked once per (norm, C, groups))."""
    gen = torch.Generator().manual_seed(c * 131 + groups)
    x = torch.randn(2, c, 2, 3, dtype=F64, generator=gen)
    v, mean, var = _stats_keepdim(x, norm, groups)
    mine = ((v - mean) / torch.sqrt(var + 1e-5)).view_as(x)
    ref = {
        "BN": lambda: F.batch_norm(x, None, None, training=True, eps=1e-5),
        "LN": lambda: F.layer_norm(x, x.shape[1:], eps=1e-5),
        "IN": lambda: F.instance_norm(x, eps=1e-5),
        "GN": lambda: F.group_norm(x, groups, eps=1e-5),
    }[norm]()
    if not torch.allclose(mine, ref):
        raise AssertionError(f"{norm} axes disagree with torch.nn.functional")


@dataclass(frozen=True)
class _NormAxesParams(TypedParams):
    """NormAxes's parameters, typed."""

    norm: Literal["BN", "LN", "IN", "GN"]
    N: int
    C: int
    H: int
    W: int
    groups: int


@register
class NormAxes(Family):
    id = "norm_axes"
    title = "BN / LN / IN / GN 的归约维度"
    topics = ("001-0661",)
    schema = {
        "norm": Param("choice", choices=_NORMS),
        "N": Param("int", 2, 64),
        "C": Param("choice", choices=(16, 32, 64, 96, 128, 256)),
        "H": Param("int", 4, 64),
        "W": Param("int", 4, 64),
        "groups": Param("choice", choices=(2, 4, 8, 16, 32)),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _NormAxesParams.of(p)
        if q.norm == "GN" and (q.C % q.groups or q.groups >= q.C):
            return "GN needs groups < C dividing C"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        g = torch.tensor(self.schema["groups"].choices, dtype=F64, device=c["groups"].device)[c["groups"]]
        ch = torch.tensor(self.schema["C"].choices, dtype=F64, device=c["C"].device)[c["C"]]
        bad_gn = (torch.remainder(ch, g) != 0) | (g >= ch)
        return ~((c["norm"] == _NORMS.index("GN")) & bad_gn)

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _NormAxesParams.of(p)
        norm, g = q.norm, q.groups
        _check_against_functional(norm, q.C, g if norm == "GN" else 1)
        with torch.device("meta"):
            x = torch.empty(q.N, q.C, q.H, q.W)
            _, mean, _ = _stats_keepdim(x, norm, g)
        return {"shape": tuple(mean.shape), "count": x.numel() // mean.numel()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        k = c["norm"]
        n, hw = c["N"], c["H"] * c["W"]
        g = torch.tensor(self.schema["groups"].choices, dtype=F64, device=k.device)[c["groups"]]
        ch = torch.tensor(self.schema["C"].choices, dtype=F64, device=k.device)[c["C"]]
        one = torch.ones_like(n)
        d0 = torch.where(k == 0, one, n)
        d1 = torch.stack([ch, one, ch, g], 1).gather(1, k[:, None])[:, 0]
        count = torch.stack([n * hw, ch * hw, hw, ch / g * hw], 1).gather(1, k[:, None])[:, 0]
        return {"shape": torch.stack([d0, d1, one, one], 1), "count": count}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _NormAxesParams.of(p)
        norm, n, c, h, width, g = q.norm, q.N, q.C, q.H, q.W, q.groups
        calls = {
            "BN": "`nn.BatchNorm2d(C)`（训练模式）",
            "LN": "`nn.LayerNorm([C, H, W])`",
            "IN": "`nn.InstanceNorm2d(C)`",
            "GN": f"`nn.GroupNorm({g}, C)`（{g} 组）",
        }
        return (
            f"输入张量 `x` 的形状为 NCHW $= ({n}, {c}, {h}, {width})$，送入 {calls[norm]}。\n\n"
            "它计算的均值统计量张量是什么形状？每个均值是对多少个元素求平均？\n\n"
            "形状按 `keepdim=True` 写成 4 维（如 `x.mean(dim=(2, 3), keepdim=True)` 的形状）；GN 的统计量按 "
            "`x.view(N, G, C//G*H, W).mean(dim=(2, 3), keepdim=True)` 写成 $(N, G, 1, 1)$ 的形式。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        shape, count = w["shape"], w["count"]
        return (
            Part("shape", "均值统计量的形状（keepdim=True）", "shape", shape),
            Part("count", "每个均值平均的元素个数", "int", count),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _NormAxesParams.of(p)
        norm, n, c, h, width, g = q.norm, q.N, q.C, q.H, q.W, q.groups
        shape, count = w["shape"], w["count"]
        formulas = {
            "BN": (
                "(0, 2, 3)",
                "每个通道一个统计量，跨整个 batch 与空间位置",
                f"N\\cdot H\\cdot W={n}\\times{h}\\times{width}={count}",
            ),
            "LN": (
                "(1, 2, 3)",
                "每个样本一个统计量，跨全部通道与空间位置",
                f"C\\cdot H\\cdot W={c}\\times{h}\\times{width}={count}",
            ),
            "IN": (
                "(2, 3)",
                "每个样本的每个通道一个统计量，只跨空间位置",
                f"H\\cdot W={h}\\times{width}={count}",
            ),
            "GN": (
                "(2, 3)",
                "在 view 成 $(N, G, C/G\\cdot H, W)$ 的张量上归约，即每个样本的每个组一个统计量，"
                "跨该组的 C/G 个通道与全部空间位置",
                f"\\frac{{C}}{{G}}\\cdot H\\cdot W=\\frac{{{c}}}{{{g}}}\\times{h}\\times{width}={count}",
            ),
        }
        dims, what, cnt = formulas[norm]
        return (
            f"{norm} 归约的维度为 `dim={dims}`：{what}。\n\n"
            f"统计量形状 $({', '.join(str(d) for d in shape)})$，每个统计量平均的元素数 $${cnt}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _NormAxesParams.of(p)
        norm, n, c, h, width, g = q.norm, q.N, q.C, q.H, q.W, q.groups
        alt = {
            "BN": ((1, c, 1, 1), n * h * width),
            "LN": ((n, 1, 1, 1), c * h * width),
            "IN": ((n, c, 1, 1), h * width),
        }
        mistakes: list[Mistake] = []

        def other(mid: str, title: str, kind: str) -> Mistake:
            s, k = alt[kind]
            return Mistake(mid, title, {"shape": s, "count": k})

        if norm == "BN":
            mistakes += [
                other("norm.bn-ln-axes-swapped", "把 BN 与 LN 的归约维度弄反了", "LN"),
                other("norm.in-bn-confused", "把 BN 当成了逐样本逐通道（IN）的统计", "IN"),
            ]
        elif norm == "LN":
            mistakes += [
                other("norm.bn-ln-axes-swapped", "把 BN 与 LN 的归约维度弄反了", "BN"),
                other("norm.in-ln-confused", "LN 只在空间维上归约了（那是 IN）", "IN"),
            ]
        elif norm == "IN":
            mistakes += [
                other("norm.in-bn-confused", "把 IN 当成了跨 batch 的 BN 统计", "BN"),
                other("norm.in-ln-confused", "IN 把通道维也归约了（那是 LN）", "LN"),
            ]
        else:
            mistakes.append(
                Mistake(
                    "norm.gn-group-size-confused",
                    "把组数 G 与每组通道数 C/G 弄混了",
                    {"shape": (n, c // g, 1, 1), "count": g * h * width},
                )
            )
        return mistakes
