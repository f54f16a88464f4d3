"""Momentum: PyTorch's and the Deep Learning book's conventions, and PyTorch's Nesterov form."""

from __future__ import annotations

from typing import Any

import torch

from engine.core import Family, Mistake, Param, Part, Variant, fmt, register
from engine.families._support import clean_mistakes
from engine.families.optim._trajectory import (
    MAX_STEPS,
    Traj,
    TrajCols,
    choice_col,
    grad_text,
    run_torch,
    start_text,
    traj_schema,
)

__all__ = ["MomentumStep", "NesterovStep"]

# -- momentum --------------------------------------------------------------------------------------


def _momentum_py(
    tr: Traj, lr: float, mu: float, form: str, log: list[str] | None = None
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
        **traj_schema(1),
        "lr": Param("choice", choices=(0.01, 0.05, 0.1, 0.2, 0.5)),
        "momentum": Param("choice", choices=(0.5, 0.8, 0.9)),
        "convention": Param("choice", choices=("pytorch", "book")),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        tr = Traj.of(p, self.dim)
        theta, st = run_torch(
            lambda ps: torch.optim.SGD(ps, lr=p["lr"], momentum=p["momentum"]), tr, ("momentum_buffer",)
        )
        buf = st["momentum_buffer"][0]
        # same θ under both conventions (constant lr); the book's velocity is −lr times PyTorch's buffer
        velocity = buf if p["convention"] == "pytorch" else -p["lr"] * buf
        return {"theta": theta[0], "velocity": velocity}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = TrajCols(c, self.dim)
        lr, mu = choice_col(c, self.schema, "lr"), choice_col(c, self.schema, "momentum")
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
        tr = Traj.of(p, self.dim)
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
            f"{start_text(tr)}，学习率 $\\eta=\\epsilon={fmt(lr)}$，动量系数 $\\mu=\\alpha={fmt(mu)}$，"
            f"{rule}，更新 {tr.steps} 步。"
            + grad_text(tr)
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
    tr: Traj, lr: float, mu: float, form: str = "pytorch", log: list[str] | None = None
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
        **traj_schema(1),
        "lr": Param("choice", choices=(0.01, 0.05, 0.1, 0.2, 0.5)),
        "momentum": Param("choice", choices=(0.5, 0.8, 0.9)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        tr = Traj.of(p, self.dim)
        theta, st = run_torch(
            lambda ps: torch.optim.SGD(ps, lr=p["lr"], momentum=p["momentum"], nesterov=True),
            tr,
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

    def build(self, p: dict[str, Any]) -> Variant:
        tr = Traj.of(p, self.dim)
        lr, mu = p["lr"], p["momentum"]
        ans = self.solve(p)
        prompt = (
            f"{start_text(tr)}，用 `torch.optim.SGD([theta], lr={fmt(lr)}, momentum={fmt(mu)}, nesterov=True)` "
            f"更新 {tr.steps} 步。"
            + grad_text(tr)
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
