"""Momentum: PyTorch's and the Deep Learning book's conventions, and PyTorch's Nesterov form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum, auto
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
    theta_part,
    traj_schema,
)
from engine.family import Family, register
from engine.formatting import fmt
from engine.values import Mistake, Param, Part


def _p(x: float) -> str:
    """A factor or a subtrahend: in parentheses when negative (``0.9\\times(-1)``, not ``0.9\\times-1``)."""
    s = fmt(x)
    return f"({s})" if s.startswith("-") else s


def _s(x: float) -> str:
    """A term appended to a sum: ``+0.5`` or ``-0.5`` (never ``+-0.5``)."""
    s = fmt(x)
    return s if s.startswith("-") else "+" + s


__all__ = ["MomentumStep", "NesterovStep"]

# -- momentum --------------------------------------------------------------------------------------


class MomentumForm(StrEnum):
    """How a momentum step is written. The first two are the conventions a variant asks for (the
    ``convention`` parameter stores their values); the others are misreadings the mistakes replay."""

    PYTORCH = "pytorch"  # v = μv + g, θ -= lr·v (v is torch's `momentum_buffer`)
    BOOK = "book"  # v = μv − lr·g, θ += v (Goodfellow et al.)
    EMA = "ema"  # v = μv + (1−μ)g from v = 0, θ -= lr·v
    NONE = "sgd"  # no momentum: θ -= lr·g; the velocity reported is g


CONVENTIONS = (MomentumForm.PYTORCH, MomentumForm.BOOK)


@dataclass(frozen=True)
class _MomentumParams:
    tr: Traj
    lr: float
    momentum: float
    convention: MomentumForm

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _MomentumParams:
        return cls(Traj.of(p, 1), p["lr"], p["momentum"], MomentumForm(p["convention"]))


def _other(convention: MomentumForm) -> MomentumForm:
    """The other of the two conventions."""
    return MomentumForm.BOOK if convention is MomentumForm.PYTORCH else MomentumForm.PYTORCH


def _momentum_py(
    tr: Traj, lr: float, mu: float, form: MomentumForm, log: list[str] | None = None
) -> tuple[float, float]:
    """Scalar momentum written in ``form``: the final θ and velocity."""
    th, v = tr.theta0[0], 0.0
    for t in range(tr.steps):
        g = tr.grad(t, 0, th)
        text = ""
        match form:
            case MomentumForm.PYTORCH:
                v_new = mu * v + g
                new = th - lr * v_new
                text = f"v_{t + 1}={fmt(mu)}\\times{_p(v)}{_s(g)}={fmt(v_new)},\\quad \\theta_{t + 1}={fmt(th)}-{fmt(lr)}\\times{_p(v_new)}"
            case MomentumForm.BOOK:
                v_new = mu * v - lr * g
                new = th + v_new
                text = f"v_{t + 1}={fmt(mu)}\\times{_p(v)}-{fmt(lr)}\\times{_p(g)}={fmt(v_new)},\\quad \\theta_{t + 1}={fmt(th)}{_s(v_new)}"
            case MomentumForm.EMA:
                v_new = mu * v + (1 - mu) * g
                new = th - lr * v_new
            case MomentumForm.NONE:
                v_new = g
                new = th - lr * g
            case _:
                assert_never(form)
        if log is not None:
            log.append(f"$$t={t + 1}:\\ g_{t + 1}={fmt(g)},\\quad {text}={fmt(new)}$$")
        th, v = new, v_new
    return th, v


@register
class MomentumStep(Family):
    id = "momentum_step"
    title = "动量 SGD：PyTorch 形式与花书形式"
    topics = ("001-0986", "002-0260")
    dim = 1
    schema = {
        **traj_schema(1),
        "lr": Param("choice", choices=(0.01, 0.05, 0.1, 0.2, 0.5)),
        "momentum": Param("choice", choices=(0.5, 0.8, 0.9)),
        "convention": Param("choice", choices=tuple(f.value for f in CONVENTIONS)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _MomentumParams.of(p)
        theta, st = run_torch(
            lambda ps: torch.optim.SGD(ps, lr=q.lr, momentum=q.momentum), q.tr, ("momentum_buffer",)
        )
        buf = st["momentum_buffer"][0]
        # same θ under both conventions (constant lr); the book's velocity is −lr times PyTorch's buffer
        velocity = buf if q.convention is MomentumForm.PYTORCH else -q.lr * buf
        return {"theta": theta[0], "velocity": velocity}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = TrajCols(c, self.dim)
        lr, mu = choice_col(c, self.schema, "lr"), choice_col(c, self.schema, "momentum")
        book = (c["convention"] == CONVENTIONS.index(MomentumForm.BOOK))[:, None]
        th_p, v_p = tc.theta0, torch.zeros_like(tc.theta0)
        th_b, v_b = tc.theta0, torch.zeros_like(tc.theta0)
        for t in range(MAX_STEPS):
            a = tc.active(t)
            v_p_new = mu * v_p + tc.grad(t, th_p)
            th_p, v_p = torch.where(a, th_p - lr * v_p_new, th_p), torch.where(a, v_p_new, v_p)
            v_b_new = mu * v_b - lr * tc.grad(t, th_b)
            th_b, v_b = torch.where(a, th_b + v_b_new, th_b), torch.where(a, v_b_new, v_b)
        return {"theta": torch.where(book, th_b, th_p)[:, 0], "velocity": torch.where(book, v_b, v_p)[:, 0]}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _MomentumParams.of(p)
        tr = q.tr
        match q.convention:
            case MomentumForm.PYTORCH:
                rule = (
                    "按 PyTorch `torch.optim.SGD(lr, momentum)` 的形式："
                    "$v_t=\\mu v_{t-1}+g_t,\\ \\theta_t=\\theta_{t-1}-\\eta\\,v_t$（$v_0=0$，$v$ 即 `momentum_buffer`）"
                )
            case MomentumForm.BOOK:
                rule = (
                    "按花书（Goodfellow 等）的形式：$v_t=\\alpha v_{t-1}-\\epsilon g_t,\\ \\theta_t=\\theta_{t-1}+v_t$"
                    "（$v_0=0$）"
                )
            case _:
                raise ValueError(f"not a convention a variant asks for: {q.convention}")
        return (
            f"{start_text(tr)}，学习率 $\\eta=\\epsilon={fmt(q.lr)}$，动量系数 $\\mu=\\alpha={fmt(q.momentum)}$，"
            f"{rule}，更新 {tr.steps} 步。" + question(tr, f" 和速度 $v_{{{tr.steps}}}$（按题中的约定）")
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        tr = _MomentumParams.of(p).tr
        return (
            theta_part(tr, "real", w["theta"]),
            Part("velocity", f"速度 $v_{{{tr.steps}}}$", "real", w["velocity"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _MomentumParams.of(p)
        tr = q.tr
        log: list[str] = []
        _momentum_py(tr, q.lr, q.momentum, q.convention, log)
        _, v_other = _momentum_py(tr, q.lr, q.momentum, _other(q.convention))
        return (
            "逐步代入：\n\n"
            + "\n\n".join(log)
            + f"\n\n答案：$\\theta_{{{tr.steps}}}={fmt(w['theta'])}$，$v_{{{tr.steps}}}={fmt(w['velocity'])}$。"
            "\n\n两种写法在学习率不变时给出相同的 $\\theta$，但速度相差一个因子 $-\\eta$："
            f"另一种约定下 $v_{{{tr.steps}}}={fmt(v_other)}$。"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _MomentumParams.of(p)
        tr, lr, mu = q.tr, q.lr, q.momentum
        _, v_other = _momentum_py(tr, lr, mu, _other(q.convention))
        ema_th, ema_v = _momentum_py(tr, lr, mu, MomentumForm.EMA)
        sgd_th, sgd_v = _momentum_py(tr, lr, mu, MomentumForm.NONE)
        scale = 1.0 if q.convention is MomentumForm.PYTORCH else -lr
        return [
            Mistake(
                "momentum.convention-swapped",
                "速度用了另一种约定（PyTorch 的 v=μv+g 与花书的 v=αv−εg 相差因子 −η）",
                {"velocity": v_other},
            ),
            Mistake(
                "momentum.ema-form",
                "把动量写成指数滑动平均 v=μv+(1−μ)g（吴恩达课程的形式）",
                {"theta": ema_th, "velocity": scale * ema_v},
            ),
            Mistake(
                "momentum.ignored",
                "忽略了动量项（按普通 SGD 计算）",
                {"theta": sgd_th, "velocity": scale * sgd_v},
            ),
        ]


# -- Nesterov --------------------------------------------------------------------------------------


class NesterovForm(Enum):
    """How a Nesterov step is written: PyTorch's form, and the misreadings the mistakes replay."""

    PYTORCH = auto()  # b = μb + g, θ -= lr·(g + μb)
    PLAIN = auto()  # plain momentum: b = μb + g, θ -= lr·b
    SUTSKEVER = auto()  # look-ahead: v = μv − lr·∇L(θ + μv), θ += v (the buffer reported is −v/lr)


