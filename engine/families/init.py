"""Initialisation and regularisation: Xavier / Kaiming bounds and standard deviations, inverted
dropout."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import torch
from torch import nn

from engine.families._support import draw_grid
from engine.family import Family, TypedParams, register
from engine.formatting import fmt, tex_vec, tnum
from engine.values import Mistake, Param, Part

__all__ = ["Dropout", "InitBounds"]

F64 = torch.float64

# -- init_bounds -------------------------------------------------------------------------------------

_SCHEMES = ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")
_NONLIN = ("relu", "tanh", "linear")
_GAINS = (math.sqrt(2.0), 5.0 / 3, 1.0)  # closed-form gains, in _NONLIN's order


def _weight_shape(p: dict[str, Any]) -> tuple[int, ...]:
    if p["layer"] == "linear":
        return (p["out_ch"], p["in_ch"])
    return (p["out_ch"], p["in_ch"], p["kernel"], p["kernel"])


def _init_value(scheme: str, fan_in: int, fan_out: int, fan: int, gain: float) -> float:
    """Bound (uniform) or std (normal) from the fans, the textbook way (for the mistakes)."""
    if scheme == "xavier_uniform":
        return gain * math.sqrt(6.0 / (fan_in + fan_out))
    if scheme == "xavier_normal":
        return gain * math.sqrt(2.0 / (fan_in + fan_out))
    std = gain / math.sqrt(fan)
    return math.sqrt(3.0) * std if scheme == "kaiming_uniform" else std


@dataclass(frozen=True)
class _InitBoundsParams(TypedParams):
    """InitBounds's parameters, typed."""

    layer: Literal["linear", "conv2d"]
    in_ch: int
    out_ch: int
    kernel: int
    scheme: Literal["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"]
    mode: Literal["fan_in", "fan_out"]
    nonlinearity: Literal["relu", "tanh", "linear"]


