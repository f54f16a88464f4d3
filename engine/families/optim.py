"""Optimizers and learning-rate schedules: SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam, AdamW vs L2,
and the usual LR schedules.

Every optimizer family runs a few steps of the real ``torch.optim`` optimizer on a float64 tensor
whose ``.grad`` is set by hand each step: either a fixed gradient per step, or the gradient of the
quadratic loss :math:`L(\\theta)=\\tfrac{a}{2}\\lVert\\theta\\rVert^2`, :math:`\\nabla L=a\\theta`, evaluated
at the current parameter. The closed forms are the textbook recursions, vectorised over a batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch.optim import lr_scheduler

from engine.core import Family, Mistake, Param, Part, Variant, fmt, register
from engine.families._support import clean_mistakes

__all__ = [
    "AdagradStep",
    "AdamStep",
    "AdamwVsL2",
    "LrSchedule",
    "MomentumStep",
    "NesterovStep",
    "RmspropStep",
    "SgdStep",
]

MAX_STEPS = 3
_MODES = ("fixed", "quadratic")


# -- the shared trajectory set-up ------------------------------------------------------------------


def _names(dim: int) -> tuple[list[str], list[list[str]]]:
    """Parameter names of the initial value and of the fixed gradients (per step, per coordinate)."""
    if dim == 1:
        return ["theta0"], [[f"g{t}"] for t in range(1, MAX_STEPS + 1)]
    comps = range(1, dim + 1)
    return [f"theta0_{i}" for i in comps], [[f"g{t}_{i}" for i in comps] for t in range(1, MAX_STEPS + 1)]


def _traj_schema(dim: int) -> dict[str, Param]:
    theta, grads = _names(dim)
    s: dict[str, Param] = {
        "steps": Param("int", 1, MAX_STEPS),
        "grad_mode": Param("choice", choices=_MODES),
        "curv": Param("real", 0.5, 2.0, decimals=1),
    }
    for n in theta:
        s[n] = Param("real", -2.0, 2.0, decimals=1)
    for row in grads:
        for n in row:
            s[n] = Param("real", -2.0, 2.0, decimals=1)
    return s


@dataclass(frozen=True)
class _Traj:
    """The set-up of an optimizer exercise: start, steps and where the gradients come from."""

    theta0: tuple[float, ...]
    grads: tuple[tuple[float, ...], ...]  # fixed gradients, MAX_STEPS rows
    steps: int
    quadratic: bool
    curv: float

    @classmethod
    def of(cls, p: dict[str, Any], dim: int) -> _Traj:
        theta, grads = _names(dim)
        return cls(
            tuple(float(p[n]) for n in theta),
            tuple(tuple(float(p[n]) for n in row) for row in grads),
            int(p["steps"]),
            p["grad_mode"] == "quadratic",
            float(p["curv"]),
        )

    @property
    def dim(self) -> int:
        return len(self.theta0)

    def grad(self, t: int, i: int, theta_i: float) -> float:
        """The loss gradient of coordinate ``i`` at step ``t`` (0-based) where θ_i is ``theta_i``."""
        return self.curv * theta_i if self.quadratic else self.grads[t][i]


class _TrajCols:
    """The same set-up as whole columns: theta0 (B, D), grads (B, MAX_STEPS, D), steps, quadratic, curv."""

    def __init__(self, c: dict[str, torch.Tensor], dim: int) -> None:
        theta, grads = _names(dim)
        self.theta0 = torch.stack([c[n] for n in theta], dim=1)
        self.grads = torch.stack([torch.stack([c[n] for n in row], dim=1) for row in grads], dim=1)
        self.steps = c["steps"]
        self.quadratic = (c["grad_mode"] == _MODES.index("quadratic"))[:, None]
        self.curv = c["curv"][:, None]

    def grad(self, t: int, theta: torch.Tensor) -> torch.Tensor:
        return torch.where(self.quadratic, self.curv * theta, self.grads[:, t])

    def active(self, t: int) -> torch.Tensor:
        return (self.steps > t)[:, None]


def _choice_col(c: dict[str, torch.Tensor], schema: dict[str, Param], name: str) -> torch.Tensor:
    """A choice column as the chosen float values, shaped (B, 1) to broadcast over coordinates."""
    table = torch.tensor([float(x) for x in schema[name].choices], dtype=torch.float64, device=c[name].device)
    return table[c[name]][:, None]


def _run_torch(
    make: Callable[[list[torch.Tensor]], torch.optim.Optimizer], tr: _Traj, state_keys: tuple[str, ...] = ()
) -> tuple[list[float], dict[str, list[float]]]:
    """Step a real optimizer ``tr.steps`` times on a float64 tensor, setting ``.grad`` by hand."""
    x = torch.tensor(tr.theta0, dtype=torch.float64, requires_grad=True)
    opt = make([x])
    for t in range(tr.steps):
        if tr.quadratic:
            x.grad = tr.curv * x.detach().clone()
        else:
            x.grad = torch.tensor(tr.grads[t], dtype=torch.float64)
        opt.step()
    state = opt.state[x]
    return x.detach().tolist(), {k: state[k].detach().reshape(-1).tolist() for k in state_keys}


def _v(xs: list[float] | tuple[float, ...]) -> str:
    """A scalar or a vector as shown in prompts and solutions."""
    if len(xs) == 1:
        return fmt(float(xs[0]))
    return "(" + ",\\ ".join(fmt(float(x)) for x in xs) + ")"


def _ans(xs: list[float]) -> Any:
    return xs[0] if len(xs) == 1 else list(xs)


def _grad_text(tr: _Traj, wd_note: str = "") -> str:
    """How the gradients are given, in the prompt."""
    if tr.quadratic:
        return (
            f"损失函数为 $L(\\theta)=\\tfrac{{a}}{{2}}\\lVert\\theta\\rVert^2$，$a={fmt(tr.curv)}$，"
            f"每一步的梯度在当前参数处计算：$g_t=\\nabla L(\\theta_{{t-1}})=a\\,\\theta_{{t-1}}${wd_note}。"
        )
    gs = "，".join(f"$g_{t + 1}={_v(tr.grads[t])}$" for t in range(tr.steps))
    return f"各步的梯度（由 `.grad` 给出{wd_note}）依次为 {gs}。"


def _start_text(tr: _Traj) -> str:
    kind = "标量参数" if tr.dim == 1 else f"{tr.dim} 维参数向量"
    return f"{kind} $\\theta_0={_v(tr.theta0)}$（float64）"


def _param_kind(dim: int) -> Literal["real", "vector"]:
    return "real" if dim == 1 else "vector"


# -- plain-Python recursions (for the worked solutions and the mistakes) ---------------------------


def _sgd_py(
    tr: _Traj,
    lr: float,
    wd: float,
    *,
    wd_scaled: bool = True,
    stale: bool = False,
    log: list[str] | None = None,
) -> list[float]:
    th = list(tr.theta0)
    g0 = [tr.grad(0, i, th[i]) for i in range(tr.dim)]
    for t in range(tr.steps):
        g = g0 if stale else [tr.grad(t, i, th[i]) for i in range(tr.dim)]
        if wd_scaled:
            new = [th[i] - lr * (g[i] + wd * th[i]) for i in range(tr.dim)]
        else:
            new = [th[i] - lr * g[i] - wd * th[i] for i in range(tr.dim)]
        if log is not None:
            d = [g[i] + wd * th[i] for i in range(tr.dim)]
            wd_part = f"+{fmt(wd)}\\times{_v(th)}" if wd else ""
            log.append(
                f"$$t={t + 1}:\\ g_{t + 1}={_v(g)},\\quad d=g_{t + 1}{wd_part}={_v(d)},\\quad "
                f"\\theta_{t + 1}={_v(th)}-{fmt(lr)}\\times{_v(d)}={_v(new)}$$"
            )
        th = new
    return th


# -- SGD -------------------------------------------------------------------------------------------


@register
class SgdStep(Family):
    id = "sgd_step"
    title = "SGD 参数更新（含 weight decay）"
    topics = ("001-0976", "002-0248")
    dim = 2
    schema = {
        **_traj_schema(2),
        "lr": Param("choice", choices=(0.01, 0.05, 0.1, 0.2, 0.5)),
        "weight_decay": Param("choice", choices=(0.0, 0.01, 0.1, 0.5)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        tr = _Traj.of(p, self.dim)
        theta, _ = _run_torch(lambda ps: torch.optim.SGD(ps, lr=p["lr"], weight_decay=p["weight_decay"]), tr)
        return {"theta": _ans(theta)}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = _TrajCols(c, self.dim)
        lr, wd = _choice_col(c, self.schema, "lr"), _choice_col(c, self.schema, "weight_decay")
        th = tc.theta0
        for t in range(MAX_STEPS):
            new = th - lr * (tc.grad(t, th) + wd * th)
            th = torch.where(tc.active(t), new, th)
        return {"theta": th}

    def build(self, p: dict[str, Any]) -> Variant:
        tr = _Traj.of(p, self.dim)
        lr, wd = p["lr"], p["weight_decay"]
        theta = self.solve(p)["theta"]
        wd_arg = f", weight_decay={fmt(wd)}" if wd else ""
        prompt = (
            f"{_start_text(tr)}，用 `torch.optim.SGD([theta], lr={fmt(lr)}{wd_arg})` 更新 {tr.steps} 步。"
            + _grad_text(tr, "，不含 weight decay 项" if wd else "")
            + f"\n\n求 {tr.steps} 步之后的 $\\theta_{{{tr.steps}}}$。"
        )
        log: list[str] = []
        _sgd_py(tr, lr, wd, log=log)
        rule = (
            "$$d_t=g_t+\\lambda\\theta_{t-1},\\qquad \\theta_t=\\theta_{t-1}-\\eta\\,d_t$$"
            if wd
            else "$$\\theta_t=\\theta_{t-1}-\\eta\\,g_t$$"
        )
        solution = (
            f"PyTorch 的 SGD 把 weight decay 加到梯度上（$\\lambda={fmt(wd)}$），$\\eta={fmt(lr)}$：\n\n"
            f"{rule}\n\n"
            + "\n\n".join(log)
            + f"\n\n答案：$\\theta_{{{tr.steps}}}={_v(theta if isinstance(theta, list) else [theta])}$。"
        )
        wrong: list[Mistake] = [
            Mistake("optim.wd-ignored", "忽略了 weight decay", {"theta": _ans(_sgd_py(tr, lr, 0.0))}),
            Mistake(
                "optim.wd-not-scaled-by-lr",
                "weight decay 没有乘学习率（应为 θ -= lr·(g + λθ)）",
                {"theta": _ans(_sgd_py(tr, lr, wd, wd_scaled=False))},
            ),
        ]
        if tr.quadratic:
            wrong.append(
                Mistake(
                    "optim.stale-gradient",
                    "每一步都用了初始点的梯度，没有在新参数处重新计算",
                    {"theta": _ans(_sgd_py(tr, lr, wd, stale=True))},
                )
            )
        parts = (Part("theta", f"$\\theta_{{{tr.steps}}}$", _param_kind(self.dim), theta, atol=1e-6),)
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))


# -- momentum --------------------------------------------------------------------------------------


def _momentum_py(
    tr: _Traj, lr: float, mu: float, form: str, log: list[str] | None = None
) -> tuple[float, float]:
    """Scalar momentum. ``form``: 'pytorch' (v = μv + g, θ -= lr·v), 'book' (v = μv − lr·g, θ += v),
    'ema' (v = μv + (1−μ)g from v=0, θ -= lr·v), 'sgd' (no momentum; the velocity reported is g)."""
    th, v = tr.theta0[0], 0.0
    for t in range(tr.steps):
        g = tr.grad(t, 0, th)
        if form == "pytorch":
            v_new = mu * v + g
            new = th - lr * v_new
            text = f"v_{t + 1}={fmt(mu)}\\times{fmt(v)}+{fmt(g)}={fmt(v_new)},\\quad \\theta_{t + 1}={fmt(th)}-{fmt(lr)}\\times{fmt(v_new)}"
        elif form == "book":
            v_new = mu * v - lr * g
            new = th + v_new
            text = f"v_{t + 1}={fmt(mu)}\\times{fmt(v)}-{fmt(lr)}\\times{fmt(g)}={fmt(v_new)},\\quad \\theta_{t + 1}={fmt(th)}+{fmt(v_new)}"
        elif form == "ema":
            v_new = mu * v + (1 - mu) * g
            new = th - lr * v_new
            text = ""
        else:
            v_new = g
            new = th - lr * g
            text = ""
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
        **_traj_schema(1),
        "lr": Param("choice", choices=(0.01, 0.05, 0.1, 0.2, 0.5)),
        "momentum": Param("choice", choices=(0.5, 0.8, 0.9)),
        "convention": Param("choice", choices=("pytorch", "book")),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        tr = _Traj.of(p, self.dim)
        theta, st = _run_torch(
            lambda ps: torch.optim.SGD(ps, lr=p["lr"], momentum=p["momentum"]), tr, ("momentum_buffer",)
        )
        buf = st["momentum_buffer"][0]
        # same θ under both conventions (constant lr); the book's velocity is −lr times PyTorch's buffer
        velocity = buf if p["convention"] == "pytorch" else -p["lr"] * buf
        return {"theta": theta[0], "velocity": velocity}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = _TrajCols(c, self.dim)
        lr, mu = _choice_col(c, self.schema, "lr"), _choice_col(c, self.schema, "momentum")
        book = (c["convention"] == 1)[:, None]
        th_p, v_p = tc.theta0, torch.zeros_like(tc.theta0)
        th_b, v_b = tc.theta0, torch.zeros_like(tc.theta0)
        for t in range(MAX_STEPS):
            a = tc.active(t)
            v_p_new = mu * v_p + tc.grad(t, th_p)
            th_p, v_p = torch.where(a, th_p - lr * v_p_new, th_p), torch.where(a, v_p_new, v_p)
            v_b_new = mu * v_b - lr * tc.grad(t, th_b)
            th_b, v_b = torch.where(a, th_b + v_b_new, th_b), torch.where(a, v_b_new, v_b)
        return {"theta": torch.where(book, th_b, th_p)[:, 0], "velocity": torch.where(book, v_b, v_p)[:, 0]}

    def build(self, p: dict[str, Any]) -> Variant:
        tr = _Traj.of(p, self.dim)
        lr, mu, conv = p["lr"], p["momentum"], p["convention"]
        ans = self.solve(p)
        if conv == "pytorch":
            rule = (
                "按 PyTorch `torch.optim.SGD(lr, momentum)` 的形式："
                "$v_t=\\mu v_{t-1}+g_t,\\ \\theta_t=\\theta_{t-1}-\\eta\\,v_t$（$v_0=0$，$v$ 即 `momentum_buffer`）"
            )
        else:
            rule = (
                "按花书（Goodfellow 等）的形式：$v_t=\\alpha v_{t-1}-\\epsilon g_t,\\ \\theta_t=\\theta_{t-1}+v_t$"
                "（$v_0=0$）"
            )
        prompt = (
            f"{_start_text(tr)}，学习率 $\\eta=\\epsilon={fmt(lr)}$，动量系数 $\\mu=\\alpha={fmt(mu)}$，"
            f"{rule}，更新 {tr.steps} 步。"
            + _grad_text(tr)
            + f"\n\n求 {tr.steps} 步后的参数 $\\theta_{{{tr.steps}}}$ 和速度 $v_{{{tr.steps}}}$（按题中的约定）。"
        )
        log: list[str] = []
        _momentum_py(tr, lr, mu, conv, log)
        other = "book" if conv == "pytorch" else "pytorch"
        _, v_other = _momentum_py(tr, lr, mu, other)
        solution = (
            "逐步代入：\n\n"
            + "\n\n".join(log)
            + f"\n\n答案：$\\theta_{{{tr.steps}}}={fmt(ans['theta'])}$，$v_{{{tr.steps}}}={fmt(ans['velocity'])}$。"
            "\n\n两种写法在学习率不变时给出相同的 $\\theta$，但速度相差一个因子 $-\\eta$："
            f"另一种约定下 $v_{{{tr.steps}}}={fmt(v_other)}$。"
        )
        ema_th, ema_v = _momentum_py(tr, lr, mu, "ema")
        sgd_th, sgd_v = _momentum_py(tr, lr, mu, "sgd")
        scale = 1.0 if conv == "pytorch" else -lr
        wrong = [
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
        parts = (
            Part("theta", f"$\\theta_{{{tr.steps}}}$", "real", ans["theta"], atol=1e-6),
            Part("velocity", f"速度 $v_{{{tr.steps}}}$", "real", ans["velocity"], atol=1e-6),
        )
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))


# -- Nesterov --------------------------------------------------------------------------------------


def _nesterov_py(
    tr: _Traj, lr: float, mu: float, form: str = "pytorch", log: list[str] | None = None
) -> tuple[float, float]:
    """Scalar. 'pytorch': b = μb + g, θ -= lr(g + μb); 'plain': θ -= lr·b; 'sutskever': v = μv − lr∇L(θ+μv),
    θ += v (the buffer reported is −v/lr)."""
    th, b = tr.theta0[0], 0.0
    for t in range(tr.steps):
        if form == "sutskever":
            g = tr.grad(t, 0, th + mu * b)  # b holds v here
            b = mu * b - lr * g
            th = th + b
            continue
        g = tr.grad(t, 0, th)
        b_new = mu * b + g
        d = g + mu * b_new if form == "pytorch" else b_new
        new = th - lr * d
        if log is not None:
            log.append(
                f"$$t={t + 1}:\\ g_{t + 1}={fmt(g)},\\quad b_{t + 1}={fmt(mu)}\\times{fmt(b)}+{fmt(g)}"
                f"={fmt(b_new)},\\quad d={fmt(g)}+{fmt(mu)}\\times{fmt(b_new)}={fmt(d)},\\quad "
                f"\\theta_{t + 1}={fmt(th)}-{fmt(lr)}\\times{fmt(d)}={fmt(new)}$$"
            )
        th, b = new, b_new
    return (th, -b / lr) if form == "sutskever" else (th, b)


@register
class NesterovStep(Family):
    id = "nesterov_step"
    title = "Nesterov 动量（PyTorch）"
    topics = ("001-1004",)
    dim = 1
    schema = {
        **_traj_schema(1),
        "lr": Param("choice", choices=(0.01, 0.05, 0.1, 0.2, 0.5)),
        "momentum": Param("choice", choices=(0.5, 0.8, 0.9)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        tr = _Traj.of(p, self.dim)
        theta, st = _run_torch(
            lambda ps: torch.optim.SGD(ps, lr=p["lr"], momentum=p["momentum"], nesterov=True),
            tr,
            ("momentum_buffer",),
        )
        return {"theta": theta[0], "buffer": st["momentum_buffer"][0]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = _TrajCols(c, self.dim)
        lr, mu = _choice_col(c, self.schema, "lr"), _choice_col(c, self.schema, "momentum")
        th, b = tc.theta0, torch.zeros_like(tc.theta0)
        for t in range(MAX_STEPS):
            a = tc.active(t)
            g = tc.grad(t, th)
            b_new = mu * b + g
            th, b = torch.where(a, th - lr * (g + mu * b_new), th), torch.where(a, b_new, b)
        return {"theta": th[:, 0], "buffer": b[:, 0]}

    def build(self, p: dict[str, Any]) -> Variant:
        tr = _Traj.of(p, self.dim)
        lr, mu = p["lr"], p["momentum"]
        ans = self.solve(p)
        prompt = (
            f"{_start_text(tr)}，用 `torch.optim.SGD([theta], lr={fmt(lr)}, momentum={fmt(mu)}, nesterov=True)` "
            f"更新 {tr.steps} 步。"
            + _grad_text(tr)
            + f"\n\n求 {tr.steps} 步后的参数 $\\theta_{{{tr.steps}}}$ 和优化器状态中的 `momentum_buffer` $b_{{{tr.steps}}}$。"
        )
        log: list[str] = []
        _nesterov_py(tr, lr, mu, "pytorch", log)
        solution = (
            "PyTorch 的 Nesterov：$b_t=\\mu b_{t-1}+g_t$（$b_0=0$），更新方向 $d_t=g_t+\\mu b_t$，"
            "$\\theta_t=\\theta_{t-1}-\\eta\\,d_t$。\n\n"
            + "\n\n".join(log)
            + f"\n\n答案：$\\theta_{{{tr.steps}}}={fmt(ans['theta'])}$，$b_{{{tr.steps}}}={fmt(ans['buffer'])}$。"
        )
        wrong = [
            Mistake(
                "nesterov.plain-momentum",
                "按普通动量更新（θ -= lr·b，少了 Nesterov 的 g+μb 校正）",
                {"theta": _nesterov_py(tr, lr, mu, "plain")[0]},
            ),
            Mistake(
                "nesterov.sutskever-lookahead",
                "用了 Sutskever 的前瞻形式 v=μv−η∇L(θ+μv)，θ+=v（与 PyTorch 存的参数不同）",
                {"theta": _nesterov_py(tr, lr, mu, "sutskever")[0]},
            ),
        ]
        parts = (
            Part("theta", f"$\\theta_{{{tr.steps}}}$", "real", ans["theta"], atol=1e-6),
            Part("buffer", f"`momentum_buffer` $b_{{{tr.steps}}}$", "real", ans["buffer"], atol=1e-6),
        )
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))


# -- AdaGrad ---------------------------------------------------------------------------------------

ADAGRAD_EPS = 1e-10


def _adagrad_py(
    tr: _Traj, lr: float, form: str = "torch", log: list[str] | None = None
) -> tuple[list[float], list[float]]:
    """'torch': G += g², θ -= lr·g/(√G+ε); 'no-sqrt': divide by G; 'last': G = g² (no accumulation)."""
    th, acc = list(tr.theta0), [0.0] * tr.dim
    for t in range(tr.steps):
        g = [tr.grad(t, i, th[i]) for i in range(tr.dim)]
        acc = [g[i] ** 2 if form == "last" else acc[i] + g[i] ** 2 for i in range(tr.dim)]
        den = [acc[i] if form == "no-sqrt" else math.sqrt(acc[i]) for i in range(tr.dim)]
        new = [th[i] - lr * g[i] / (den[i] + ADAGRAD_EPS) for i in range(tr.dim)]
        if log is not None:
            root = _v([math.sqrt(a) for a in acc])
            log.append(
                f"$$t={t + 1}:\\ g_{t + 1}={_v(g)},\\quad G_{t + 1}={_v(acc)},\\quad "
                f"\\sqrt{{G_{t + 1}}}={root},\\quad \\theta_{t + 1}={_v(new)}$$"
            )
        th = new
    return th, acc


@register
class AdagradStep(Family):
    id = "adagrad_step"
    title = "AdaGrad 参数更新"
    topics = ("001-1038", "002-0271")
    dim = 2
    schema = {**_traj_schema(2), "lr": Param("choice", choices=(0.01, 0.1, 0.5, 1.0))}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        tr = _Traj.of(p, self.dim)
        theta, st = _run_torch(lambda ps: torch.optim.Adagrad(ps, lr=p["lr"], eps=ADAGRAD_EPS), tr, ("sum",))
        return {"theta": theta, "accum": st["sum"]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = _TrajCols(c, self.dim)
        lr = _choice_col(c, self.schema, "lr")
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

    def build(self, p: dict[str, Any]) -> Variant:
        tr = _Traj.of(p, self.dim)
        lr = p["lr"]
        ans = self.solve(p)
        prompt = (
            f"{_start_text(tr)}，用 `torch.optim.Adagrad([theta], lr={fmt(lr)})` 更新 {tr.steps} 步"
            "（`lr_decay=0`，`initial_accumulator_value=0`，`eps=1e-10`）。"
            + _grad_text(tr)
            + f"\n\n求 {tr.steps} 步后的参数 $\\theta_{{{tr.steps}}}$ 和累积量 $G_{{{tr.steps}}}$（优化器状态 `sum`）。"
        )
        log: list[str] = []
        _adagrad_py(tr, lr, "torch", log)
        solution = (
            "AdaGrad 按坐标累积梯度平方：$G_t=G_{t-1}+g_t\\odot g_t$，"
            "$\\theta_t=\\theta_{t-1}-\\eta\\,\\dfrac{g_t}{\\sqrt{G_t}+\\epsilon}$。\n\n"
            + "\n\n".join(log)
            + f"\n\n答案：$\\theta_{{{tr.steps}}}={_v(ans['theta'])}$，$G_{{{tr.steps}}}={_v(ans['accum'])}$。"
        )
        wrong = [
            Mistake("adagrad.no-sqrt", "分母用了 G 而不是 √G", {"theta": _adagrad_py(tr, lr, "no-sqrt")[0]}),
            Mistake(
                "adagrad.last-grad-only",
                "只用了当前梯度的平方（没有累积历史）",
                {"theta": _adagrad_py(tr, lr, "last")[0], "accum": _adagrad_py(tr, lr, "last")[1]},
            ),
        ]
        parts = (
            Part("theta", f"$\\theta_{{{tr.steps}}}$", "vector", ans["theta"], atol=1e-6),
            Part("accum", f"$G_{{{tr.steps}}}$", "vector", ans["accum"], atol=1e-6),
        )
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))


# -- RMSProp ---------------------------------------------------------------------------------------


def _rmsprop_py(
    tr: _Traj, lr: float, alpha: float, eps: float, form: str = "torch", log: list[str] | None = None
) -> tuple[list[float], list[float]]:
    """'torch': v = αv + (1−α)g², θ -= lr·g/(√v+ε); 'eps-inside': /√(v+ε); 'swapped': v = (1−α)v + αg²;
    'bias': v̂ = v/(1−α^t) as in Adam."""
    th, v = list(tr.theta0), [0.0] * tr.dim
    for t in range(tr.steps):
        g = [tr.grad(t, i, th[i]) for i in range(tr.dim)]
        if form == "swapped":
            v = [(1 - alpha) * v[i] + alpha * g[i] ** 2 for i in range(tr.dim)]
        else:
            v = [alpha * v[i] + (1 - alpha) * g[i] ** 2 for i in range(tr.dim)]
        if form == "eps-inside":
            den = [math.sqrt(v[i] + eps) for i in range(tr.dim)]
        elif form == "bias":
            den = [math.sqrt(v[i] / (1 - alpha ** (t + 1))) + eps for i in range(tr.dim)]
        else:
            den = [math.sqrt(v[i]) + eps for i in range(tr.dim)]
        new = [th[i] - lr * g[i] / den[i] for i in range(tr.dim)]
        if log is not None:
            log.append(
                f"$$t={t + 1}:\\ g_{t + 1}={_v(g)},\\quad v_{t + 1}={_v(v)},\\quad "
                f"\\sqrt{{v_{t + 1}}}+\\epsilon={_v(den)},\\quad \\theta_{t + 1}={_v(new)}$$"
            )
        th = new
    return th, v


@register
class RmspropStep(Family):
    id = "rmsprop_step"
    title = "RMSProp 参数更新"
    topics = ("001-1048",)
    dim = 2
    schema = {
        **_traj_schema(2),
        "lr": Param("choice", choices=(0.001, 0.01, 0.1)),
        "alpha": Param("choice", choices=(0.5, 0.9, 0.99)),
        "eps": Param("choice", choices=(1e-8, 1e-6, 0.01)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        tr = _Traj.of(p, self.dim)
        theta, st = _run_torch(
            lambda ps: torch.optim.RMSprop(ps, lr=p["lr"], alpha=p["alpha"], eps=p["eps"]),
            tr,
            ("square_avg",),
        )
        return {"theta": theta, "square_avg": st["square_avg"]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = _TrajCols(c, self.dim)
        lr, alpha, eps = (_choice_col(c, self.schema, n) for n in ("lr", "alpha", "eps"))
        th, v = tc.theta0, torch.zeros_like(tc.theta0)
        for t in range(MAX_STEPS):
            a = tc.active(t)
            g = tc.grad(t, th)
            v_new = alpha * v + (1 - alpha) * g * g
            th, v = torch.where(a, th - lr * g / (v_new.sqrt() + eps), th), torch.where(a, v_new, v)
        return {"theta": th, "square_avg": v}

    def build(self, p: dict[str, Any]) -> Variant:
        tr = _Traj.of(p, self.dim)
        lr, alpha, eps = p["lr"], p["alpha"], p["eps"]
        ans = self.solve(p)
        prompt = (
            f"{_start_text(tr)}，用 `torch.optim.RMSprop([theta], lr={fmt(lr)}, alpha={fmt(alpha)}, "
            f"eps={fmt(eps)})` 更新 {tr.steps} 步（momentum=0，centered=False）。"
            + _grad_text(tr)
            + f"\n\n求 {tr.steps} 步后的参数 $\\theta_{{{tr.steps}}}$ 和平方梯度的滑动平均 $v_{{{tr.steps}}}$"
            "（优化器状态 `square_avg`）。"
        )
        log: list[str] = []
        _rmsprop_py(tr, lr, alpha, eps, "torch", log)
        solution = (
            f"$$v_t=\\alpha v_{{t-1}}+(1-\\alpha)\\,g_t^2,\\qquad \\theta_t=\\theta_{{t-1}}-\\eta\\,"
            f"\\frac{{g_t}}{{\\sqrt{{v_t}}+\\epsilon}}$$\n\n$v_0=0$，$\\alpha={fmt(alpha)}$，$\\eta={fmt(lr)}$，"
            f"$\\epsilon={fmt(eps)}$：\n\n"
            + "\n\n".join(log)
            + f"\n\n答案：$\\theta_{{{tr.steps}}}={_v(ans['theta'])}$，$v_{{{tr.steps}}}={_v(ans['square_avg'])}$。"
        )
        sw = _rmsprop_py(tr, lr, alpha, eps, "swapped")
        wrong = [
            Mistake(
                "rmsprop.eps-inside-sqrt",
                "ε 放在了根号里（TF1 的写法 √(v+ε)；PyTorch 是 √v+ε）",
                {"theta": _rmsprop_py(tr, lr, alpha, eps, "eps-inside")[0]},
            ),
            Mistake(
                "rmsprop.alpha-swapped",
                "α 与 1−α 用反了（v=(1−α)v+αg²）",
                {"theta": sw[0], "square_avg": sw[1]},
            ),
            Mistake(
                "rmsprop.bias-correction",
                "像 Adam 一样做了偏差修正 v/(1−α^t)（RMSprop 没有）",
                {"theta": _rmsprop_py(tr, lr, alpha, eps, "bias")[0]},
            ),
        ]
        parts = (
            Part("theta", f"$\\theta_{{{tr.steps}}}$", "vector", ans["theta"], atol=1e-6),
            Part("square_avg", f"$v_{{{tr.steps}}}$", "vector", ans["square_avg"], atol=1e-9),
        )
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))


# -- Adam ------------------------------------------------------------------------------------------

ADAM_EPS = 1e-8


def _adam_py(
    tr: _Traj,
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
    tc: _TrajCols,
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
    title = "Adam（含偏差修正）"
    topics = ("001-1073", "002-0280")
    dim = 1
    schema = {
        **_traj_schema(1),
        "lr": Param("choice", choices=(0.001, 0.01, 0.1, 0.5)),
        "beta1": Param("choice", choices=(0.5, 0.8, 0.9)),
        "beta2": Param("choice", choices=(0.9, 0.99, 0.999)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        tr = _Traj.of(p, self.dim)
        theta, st = _run_torch(
            lambda ps: torch.optim.Adam(ps, lr=p["lr"], betas=(p["beta1"], p["beta2"]), eps=ADAM_EPS),
            tr,
            ("exp_avg", "exp_avg_sq"),
        )
        return {"theta": theta[0], "m": st["exp_avg"][0], "v": st["exp_avg_sq"][0]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = _TrajCols(c, self.dim)
        lr, b1, b2 = (_choice_col(c, self.schema, n) for n in ("lr", "beta1", "beta2"))
        th, m, v = _adam_cols(tc, lr, b1, b2)
        return {"theta": th[:, 0], "m": m[:, 0], "v": v[:, 0]}

    def build(self, p: dict[str, Any]) -> Variant:
        tr = _Traj.of(p, self.dim)
        lr, b1, b2 = p["lr"], p["beta1"], p["beta2"]
        ans = self.solve(p)
        prompt = (
            f"{_start_text(tr)}，用 `torch.optim.Adam([theta], lr={fmt(lr)}, betas=({fmt(b1)}, {fmt(b2)}), "
            f"eps=1e-8)` 更新 {tr.steps} 步。"
            + _grad_text(tr)
            + f"\n\n求 {tr.steps} 步后的参数 $\\theta_{{{tr.steps}}}$，以及优化器状态中的一阶矩 $m_{{{tr.steps}}}$"
            f"（`exp_avg`）和二阶矩 $v_{{{tr.steps}}}$（`exp_avg_sq`，未做偏差修正的值）。"
        )
        log: list[str] = []
        _adam_py(tr, lr, b1, b2, log=log)
        solution = (
            "$$m_t=\\beta_1 m_{t-1}+(1-\\beta_1)g_t,\\quad v_t=\\beta_2 v_{t-1}+(1-\\beta_2)g_t^2,\\quad "
            "\\hat m_t=\\frac{m_t}{1-\\beta_1^t},\\quad \\hat v_t=\\frac{v_t}{1-\\beta_2^t},\\quad "
            "\\theta_t=\\theta_{t-1}-\\eta\\frac{\\hat m_t}{\\sqrt{\\hat v_t}+\\epsilon}$$\n\n"
            + "\n\n".join(log)
            + f"\n\n答案：$\\theta_{{{tr.steps}}}={fmt(ans['theta'])}$，$m_{{{tr.steps}}}={fmt(ans['m'])}$，"
            f"$v_{{{tr.steps}}}={fmt(ans['v'])}$。第一步时 $\\hat m_1/\\sqrt{{\\hat v_1}}=\\mathrm{{sign}}(g_1)$，"
            "所以 Adam 的第一步长度约为 $\\eta$。"
        )
        t = tr.steps
        sw = _adam_py(tr, lr, b1, b2, swapped=True)
        wrong = [
            Mistake(
                "optim.adam-no-bias-correction",
                "没有做偏差修正（直接用 m、v）",
                {"theta": _adam_py(tr, lr, b1, b2, bias=False)[0]},
            ),
            Mistake(
                "adam.state-bias-corrected",
                "把偏差修正后的 m̂、v̂ 当成了优化器状态",
                {"m": ans["m"] / (1 - b1**t), "v": ans["v"] / (1 - b2**t)},
            ),
            Mistake(
                "adam.betas-swapped",
                "β 与 1−β 用反了（m=(1−β₁)m+β₁g）",
                {"theta": sw[0], "m": sw[1], "v": sw[2]},
            ),
        ]
        parts = (
            Part("theta", f"$\\theta_{{{t}}}$", "real", ans["theta"], atol=1e-6),
            Part("m", f"$m_{{{t}}}$（exp_avg）", "real", ans["m"], atol=1e-9),
            Part("v", f"$v_{{{t}}}$（exp_avg_sq）", "real", ans["v"], atol=1e-9),
        )
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))


# -- AdamW vs Adam + L2 ----------------------------------------------------------------------------


@register
class AdamwVsL2(Family):
    id = "adamw_vs_l2"
    title = "AdamW 解耦权值衰减 vs Adam 的 L2（weight_decay）"
    topics = ("002-0372",)
    dim = 1
    schema = {
        **_traj_schema(1),
        "lr": Param("choice", choices=(0.01, 0.1, 0.2)),
        "weight_decay": Param("choice", choices=(0.1, 0.5, 1.0)),
    }
    betas = (0.9, 0.999)

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        tr = _Traj.of(p, self.dim)
        kw = {"lr": p["lr"], "betas": self.betas, "eps": ADAM_EPS, "weight_decay": p["weight_decay"]}
        w, _ = _run_torch(lambda ps: torch.optim.AdamW(ps, **kw), tr)
        a, _ = _run_torch(lambda ps: torch.optim.Adam(ps, **kw), tr)
        return {"adamw": w[0], "adam_l2": a[0]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = _TrajCols(c, self.dim)
        lr, wd = _choice_col(c, self.schema, "lr"), _choice_col(c, self.schema, "weight_decay")
        b1 = torch.full_like(lr, self.betas[0])
        b2 = torch.full_like(lr, self.betas[1])
        w = _adam_cols(tc, lr, b1, b2, decoupled=wd)[0]
        a = _adam_cols(tc, lr, b1, b2, l2=wd)[0]
        return {"adamw": w[:, 0], "adam_l2": a[:, 0]}

    def build(self, p: dict[str, Any]) -> Variant:
        tr = _Traj.of(p, self.dim)
        lr, wd = p["lr"], p["weight_decay"]
        b1, b2 = self.betas
        ans = self.solve(p)
        prompt = (
            f"{_start_text(tr)}。分别用 `torch.optim.AdamW([theta], lr={fmt(lr)}, weight_decay={fmt(wd)})` 和 "
            f"`torch.optim.Adam([theta], lr={fmt(lr)}, weight_decay={fmt(wd)})`（betas=(0.9, 0.999)，eps=1e-8）"
            f"从同一个 $\\theta_0$ 出发更新 {tr.steps} 步。"
            + _grad_text(tr, "，不含 weight decay 项")
            + f"\n\n分别求两种优化器 {tr.steps} 步后的 $\\theta_{{{tr.steps}}}$。"
        )
        log_w: list[str] = []
        log_a: list[str] = []
        _adam_py(tr, lr, b1, b2, decoupled=wd, log=log_w)
        _adam_py(tr, lr, b1, b2, l2=wd, log=log_a)
        solution = (
            f"**AdamW**（解耦）：先衰减 $\\theta\\leftarrow\\theta(1-\\eta\\lambda)=\\theta\\times{fmt(1 - lr * wd)}$，"
            "再用原梯度做 Adam 更新（下面的 $\\theta_{t-1}$ 已是衰减后的值）：\n\n"
            + "\n\n".join(log_w)
            + "\n\n**Adam + L2**：把 $\\lambda\\theta$ 加进梯度 $g_t\\leftarrow g_t+\\lambda\\theta_{t-1}$，"
            "它会被 $\\sqrt{\\hat v}$ 一起归一化：\n\n"
            + "\n\n".join(log_a)
            + f"\n\n答案：AdamW ${fmt(ans['adamw'])}$，Adam(weight_decay) ${fmt(ans['adam_l2'])}$。"
        )
        plain = _adam_py(tr, lr, b1, b2)[0]
        wrong = [
            Mistake(
                "adamw.swapped",
                "两者弄反了（AdamW 是解耦衰减，Adam 的 weight_decay 是加到梯度上的 L2）",
                {"adamw": ans["adam_l2"], "adam_l2": ans["adamw"]},
            ),
            Mistake(
                "adamw.decay-not-scaled-by-lr",
                "AdamW 的衰减没有乘学习率（PyTorch 为 θ(1−ηλ)）",
                {"adamw": _adam_py(tr, lr, b1, b2, decoupled=wd, decoupled_scaled=False)[0]},
            ),
            Mistake("adamw.decay-ignored", "忽略了 weight decay", {"adamw": plain, "adam_l2": plain}),
        ]
        parts = (
            Part("adamw", f"AdamW 的 $\\theta_{{{tr.steps}}}$", "real", ans["adamw"], atol=1e-6),
            Part(
                "adam_l2",
                f"Adam(weight_decay) 的 $\\theta_{{{tr.steps}}}$",
                "real",
                ans["adam_l2"],
                atol=1e-6,
            ),
        )
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))


# -- learning-rate schedules -----------------------------------------------------------------------

_KINDS = (
    "step",
    "exponential",
    "exp_staircase",
    "piecewise",
    "polynomial",
    "inverse_time",
    "cosine",
    "cosine_restarts",
)


def lr_closed(kind: str, p: dict[str, Any], t: int, *, variant: str = "") -> float:
    """The LR after ``t`` scheduler steps from the closed-form formula (plain Python).

    ``variant`` names a known wrong reading (used for the mistakes): 'continuous', 'boundary',
    'linear', 'no-decay-steps', 'no-eta-min', 'no-mult', 'no-restart'.
    """
    base, g, k = p["base_lr"], p["gamma"], p["step_size"]
    if kind == "step":
        return base * g ** (t // k)
    if kind == "exponential":
        return base * g**t
    if kind == "exp_staircase":
        return base * g ** (t / k if variant == "continuous" else t // k)
    if kind == "piecewise":
        passed = sum(1 for m in (p["m1"], p["m2"]) if (t > m if variant == "boundary" else t >= m))
        return base * g**passed
    if kind == "polynomial":
        power = 1.0 if variant == "linear" else p["power"]
        return base * (1 - min(t, p["total"]) / p["total"]) ** power
    if kind == "inverse_time":
        return base / (1 + g * (t if variant == "no-decay-steps" else t / k))
    eta = 0.0 if variant == "no-eta-min" else p["eta_min"]
    if kind == "cosine":
        return eta + (base - eta) * (1 + math.cos(math.pi * t / p["total"])) / 2
    if kind == "cosine_restarts":
        if variant == "no-restart":
            return eta + (base - eta) * (1 + math.cos(math.pi * t / k)) / 2
        mult = 1 if variant == "no-mult" else p["t_mult"]
        t_cur, t_i = t, k
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= mult
        return eta + (base - eta) * (1 + math.cos(math.pi * t_cur / t_i)) / 2
    raise ValueError(kind)


@register
class LrSchedule(Family):
    id = "lr_schedule"
    title = "学习率调整策略"
    topics = ("001-1370",)
    schema = {
        "kind": Param("choice", choices=_KINDS),
        "base_lr": Param("choice", choices=(0.01, 0.05, 0.1, 0.5, 1.0)),
        "t": Param("int", 0, 60),
        "step_size": Param("int", 2, 20),
        "gamma": Param("choice", choices=(0.1, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99)),
        "m1": Param("int", 1, 30),
        "m2": Param("int", 31, 60),
        "total": Param("int", 10, 60),
        "power": Param("choice", choices=(0.5, 1.0, 2.0)),
        "t_mult": Param("choice", choices=(1, 2)),
        "eta_min": Param("choice", choices=(0.0, 0.001)),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        if p["kind"] == "exponential" and p["gamma"] < 0.8:
            return "ExponentialLR decays every step: gamma should be close to 1"
        if p["kind"] in ("cosine", "polynomial") and p["t"] > p["total"]:
            return "t beyond T_max / total_iters (the LR would just sit at its floor)"
        if p["kind"] in ("cosine", "cosine_restarts") and p["eta_min"] >= p["base_lr"]:
            return "eta_min must be below the base lr"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        dev = c["kind"].device

        def value(name: str) -> torch.Tensor:
            return torch.tensor(self.schema[name].choices, dtype=torch.float64, device=dev)[c[name]]

        def kind_in(*names: str) -> torch.Tensor:
            return torch.isin(c["kind"], torch.tensor([_KINDS.index(n) for n in names], device=dev))

        bad = (
            (kind_in("exponential") & (value("gamma") < 0.8))
            | (kind_in("cosine", "polynomial") & (c["t"] > c["total"]))
            | (kind_in("cosine", "cosine_restarts") & (value("eta_min") >= value("base_lr")))
        )
        return ~bad

    def _scheduler(self, p: dict[str, Any], opt: torch.optim.Optimizer) -> lr_scheduler.LRScheduler:
        kind, g, k = p["kind"], p["gamma"], p["step_size"]
        if kind == "step":
            return lr_scheduler.StepLR(opt, step_size=k, gamma=g)
        if kind == "exponential":
            return lr_scheduler.ExponentialLR(opt, gamma=g)
        if kind == "exp_staircase":
            return lr_scheduler.LambdaLR(opt, lambda e: g ** (e // k))
        if kind == "piecewise":
            return lr_scheduler.MultiStepLR(opt, milestones=[p["m1"], p["m2"]], gamma=g)
        if kind == "polynomial":
            return lr_scheduler.PolynomialLR(opt, total_iters=p["total"], power=p["power"])
        if kind == "inverse_time":
            return lr_scheduler.LambdaLR(opt, lambda e: 1 / (1 + g * e / k))
        if kind == "cosine":
            return lr_scheduler.CosineAnnealingLR(opt, T_max=p["total"], eta_min=p["eta_min"])
        return lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=k, T_mult=p["t_mult"], eta_min=p["eta_min"])

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([x], lr=p["base_lr"])
        sched = self._scheduler(p, opt)
        for _ in range(p["t"]):
            opt.step()  # x has no .grad: the step changes nothing, but keeps the call order torch expects
            sched.step()
        return {"lr": float(opt.param_groups[0]["lr"])}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        def ch(name: str) -> torch.Tensor:
            table = torch.tensor(
                [float(x) for x in self.schema[name].choices], dtype=torch.float64, device=c[name].device
            )
            return table[c[name]]

        kind = c["kind"]
        base, g, eta, power, mult = ch("base_lr"), ch("gamma"), ch("eta_min"), ch("power"), ch("t_mult")
        t, k, total = c["t"], c["step_size"], c["total"]
        stair = base * g ** torch.floor(t / k)
        out = {
            "step": stair,
            "exponential": base * g**t,
            "exp_staircase": stair,
            "piecewise": base * g ** ((t >= c["m1"]).double() + (t >= c["m2"]).double()),
            "polynomial": base * (1 - torch.minimum(t, total) / total) ** power,
            "inverse_time": base / (1 + g * t / k),
            "cosine": eta + (base - eta) * (1 + torch.cos(math.pi * t / total)) / 2,
        }
        # warm restarts: cycle i has length k·mult^i; the cycle holding t starts at k·(mult^n − 1)/(mult − 1)
        start = torch.zeros_like(t)
        length = k.clone()
        for _ in range(64):
            later = t >= start + length
            start = torch.where(later, start + length, start)
            length = torch.where(later, length * mult, length)
        out["cosine_restarts"] = eta + (base - eta) * (1 + torch.cos(math.pi * (t - start) / length)) / 2
        result = torch.zeros_like(base)
        for i, name in enumerate(_KINDS):
            result = torch.where(kind == i, out[name], result)
        return {"lr": result}

    def _describe(self, p: dict[str, Any]) -> tuple[str, str]:
        """The scheduler as shown in the prompt, and its formula for the solution."""
        kind, g, k = p["kind"], fmt(p["gamma"]), p["step_size"]
        if kind == "step":
            return (
                f"`StepLR(optimizer, step_size={k}, gamma={g})`",
                "\\eta_t=\\eta_0\\,\\gamma^{\\lfloor t/\\text{step\\_size}\\rfloor}",
            )
        if kind == "exponential":
            return f"`ExponentialLR(optimizer, gamma={g})`", "\\eta_t=\\eta_0\\,\\gamma^{t}"
        if kind == "exp_staircase":
            return (
                "TF 的 `exponential_decay(learning_rate, global_step, decay_steps="
                f"{k}, decay_rate={g}, staircase=True)`，即 "
                "$\\eta_t=\\eta_0\\cdot\\text{decay\\_rate}^{\\lfloor t/\\text{decay\\_steps}\\rfloor}$"
                f"（在 PyTorch 中用 `LambdaLR(optimizer, lambda t: {g} ** (t // {k}))` 实现）",
                "\\eta_t=\\eta_0\\cdot\\text{decay\\_rate}^{\\lfloor t/\\text{decay\\_steps}\\rfloor}",
            )
        if kind == "piecewise":
            return (
                f"分段常数：`MultiStepLR(optimizer, milestones=[{p['m1']}, {p['m2']}], gamma={g})`",
                "\\eta_t=\\eta_0\\,\\gamma^{\\#\\{m\\in\\text{milestones}:\\ m\\le t\\}}",
            )
        if kind == "polynomial":
            return (
                f"`PolynomialLR(optimizer, total_iters={p['total']}, power={fmt(p['power'])})`",
                "\\eta_t=\\eta_0\\left(1-\\frac{\\min(t,T)}{T}\\right)^{p}",
            )
        if kind == "inverse_time":
            return (
                "TF 的 `inverse_time_decay(learning_rate, global_step, decay_steps="
                f"{k}, decay_rate={g}, staircase=False)`，即 "
                "$\\eta_t=\\dfrac{\\eta_0}{1+\\text{decay\\_rate}\\cdot t/\\text{decay\\_steps}}$"
                f"（在 PyTorch 中用 `LambdaLR(optimizer, lambda t: 1 / (1 + {g} * t / {k}))` 实现）",
                "\\eta_t=\\frac{\\eta_0}{1+\\text{decay\\_rate}\\cdot t/\\text{decay\\_steps}}",
            )
        if kind == "cosine":
            return (
                f"`CosineAnnealingLR(optimizer, T_max={p['total']}, eta_min={fmt(p['eta_min'])})`",
                "\\eta_t=\\eta_{min}+\\tfrac12(\\eta_0-\\eta_{min})\\left(1+\\cos\\frac{\\pi t}{T_{max}}\\right)",
            )
        return (
            f"`CosineAnnealingWarmRestarts(optimizer, T_0={k}, T_mult={p['t_mult']}, "
            f"eta_min={fmt(p['eta_min'])})`",
            "\\eta_t=\\eta_{min}+\\tfrac12(\\eta_0-\\eta_{min})\\left(1+\\cos\\frac{\\pi T_{cur}}{T_i}\\right)",
        )

    def _steps_text(self, p: dict[str, Any]) -> str:
        kind, t, k, g = p["kind"], p["t"], p["step_size"], fmt(p["gamma"])
        base = fmt(p["base_lr"])
        if kind in ("step", "exp_staircase"):
            return f"\\lfloor {t}/{k}\\rfloor={t // k},\\quad \\eta={base}\\times{g}^{{{t // k}}}"
        if kind == "exponential":
            return f"\\eta={base}\\times{g}^{{{t}}}"
        if kind == "piecewise":
            n = sum(1 for m in (p["m1"], p["m2"]) if t >= m)
            return f"t={t}\\text{{ 已越过 }}{n}\\text{{ 个 milestone}},\\quad \\eta={base}\\times{g}^{{{n}}}"
        if kind == "polynomial":
            tt = min(t, p["total"])
            return f"\\eta={base}\\times\\left(1-\\frac{{{tt}}}{{{p['total']}}}\\right)^{{{fmt(p['power'])}}}"
        if kind == "inverse_time":
            return f"\\eta=\\frac{{{base}}}{{1+{g}\\times{t}/{k}}}"
        eta = fmt(p["eta_min"])
        if kind == "cosine":
            return (
                f"\\eta={eta}+\\tfrac12({base}-{eta})\\left(1+\\cos\\frac{{{t}\\pi}}{{{p['total']}}}\\right)"
            )
        t_cur, t_i = t, k
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= p["t_mult"]
        return (
            f"T_{{cur}}={t_cur},\\ T_i={t_i},\\quad \\eta={eta}+\\tfrac12({base}-{eta})"
            f"\\left(1+\\cos\\frac{{{t_cur}\\pi}}{{{t_i}}}\\right)"
        )

    def build(self, p: dict[str, Any]) -> Variant:
        kind, t = p["kind"], p["t"]
        lr = self.solve(p)["lr"]
        sched, formula = self._describe(p)
        prompt = (
            f"优化器的初始学习率 $\\eta_0={fmt(p['base_lr'])}$，学习率调度为 {sched}。"
            f"训练循环每次迭代先 `optimizer.step()` 再 `scheduler.step()`。\n\n"
            f"调用 `scheduler.step()` 共 {t} 次之后，优化器的学习率是多少？"
        )
        solution = f"$${formula}$$\n\n$$t={t}:\\quad {self._steps_text(p)}={fmt(lr, 8)}$$"
        if kind == "cosine_restarts":
            solution += "\n\n每个周期结束时 $T_{cur}$ 归零并重启，下一个周期长度 $T_i$ 乘以 `T_mult`。"
        wrong: list[Mistake] = []
        extra = {
            "exp_staircase": (
                "lr.staircase-ignored",
                "忽略了 staircase（指数用了 t/decay_steps 而不是向下取整）",
                "continuous",
            ),
            "piecewise": (
                "lr.milestone-not-yet-applied",
                "到达 milestone 的那一步还没衰减（MultiStepLR 在 t = milestone 时已衰减）",
                "boundary",
            ),
            "polynomial": ("lr.poly-power-ignored", "忽略了 power（按线性衰减计算）", "linear"),
            "inverse_time": ("lr.inverse-time-no-decay-steps", "t 没有除以 decay_steps", "no-decay-steps"),
            "cosine": ("lr.cosine-eta-min-ignored", "忽略了 eta_min", "no-eta-min"),
        }
        if kind in extra:
            mid, title, var = extra[kind]
            wrong.append(Mistake(mid, title, {"lr": lr_closed(kind, p, t, variant=var)}))
        if kind == "cosine_restarts":
            wrong += [
                Mistake(
                    "lr.restart-period-not-multiplied",
                    "重启后周期没有乘 T_mult",
                    {"lr": lr_closed(kind, p, t, variant="no-mult")},
                ),
                Mistake(
                    "lr.no-restart",
                    "没有重启（当成周期为 T_0 的普通余弦继续往下走）",
                    {"lr": lr_closed(kind, p, t, variant="no-restart")},
                ),
                Mistake(
                    "lr.cosine-eta-min-ignored",
                    "忽略了 eta_min",
                    {"lr": lr_closed(kind, p, t, variant="no-eta-min")},
                ),
            ]
        if t >= 1:  # last: where it coincides with a named convention above, that one is the better diagnosis
            wrong.append(
                Mistake(
                    "lr.off-by-one", "步数差了一（按 t−1 次 step 计算）", {"lr": lr_closed(kind, p, t - 1)}
                )
            )
        parts = (Part("lr", f"第 {t} 次 `scheduler.step()` 之后的学习率", "real", lr, atol=1e-12),)
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))