@dataclass(frozen=True)
class _NesterovParams:
    tr: Traj
    lr: float
    momentum: float

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _NesterovParams:
        return cls(Traj.of(p, 1), p["lr"], p["momentum"])


def _nesterov_py(
    tr: Traj, lr: float, mu: float, form: NesterovForm, log: list[str] | None = None
) -> tuple[float, float]:
    """Scalar Nesterov written in ``form``: the final θ and momentum buffer."""
    th, b = tr.theta0[0], 0.0
    for t in range(tr.steps):
        if form is NesterovForm.SUTSKEVER:
            g = tr.grad(t, 0, th + mu * b)  # b holds v here
            b = mu * b - lr * g
            th = th + b
            continue
        g = tr.grad(t, 0, th)
        b_new = mu * b + g
        d = g + mu * b_new if form is NesterovForm.PYTORCH else b_new
        new = th - lr * d
        if log is not None:
            log.append(
                f"$$t={t + 1}:\\ g_{t + 1}={fmt(g)},\\quad b_{t + 1}={fmt(mu)}\\times{_p(b)}{_s(g)}"
                f"={fmt(b_new)},\\quad d={fmt(g)}+{fmt(mu)}\\times{_p(b_new)}={fmt(d)},\\quad "
                f"\\theta_{t + 1}={fmt(th)}-{fmt(lr)}\\times{_p(d)}={fmt(new)}$$"
            )
        th, b = new, b_new
    return (th, -b / lr) if form is NesterovForm.SUTSKEVER else (th, b)


