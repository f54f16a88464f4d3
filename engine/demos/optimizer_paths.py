"""Optimizer paths: seven ``torch.optim`` optimizers stepping on a 2-D function, their trajectories over
the contour plot and the loss per step.

Functions (``function`` parameter):

* ``ellipse``: :math:`f(x, y) = x^2/20 + y^2` from :math:`(-7, 2)`, the notes' example (minimum 0 at the
  origin): a valley 20 times flatter along x than along y;
* ``rosenbrock``: :math:`(1-x)^2 + 10(y-x^2)^2` from :math:`(-1.5, 2)`, a curved narrow valley
  (minimum 0 at (1, 1)); ``b = 10`` rather than the usual 100 so that the paths get somewhere in a
  few dozen steps;
* ``saddle``: :math:`x^2 - y^2 + y^4/4` from :math:`(-1.5, 0.01)`: a saddle point at the origin and two
  minima :math:`f=-1` at :math:`(0, \\pm\\sqrt2)`; the quartic term keeps it bounded below.

Each optimizer has its own learning rate per function (``LEARNING_RATES``; the notes' values on the
ellipse), multiplied by ``lr_scale``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from engine import Param
from engine.demos.base import Demo, Figure, Output, Question, Setting, register, rounded

__all__ = ["FUNCTIONS", "LEARNING_RATES", "OPTIMIZERS", "OptimizerPaths", "make_optimizer"]

Fn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

FUNCTIONS: dict[str, tuple[Fn, tuple[float, float], tuple[float, float, float, float], float]] = {
    # name: (f, start, (xmin, xmax, ymin, ymax) of the contour plot, minimum value)
    "ellipse": (lambda x, y: x**2 / 20 + y**2, (-7.0, 2.0), (-10.0, 10.0, -5.0, 5.0), 0.0),
    "rosenbrock": (
        lambda x, y: (1 - x) ** 2 + 10 * (y - x**2) ** 2,
        (-1.5, 2.0),
        (-2.0, 2.0, -1.0, 3.0),
        0.0,
    ),
    "saddle": (lambda x, y: x**2 - y**2 + y**4 / 4, (-1.5, 0.01), (-2.0, 2.0, -2.5, 2.5), -1.0),
}

OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "AdamW")

LEARNING_RATES: dict[str, dict[str, float]] = {
    "ellipse": {
        "SGD": 0.95,
        "Momentum": 0.1,
        "Nesterov": 0.1,
        "AdaGrad": 1.5,
        "RMSprop": 0.15,
        "Adam": 0.3,
        "AdamW": 0.3,
    },
    "rosenbrock": {
        "SGD": 0.01,
        "Momentum": 0.002,
        "Nesterov": 0.002,
        "AdaGrad": 0.5,
        "RMSprop": 0.03,
        "Adam": 0.1,
        "AdamW": 0.1,
    },
    "saddle": {
        "SGD": 0.05,
        "Momentum": 0.02,
        "Nesterov": 0.02,
        "AdaGrad": 0.5,
        "RMSprop": 0.05,
        "Adam": 0.1,
        "AdamW": 0.1,
    },
}

_ESCAPE = 1e6  # a coordinate beyond this counts as diverged; the path stops there


def make_optimizer(name: str, params: list[torch.Tensor], lr: float) -> torch.optim.Optimizer:
    """The ``torch.optim`` optimizer behind each name (torch defaults otherwise: momentum 0.9 for the two
    momentum methods, AdamW's weight decay 0.01)."""
    if name == "SGD":
        return torch.optim.SGD(params, lr=lr)
    if name == "Momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "Nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if name == "AdaGrad":
        return torch.optim.Adagrad(params, lr=lr)
    if name == "RMSprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.9)
    if name == "Adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "AdamW":
        return torch.optim.AdamW(params, lr=lr)
    raise KeyError(name)


def _path(
    fn: Fn, start: tuple[float, float], name: str, lr: float, steps: int, device: torch.device
) -> tuple[list[float], list[float], list[float], bool]:
    """Coordinates (steps + 1 points, fewer when it diverged), the loss at each point, diverged?"""
    xy = torch.tensor(start, dtype=torch.float64, device=device, requires_grad=True)
    opt = make_optimizer(name, [xy], lr)
    points = [xy.detach().clone()]
    losses = []
    diverged = False
    for _ in range(steps):
        opt.zero_grad()
        loss = fn(xy[0], xy[1])
        loss.backward()
        losses.append(loss.detach().clone())
        opt.step()
        now = xy.detach().clone()
        if not bool(torch.isfinite(now).all()) or float(now.abs().max()) > _ESCAPE:
            diverged = True
            break
        points.append(now)
    if not diverged:
        losses.append(fn(points[-1][0], points[-1][1]).detach())
    pts = torch.stack(points).cpu()
    return pts[:, 0].tolist(), pts[:, 1].tolist(), torch.stack(losses).cpu().tolist(), diverged


@register
class OptimizerPaths(Demo):
    id = "optimizer_paths"
    title = "优化器的轨迹：SGD、Momentum、Nesterov、AdaGrad、RMSprop、Adam、AdamW"
    title_en = "Optimizer paths: SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW"
    summary = "真实的 torch.optim 更新在等高线图上的轨迹和每步的损失：狭长山谷、Rosenbrock 与鞍点。"
    topics = (
        "002-0248",
        "002-0260",
        "002-0271",
        "002-0280",
        "001-0976",
        "001-0986",
        "001-1004",
        "001-1038",
        "001-1048",
        "001-1073",
    )
    schema = {
        "function": Setting(Param("choice", choices=tuple(FUNCTIONS)), "ellipse", "函数"),
        "steps": Setting(Param("int", 5, 300), 50, "步数"),
        "lr_scale": Setting(Param("real", 0.1, 3.0), 1.0, "学习率倍数"),
    }

    def question(self, p: Mapping[str, Any]) -> Question:
        return Question(f"{p['steps']} 步之后，哪个优化器的损失最低？", OPTIMIZERS)

    def compute(
        self, p: Mapping[str, Any], *, device: torch.device, report: Callable[[float], None]
    ) -> Output:
        fn, start, (x0, x1, y0, y1), fmin = FUNCTIONS[p["function"]]
        paths: dict[str, Any] = {}
        finals: dict[str, float] = {}
        for i, name in enumerate(OPTIMIZERS):
            lr = LEARNING_RATES[p["function"]][name] * p["lr_scale"]
            xs, ys, losses, diverged = _path(fn, start, name, lr, p["steps"], device)
            paths[name] = {
                "lr": lr,
                "x": rounded(xs),
                "y": rounded(ys),
                "loss": rounded(losses),
                "diverged": diverged,
            }
            finals[name] = float("inf") if diverged else losses[-1]
            report((i + 1) / (len(OPTIMIZERS) + 1))
        gx = torch.linspace(x0, x1, 41, dtype=torch.float64)
        gy = torch.linspace(y0, y1, 41, dtype=torch.float64)
        z = fn(gx[None, :], gy[:, None])  # z[i][j] = f(x_j, y_i)
        contour = {"x": rounded(gx), "y": rounded(gy), "z": [rounded(row, 5) for row in z]}
        best = min(OPTIMIZERS, key=lambda n: (finals[n], OPTIMIZERS.index(n)))
        worst = max(OPTIMIZERS, key=lambda n: finals[n])

        def said(n: str) -> str:
            return "发散" if finals[n] == float("inf") else f"{finals[n]:.4g}"

        steps = p["steps"]
        explanation = (
            f"在 {p['function']} 上从 ({start[0]:g}, {start[1]:g}) 出发走 {steps} 步（最小值 {fmin:g}）："
            f"SGD 的损失为 {said('SGD')}，Momentum 为 {said('Momentum')}，AdaGrad 为 {said('AdaGrad')}，"
            f"Adam 为 {said('Adam')}。最低的是 {best}（{said(best)}），最高的是 {worst}（{said(worst)}）。"
        )
        if p["function"] == "ellipse":
            explanation += (
                " 这个函数沿 y 方向的曲率是 x 方向的 20 倍：SGD 在 y 方向来回振荡、在 x 方向前进缓慢；"
                "动量把振荡相互抵消，AdaGrad/RMSprop/Adam 按各坐标梯度的大小缩放步长。"
            )
        elif p["function"] == "saddle":
            explanation += (
                " 起点几乎在鞍点的脊线上：y 方向的梯度只有 2y 那么小，SGD 要很久才离开鞍点，"
                "按梯度大小归一化的 Adam/RMSprop 以接近学习率的步长离开。"
            )
        else:
            explanation += (
                " Rosenbrock 的谷底又窄又弯：学习率大了在谷壁间振荡甚至发散，小了沿谷底前进得很慢。"
            )
        figures = [Figure(f"final_loss_{n}", f"{n} 最终损失", finals[n]) for n in OPTIMIZERS]
        return Output(
            series={"contour": contour, "paths": paths, "start": list(start)},
            figures=figures,
            explanation=explanation,
            answer=OPTIMIZERS.index(best),
            why=f"{best} 的最终损失 {said(best)} 最低（SGD {said('SGD')}，Adam {said('Adam')}）。",
        )