@register
class InitBounds(Family):
    id = "init_bounds"
    title = "Xavier / Kaiming 初始化的边界与标准差"
    topics = ("001-1104", "002-0319", "002-0325")
    schema = {
        "layer": Param("choice", choices=("linear", "conv2d")),
        "in_ch": Param("choice", choices=(3, 16, 32, 64, 128, 256, 512)),
        "out_ch": Param("choice", choices=(16, 32, 64, 128, 256, 512)),
        "kernel": Param("choice", choices=(1, 3, 5, 7)),
        "scheme": Param("choice", choices=_SCHEMES),
        "mode": Param("choice", choices=("fan_in", "fan_out")),
        "nonlinearity": Param("choice", choices=_NONLIN),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _InitBoundsParams.of(p)
        w = torch.empty(_weight_shape(p), device="meta")
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
        gain = nn.init.calculate_gain(q.nonlinearity)
        scheme = q.scheme
        if scheme.startswith("xavier"):
            # torch: std = gain * sqrt(2 / (fan_in + fan_out)); uniform bound = sqrt(3) * std
            std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
        else:
            # torch: std = gain / sqrt(fan); uniform bound = sqrt(3) * std
            std = gain / math.sqrt(nn.init._calculate_correct_fan(w, q.mode))
        value = math.sqrt(3.0) * std if scheme.endswith("uniform") else std
        return {"fan_in": fan_in, "fan_out": fan_out, "value": value}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        dev = c["in_ch"].device

        def pick(name: str) -> torch.Tensor:
            return torch.tensor(self.schema[name].choices, dtype=F64, device=dev)[c[name]]

        cin, cout, k = pick("in_ch"), pick("out_ch"), pick("kernel")
        rf = torch.where(c["layer"] == 1, k * k, torch.ones_like(k))
        fan_in, fan_out = cin * rf, cout * rf
        gain = torch.tensor(_GAINS, dtype=F64, device=dev)[c["nonlinearity"]]
        scheme = c["scheme"]
        xavier = scheme <= 1
        uniform = (scheme == 0) | (scheme == 2)
        fan = torch.where(c["mode"] == 0, fan_in, fan_out)
        value = torch.where(
            xavier,
            torch.where(
                uniform, gain * torch.sqrt(6 / (fan_in + fan_out)), gain * torch.sqrt(2 / (fan_in + fan_out))
            ),
            torch.where(uniform, gain * torch.sqrt(3 / fan), gain / torch.sqrt(fan)),
        )
        return {"fan_in": fan_in, "fan_out": fan_out, "value": value}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _InitBoundsParams.of(p)
        scheme, mode, nl = q.scheme, q.mode, q.nonlinearity
        cin, cout, k = q.in_ch, q.out_ch, q.kernel
        conv = q.layer == "conv2d"
        uniform = scheme.endswith("uniform")
        if conv:
            layer = f"`nn.Conv2d({cin}, {cout}, kernel_size={k})` 的权重（形状 $({cout}, {cin}, {k}, {k})$）"
        else:
            layer = f"`nn.Linear({cin}, {cout})` 的权重（形状 $({cout}, {cin})$）"
        if scheme.startswith("xavier"):
            call = f"`nn.init.{scheme}_(w, gain=nn.init.calculate_gain('{nl}'))`"
        else:
            call = f"`nn.init.{scheme}_(w, mode='{mode}', nonlinearity='{nl}')`"
        what = "均匀分布 $U(-a, a)$ 的边界 $a$" if uniform else "正态分布的标准差 $\\sigma$"
        return f"对 {layer}调用 {call}。\n\n求 PyTorch 算出的 fan_in、fan_out，以及{what}。"

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        q = _InitBoundsParams.of(p)
        scheme = q.scheme
        fi, fo, value = w["fan_in"], w["fan_out"], w["value"]
        uniform = scheme.endswith("uniform")
        return (
            Part("fan_in", "fan_in", "int", fi),
            Part("fan_out", "fan_out", "int", fo),
            Part("value", "边界 $a$" if uniform else "标准差 $\\sigma$", "real", value),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _InitBoundsParams.of(p)
        scheme, mode, nl = q.scheme, q.mode, q.nonlinearity
        cin, cout, k = q.in_ch, q.out_ch, q.kernel
        conv = q.layer == "conv2d"
        fi, fo, value = w["fan_in"], w["fan_out"], w["value"]
        uniform = scheme.endswith("uniform")
        rf = k * k if conv else 1
        fan_line = (
            f"receptive field $={k}\\times{k}={rf}$，fan_in $={cin}\\times{rf}={fi}$，"
            f"fan_out $={cout}\\times{rf}={fo}$"
            if conv
            else f"Linear 权重形状为 (out, in)：fan_in $={fi}$，fan_out $={fo}$"
        )
        gain_tex = {"relu": "\\sqrt2", "tanh": "5/3", "linear": "1"}[nl]
        if scheme == "xavier_uniform":
            formula = (
                f"a=\\text{{gain}}\\sqrt{{\\frac{{6}}{{\\text{{fan\\_in}}+\\text{{fan\\_out}}}}}}"
                f"={gain_tex}\\times\\sqrt{{\\frac{{6}}{{{fi}+{fo}}}}}"
            )
        elif scheme == "xavier_normal":
            formula = (
                f"\\sigma=\\text{{gain}}\\sqrt{{\\frac{{2}}{{\\text{{fan\\_in}}+\\text{{fan\\_out}}}}}}"
                f"={gain_tex}\\times\\sqrt{{\\frac{{2}}{{{fi}+{fo}}}}}"
            )
        else:
            fan = fi if mode == "fan_in" else fo
            mode_tex = mode.replace("_", "\\_")
            if uniform:
                formula = (
                    f"a=\\text{{gain}}\\sqrt{{\\frac{{3}}{{\\text{{{mode_tex}}}}}}}"
                    f"={gain_tex}\\times\\sqrt{{\\frac{{3}}{{{fan}}}}}"
                )
            else:
                formula = (
                    f"\\sigma=\\frac{{\\text{{gain}}}}{{\\sqrt{{\\text{{{mode_tex}}}}}}}"
                    f"=\\frac{{{gain_tex}}}{{\\sqrt{{{fan}}}}}"
                )
        return f"{fan_line}。\n\n`calculate_gain('{nl}')` $={gain_tex}$。\n\n$${formula}={tnum(value)}$$"

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _InitBoundsParams.of(p)
        scheme, mode, nl = q.scheme, q.mode, q.nonlinearity
        cin, cout, k = q.in_ch, q.out_ch, q.kernel
        conv = q.layer == "conv2d"
        fi, fo, value = w["fan_in"], w["fan_out"], w["value"]
        gain = nn.init.calculate_gain(nl)
        uniform = scheme.endswith("uniform")
        mistakes: list[Mistake] = []
        if conv and k > 1:
            fan = cin if mode == "fan_in" else cout
            mistakes.append(
                Mistake(
                    "init.conv-fan-no-receptive-field",
                    "卷积的 fan 漏乘了感受野大小 k×k",
                    {"fan_in": cin, "fan_out": cout, "value": _init_value(scheme, cin, cout, fan, gain)},
                )
            )
        if scheme.startswith("kaiming"):
            other = fo if mode == "fan_in" else fi
            mistakes.append(
                Mistake(
                    "init.fan-in-vs-fan-out",
                    "fan_in 与 fan_out 用反了",
                    {"value": _init_value(scheme, fi, fo, other, gain)},
                )
            )
        if nl != "linear":
            mistakes.append(
                Mistake(
                    "init.forgot-gain", f"漏掉了 gain（{nl} 的 gain 为 {fmt(gain)}）", {"value": value / gain}
                )
            )
        mistakes.append(
            Mistake(
                "init.uniform-normal-confused",
                "把均匀分布的边界与正态分布的标准差弄混了（a = √3·σ）",
                {"value": value / math.sqrt(3) if uniform else value * math.sqrt(3)},
            )
        )
        return mistakes


# -- dropout -----------------------------------------------------------------------------------------

_N = 5


def _dropout_x(seed: int) -> list[float]:
    return [draw_grid(seed, j, 70, 5, 50, 10) for j in range(_N)]


def _dropout_mask(seed: int, p: float) -> list[int]:
    """The mask ``nn.Dropout`` draws on CPU after ``torch.manual_seed(seed)``: ``bernoulli_(1 - p)`` on a
    float64 tensor of the input's shape, replayed with a private generator."""
    g = torch.Generator().manual_seed(seed)
    return [int(v) for v in torch.empty(_N, dtype=F64).bernoulli_(1 - p, generator=g).tolist()]


_U32 = 0xFFFFFFFF


def _mt_uniforms(seed: torch.Tensor, k: int) -> torch.Tensor:
    """The first ``k`` float64 uniforms torch's CPU generator gives after ``manual_seed(seed)``, per row,
    recomputed in integer arithmetic: MT19937's 32-bit seeding recurrence, one twist of the state words
    needed, tempering; each uniform takes two 32-bit outputs (53 bits of ``(r1 << 32) | r2``)."""
    count = 2 * k
    x = seed.to(torch.int64) & _U32
    low, high = [x], []  # state words 0..count and 397..396+count
    for j in range(1, 397 + count):
        x = (x ^ (x >> 30)).mul_(1812433253).add_(j).bitwise_and_(_U32)
        if j <= count:
            low.append(x)
        if j >= 397:
            high.append(x)
    s_low, s_high = torch.stack(low, 1), torch.stack(high, 1)
    y = (s_low[:, :count] & 0x80000000) | (s_low[:, 1:] & 0x7FFFFFFF)
    out = s_high ^ (y >> 1) ^ ((s_low[:, 1:] & 1) * 0x9908B0DF)
    out = out ^ (out >> 11)
    out = out ^ ((out << 7) & 0x9D2C5680)
    out = out ^ ((out << 15) & 0xEFC60000)
    out = out ^ (out >> 18)
    r1, r2 = out[:, 0::2], out[:, 1::2]
    return (((r1 & 0x1FFFFF) << 32) | r2).to(F64) * 2.0**-53


@cache
def _replica_matches_torch() -> bool:
    """Whether :func:`_mt_uniforms` reproduces this torch build's ``bernoulli_`` masks (checked once on a
    few seeds; a build drawing Bernoulli samples another way falls back to torch row by row)."""
    seeds = list(range(0, 4000, 97))
    u = _mt_uniforms(torch.tensor(seeds), _N)
    return all(
        _dropout_mask(s, q) == (u[i] < 1 - q).to(torch.int64).tolist()
        for i, s in enumerate(seeds)
        for q in (0.1, 0.5)
    )


def _dropout_mask_cols(seed: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """Column form of :func:`_dropout_mask`: ``(B, _N)`` float64 zeros and ones."""
    if _replica_matches_torch():
        return (_mt_uniforms(seed, _N) < (1 - p)[:, None]).to(F64)
    masks = [_dropout_mask(int(s), float(q)) for s, q in zip(seed.tolist(), p.tolist(), strict=True)]
    return torch.tensor(masks, dtype=F64, device=seed.device).reshape(-1, _N)


@dataclass(frozen=True)
class _DropoutParams(TypedParams):
    """Dropout's parameters, typed."""

    p: float
    seed: int
    index: int


@register
class Dropout(Family):
    id = "dropout"
    title = "Inverted dropout：缩放与期望"
    topics = ("002-0384",)
    schema = {
        "p": Param("choice", choices=(0.1, 0.2, 0.25, 0.4, 0.5)),
        "seed": Param("int", 0, 10**5),
        "index": Param("int", 1, _N),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _DropoutParams.of(p)
        m = _dropout_mask(q.seed, q.p)
        if all(m) or not any(m):
            return "the mask should drop some units and keep others"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        p = torch.tensor(self.schema["p"].choices, dtype=F64, device=c["p"].device)[c["p"]]
        kept = _dropout_mask_cols(c["seed"].to(torch.int64), p).sum(1)
        return (kept > 0) & (kept < _N)

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        x = torch.tensor(_dropout_x(p["seed"]), dtype=F64)
        layer = nn.Dropout(p["p"])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(p["seed"])
            train = layer.train()(x)
        test = layer.eval()(x)
        # E[y_j] over the Bernoulli mask, enumerated: kept with prob 1-p (scaled), dropped with prob p
        j, q = p["index"] - 1, p["p"]
        expected = (1 - q) * (x[j].item() / (1 - q)) + q * 0.0
        return {"train_out": train.tolist(), "eval_out": test.tolist(), "expected": expected}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seed = c["seed"].to(torch.int64)
        dev = seed.device
        p = torch.tensor(self.schema["p"].choices, dtype=F64, device=dev)[c["p"]]
        masks = _dropout_mask_cols(seed, p)
        j = torch.arange(_N, device=dev)[None, :]
        x = draw_grid(seed[:, None], j, 70, 5, 50, 10)
        xi = x.gather(1, (c["index"].to(torch.int64) - 1)[:, None])[:, 0]
        return {"train_out": x * masks / (1 - p[:, None]), "eval_out": x, "expected": xi}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q, s, i = p["p"], p["seed"], p["index"]
        x = _dropout_x(s)
        m = [int(v != 0) for v in w["train_out"]]
        return (
            f"`drop = nn.Dropout(p={fmt(q)})`，输入 $x={tex_vec(x)}$。执行 `torch.manual_seed({s})` 后在训练模式"
            f"（`drop.train()`）下前向一次，得到的保留掩码为 $m={tex_vec(m)}$（1 表示保留，0 表示置零）。\n\n"
            f"求：训练模式的输出；`drop.eval()` 下的输出；训练模式下第 {i} 个输出的期望 $E[y_{{{i}}}]$"
            "（对掩码的随机性取期望）。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        q = _DropoutParams.of(p)
        i = q.index
        return (
            Part("train_out", "训练模式输出", "vector", w["train_out"]),
            Part("eval_out", "eval 模式输出", "vector", w["eval_out"]),
            Part("expected", f"$E[y_{{{i}}}]$", "real", w["expected"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q, i = p["p"], p["index"]
        scale = 1 / (1 - q)
        return (
            f"PyTorch 用 inverted dropout：训练时保留的元素乘 $\\frac{{1}}{{1-p}}=\\frac{{1}}{{{tnum(1 - q)}}}"
            f"={tnum(scale)}$，测试时原样输出。\n\n"
            f"训练：$y=x\\odot m/(1-p)={tex_vec(w['train_out'])}$\n\n"
            f"测试：$y=x={tex_vec(w['eval_out'])}$\n\n"
            f"$$E[y_{{{i}}}]=(1-p)\\cdot\\frac{{x_{{{i}}}}}{{1-p}}+p\\cdot 0=x_{{{i}}}={tnum(w['expected'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q, s, i = p["p"], p["seed"], p["index"]
        x = _dropout_x(s)
        m = [int(v != 0) for v in w["train_out"]]
        xm = [a * b for a, b in zip(x, m, strict=False)]
        return [
            Mistake(
                "dropout.scaled-by-p", "保留的元素除以了 p（应除以 1−p）", {"train_out": [v / q for v in xm]}
            ),
            Mistake(
                "dropout.non-inverted",
                "按原始（非 inverted）dropout：训练不缩放、测试乘 1−p",
                {"train_out": xm, "eval_out": [v * (1 - q) for v in x], "expected": x[i - 1] * (1 - q)},
            ),
            Mistake(
                "dropout.multiplied-by-keep",
                "保留的元素乘了 1−p（应除以 1−p）",
                {"train_out": [v * (1 - q) for v in xm]},
            ),
            Mistake(
                "dropout.scaled-at-eval",
                "测试时也做了缩放（PyTorch 的 eval 模式下 dropout 是恒等映射）",
                {"eval_out": [v / (1 - q) for v in x]},
            ),
        ]
