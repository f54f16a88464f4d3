"""Per-coordinate step sizes from the squared-gradient history: AdaGrad (a running sum) and RMSprop
(an exponential moving average)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, auto
from typing import Any, assert_never

import torch

from engine.families.optim._trajectory import (
    MAX_STEPS,
    Traj,
    TrajCols,
    choice_col,
    question,
    run_torch,
    start_text,
    tex,
    theta_part,
    traj_schema,
)
from engine.family import Family, register
from engine.formatting import fmt
from engine.values import Mistake, Param, Part

__all__ = ["AdagradStep", "RmspropStep"]

# -- AdaGrad ---------------------------------------------------------------------------------------

ADAGRAD_EPS = 1e-10
DIM = 2


class AdagradForm(Enum):
    """How an AdaGrad step is written: torch's form, and the misreadings the mistakes replay."""

    TORCH = auto()  # G += g², θ -= lr·g/(√G + ε)
    NO_SQRT = auto()  # divides by G instead of √G
    LAST_GRAD = auto()  # G = g²: no accumulation over the steps


@dataclass(frozen=True)
class _AdagradParams:
    tr: Traj
    lr: float

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _AdagradParams:
        return cls(Traj.of(p, DIM), p["lr"])


def _adagrad_py(
    tr: Traj, lr: float, form: AdagradForm, log: list[str] | None = None
) -> tuple[list[float], list[float]]:
    """AdaGrad written in ``form``: the final θ and accumulator G."""
    th, acc = list(tr.theta0), [0.0] * tr.dim
    for t in range(tr.steps):
        g = [tr.grad(t, i, th[i]) for i in range(tr.dim)]
        match form:
            case AdagradForm.TORCH:
                acc = [acc[i] + g[i] ** 2 for i in range(tr.dim)]
                den = [math.sqrt(acc[i]) for i in range(tr.dim)]
            case AdagradForm.NO_SQRT:
                acc = [acc[i] + g[i] ** 2 for i in range(tr.dim)]
                den = list(acc)
            case AdagradForm.LAST_GRAD:
                acc = [g[i] ** 2 for i in range(tr.dim)]
                den = [math.sqrt(acc[i]) for i in range(tr.dim)]
            case _:
                assert_never(form)
        new = [th[i] - lr * g[i] / (den[i] + ADAGRAD_EPS) for i in range(tr.dim)]
        if log is not None:
            root = tex([math.sqrt(a) for a in acc])
            log.append(
                f"$$t={t + 1}:\\ g_{t + 1}={tex(g)},\\quad G_{t + 1}={tex(acc)},\\quad "
                f"\\sqrt{{G_{t + 1}}}={root},\\quad \\theta_{t + 1}={tex(new)}$$"
            )
        th = new
    return th, acc


