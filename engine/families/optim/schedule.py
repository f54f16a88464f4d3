"""Learning-rate schedules: PyTorch's ``lr_scheduler`` classes and TensorFlow's decay formulas."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum, auto
from typing import Any, assert_never

import torch
from torch.optim import lr_scheduler

from engine.family import Family, register
from engine.formatting import fmt
from engine.values import Mistake, Param, Part

__all__ = ["LrKind", "LrSchedule", "Misreading", "Schedule", "lr_closed"]


class LrKind(StrEnum):
    """The schedules (the ``kind`` parameter stores the value; columns hold the index in this order)."""

    STEP = "step"
    EXPONENTIAL = "exponential"
    EXP_STAIRCASE = "exp_staircase"
    PIECEWISE = "piecewise"
    POLYNOMIAL = "polynomial"
    INVERSE_TIME = "inverse_time"
    COSINE = "cosine"
    COSINE_RESTARTS = "cosine_restarts"


_KINDS = tuple(k.value for k in LrKind)


class Misreading(Enum):
    """A known wrong reading of a schedule's formula (the mistakes replay them)."""

    NONE = auto()
    CONTINUOUS = auto()  # staircase ignored: γ^(t/k) instead of γ^⌊t/k⌋
    BOUNDARY = auto()  # a milestone counted only after t passes it (MultiStepLR decays at t = m)
    LINEAR = auto()  # the polynomial's power ignored
    NO_DECAY_STEPS = auto()  # inverse-time decay with t not divided by decay_steps
    NO_ETA_MIN = auto()  # eta_min ignored
    NO_MULT = auto()  # the restart period not multiplied by T_mult
    NO_RESTART = auto()  # no restart: one cosine of period T_0 running on


@dataclass(frozen=True)
class Schedule:
    """A variant's parameters: the schedule and its settings, and ``t``, the number of scheduler steps."""

    kind: LrKind
    base_lr: float
    t: int
    step_size: int
    gamma: float
    m1: int
    m2: int
    total: int
    power: float
    t_mult: int
    eta_min: float

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> Schedule:
        return cls(
            LrKind(p["kind"]),
            p["base_lr"],
            p["t"],
            p["step_size"],
            p["gamma"],
            p["m1"],
            p["m2"],
            p["total"],
            p["power"],
            p["t_mult"],
            p["eta_min"],
        )


