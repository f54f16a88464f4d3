"""Training bookkeeping: iterations per epoch, dataset splits, numerical gradients, data-parallel speed-up."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import torch
from torch.utils.data import DataLoader, TensorDataset, random_split

from engine.families.conv import _choice_table
from engine.family import Family, TypedParams, register
from engine.formatting import fmt
from engine.values import Mistake, Param, Part, Precision

__all__ = ["DataParallelSpeedup", "DatasetSplit", "EpochIterations", "NumericalGradient"]


# -- iterations per epoch --------------------------------------------------------------------------


@dataclass(frozen=True)
class _EpochIterationsParams(TypedParams):
    """EpochIterations's parameters, typed."""

    n: int
    batch: int
    epochs: int
    drop_last: bool


@register
class EpochIterations(Family):
    id = "epoch_iterations"
    title = "每个 epoch 的迭代次数"
    topics = ("001-0146",)
    schema = {
        "n": Param("int", 100, 200_000),
        "batch": Param("choice", choices=(8, 16, 24, 32, 48, 64, 100, 128, 256, 512)),
        "epochs": Param("int", 1, 300),
        "drop_last": Param("choice", choices=(True, False)),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _EpochIterationsParams.of(p)
        if q.batch > q.n:
            return "the batch is larger than the dataset"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        return _choice_table(self.schema["batch"].choices, c["batch"]) <= c["n"]

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _EpochIterationsParams.of(p)
        dataset = TensorDataset(torch.empty(q.n, device="meta"))
        per = len(DataLoader(dataset, batch_size=q.batch, drop_last=q.drop_last))
        return {"per_epoch": per, "total": per * q.epochs}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        b = _choice_table(self.schema["batch"].choices, c["batch"])
        per = torch.where(c["drop_last"] == 0, torch.floor(c["n"] / b), torch.ceil(c["n"] / b))
        return {"per_epoch": per, "total": per * c["epochs"]}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _EpochIterationsParams.of(p)
        n, b, e, dl = q.n, q.batch, q.epochs, q.drop_last
        return (
            f"训练集有 ${n}$ 个样本，`DataLoader(dataset, batch_size={b}, shuffle=True, drop_last={dl})`，"
            f"训练 ${e}$ 个 epoch。\n\n1. 每个 epoch 有多少次迭代（多少个 batch）？\n2. 训练全程一共多少次迭代？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        per, total = w["per_epoch"], w["total"]
        return (
            Part("per_epoch", "每个 epoch 的迭代次数", "int", per),
            Part("total", "总迭代次数", "int", total),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _EpochIterationsParams.of(p)
        n, b, e, dl = q.n, q.batch, q.epochs, q.drop_last
        per, total = w["per_epoch"], w["total"]
        rule = (
            (
                "\\left\\lfloor\\frac{N}{B}\\right\\rfloor",
                f"\\left\\lfloor\\frac{{{n}}}{{{b}}}\\right\\rfloor",
            )
            if dl
            else (
                "\\left\\lceil\\frac{N}{B}\\right\\rceil",
                f"\\left\\lceil\\frac{{{n}}}{{{b}}}\\right\\rceil",
            )
        )
        return (
            (
                "`drop_last=True` 丢掉最后不满一个 batch 的样本，向下取整："
                if dl
                else "`drop_last=False` 时最后不满的 batch 也算一次迭代，向上取整："
            )
            + f"\n\n$$\\text{{iters}}={rule[0]}={rule[1]}={per}$$\n\n"
            f"$$\\text{{total}}={per}\\times{e}={total}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _EpochIterationsParams.of(p)
        n, b, e, dl = q.n, q.batch, q.epochs, q.drop_last
        other = math.ceil(n / b) if dl else n // b
        samples = (n * e) // b if dl else -(-(n * e) // b)
        return [
            Mistake(
                "train.ceil-vs-floor",
                "drop_last 的取整方向弄反了（True 向下取整，False 向上取整）",
                {"per_epoch": other, "total": other * e},
            ),
            Mistake(
                "train.total-from-samples",
                "总迭代数用 总样本数/B 一次取整（每个 epoch 应单独取整）",
                {"total": samples},
            ),
        ]


# -- dataset split ---------------------------------------------------------------------------------

SPLITS = ("70/15/15", "80/10/10", "60/20/20", "70/20/10", "90/5/5", "75/15/10", "85/10/5", "98/1/1")


def _pcts(text: str) -> list[int]:
    return [int(x) for x in text.split("/")]


@register
class DatasetSplit(Family):
    id = "dataset_split"
    title = "按比例划分训练/验证/测试集"
    topics = ("001-1224",)
    schema = {
        "n": Param("int", 100, 20_000),
        "ratios": Param("choice", choices=SPLITS),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        # torch floors n * 0.15 in floating point; skip the rare sizes where that differs from exact
        # arithmetic, so the answer is the one a careful hand calculation gives.
        fracs = [q / 100 for q in _pcts(p["ratios"])]
        floats = [math.floor(p["n"] * f) for f in fracs]
        exact = [math.floor(p["n"] * Fraction(q, 100)) for q in _pcts(p["ratios"])]
        if floats != exact:
            return "floating-point rounding would change the split"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        n = c["n"]
        ok = torch.ones_like(n, dtype=torch.bool)
        for i in range(3):
            q = _choice_table(SPLITS, c["ratios"], lambda t, i=i: _pcts(t)[i])
            floats = torch.floor(n * _choice_table(SPLITS, c["ratios"], lambda t, i=i: _pcts(t)[i] / 100))
            exact = torch.div(n * q, 100, rounding_mode="floor")  # n * q is an exact integer in float64
            ok = ok & (floats == exact)
        return ok

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        fracs = [q / 100 for q in _pcts(p["ratios"])]
        subsets = random_split(range(p["n"]), fracs, generator=torch.Generator().manual_seed(0))  # type: ignore[arg-type,var-annotated]
        train, val, test = (len(s) for s in subsets)
        return {"train": train, "val": val, "test": test}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        n = c["n"]
        floors = [
            torch.floor(n * _choice_table(SPLITS, c["ratios"], lambda t, i=i: _pcts(t)[i]) / 100)
            for i in range(3)
        ]
        rem = n - floors[0] - floors[1] - floors[2]  # 0, 1 or 2 for three splits
        extra1, extra2 = (rem >= 1).to(n.dtype), (rem >= 2).to(n.dtype)
        return {"train": floors[0] + extra1, "val": floors[1] + extra2, "test": floors[2]}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        n, pcts = p["n"], _pcts(p["ratios"])
        fr = ", ".join(f"{q / 100:g}" for q in pcts)
        return (
            f"数据集共 ${n}$ 个样本，用 `torch.utils.data.random_split(dataset, [{fr}])` 划分为训练/验证/测试集。"
            "三个子集各有多少个样本？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        sizes = [w["train"], w["val"], w["test"]]
        names = ("train", "val", "test")
        return tuple(
            Part(nm, lab, "int", s)
            for nm, lab, s in zip(names, ("训练集", "验证集", "测试集"), sizes, strict=True)
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        n, pcts = p["n"], _pcts(p["ratios"])
        sizes = [w["train"], w["val"], w["test"]]
        floors = [n * q // 100 for q in pcts]
        rem = n - sum(floors)
        names = ("train", "val", "test")
        return (
            "`random_split` 先对每一份向下取整，再把剩下的样本从第一份开始轮流各加 1：\n\n"
            + "$$"
            + ",\\quad ".join(
                f"\\lfloor{n}\\times{q / 100:g}\\rfloor={f}" for q, f in zip(pcts, floors, strict=True)
            )
            + f"$$\n\n剩余 ${n}-{sum(floors)}={rem}$ 个"
            + (f"，依次加到前 {rem} 份" if rem else "")
            + "：\n\n"
            + "$$"
            + ",\\quad ".join(f"\\text{{{nm}}}={s}" for nm, s in zip(names, sizes, strict=True))
            + "$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        n, pcts = p["n"], _pcts(p["ratios"])
        floors = [n * q // 100 for q in pcts]
        names = ("train", "val", "test")
        to_last = [floors[0], floors[1], n - floors[0] - floors[1]]
        rounded = [math.floor(n * Fraction(q, 100) + Fraction(1, 2)) for q in pcts]
        to_first = [n - floors[1] - floors[2], floors[1], floors[2]]
        return [
            Mistake(
                "split.remainder-to-last",
                "把剩余样本全部给了最后一份（random_split 从第一份起轮流分配）",
                dict(zip(names, to_last, strict=True)),
            ),
            Mistake(
                "split.remainder-to-first",
                "把剩余样本全部给了第一份（random_split 轮流分配）",
                dict(zip(names, to_first, strict=True)),
            ),
            Mistake(
                "split.rounded-each",
                "每一份各自四舍五入（random_split 先向下取整再分配余数）",
                dict(zip(names, rounded, strict=True)),
            ),
        ]


# -- numerical gradient ----------------------------------------------------------------------------

FUNCS = ("x^3-3x", "x^4-2x^2", "e^x", "x*e^x", "e^(-x^2)")
_TEX = {
    "x^3-3x": "x^3-3x",
    "x^4-2x^2": "x^4-2x^2",
    "e^x": "e^{x}",
    "x*e^x": "x\\,e^{x}",
    "e^(-x^2)": "e^{-x^2}",
}
_DTEX = {
    "x^3-3x": "3x^2-3",
    "x^4-2x^2": "4x^3-4x",
    "e^x": "e^{x}",
    "x*e^x": "(1+x)\\,e^{x}",
    "e^(-x^2)": "-2x\\,e^{-x^2}",
}


def _f(name: str, x: torch.Tensor) -> torch.Tensor:
    if name == "x^3-3x":
        return x**3 - 3 * x
    if name == "x^4-2x^2":
        return x**4 - 2 * x**2
    if name == "e^x":
        return torch.exp(x)
    if name == "x*e^x":
        return x * torch.exp(x)
    return torch.exp(-(x**2))


def _paren(x: float) -> str:
    """A number for a subtraction's right-hand side: negative ones in parentheses."""
    return f"({fmt(x, 12)})" if x < 0 else fmt(x, 12)


def _eval(name: str, x: float) -> float:
    return float(_f(name, torch.tensor(x, dtype=torch.float64)))


@dataclass(frozen=True)
class _NumericalGradientParams(TypedParams):
    """NumericalGradient's parameters, typed."""

    func: Literal["x^3-3x", "x^4-2x^2", "e^x", "x*e^x", "e^(-x^2)"]
    x: float
    h: float


@register
class NumericalGradient(Family):
    id = "numerical_gradient"
    version = 2  # v2: draws where a listed mistake cannot show are redrawn
    title = "数值梯度（中心差分）与解析梯度"
    topics = ("002-0157",)
    schema = {
        "func": Param("choice", choices=FUNCS),
        "x": Param("real", -2.0, 2.0, decimals=1),
        "h": Param("choice", choices=(0.1, 0.05, 0.01)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _NumericalGradientParams.of(p)
        name, x0, h = q.func, q.x, q.h
        x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        (grad,) = torch.autograd.grad(_f(name, x), x)
        num = (_eval(name, x0 + h) - _eval(name, x0 - h)) / (2 * h)
        analytic = float(grad)
        return {"num": num, "analytic": analytic, "err": abs(num - analytic)}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        x = c["x"]
        h = _choice_table(self.schema["h"].choices, c["h"])
        f = c["func"]
        ex = torch.exp(x)
        g = torch.exp(-x * x)
        # Derivatives, and the central difference in closed form (Taylor terms summed exactly).
        analytic = torch.stack([3 * x**2 - 3, 4 * x**3 - 4 * x, ex, (1 + x) * ex, -2 * x * g])
        num = torch.stack(
            [
                3 * x**2 - 3 + h**2,
                4 * x**3 + 4 * x * h**2 - 4 * x,
                ex * torch.sinh(h) / h,
                ex * (x * torch.sinh(h) / h + torch.cosh(h)),
                -g * torch.exp(-h * h) * torch.sinh(2 * x * h) / h,
            ]
        )
        rows = torch.arange(len(x), device=x.device)
        a, n = analytic[f, rows], num[f, rows]
        return {"num": n, "analytic": a, "err": (n - a).abs()}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _NumericalGradientParams.of(p)
        name, x0, h = q.func, q.x, q.h
        ftex = _TEX[name]
        return (
            f"$f(x)={ftex}$。在 $x={fmt(x0)}$ 处用中心差分、步长 $h={fmt(h)}$ 估计导数，并与解析导数比较。\n\n"
            "1. 中心差分估计 $\\frac{f(x+h)-f(x-h)}{2h}$？\n2. 解析导数 $f'(x)$？\n"
            "3. 两者之差的绝对值？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        num, analytic = w["num"], w["analytic"]
        return (
            Part("num", "中心差分估计", "real", num, precision=Precision.sig(8)),
            Part("analytic", "解析导数", "real", analytic, precision=Precision.sig(8)),
            Part("err", "绝对误差", "real", w["err"], precision=Precision.sig(3)),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _NumericalGradientParams.of(p)
        name, x0, h = q.func, q.x, q.h
        fp, fm = _eval(name, x0 + h), _eval(name, x0 - h)
        num, analytic = w["num"], w["analytic"]
        return (
            f"$$f({fmt(x0 + h)})={fmt(fp, 12)},\\quad f({fmt(x0 - h)})={fmt(fm, 12)}$$\n\n"
            f"$$\\frac{{{fmt(fp, 12)}-{_paren(fm)}}}{{2\\times{fmt(h)}}}={fmt(num, 12)}$$\n\n"
            f"$$f'(x)={_DTEX[name]}\\;\\Rightarrow\\;f'({fmt(x0)})={fmt(analytic, 12)}$$\n\n"
            f"$$|\\,{fmt(num, 12)}-{_paren(analytic)}\\,|={fmt(w['err'], 6)}$$\n\n"
            "中心差分的误差是 $O(h^2)$（前向差分是 $O(h)$）。"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _NumericalGradientParams.of(p)
        name, x0, h = q.func, q.x, q.h
        fp = _eval(name, x0 + h)
        num, analytic = w["num"], w["analytic"]
        fwd = (fp - _eval(name, x0)) / h
        return [
            Mistake(
                "numgrad.forward-difference",
                "用了前向差分 (f(x+h)−f(x))/h",
                {"num": fwd, "err": abs(fwd - analytic)},
            ),
            Mistake(
                "numgrad.forgot-2h", "分母用了 h 而不是 2h", {"num": 2 * num, "err": abs(2 * num - analytic)}
            ),
            Mistake("numgrad.gave-analytic", "数值梯度一栏填了解析导数", {"num": analytic}),
        ]


# -- data parallel ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DataParallelSpeedupParams(TypedParams):
    """DataParallelSpeedup's parameters, typed."""

    t_compute: int
    gpus: int
    t_comm: int


@register
class DataParallelSpeedup(Family):
    id = "data_parallel_speedup"
    title = "数据并行的加速比与效率"
    topics = ("001-0884",)
    schema = {
        "t_compute": Param("int", 100, 2000),
        "gpus": Param("choice", choices=(2, 4, 8, 16)),
        "t_comm": Param("int", 5, 200),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _DataParallelSpeedupParams.of(p)
        t, g, comm = q.t_compute, q.gpus, q.t_comm
        # One step on g GPUs: every GPU computes its 1/g share of the batch, then all wait for the
        # all-reduce (no overlap); the step ends when the slowest GPU is done.
        step = max(t / g for _ in range(g)) + comm
        speedup = t / step
        return {"step": step, "speedup": speedup, "efficiency": speedup / g}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        g = _choice_table(self.schema["gpus"].choices, c["gpus"])
        t, comm = c["t_compute"], c["t_comm"]
        return {"step": t / g + comm, "speedup": g * t / (t + g * comm), "efficiency": t / (t + g * comm)}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _DataParallelSpeedupParams.of(p)
        t, g, comm = q.t_compute, q.gpus, q.t_comm
        return (
            f"单卡训练一步（全局 batch）的计算需要 ${t}$ ms。改用 ${g}$ 卡数据并行，全局 batch 不变，每卡算 $1/{g}$，"
            f"计算时间按卡数线性缩短；每步另有 ${comm}$ ms 的梯度 all-reduce，且不与计算重叠。\n\n"
            "1. 数据并行时每步耗时多少 ms？\n2. 加速比（单卡每步时间 / 多卡每步时间）？\n"
            "3. 并行效率（加速比 / 卡数）？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        step, s, e = w["step"], w["speedup"], w["efficiency"]
        return (
            Part("step", "每步耗时", "real", step, unit="ms"),
            Part("speedup", "加速比", "real", s),
            Part("efficiency", "并行效率", "real", e, ratio=True),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _DataParallelSpeedupParams.of(p)
        t, g, comm = q.t_compute, q.gpus, q.t_comm
        step, s, e = w["step"], w["speedup"], w["efficiency"]
        return (
            f"$$T_{{{g}}}=\\frac{{{t}}}{{{g}}}+{comm}={fmt(step)}\\text{{ ms}}$$\n\n"
            f"$$S=\\frac{{T_1}}{{T_{{{g}}}}}=\\frac{{{t}}}{{{fmt(step)}}}={fmt(s)}$$\n\n"
            f"$$E=\\frac{{S}}{{{g}}}={fmt(e)}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _DataParallelSpeedupParams.of(p)
        t, g, comm = q.t_compute, q.gpus, q.t_comm
        step, s = w["step"], w["speedup"]
        div = (t + comm) / g
        return [
            Mistake(
                "parallel.forgot-communication",
                "忽略了 all-reduce 通信时间",
                {"step": t / g, "speedup": float(g), "efficiency": 1.0},
            ),
            Mistake(
                "parallel.comm-divided-by-p",
                "通信时间也按卡数缩短了（all-reduce 不会随卡数变短）",
                {"step": div, "speedup": t / div, "efficiency": t / div / g},
            ),
            Mistake(
                "parallel.speedup-inverted",
                "加速比算反了（多卡 / 单卡）",
                {"speedup": step / t, "efficiency": step / t / g},
            ),
            Mistake("parallel.efficiency-inverted", "效率算反了（卡数 / 加速比）", {"efficiency": g / s}),
        ]
