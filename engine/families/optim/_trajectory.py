"""The set-up every optimizer family shares (no family is registered here).

An optimizer exercise runs a few steps of the real ``torch.optim`` optimizer on a float64 tensor whose
``.grad`` is set by hand each step: either a fixed gradient per step, or the gradient of the quadratic
loss :math:`L(\\theta)=\\tfrac{a}{2}\\lVert\\theta\\rVert^2`, :math:`\\nabla L=a\\theta`, evaluated at
the current parameter. :class:`Traj` holds that set-up for one variant, :class:`TrajCols` for a batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import torch

from engine.formatting import fmt
from engine.values import Param, Part, PartKind

__all__ = [
    "MAX_STEPS",
    "GradMode",
    "Traj",
    "TrajCols",
    "choice_col",
    "grad_text",
    "question",
    "run_torch",
    "start_text",
    "tex",
    "theta_part",
    "traj_schema",
]

MAX_STEPS = 3


class GradMode(StrEnum):
    """Where the gradients come from (the ``grad_mode`` parameter stores the value)."""

    FIXED = "fixed"  # given per step, as `.grad`
    QUADRATIC = "quadratic"  # a·θ at the current θ: the gradient of L(θ) = a/2·‖θ‖²


_GRAD_MODES = tuple(m.value for m in GradMode)


# -- the shared trajectory set-up ------------------------------------------------------------------


def _names(dim: int) -> tuple[list[str], list[list[str]]]:
    """Parameter names of the initial value and of the fixed gradients (per step, per coordinate)."""
    if dim == 1:
        return ["theta0"], [[f"g{t}"] for t in range(1, MAX_STEPS + 1)]
    comps = range(1, dim + 1)
    return [f"theta0_{i}" for i in comps], [[f"g{t}_{i}" for i in comps] for t in range(1, MAX_STEPS + 1)]


def traj_schema(dim: int) -> dict[str, Param]:
    theta, grads = _names(dim)
    s: dict[str, Param] = {
        "steps": Param("int", 1, MAX_STEPS),
        "grad_mode": Param("choice", choices=_GRAD_MODES),
        "curv": Param("real", 0.5, 2.0, decimals=1),
    }
    for n in theta:
        s[n] = Param("real", -2.0, 2.0, decimals=1)
    for row in grads:
        for n in row:
            s[n] = Param("real", -2.0, 2.0, decimals=1)
    return s


@dataclass(frozen=True)
class Traj:
    """The set-up of an optimizer exercise: start, steps and where the gradients come from."""

    theta0: tuple[float, ...]
    grads: tuple[tuple[float, ...], ...]  # fixed gradients, MAX_STEPS rows
    steps: int
    quadratic: bool
    curv: float

    @classmethod
    def of(cls, p: Mapping[str, Any], dim: int) -> Traj:
        theta, grads = _names(dim)
        return cls(
            tuple(float(p[n]) for n in theta),
            tuple(tuple(float(p[n]) for n in row) for row in grads),
            int(p["steps"]),
            GradMode(p["grad_mode"]) is GradMode.QUADRATIC,
            float(p["curv"]),
        )

    @property
    def dim(self) -> int:
        return len(self.theta0)

    def grad(self, t: int, i: int, theta_i: float) -> float:
        """The loss gradient of coordinate ``i`` at step ``t`` (0-based) where θ_i is ``theta_i``."""
        return self.curv * theta_i if self.quadratic else self.grads[t][i]


class TrajCols:
    """The same set-up as whole columns: theta0 (B, D), grads (B, MAX_STEPS, D), steps, quadratic, curv."""

    def __init__(self, c: dict[str, torch.Tensor], dim: int) -> None:
        theta, grads = _names(dim)
        self.theta0 = torch.stack([c[n] for n in theta], dim=1)
        self.grads = torch.stack([torch.stack([c[n] for n in row], dim=1) for row in grads], dim=1)
        self.steps = c["steps"]
        self.quadratic = (c["grad_mode"] == _GRAD_MODES.index(GradMode.QUADRATIC))[:, None]
        self.curv = c["curv"][:, None]

    def grad(self, t: int, theta: torch.Tensor) -> torch.Tensor:
        return torch.where(self.quadratic, self.curv * theta, self.grads[:, t])

    def active(self, t: int) -> torch.Tensor:
        return (self.steps > t)[:, None]


def choice_col(c: dict[str, torch.Tensor], schema: dict[str, Param], name: str) -> torch.Tensor:
    """A choice column as the chosen float values, shaped (B, 1) to broadcast over coordinates."""
    table = torch.tensor([float(x) for x in schema[name].choices], dtype=torch.float64, device=c[name].device)
    return table[c[name]][:, None]


def run_torch(
    make: Callable[[list[torch.Tensor]], torch.optim.Optimizer], tr: Traj, state_keys: tuple[str, ...] = ()
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


def tex(xs: list[float] | tuple[float, ...]) -> str:
    """A scalar or a vector as shown in prompts and solutions."""
    if len(xs) == 1:
        return fmt(float(xs[0]))
    return "(" + ",\\ ".join(fmt(float(x)) for x in xs) + ")"


def grad_text(tr: Traj, wd_note: str = "") -> str:
    """How the gradients are given, in the prompt."""
    if tr.quadratic:
        return (
            f"损失函数为 $L(\\theta)=\\tfrac{{a}}{{2}}\\lVert\\theta\\rVert^2$，$a={fmt(tr.curv)}$，"
            f"每一步的梯度在当前参数处计算：$g_t=\\nabla L(\\theta_{{t-1}})=a\\,\\theta_{{t-1}}${wd_note}。"
        )
    gs = "，".join(f"$g_{t + 1}={tex(tr.grads[t])}$" for t in range(tr.steps))
    return f"各步的梯度（由 `.grad` 给出{wd_note}）依次为 {gs}。"


def start_text(tr: Traj) -> str:
    kind = "标量参数" if tr.dim == 1 else f"{tr.dim} 维参数向量"
    return f"{kind} $\\theta_0={tex(tr.theta0)}$（float64）"


def question(tr: Traj, state: str) -> str:
    """The prompt's end: how the gradients are given, then the question, θ after the run and (``state``:
    " 和…") the optimizer state asked with it."""
    return grad_text(tr) + f"\n\n求 {tr.steps} 步后的参数 $\\theta_{{{tr.steps}}}${state}。"


def theta_part(tr: Traj, kind: PartKind, answer: Any) -> Part:
    """θ after the run: the part every optimizer exercise asks for first."""
    return Part("theta", f"$\\theta_{{{tr.steps}}}$", kind, answer)