def lr_closed(s: Schedule, t: int, *, misreading: Misreading = Misreading.NONE) -> float:
    """The LR after ``t`` scheduler steps from the closed-form formula (plain Python), or as a known
    ``misreading`` of it gives it (for the mistakes; a misreading that does not apply to the schedule
    changes nothing)."""
    base, g, k = s.base_lr, s.gamma, s.step_size
    eta = 0.0 if misreading is Misreading.NO_ETA_MIN else s.eta_min
    match s.kind:
        case LrKind.STEP:
            return base * g ** (t // k)
        case LrKind.EXPONENTIAL:
            return base * g**t
        case LrKind.EXP_STAIRCASE:
            return base * g ** (t / k if misreading is Misreading.CONTINUOUS else t // k)
        case LrKind.PIECEWISE:
            boundary = misreading is Misreading.BOUNDARY
            passed = sum(1 for m in (s.m1, s.m2) if (t > m if boundary else t >= m))
            return base * g**passed
        case LrKind.POLYNOMIAL:
            power = 1.0 if misreading is Misreading.LINEAR else s.power
            return base * (1 - min(t, s.total) / s.total) ** power
        case LrKind.INVERSE_TIME:
            return base / (1 + g * (t if misreading is Misreading.NO_DECAY_STEPS else t / k))
        case LrKind.COSINE:
            return eta + (base - eta) * (1 + math.cos(math.pi * t / s.total)) / 2
        case LrKind.COSINE_RESTARTS:
            if misreading is Misreading.NO_RESTART:
                return eta + (base - eta) * (1 + math.cos(math.pi * t / k)) / 2
            mult = 1 if misreading is Misreading.NO_MULT else s.t_mult
            t_cur, t_i = _restart_cycle(t, k, mult)
            return eta + (base - eta) * (1 + math.cos(math.pi * t_cur / t_i)) / 2
        case _:
            assert_never(s.kind)


def _restart_cycle(t: int, t_0: int, mult: int) -> tuple[int, int]:
    """Warm restarts: the step within its cycle, and the cycle's length, after ``t`` steps."""
    t_cur, t_i = t, t_0
    while t_cur >= t_i:
        t_cur -= t_i
        t_i *= mult
    return t_cur, t_i


# which misreading each schedule invites (mistake id, title, misreading); every schedule: off by one
_MISREADINGS: dict[LrKind, tuple[tuple[str, str, Misreading], ...]] = {
    LrKind.STEP: (),
    LrKind.EXPONENTIAL: (),
    LrKind.EXP_STAIRCASE: (
        (
            "lr.staircase-ignored",
            "忽略了 staircase（指数用了 t/decay_steps 而不是向下取整）",
            Misreading.CONTINUOUS,
        ),
    ),
    LrKind.PIECEWISE: (
        (
            "lr.milestone-not-yet-applied",
            "到达 milestone 的那一步还没衰减（MultiStepLR 在 t = milestone 时已衰减）",
            Misreading.BOUNDARY,
        ),
    ),
    LrKind.POLYNOMIAL: (("lr.poly-power-ignored", "忽略了 power（按线性衰减计算）", Misreading.LINEAR),),
    LrKind.INVERSE_TIME: (
        ("lr.inverse-time-no-decay-steps", "t 没有除以 decay_steps", Misreading.NO_DECAY_STEPS),
    ),
    LrKind.COSINE: (("lr.cosine-eta-min-ignored", "忽略了 eta_min", Misreading.NO_ETA_MIN),),
    LrKind.COSINE_RESTARTS: (
        ("lr.restart-period-not-multiplied", "重启后周期没有乘 T_mult", Misreading.NO_MULT),
        ("lr.no-restart", "没有重启（当成周期为 T_0 的普通余弦继续往下走）", Misreading.NO_RESTART),
        ("lr.cosine-eta-min-ignored", "忽略了 eta_min", Misreading.NO_ETA_MIN),
    ),
}


@register
class LrSchedule(Family):
    id = "lr_schedule"
    version = 2  # v2: draws where a listed mistake cannot show are redrawn
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
        s = Schedule.of(p)
        if s.kind is LrKind.EXPONENTIAL and s.gamma < 0.8:
            return "ExponentialLR decays every step: gamma should be close to 1"
        if s.kind in (LrKind.COSINE, LrKind.POLYNOMIAL) and s.t > s.total:
            return "t beyond T_max / total_iters (the LR would just sit at its floor)"
        if s.kind in (LrKind.COSINE, LrKind.COSINE_RESTARTS) and s.eta_min >= s.base_lr:
            return "eta_min must be below the base lr"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        dev = c["kind"].device

        def value(name: str) -> torch.Tensor:
            return torch.tensor(self.schema[name].choices, dtype=torch.float64, device=dev)[c[name]]

        def kind_in(*kinds: LrKind) -> torch.Tensor:
            return torch.isin(c["kind"], torch.tensor([_KINDS.index(k) for k in kinds], device=dev))

        bad = (
            (kind_in(LrKind.EXPONENTIAL) & (value("gamma") < 0.8))
            | (kind_in(LrKind.COSINE, LrKind.POLYNOMIAL) & (c["t"] > c["total"]))
            | (kind_in(LrKind.COSINE, LrKind.COSINE_RESTARTS) & (value("eta_min") >= value("base_lr")))
        )
        return ~bad

    @staticmethod
    def _scheduler(s: Schedule, opt: torch.optim.Optimizer) -> lr_scheduler.LRScheduler:
        g, k = s.gamma, s.step_size
        match s.kind:
            case LrKind.STEP:
                return lr_scheduler.StepLR(opt, step_size=k, gamma=g)
            case LrKind.EXPONENTIAL:
                return lr_scheduler.ExponentialLR(opt, gamma=g)
            case LrKind.EXP_STAIRCASE:
                return lr_scheduler.LambdaLR(opt, lambda e: g ** (e // k))
            case LrKind.PIECEWISE:
                return lr_scheduler.MultiStepLR(opt, milestones=[s.m1, s.m2], gamma=g)
            case LrKind.POLYNOMIAL:
                return lr_scheduler.PolynomialLR(opt, total_iters=s.total, power=s.power)
            case LrKind.INVERSE_TIME:
                return lr_scheduler.LambdaLR(opt, lambda e: 1 / (1 + g * e / k))
            case LrKind.COSINE:
                return lr_scheduler.CosineAnnealingLR(opt, T_max=s.total, eta_min=s.eta_min)
            case LrKind.COSINE_RESTARTS:
                return lr_scheduler.CosineAnnealingWarmRestarts(
                    opt, T_0=k, T_mult=s.t_mult, eta_min=s.eta_min
                )
            case _:
                assert_never(s.kind)

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        s = Schedule.of(p)
        x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([x], lr=s.base_lr)
        sched = self._scheduler(s, opt)
        for _ in range(s.t):
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
        # warm restarts: cycle i has length k·mult^i; the cycle holding t starts at k·(mult^n − 1)/(mult − 1)
        start = torch.zeros_like(t)
        length = k.clone()
        for _ in range(64):
            later = t >= start + length
            start = torch.where(later, start + length, start)
            length = torch.where(later, length * mult, length)
        out = {
            LrKind.STEP: stair,
            LrKind.EXPONENTIAL: base * g**t,
            LrKind.EXP_STAIRCASE: stair,
            LrKind.PIECEWISE: base * g ** ((t >= c["m1"]).double() + (t >= c["m2"]).double()),
            LrKind.POLYNOMIAL: base * (1 - torch.minimum(t, total) / total) ** power,
            LrKind.INVERSE_TIME: base / (1 + g * t / k),
            LrKind.COSINE: eta + (base - eta) * (1 + torch.cos(math.pi * t / total)) / 2,
            LrKind.COSINE_RESTARTS: eta + (base - eta) * (1 + torch.cos(math.pi * (t - start) / length)) / 2,
        }
        result = torch.zeros_like(base)
        for i, name in enumerate(LrKind):
            result = torch.where(kind == i, out[name], result)
        return {"lr": result}

    @staticmethod
    def _describe(s: Schedule) -> tuple[str, str]:
        """The scheduler as shown in the prompt, and its formula for the solution."""
        g, k = fmt(s.gamma), s.step_size
        match s.kind:
            case LrKind.STEP:
                return (
                    f"`StepLR(optimizer, step_size={k}, gamma={g})`",
                    "\\eta_t=\\eta_0\\,\\gamma^{\\lfloor t/\\text{step\\_size}\\rfloor}",
                )
            case LrKind.EXPONENTIAL:
                return f"`ExponentialLR(optimizer, gamma={g})`", "\\eta_t=\\eta_0\\,\\gamma^{t}"
            case LrKind.EXP_STAIRCASE:
                return (
                    "TF 的 `exponential_decay(learning_rate, global_step, decay_steps="
                    f"{k}, decay_rate={g}, staircase=True)`，即 "
                    "$\\eta_t=\\eta_0\\cdot\\text{decay\\_rate}^{\\lfloor t/\\text{decay\\_steps}\\rfloor}$"
                    f"（在 PyTorch 中用 `LambdaLR(optimizer, lambda t: {g} ** (t // {k}))` 实现）",
                    "\\eta_t=\\eta_0\\cdot\\text{decay\\_rate}^{\\lfloor t/\\text{decay\\_steps}\\rfloor}",
                )
            case LrKind.PIECEWISE:
                return (
                    f"分段常数：`MultiStepLR(optimizer, milestones=[{s.m1}, {s.m2}], gamma={g})`",
                    "\\eta_t=\\eta_0\\,\\gamma^{\\#\\{m\\in\\text{milestones}:\\ m\\le t\\}}",
                )
            case LrKind.POLYNOMIAL:
                return (
                    f"`PolynomialLR(optimizer, total_iters={s.total}, power={fmt(s.power)})`",
                    "\\eta_t=\\eta_0\\left(1-\\frac{\\min(t,T)}{T}\\right)^{p}",
                )
            case LrKind.INVERSE_TIME:
                return (
                    "TF 的 `inverse_time_decay(learning_rate, global_step, decay_steps="
                    f"{k}, decay_rate={g}, staircase=False)`，即 "
                    "$\\eta_t=\\dfrac{\\eta_0}{1+\\text{decay\\_rate}\\cdot t/\\text{decay\\_steps}}$"
                    f"（在 PyTorch 中用 `LambdaLR(optimizer, lambda t: 1 / (1 + {g} * t / {k}))` 实现）",
                    "\\eta_t=\\frac{\\eta_0}{1+\\text{decay\\_rate}\\cdot t/\\text{decay\\_steps}}",
                )
            case LrKind.COSINE:
                return (
                    f"`CosineAnnealingLR(optimizer, T_max={s.total}, eta_min={fmt(s.eta_min)})`",
                    "\\eta_t=\\eta_{min}+\\tfrac12(\\eta_0-\\eta_{min})\\left(1+\\cos\\frac{\\pi t}{T_{max}}\\right)",
                )
            case LrKind.COSINE_RESTARTS:
                return (
                    f"`CosineAnnealingWarmRestarts(optimizer, T_0={k}, T_mult={s.t_mult}, "
                    f"eta_min={fmt(s.eta_min)})`",
                    "\\eta_t=\\eta_{min}+\\tfrac12(\\eta_0-\\eta_{min})\\left(1+\\cos\\frac{\\pi T_{cur}}{T_i}\\right)",
                )
            case _:
                assert_never(s.kind)

    @staticmethod
    def _steps_text(s: Schedule) -> str:
        t, k, g = s.t, s.step_size, fmt(s.gamma)
        base, eta = fmt(s.base_lr), fmt(s.eta_min)
        match s.kind:
            case LrKind.STEP | LrKind.EXP_STAIRCASE:
                return f"\\lfloor {t}/{k}\\rfloor={t // k},\\quad \\eta={base}\\times{g}^{{{t // k}}}"
            case LrKind.EXPONENTIAL:
                return f"\\eta={base}\\times{g}^{{{t}}}"
            case LrKind.PIECEWISE:
                n = sum(1 for m in (s.m1, s.m2) if t >= m)
                return (
                    f"t={t}\\text{{ 已越过 }}{n}\\text{{ 个 milestone}},\\quad \\eta={base}\\times{g}^{{{n}}}"
                )
            case LrKind.POLYNOMIAL:
                tt = min(t, s.total)
                return f"\\eta={base}\\times\\left(1-\\frac{{{tt}}}{{{s.total}}}\\right)^{{{fmt(s.power)}}}"
            case LrKind.INVERSE_TIME:
                return f"\\eta=\\frac{{{base}}}{{1+{g}\\times{t}/{k}}}"
            case LrKind.COSINE:
                return (
                    f"\\eta={eta}+\\tfrac12({base}-{eta})\\left(1+\\cos\\frac{{{t}\\pi}}{{{s.total}}}\\right)"
                )
            case LrKind.COSINE_RESTARTS:
                t_cur, t_i = _restart_cycle(t, k, s.t_mult)
                return (
                    f"T_{{cur}}={t_cur},\\ T_i={t_i},\\quad \\eta={eta}+\\tfrac12({base}-{eta})"
                    f"\\left(1+\\cos\\frac{{{t_cur}\\pi}}{{{t_i}}}\\right)"
                )
            case _:
                assert_never(s.kind)

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        s = Schedule.of(p)
        sched, _ = self._describe(s)
        return (
            f"优化器的初始学习率 $\\eta_0={fmt(s.base_lr)}$，学习率调度为 {sched}。"
            f"训练循环每次迭代先 `optimizer.step()` 再 `scheduler.step()`。\n\n"
            f"调用 `scheduler.step()` 共 {s.t} 次之后，优化器的学习率是多少？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> tuple[Part, ...]:
        return (Part("lr", f"第 {p['t']} 次 `scheduler.step()` 之后的学习率", "real", w["lr"]),)

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        s = Schedule.of(p)
        _, formula = self._describe(s)
        solution = f"$${formula}$$\n\n$$t={s.t}:\\quad {self._steps_text(s)}={fmt(w['lr'], 8)}$$"
        if s.kind is LrKind.COSINE_RESTARTS:
            solution += "\n\n每个周期结束时 $T_{cur}$ 归零并重启，下一个周期长度 $T_i$ 乘以 `T_mult`。"
        return solution

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        s = Schedule.of(p)
        t = s.t
        wrong = [
            Mistake(mid, title, {"lr": lr_closed(s, t, misreading=misreading)})
            for mid, title, misreading in _MISREADINGS[s.kind]
        ]
        if t >= 1:  # last: where it coincides with a named convention above, that one is the better diagnosis
            wrong.append(
                Mistake("lr.off-by-one", "步数差了一（按 t−1 次 step 计算）", {"lr": lr_closed(s, t - 1)})
            )
        return wrong
