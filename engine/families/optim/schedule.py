"""Learning-rate schedules: PyTorch's ``lr_scheduler`` classes and TensorFlow's decay formulas."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.optim import lr_scheduler

from engine.core import Family, Mistake, Param, Part, Variant, fmt, register
from engine.families._support import clean_mistakes

__all__ = ["LrSchedule", "lr_closed"]

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