@register
class NesterovStep(Family):
    id = "nesterov_step"
    title = "Nesterov 动量（PyTorch）"
    topics = ("001-1004",)
    dim = 1
    schema = {
        **traj_schema(1),
        "lr": Param("choice", choices=(0.01, 0.05, 0.1, 0.2, 0.5)),
        "momentum": Param("choice", choices=(0.5, 0.8, 0.9)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _NesterovParams.of(p)
        theta, st = run_torch(
            lambda ps: torch.optim.SGD(ps, lr=q.lr, momentum=q.momentum, nesterov=True),
            q.tr,
            ("momentum_buffer",),
        )
        return {"theta": theta[0], "buffer": st["momentum_buffer"][0]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = TrajCols(c, self.dim)
        lr, mu = choice_col(c, self.schema, "lr"), choice_col(c, self.schema, "momentum")
        th, b = tc.theta0, torch.zeros_like(tc.theta0)
        for t in range(MAX_STEPS):
            a = tc.active(t)
            g = tc.grad(t, th)
            b_new = mu * b + g
            th, b = torch.where(a, th - lr * (g + mu * b_new), th), torch.where(a, b_new, b)
        return {"theta": th[:, 0], "buffer": b[:, 0]}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _NesterovParams.of(p)
        tr = q.tr
        return (
            f"{start_text(tr)}，用 `torch.optim.SGD([theta], lr={fmt(q.lr)}, momentum={fmt(q.momentum)}, "
            f"nesterov=True)` 更新 {tr.steps} 步。"
            + question(tr, f" 和优化器状态中的 `momentum_buffer` $b_{{{tr.steps}}}$")
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        tr = _NesterovParams.of(p).tr
        return (
            theta_part(tr, "real", w["theta"]),
            Part("buffer", f"`momentum_buffer` $b_{{{tr.steps}}}$", "real", w["buffer"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _NesterovParams.of(p)
        tr = q.tr
        log: list[str] = []
        _nesterov_py(tr, q.lr, q.momentum, NesterovForm.PYTORCH, log)
        return (
            "PyTorch 的 Nesterov：$b_t=\\mu b_{t-1}+g_t$（$b_0=0$），更新方向 $d_t=g_t+\\mu b_t$，"
            "$\\theta_t=\\theta_{t-1}-\\eta\\,d_t$。\n\n"
            + "\n\n".join(log)
            + f"\n\n答案：$\\theta_{{{tr.steps}}}={fmt(w['theta'])}$，$b_{{{tr.steps}}}={fmt(w['buffer'])}$。"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _NesterovParams.of(p)
        tr, lr, mu = q.tr, q.lr, q.momentum
        return [
            Mistake(
                "nesterov.plain-momentum",
                "按普通动量更新（θ -= lr·b，少了 Nesterov 的 g+μb 校正）",
                {"theta": _nesterov_py(tr, lr, mu, NesterovForm.PLAIN)[0]},
            ),
            Mistake(
                "nesterov.sutskever-lookahead",
                "用了 Sutskever 的前瞻形式 v=μv−η∇L(θ+μv)，θ+=v（与 PyTorch 存的参数不同）",
                {"theta": _nesterov_py(tr, lr, mu, NesterovForm.SUTSKEVER)[0]},
            ),
        ]
