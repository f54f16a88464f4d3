"""Plain SGD with PyTorch's weight decay (added to the gradient, scaled by the learning rate)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch

from engine.families.optim._trajectory import (
    MAX_STEPS,
    Traj,
    TrajCols,
    choice_col,
    grad_text,
    run_torch,
    start_text,
    tex,
    theta_part,
    traj_schema,
)
from engine.family import Family, register
from engine.formatting import fmt
from engine.values import Mistake, Param, Part

__all__ = ["SgdStep"]

# -- plain-Python recursion (for the worked solution and the mistakes) -----------------------------


def _sgd_py(
    tr: Traj,
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
            wd_part = f"+{fmt(wd)}\\times{tex(th)}" if wd else ""
            log.append(
                f"$$t={t + 1}:\\ g_{t + 1}={tex(g)},\\quad d=g_{t + 1}{wd_part}={tex(d)},\\quad "
                f"\\theta_{t + 1}={tex(th)}-{fmt(lr)}\\times{tex(d)}={tex(new)}$$"
            )
        th = new
    return th


def _as_answer(xs: list[float]) -> Any:
    return xs[0] if len(xs) == 1 else list(xs)


def _part_kind(dim: int) -> Literal["real", "vector"]:
    return "real" if dim == 1 else "vector"


# -- SGD -------------------------------------------------------------------------------------------

DIM = 2


@dataclass(frozen=True)
class _Params:
    """A variant's parameters: the trajectory, the learning rate η and the weight decay λ."""

    tr: Traj
    lr: float
    weight_decay: float

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _Params:
        return cls(Traj.of(p, DIM), p["lr"], p["weight_decay"])


@register
class SgdStep(Family):
    id = "sgd_step"
    version = 2  # v2: draws where a listed mistake cannot show are redrawn
    title = "SGD 参数更新（含 weight decay）"
    topics = ("001-0976", "002-0248")
    dim = DIM
    schema = {
        **traj_schema(DIM),
        "lr": Param("choice", choices=(0.01, 0.05, 0.1, 0.2, 0.5)),
        "weight_decay": Param("choice", choices=(0.0, 0.01, 0.1, 0.5)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _Params.of(p)
        theta, _ = run_torch(lambda ps: torch.optim.SGD(ps, lr=q.lr, weight_decay=q.weight_decay), q.tr)
        return {"theta": _as_answer(theta)}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tc = TrajCols(c, self.dim)
        lr, wd = choice_col(c, self.schema, "lr"), choice_col(c, self.schema, "weight_decay")
        th = tc.theta0
        for t in range(MAX_STEPS):
            new = th - lr * (tc.grad(t, th) + wd * th)
            th = torch.where(tc.active(t), new, th)
        return {"theta": th}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _Params.of(p)
        tr, wd = q.tr, q.weight_decay
        wd_arg = f", weight_decay={fmt(wd)}" if wd else ""
        return (
            f"{start_text(tr)}，用 `torch.optim.SGD([theta], lr={fmt(q.lr)}{wd_arg})` 更新 {tr.steps} 步。"
            + grad_text(tr, "，不含 weight decay 项" if wd else "")
            + f"\n\n求 {tr.steps} 步之后的 $\\theta_{{{tr.steps}}}$。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        return (theta_part(_Params.of(p).tr, _part_kind(DIM), w["theta"]),)

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _Params.of(p)
        tr, lr, wd = q.tr, q.lr, q.weight_decay
        theta = w["theta"]
        log: list[str] = []
        _sgd_py(tr, lr, wd, log=log)
        rule = (
            "$$d_t=g_t+\\lambda\\theta_{t-1},\\qquad \\theta_t=\\theta_{t-1}-\\eta\\,d_t$$"
            if wd
            else "$$\\theta_t=\\theta_{t-1}-\\eta\\,g_t$$"
        )
        return (
            f"PyTorch 的 SGD 把 weight decay 加到梯度上（$\\lambda={fmt(wd)}$），$\\eta={fmt(lr)}$：\n\n"
            f"{rule}\n\n"
            + "\n\n".join(log)
            + f"\n\n答案：$\\theta_{{{tr.steps}}}={tex(theta if isinstance(theta, list) else [theta])}$。"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _Params.of(p)
        tr, lr, wd = q.tr, q.lr, q.weight_decay
        wrong = [
            Mistake("optim.wd-ignored", "忽略了 weight decay", {"theta": _as_answer(_sgd_py(tr, lr, 0.0))}),
            Mistake(
                "optim.wd-not-scaled-by-lr",
                "weight decay 没有乘学习率（应为 θ -= lr·(g + λθ)）",
                {"theta": _as_answer(_sgd_py(tr, lr, wd, wd_scaled=False))},
            ),
        ]
        if tr.quadratic:
            wrong.append(
                Mistake(
                    "optim.stale-gradient",
                    "每一步都用了初始点的梯度，没有在新参数处重新计算",
                    {"theta": _as_answer(_sgd_py(tr, lr, wd, stale=True))},
                )
            )
        return wrong