@register
class AdagradStep(Family):
    id = "adagrad_step"
    title = "AdaGrad 参数更新"
    topics = ("001-1038", "002-0271")
    dim = DIM
    schema = {**traj_schema(DIM), "lr": Param("choice", choices=(0.01, 0.1, 0.5, 1.0))}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _AdagradParams.of(p)
        theta, st = run_torch(lambda ps: torch.optim.Adagrad(ps, lr=q.lr, eps=ADAGRAD_EPS), q.tr, ("sum",))
        return {"theta": theta, "accum": st["sum"]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = TrajCols(c, self.dim)
        lr = choice_col(c, self.schema, "lr")
        th, acc = tc.theta0, torch.zeros_like(tc.theta0)
        for t in range(MAX_STEPS):
            a = tc.active(t)
            g = tc.grad(t, th)
            acc_new = acc + g * g
            th, acc = (
                torch.where(a, th - lr * g / (acc_new.sqrt() + ADAGRAD_EPS), th),
                torch.where(a, acc_new, acc),
            )
        return {"theta": th, "accum": acc}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _AdagradParams.of(p)
        tr = q.tr
        return (
            f"{start_text(tr)}，用 `torch.optim.Adagrad([theta], lr={fmt(q.lr)})` 更新 {tr.steps} 步"
            "（`lr_decay=0`，`initial_accumulator_value=0`，`eps=1e-10`）。"
            + question(tr, f" 和累积量 $G_{{{tr.steps}}}$（优化器状态 `sum`）")
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        tr = _AdagradParams.of(p).tr
        return (
            theta_part(tr, "vector", w["theta"]),
            Part("accum", f"$G_{{{tr.steps}}}$", "vector", w["accum"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _AdagradParams.of(p)
        tr = q.tr
        log: list[str] = []
        _adagrad_py(tr, q.lr, AdagradForm.TORCH, log)
        return (
            "AdaGrad 按坐标累积梯度平方：$G_t=G_{t-1}+g_t\\odot g_t$，"
            "$\\theta_t=\\theta_{t-1}-\\eta\\,\\dfrac{g_t}{\\sqrt{G_t}+\\epsilon}$。\n\n"
            + "\n\n".join(log)
            + f"\n\n答案：$\\theta_{{{tr.steps}}}={tex(w['theta'])}$，$G_{{{tr.steps}}}={tex(w['accum'])}$。"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _AdagradParams.of(p)
        tr, lr = q.tr, q.lr
        last_theta, last_accum = _adagrad_py(tr, lr, AdagradForm.LAST_GRAD)
        return [
            Mistake(
                "adagrad.no-sqrt",
                "分母用了 G 而不是 √G",
                {"theta": _adagrad_py(tr, lr, AdagradForm.NO_SQRT)[0]},
            ),
            Mistake(
                "adagrad.last-grad-only",
                "只用了当前梯度的平方（没有累积历史）",
                {"theta": last_theta, "accum": last_accum},
            ),
        ]


# -- RMSProp ---------------------------------------------------------------------------------------


class RmspropForm(Enum):
    """How an RMSprop step is written: torch's form, and the misreadings the mistakes replay."""

    TORCH = auto()  # v = αv + (1−α)g², θ -= lr·g/(√v + ε)
    EPS_INSIDE = auto()  # ε under the root: θ -= lr·g/√(v + ε) (TF1)
    SWAPPED = auto()  # α and 1−α swapped: v = (1−α)v + αg²
    BIAS = auto()  # bias-corrected as in Adam: √(v/(1−α^t)) + ε


@dataclass(frozen=True)
class _RmspropParams:
    tr: Traj
    lr: float
    alpha: float
    eps: float

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _RmspropParams:
        return cls(Traj.of(p, DIM), p["lr"], p["alpha"], p["eps"])


def _rmsprop_py(
    tr: Traj, lr: float, alpha: float, eps: float, form: RmspropForm, log: list[str] | None = None
) -> tuple[list[float], list[float]]:
    """RMSprop written in ``form``: the final θ and square average v."""
    th, v = list(tr.theta0), [0.0] * tr.dim
    for t in range(tr.steps):
        g = [tr.grad(t, i, th[i]) for i in range(tr.dim)]
        if form is RmspropForm.SWAPPED:
            v = [(1 - alpha) * v[i] + alpha * g[i] ** 2 for i in range(tr.dim)]
        else:
            v = [alpha * v[i] + (1 - alpha) * g[i] ** 2 for i in range(tr.dim)]
        match form:
            case RmspropForm.TORCH | RmspropForm.SWAPPED:
                den = [math.sqrt(v[i]) + eps for i in range(tr.dim)]
            case RmspropForm.EPS_INSIDE:
                den = [math.sqrt(v[i] + eps) for i in range(tr.dim)]
            case RmspropForm.BIAS:
                den = [math.sqrt(v[i] / (1 - alpha ** (t + 1))) + eps for i in range(tr.dim)]
            case _:
                assert_never(form)
        new = [th[i] - lr * g[i] / den[i] for i in range(tr.dim)]
        if log is not None:
            log.append(
                f"$$t={t + 1}:\\ g_{t + 1}={tex(g)},\\quad v_{t + 1}={tex(v)},\\quad "
                f"\\sqrt{{v_{t + 1}}}+\\epsilon={tex(den)},\\quad \\theta_{t + 1}={tex(new)}$$"
            )
        th = new
    return th, v


@register
class RmspropStep(Family):
    id = "rmsprop_step"
    version = 2  # v2: draws where a listed mistake cannot show are redrawn
    title = "RMSProp 参数更新"
    topics = ("001-1048",)
    dim = DIM
    schema = {
        **traj_schema(DIM),
        "lr": Param("choice", choices=(0.001, 0.01, 0.1)),
        "alpha": Param("choice", choices=(0.5, 0.9, 0.99)),
        "eps": Param("choice", choices=(1e-8, 1e-6, 0.01)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _RmspropParams.of(p)
        theta, st = run_torch(
            lambda ps: torch.optim.RMSprop(ps, lr=q.lr, alpha=q.alpha, eps=q.eps),
            q.tr,
            ("square_avg",),
        )
        return {"theta": theta, "square_avg": st["square_avg"]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = TrajCols(c, self.dim)
        lr, alpha, eps = (choice_col(c, self.schema, n) for n in ("lr", "alpha", "eps"))
        th, v = tc.theta0, torch.zeros_like(tc.theta0)
        for t in range(MAX_STEPS):
            a = tc.active(t)
            g = tc.grad(t, th)
            v_new = alpha * v + (1 - alpha) * g * g
            th, v = torch.where(a, th - lr * g / (v_new.sqrt() + eps), th), torch.where(a, v_new, v)
        return {"theta": th, "square_avg": v}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _RmspropParams.of(p)
        tr = q.tr
        return (
            f"{start_text(tr)}，用 `torch.optim.RMSprop([theta], lr={fmt(q.lr)}, alpha={fmt(q.alpha)}, "
            f"eps={fmt(q.eps)})` 更新 {tr.steps} 步（momentum=0，centered=False）。"
            + question(tr, f" 和平方梯度的滑动平均 $v_{{{tr.steps}}}$（优化器状态 `square_avg`）")
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        tr = _RmspropParams.of(p).tr
        return (
            theta_part(tr, "vector", w["theta"]),
            Part("square_avg", f"$v_{{{tr.steps}}}$", "vector", w["square_avg"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _RmspropParams.of(p)
        tr, lr, alpha, eps = q.tr, q.lr, q.alpha, q.eps
        log: list[str] = []
        _rmsprop_py(tr, lr, alpha, eps, RmspropForm.TORCH, log)
        return (
            f"$$v_t=\\alpha v_{{t-1}}+(1-\\alpha)\\,g_t^2,\\qquad \\theta_t=\\theta_{{t-1}}-\\eta\\,"
            f"\\frac{{g_t}}{{\\sqrt{{v_t}}+\\epsilon}}$$\n\n$v_0=0$，$\\alpha={fmt(alpha)}$，$\\eta={fmt(lr)}$，"
            f"$\\epsilon={fmt(eps)}$：\n\n"
            + "\n\n".join(log)
            + f"\n\n答案：$\\theta_{{{tr.steps}}}={tex(w['theta'])}$，$v_{{{tr.steps}}}={tex(w['square_avg'])}$。"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _RmspropParams.of(p)
        tr, lr, alpha, eps = q.tr, q.lr, q.alpha, q.eps
        sw = _rmsprop_py(tr, lr, alpha, eps, RmspropForm.SWAPPED)
        return [
            Mistake(
                "rmsprop.eps-inside-sqrt",
                "ε 放在了根号里（TF1 的写法 √(v+ε)；PyTorch 是 √v+ε）",
                {"theta": _rmsprop_py(tr, lr, alpha, eps, RmspropForm.EPS_INSIDE)[0]},
            ),
            Mistake(
                "rmsprop.alpha-swapped",
                "α 与 1−α 用反了（v=(1−α)v+αg²）",
                {"theta": sw[0], "square_avg": sw[1]},
            ),
            Mistake(
                "rmsprop.bias-correction",
                "像 Adam 一样做了偏差修正 v/(1−α^t)（RMSprop 没有）",
                {"theta": _rmsprop_py(tr, lr, alpha, eps, RmspropForm.BIAS)[0]},
            ),
        ]
