"""Adam with its bias correction, and AdamW's decoupled weight decay against Adam's L2 (``weight_decay``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from engine.families.optim._trajectory import (
    MAX_STEPS,
    Traj,
    TrajCols,
    choice_col,
    grad_text,
    question,
    run_torch,
    start_text,
    theta_part,
    traj_schema,
)
from engine.family import Family, register
from engine.formatting import fmt
from engine.values import Mistake, Param, Part

__all__ = ["AdamStep", "AdamwVsL2"]

# -- Adam ------------------------------------------------------------------------------------------

ADAM_EPS = 1e-8


@dataclass(frozen=True)
class _AdamParams:
    tr: Traj
    lr: float
    beta1: float
    beta2: float

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _AdamParams:
        return cls(Traj.of(p, 1), p["lr"], p["beta1"], p["beta2"])


def _adam_py(
    tr: Traj,
    lr: float,
    b1: float,
    b2: float,
    *,
    bias: bool = True,
    swapped: bool = False,
    l2: float = 0.0,
    decoupled: float = 0.0,
    decoupled_scaled: bool = True,
    log: list[str] | None = None,
) -> tuple[float, float, float]:
    """Scalar Adam. ``l2``: Adam(weight_decay) (added to the gradient); ``decoupled``: AdamW decay
    θ ← θ(1 − lr·λ) (or θ(1 − λ) when not ``decoupled_scaled``) before the Adam step."""
    th, m, v = tr.theta0[0], 0.0, 0.0
    for t in range(1, tr.steps + 1):
        g = tr.grad(t - 1, 0, th)
        if l2:
            g = g + l2 * th
        if decoupled:
            th = th * (1 - (lr * decoupled if decoupled_scaled else decoupled))
        if swapped:
            m, v = (1 - b1) * m + b1 * g, (1 - b2) * v + b2 * g * g
        else:
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        mh, vh = (m / (1 - b1**t), v / (1 - b2**t)) if bias else (m, v)
        new = th - lr * mh / (math.sqrt(vh) + ADAM_EPS)
        if log is not None:
            log.append(
                f"$$t={t}:\\ g_{t}={fmt(g)},\\ m_{t}={fmt(m)},\\ v_{t}={fmt(v)},\\ "
                f"\\hat m_{t}=\\frac{{{fmt(m)}}}{{1-{fmt(b1)}^{t}}}={fmt(mh)},\\ "
                f"\\hat v_{t}=\\frac{{{fmt(v)}}}{{1-{fmt(b2)}^{t}}}={fmt(vh)},\\ "
                f"\\theta_{t}={fmt(th)}-{fmt(lr)}\\frac{{{fmt(mh)}}}{{\\sqrt{{{fmt(vh)}}}+\\epsilon}}"
                f"={fmt(new)}$$"
            )
        th = new
    return th, m, v


def _adam_cols(
    tc: TrajCols,
    lr: torch.Tensor,
    b1: torch.Tensor,
    b2: torch.Tensor,
    l2: torch.Tensor | float = 0.0,
    decoupled: torch.Tensor | float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    th, m, v = tc.theta0, torch.zeros_like(tc.theta0), torch.zeros_like(tc.theta0)
    for t in range(MAX_STEPS):
        a = tc.active(t)
        g = tc.grad(t, th) + l2 * th
        th_d = th * (1 - lr * decoupled)
        m_new = b1 * m + (1 - b1) * g
        v_new = b2 * v + (1 - b2) * g * g
        mh = m_new / (1 - b1 ** (t + 1))
        vh = v_new / (1 - b2 ** (t + 1))
        th_new = th_d - lr * mh / (vh.sqrt() + ADAM_EPS)
        th, m, v = torch.where(a, th_new, th), torch.where(a, m_new, m), torch.where(a, v_new, v)
    return th, m, v


@register
class AdamStep(Family):
    id = "adam_step"
    version = 2  # v2: draws where a listed mistake cannot show are redrawn
    title = "Adam（含偏差修正）"
    topics = ("001-1073", "002-0280")
    dim = 1
    schema = {
        **traj_schema(1),
        "lr": Param("choice", choices=(0.001, 0.01, 0.1, 0.5)),
        "beta1": Param("choice", choices=(0.5, 0.8, 0.9)),
        "beta2": Param("choice", choices=(0.9, 0.99, 0.999)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _AdamParams.of(p)
        theta, st = run_torch(
            lambda ps: torch.optim.Adam(ps, lr=q.lr, betas=(q.beta1, q.beta2), eps=ADAM_EPS),
            q.tr,
            ("exp_avg", "exp_avg_sq"),
        )
        return {"theta": theta[0], "m": st["exp_avg"][0], "v": st["exp_avg_sq"][0]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = TrajCols(c, self.dim)
        lr, b1, b2 = (choice_col(c, self.schema, n) for n in ("lr", "beta1", "beta2"))
        th, m, v = _adam_cols(tc, lr, b1, b2)
        return {"theta": th[:, 0], "m": m[:, 0], "v": v[:, 0]}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _AdamParams.of(p)
        tr = q.tr
        return (
            f"{start_text(tr)}，用 `torch.optim.Adam([theta], lr={fmt(q.lr)}, betas=({fmt(q.beta1)}, {fmt(q.beta2)}), "
            f"eps=1e-8)` 更新 {tr.steps} 步。"
            + question(
                tr,
                f"，以及优化器状态中的一阶矩 $m_{{{tr.steps}}}$（`exp_avg`）"
                f"和二阶矩 $v_{{{tr.steps}}}$（`exp_avg_sq`，未做偏差修正的值）",
            )
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        tr = _AdamParams.of(p).tr
        return (
            theta_part(tr, "real", w["theta"]),
            Part("m", f"$m_{{{tr.steps}}}$（exp_avg）", "real", w["m"]),
            Part("v", f"$v_{{{tr.steps}}}$（exp_avg_sq）", "real", w["v"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _AdamParams.of(p)
        tr = q.tr
        log: list[str] = []
        _adam_py(tr, q.lr, q.beta1, q.beta2, log=log)
        return (
            "$$m_t=\\beta_1 m_{t-1}+(1-\\beta_1)g_t,\\quad v_t=\\beta_2 v_{t-1}+(1-\\beta_2)g_t^2,\\quad "
            "\\hat m_t=\\frac{m_t}{1-\\beta_1^t},\\quad \\hat v_t=\\frac{v_t}{1-\\beta_2^t},\\quad "
            "\\theta_t=\\theta_{t-1}-\\eta\\frac{\\hat m_t}{\\sqrt{\\hat v_t}+\\epsilon}$$\n\n"
            + "\n\n".join(log)
            + f"\n\n答案：$\\theta_{{{tr.steps}}}={fmt(w['theta'])}$，$m_{{{tr.steps}}}={fmt(w['m'])}$，"
            f"$v_{{{tr.steps}}}={fmt(w['v'])}$。第一步时 $\\hat m_1/\\sqrt{{\\hat v_1}}=\\mathrm{{sign}}(g_1)$，"
            "所以 Adam 的第一步长度约为 $\\eta$。"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _AdamParams.of(p)
        tr, lr, b1, b2 = q.tr, q.lr, q.beta1, q.beta2
        t = tr.steps
        sw = _adam_py(tr, lr, b1, b2, swapped=True)
        return [
            Mistake(
                "optim.adam-no-bias-correction",
                "没有做偏差修正（直接用 m、v）",
                {"theta": _adam_py(tr, lr, b1, b2, bias=False)[0]},
            ),
            Mistake(
                "adam.state-bias-corrected",
                "把偏差修正后的 m̂、v̂ 当成了优化器状态",
                {"m": w["m"] / (1 - b1**t), "v": w["v"] / (1 - b2**t)},
            ),
            Mistake(
                "adam.betas-swapped",
                "β 与 1−β 用反了（m=(1−β₁)m+β₁g）",
                {"theta": sw[0], "m": sw[1], "v": sw[2]},
            ),
        ]


# -- AdamW vs Adam + L2 ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _AdamwParams:
    tr: Traj
    lr: float
    weight_decay: float

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _AdamwParams:
        return cls(Traj.of(p, 1), p["lr"], p["weight_decay"])


@register
class AdamwVsL2(Family):
    id = "adamw_vs_l2"
    title = "AdamW 解耦权值衰减 vs Adam 的 L2（weight_decay）"
    topics = ("002-0372",)
    dim = 1
    schema = {
        **traj_schema(1),
        "lr": Param("choice", choices=(0.01, 0.1, 0.2)),
        "weight_decay": Param("choice", choices=(0.1, 0.5, 1.0)),
    }
    betas = (0.9, 0.999)

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _AdamwParams.of(p)
        lr, betas, wd = q.lr, self.betas, q.weight_decay
        w, _ = run_torch(
            lambda ps: torch.optim.AdamW(ps, lr=lr, betas=betas, eps=ADAM_EPS, weight_decay=wd), q.tr
        )
        a, _ = run_torch(
            lambda ps: torch.optim.Adam(ps, lr=lr, betas=betas, eps=ADAM_EPS, weight_decay=wd), q.tr
        )
        return {"adamw": w[0], "adam_l2": a[0]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = TrajCols(c, self.dim)
        lr, wd = choice_col(c, self.schema, "lr"), choice_col(c, self.schema, "weight_decay")
        b1 = torch.full_like(lr, self.betas[0])
        b2 = torch.full_like(lr, self.betas[1])
        w = _adam_cols(tc, lr, b1, b2, decoupled=wd)[0]
        a = _adam_cols(tc, lr, b1, b2, l2=wd)[0]
        return {"adamw": w[:, 0], "adam_l2": a[:, 0]}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _AdamwParams.of(p)
        tr, lr, wd = q.tr, q.lr, q.weight_decay
        return (
            f"{start_text(tr)}。分别用 `torch.optim.AdamW([theta], lr={fmt(lr)}, weight_decay={fmt(wd)})` 和 "
            f"`torch.optim.Adam([theta], lr={fmt(lr)}, weight_decay={fmt(wd)})`（betas=(0.9, 0.999)，eps=1e-8）"
            f"从同一个 $\\theta_0$ 出发更新 {tr.steps} 步。"
            + grad_text(tr, "，不含 weight decay 项")
            + f"\n\n分别求两种优化器 {tr.steps} 步后的 $\\theta_{{{tr.steps}}}$。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        steps = _AdamwParams.of(p).tr.steps
        return (
            Part("adamw", f"AdamW 的 $\\theta_{{{steps}}}$", "real", w["adamw"]),
            Part("adam_l2", f"Adam(weight_decay) 的 $\\theta_{{{steps}}}$", "real", w["adam_l2"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _AdamwParams.of(p)
        tr, lr, wd = q.tr, q.lr, q.weight_decay
        b1, b2 = self.betas
        log_w: list[str] = []
        log_a: list[str] = []
        _adam_py(tr, lr, b1, b2, decoupled=wd, log=log_w)
        _adam_py(tr, lr, b1, b2, l2=wd, log=log_a)
        return (
            f"**AdamW**（解耦）：先衰减 $\\theta\\leftarrow\\theta(1-\\eta\\lambda)=\\theta\\times{fmt(1 - lr * wd)}$，"
            "再用原梯度做 Adam 更新（下面的 $\\theta_{t-1}$ 已是衰减后的值）：\n\n"
            + "\n\n".join(log_w)
            + "\n\n**Adam + L2**：把 $\\lambda\\theta$ 加进梯度 $g_t\\leftarrow g_t+\\lambda\\theta_{t-1}$，"
            "它会被 $\\sqrt{\\hat v}$ 一起归一化：\n\n"
            + "\n\n".join(log_a)
            + f"\n\n答案：AdamW ${fmt(w['adamw'])}$，Adam(weight_decay) ${fmt(w['adam_l2'])}$。"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _AdamwParams.of(p)
        tr, lr, wd = q.tr, q.lr, q.weight_decay
        b1, b2 = self.betas
        plain = _adam_py(tr, lr, b1, b2)[0]
        return [
            Mistake(
                "adamw.swapped",
                "两者弄反了（AdamW 是解耦衰减，Adam 的 weight_decay 是加到梯度上的 L2）",
                {"adamw": w["adam_l2"], "adam_l2": w["adamw"]},
            ),
            Mistake(
                "adamw.decay-not-scaled-by-lr",
                "AdamW 的衰减没有乘学习率（PyTorch 为 θ(1−ηλ)）",
                {"adamw": _adam_py(tr, lr, b1, b2, decoupled=wd, decoupled_scaled=False)[0]},
            ),
            Mistake("adamw.decay-ignored", "忽略了 weight decay", {"adamw": plain, "adam_l2": plain}),
        ]
