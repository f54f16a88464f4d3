"""Learning rate: loss curves for a too low, a good and a too high learning rate, and the schedules of
``torch.optim.lr_scheduler`` (step, cosine, linear warmup then cosine, OneCycle) on the same problem.

The problem is linear least squares, ``nn.Linear`` without bias and ``nn.MSELoss``, whose Hessian
:math:`H = \\tfrac{2}{n} X^\\top X` is built to have eigenvalues spread evenly in ``[0.05, 1]``
(``X = U S V^T`` with random orthogonal ``U, V``). Full-batch gradient descent on it converges exactly
when the learning rate is below :math:`2/\\lambda_{max} = 2`: the curves for ``lr_low``, ``lr_good`` and
``lr_high`` show it. The schedules train the same model with mini-batches of 16 (noisy gradients), from
the peak learning rate ``lr_good``; a decaying learning rate lowers the noise floor.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn
from torch.optim import lr_scheduler

from engine import Param
from engine.demos.base import Demo, Figure, Output, Question, Setting, register, rounded

__all__ = ["SCHEDULES", "LearningRate", "make_problem", "make_schedule"]

FEATURES = 10
SAMPLES = 200
LAMBDA_MAX = 1.0
SCHEDULES = ("constant", "step", "cosine", "warmup_cosine", "onecycle")


def make_problem(noise: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """``X`` (SAMPLES, FEATURES) with the eigenvalues of ``2/n XᵀX`` evenly spread in [0.05, 1], and
    ``y = X w* + noise``."""
    u, _ = torch.linalg.qr(torch.randn(SAMPLES, FEATURES))
    v, _ = torch.linalg.qr(torch.randn(FEATURES, FEATURES))
    eig = torch.linspace(0.05, LAMBDA_MAX, FEATURES)
    s = torch.sqrt(eig * SAMPLES / 2)
    x = u @ torch.diag(s) @ v.T
    w = torch.randn(FEATURES)
    return x, x @ w + noise * torch.randn(SAMPLES)


def make_schedule(name: str, opt: torch.optim.Optimizer, steps: int, peak: float) -> Any:
    """The ``torch.optim.lr_scheduler`` behind each name, stepped once per optimizer step."""
    if name == "constant":
        return lr_scheduler.ConstantLR(opt, factor=1.0, total_iters=0)
    if name == "step":
        return lr_scheduler.StepLR(opt, step_size=max(1, steps // 3), gamma=0.1)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    if name == "warmup_cosine":
        warm = max(1, steps // 10)
        return lr_scheduler.SequentialLR(
            opt,
            [
                lr_scheduler.LinearLR(opt, start_factor=0.01, end_factor=1.0, total_iters=warm),
                lr_scheduler.CosineAnnealingLR(opt, T_max=steps - warm),
            ],
            milestones=[warm],
        )
    if name == "onecycle":
        # cycle_momentum=False: by default OneCycleLR also cycles the optimizer's momentum (0.95 → 0.85), which
        # turns the plain SGD every schedule runs into SGD with momentum (effective step ≈ lr/(1 − β), past
        # 2/λ_max at the peak: it diverged); compared with the others, only the learning rate may differ
        return lr_scheduler.OneCycleLR(opt, max_lr=peak, total_steps=steps, cycle_momentum=False)
    raise KeyError(name)


def _loss(model: nn.Linear, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return nn.functional.mse_loss(model(x).squeeze(1), y)


@register
class LearningRate(Demo):
    id = "learning_rate"
    version = (
        2  # 2: OneCycleLR without its momentum cycle (version 1's OneCycle run had momentum and diverged)
    )
    title = "学习率：太小、合适、太大，以及学习率调度（StepLR、Cosine、Warmup、OneCycle）"
    title_en = "Learning rate: too low, good, too high, and schedules (StepLR, cosine, warmup, OneCycle)"
    summary = "学习率太小、合适、太大时的损失曲线，以及 torch.optim.lr_scheduler 各种调度的学习率与损失。"
    topics = ("001-0095", "002-0177", "001-1366", "001-1370")
    schema = {
        "lr_low": Setting(Param("real", 0.001, 3.0), 0.05, "较小的学习率"),
        "lr_good": Setting(Param("real", 0.001, 3.0), 1.0, "合适的学习率（也是调度的峰值）"),
        "lr_high": Setting(Param("real", 0.001, 3.0), 2.1, "较大的学习率"),
        "steps": Setting(Param("int", 10, 500), 60, "全批量步数"),
        "schedule_steps": Setting(Param("int", 20, 1000), 300, "调度的步数（小批量）"),
    }

    def question(self, p: Mapping[str, Any]) -> Question:
        return Question(
            f"学习率取 {p['lr_high']:g} 时，{p['steps']} 步全批量梯度下降的损失会怎样？",
            ("比合适的学习率收敛得更快", "收敛，但比合适的学习率慢", "不收敛：损失越来越大"),
        )

    def compute(
        self, p: Mapping[str, Any], *, device: torch.device, report: Callable[[float], None]
    ) -> Output:
        x, y = make_problem()
        x, y = x.to(device), y.to(device)
        init = nn.Linear(FEATURES, 1, bias=False).state_dict()
        with torch.no_grad():  # the least-squares optimum: the loss floor
            sol = torch.linalg.lstsq(x.double().cpu(), y.double().cpu()[:, None]).solution
            floor = float(((x.double().cpu() @ sol).squeeze(1) - y.double().cpu()).pow(2).mean())
        curves: dict[str, Any] = {}
        final: dict[str, float] = {}
        raw: dict[str, list[float]] = {}
        for i, key in enumerate(("lr_low", "lr_good", "lr_high")):
            model = nn.Linear(FEATURES, 1, bias=False)
            model.load_state_dict(init)
            model.to(device)
            opt = torch.optim.SGD(model.parameters(), lr=p[key])
            losses = []
            for _ in range(p["steps"]):
                loss = _loss(model, x, y)
                losses.append(loss.item())
                opt.zero_grad()
                loss.backward()
                opt.step()
                if not math.isfinite(losses[-1]) or losses[-1] > 1e12:
                    break
            with torch.no_grad():
                losses.append(float(_loss(model, x, y)))
            curves[key] = {"lr": p[key], "loss": rounded(losses, 6)}
            raw[key] = losses
            final[key] = losses[-1] if math.isfinite(losses[-1]) else float("inf")
            report(0.1 * (i + 1))
        # schedules: the same mini-batches for each
        steps = p["schedule_steps"]
        batches = torch.randint(0, SAMPLES, (steps, 16)).to(device)
        sched: dict[str, Any] = {}
        sched_final: dict[str, float] = {}
        for i, name in enumerate(SCHEDULES):
            model = nn.Linear(FEATURES, 1, bias=False)
            model.load_state_dict(init)
            model.to(device)
            opt = torch.optim.SGD(model.parameters(), lr=p["lr_good"])
            scheduler = make_schedule(name, opt, steps, p["lr_good"])
            lrs, losses = [], []
            for idx in batches:
                lrs.append(opt.param_groups[0]["lr"])
                loss = _loss(model, x[idx], y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                scheduler.step()
                with torch.no_grad():
                    losses.append(float(_loss(model, x, y)))
            sched[name] = {"lr": rounded(lrs, 6), "loss": rounded(losses, 5)}
            sched_final[name] = losses[-1] if math.isfinite(losses[-1]) else float("inf")
            report(0.3 + 0.7 * (i + 1) / len(SCHEDULES))
        start = curves["lr_good"]["loss"][0]
        high, good = final["lr_high"], final["lr_good"]
        # below 2/λ_max every mode shrinks, so the loss never rises: a final loss above the lowest one
        # seen means a growing mode (divergence); otherwise the smaller area under the curve is faster
        seen = raw["lr_high"]
        if not math.isfinite(high) or high > min(seen) * (1 + 1e-4):
            answer = 2
        elif sum(seen) <= sum(raw["lr_good"]):
            answer = 0
        else:
            answer = 1
        best = min(SCHEDULES, key=lambda s: (sched_final[s], SCHEDULES.index(s)))

        def said(v: float) -> str:
            return "发散（溢出）" if v == float("inf") else f"{v:.4g}"

        explanation = (
            f"线性最小二乘，Hessian 的最大特征值 λ_max = {LAMBDA_MAX:g}，全批量梯度下降在学习率 < 2/λ_max = "
            f"{2 / LAMBDA_MAX:g} 时收敛。初始损失 {start:.4g}，最优可达 {floor:.4g}；{p['steps']} 步后："
            f"lr={p['lr_low']:g} 为 {said(final['lr_low'])}，lr={p['lr_good']:g} 为 {said(good)}，"
            f"lr={p['lr_high']:g} 为 {said(high)}。小批量（16 个样本）训练 {steps} 步、峰值学习率 {p['lr_good']:g}："
            + "，".join(f"{s} 的最终损失 {said(sched_final[s])}" for s in SCHEDULES)
            + f"；最低的是 {best}。学习率随训练衰减，小批量梯度噪声带来的抖动随之变小。"
        )
        figures = [
            Figure(f"final_{k}", f"lr={p[k]:g} 的最终损失", final[k])
            for k in ("lr_low", "lr_good", "lr_high")
        ]
        figures += [Figure("loss_floor", "最小二乘的最小损失", floor)]
        figures += [Figure(f"schedule_{s}", f"{s} 调度的最终损失", sched_final[s]) for s in SCHEDULES]
        return Output(
            series={
                "learning_rates": curves,
                "schedules": sched,
                "loss_floor": floor,
                "lambda_max": LAMBDA_MAX,
            },
            figures=figures,
            explanation=explanation,
            answer=answer,
            why=f"lr={p['lr_high']:g} 的最终损失 {said(high)}，lr={p['lr_good']:g} 为 {said(good)}，初始损失 {start:.4g}。",
        )
