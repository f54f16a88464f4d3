"""Convolution and pooling geometry: output sizes, SPP bins, receptive fields."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from engine.family import Family, TypedParams, register
from engine.values import Mistake, Param, Part

__all__ = [
    "Conv2dOutputSize",
    "ConvTfPadding",
    "ConvTranspose2dOutputSize",
    "PoolOutputSize",
    "ReceptiveField",
    "SppBins",
    "rf_by_gradient",
]


def _meta_out(module: nn.Module, size: int, channels: int = 1) -> tuple[int, ...]:
    """Run ``module`` on a meta tensor: PyTorch's own shape rule, no memory, no arithmetic."""
    with torch.device("meta"):
        x = torch.empty(1, channels, size, size)
        return tuple(module.to("meta")(x).shape)


@dataclass(frozen=True)
class _Conv2dOutputSizeParams(TypedParams):
    """Conv2dOutputSize's parameters, typed."""

    size: int
    kernel: int
    padding: int
    stride: int
    dilation: int


@register
class Conv2dOutputSize(Family):
    id = "conv2d_output_size"
    title = "Conv2d 输出尺寸"
    topics = ("001-0304", "002-0433", "003-0199", "001-0198")
    schema = {
        "size": Param("int", 5, 224),
        "kernel": Param("int", 1, 7),
        "padding": Param("int", 0, 3),
        "stride": Param("int", 1, 4),
        "dilation": Param("int", 1, 3),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _Conv2dOutputSizeParams.of(p)
        if q.dilation * (q.kernel - 1) + 1 > q.size + 2 * q.padding:
            return "the dilated kernel is larger than the padded input"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        return c["dilation"] * (c["kernel"] - 1) + 1 <= c["size"] + 2 * c["padding"]

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _Conv2dOutputSizeParams.of(p)
        conv = nn.Conv2d(
            1, 1, q.kernel, stride=q.stride, padding=q.padding, dilation=q.dilation, device="meta"
        )
        return {"out": _meta_out(conv, q.size)[-1]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        eff = c["dilation"] * (c["kernel"] - 1) + 1
        return {"out": torch.floor((c["size"] + 2 * c["padding"] - eff) / c["stride"]) + 1}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _Conv2dOutputSizeParams.of(p)
        return (
            f"输入特征图为 ${q.size}\\times{q.size}$，经过 `nn.Conv2d(kernel_size={q.kernel}, "
            f"stride={q.stride}, padding={q.padding}, dilation={q.dilation})`。输出特征图的边长是多少？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> list[Part]:
        return [Part("out", "输出边长 $H_{out}$", "int", w["out"])]

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _Conv2dOutputSizeParams.of(p)
        h, k, pad, s, d = q.size, q.kernel, q.padding, q.stride, q.dilation
        eff = d * (k - 1) + 1
        return (
            "$$H_{out}=\\left\\lfloor\\frac{H+2p-d(k-1)-1}{s}\\right\\rfloor+1$$\n\n"
            f"$$=\\left\\lfloor\\frac{{{h}+2\\times{pad}-{d}\\times({k}-1)-1}}{{{s}}}\\right\\rfloor+1"
            f"=\\left\\lfloor\\frac{{{h + 2 * pad - eff}}}{{{s}}}\\right\\rfloor+1={w['out']}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _Conv2dOutputSizeParams.of(p)
        h, k, pad, s, d = q.size, q.kernel, q.padding, q.stride, q.dilation
        eff = d * (k - 1) + 1
        return [
            Mistake(
                "conv.forgot-double-padding",
                "padding 只加了一次（应为 2p）",
                {"out": (h + pad - eff) // s + 1},
            ),
            Mistake("conv.forgot-padding", "完全忘了 padding（应加 2p）", {"out": (h - eff) // s + 1}),
            Mistake(
                "conv.ceil-instead-of-floor",
                "向上取整（Conv2d 向下取整）",
                {"out": math.ceil((h + 2 * pad - eff) / s) + 1},
            ),
            Mistake(
                "conv.ignored-dilation",
                "忽略了 dilation（有效核大小为 d(k-1)+1）",
                {"out": (h + 2 * pad - k) // s + 1},
            ),
            Mistake("conv.forgot-plus-one", "漏掉了公式末尾的 +1", {"out": (h + 2 * pad - eff) // s}),
            Mistake(
                "conv.dilation-times-k",
                "有效核大小算成了 d·k（应为 d(k−1)+1）",
                {"out": (h + 2 * pad - d * k) // s + 1},
            ),
        ]


# -- helpers shared by the families in this package (conv, cost, layout, training) -----------------


def _choice_table(choices: tuple[Any, ...], index: torch.Tensor, fn: Any = float) -> torch.Tensor:
    """Look up ``fn(choice)`` for a column of choice indices (vectorised)."""
    table = torch.tensor([fn(c) for c in choices], dtype=torch.float64, device=index.device)
    return table[index]


# -- TF SAME / VALID --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ConvTfPaddingParams(TypedParams):
    """ConvTfPadding's parameters, typed."""

    size: int
    kernel: int
    stride: int


@register
class ConvTfPadding(Family):
    id = "conv_tf_padding"
    title = "TensorFlow SAME / VALID 输出尺寸与填充"
    topics = ("001-0304", "002-0433")
    schema = {
        "size": Param("int", 5, 128),
        "kernel": Param("int", 1, 7),
        "stride": Param("int", 1, 4),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _ConvTfPaddingParams.of(p)
        if q.kernel > q.size:
            return "the kernel is larger than the input"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        return c["kernel"] <= c["size"]

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _ConvTfPaddingParams.of(p)
        h, k, s = q.size, q.kernel, q.stride
        # TF's SAME rule, written out: one window starts at every s-th input position...
        starts = list(range(0, h, s))
        # ...and just enough zeros are added for the last window to fit, the odd one at the bottom.
        total = max((len(starts) - 1) * s + k - h, 0)
        top = total // 2
        conv = nn.Conv2d(1, 1, k, stride=s, device="meta")
        with torch.device("meta"):
            padded = F.pad(torch.empty(1, 1, h, h), (top, total - top, top, total - top))
            out_same = tuple(conv(padded).shape)[-1]
        return {"out_same": out_same, "out_valid": _meta_out(conv, h)[-1], "pad_total": total, "pad_top": top}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        h, k, s = c["size"], c["kernel"], c["stride"]
        out_same = torch.ceil(h / s)
        total = torch.clamp((out_same - 1) * s + k - h, min=0)
        return {
            "out_same": out_same,
            "out_valid": torch.ceil((h - k + 1) / s),
            "pad_total": total,
            "pad_top": torch.floor(total / 2),
        }

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _ConvTfPaddingParams.of(p)
        h, k, s = q.size, q.kernel, q.stride
        return (
            f"TensorFlow 中，输入特征图 ${h}\\times{h}$，卷积核 ${k}\\times{k}$，stride ${s}$。\n\n"
            "1. `padding='SAME'` 时输出边长是多少？\n"
            "2. `padding='VALID'` 时输出边长是多少？\n"
            "3. `SAME` 时高度方向一共补了多少行 0（上下合计）？\n"
            "4. 其中补在上方的有几行？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        o, t, top = w["out_same"], w["pad_total"], w["pad_top"]
        return (
            Part("out_same", "`SAME` 输出边长", "int", o),
            Part("out_valid", "`VALID` 输出边长", "int", w["out_valid"]),
            Part("pad_total", "`SAME` 总填充（上下合计）", "int", t),
            Part("pad_top", "上方填充行数", "int", top),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _ConvTfPaddingParams.of(p)
        h, k, s = q.size, q.kernel, q.stride
        o, t, top = w["out_same"], w["pad_total"], w["pad_top"]
        return (
            "$$H_{SAME}=\\left\\lceil\\frac{H}{s}\\right\\rceil"
            f"=\\left\\lceil\\frac{{{h}}}{{{s}}}\\right\\rceil={o}$$\n\n"
            "$$H_{VALID}=\\left\\lceil\\frac{H-k+1}{s}\\right\\rceil"
            f"=\\left\\lceil\\frac{{{h}-{k}+1}}{{{s}}}\\right\\rceil={w['out_valid']}$$\n\n"
            "$$P=\\max\\big((H_{SAME}-1)s+k-H,\\,0\\big)"
            f"=\\max(({o}-1)\\times{s}+{k}-{h},\\,0)={t}$$\n\n"
            f"$$P_{{top}}=\\lfloor P/2\\rfloor={top},\\quad P_{{bottom}}=P-P_{{top}}={t - top}$$\n\n"
            "TF 把奇数的那一行补在下方（右侧），与 PyTorch 对称的 `padding=p` 不同。"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _ConvTfPaddingParams.of(p)
        h, k, s = q.size, q.kernel, q.stride
        t = w["pad_total"]
        return [
            Mistake("tfpad.same-floor", "SAME 的输出用了向下取整（应为 ⌈H/s⌉）", {"out_same": h // s}),
            Mistake(
                "tfpad.valid-dropped-plus-one",
                "VALID 公式漏了 +1（应为 ⌈(H−k+1)/s⌉）",
                {"out_valid": math.ceil((h - k) / s)},
            ),
            Mistake("tfpad.extra-pad-on-top", "多出的一行补在了上方（TF 补在下方）", {"pad_top": t - t // 2}),
            Mistake(
                "tfpad.same-is-k-minus-1",
                "以为 SAME 总是补 k−1（只在 stride 1 时成立）",
                {"pad_total": k - 1, "pad_top": (k - 1) // 2},
            ),
        ]


# -- ConvTranspose2d --------------------------------------------------------------------------------


def _convt_out(h: int, k: int, s: int, p: int, op: int, d: int) -> int:
    return (h - 1) * s - 2 * p + d * (k - 1) + op + 1


class _ConvTParams(NamedTuple):
    """A variant's parameters, typed, in the order the formula's short names unpack them."""

    size: int
    kernel: int
    stride: int
    padding: int
    output_padding: int
    dilation: int

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> _ConvTParams:
        return cls(**p)


@register
class ConvTranspose2dOutputSize(Family):
    id = "conv_transpose2d_output_size"
    title = "ConvTranspose2d 输出尺寸"
    topics = ("001-0304",)
    schema = {
        "size": Param("int", 2, 64),
        "kernel": Param("int", 1, 7),
        "stride": Param("int", 1, 4),
        "padding": Param("int", 0, 3),
        "output_padding": Param("int", 0, 3),
        "dilation": Param("int", 1, 2),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _ConvTParams.of(p)
        if q.output_padding >= max(q.stride, q.dilation):
            return "output_padding must be smaller than stride or dilation"
        if q.padding > q.dilation * (q.kernel - 1):
            return "padding larger than the dilated kernel's reach"
        if _convt_out(q.size, q.kernel, q.stride, q.padding, q.output_padding, q.dilation) < 1:
            return "the output would be empty"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        h, k, s, pad, op, d = (
            c["size"],
            c["kernel"],
            c["stride"],
            c["padding"],
            c["output_padding"],
            c["dilation"],
        )
        out = (h - 1) * s - 2 * pad + d * (k - 1) + op + 1
        return (op < torch.maximum(s, d)) & (pad <= d * (k - 1)) & (out >= 1)

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _ConvTParams.of(p)
        m = nn.ConvTranspose2d(
            1,
            1,
            q.kernel,
            stride=q.stride,
            padding=q.padding,
            output_padding=q.output_padding,
            dilation=q.dilation,
            device="meta",
        )
        return {"out": _meta_out(m, q.size)[-1]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out = (
            (c["size"] - 1) * c["stride"]
            - 2 * c["padding"]
            + c["dilation"] * (c["kernel"] - 1)
            + c["output_padding"]
            + 1
        )
        return {"out": out}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        h, k, s, pad, op, d = _ConvTParams.of(p)
        return (
            f"输入特征图为 ${h}\\times{h}$，经过 `nn.ConvTranspose2d(kernel_size={k}, stride={s}, "
            f"padding={pad}, output_padding={op}, dilation={d})`。输出特征图的边长是多少？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        out = w["out"]
        return (Part("out", "输出边长 $H_{out}$", "int", out),)

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        h, k, s, pad, op, d = _ConvTParams.of(p)
        out = w["out"]
        return (
            "$$H_{out}=(H-1)s-2p+d(k-1)+p_{out}+1$$\n\n"
            f"$$=({h}-1)\\times{s}-2\\times{pad}+{d}\\times({k}-1)+{op}+1"
            f"={(h - 1) * s}-{2 * pad}+{d * (k - 1)}+{op}+1={out}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        h, k, s, pad, op, _ = _ConvTParams.of(p)
        out = w["out"]
        return [
            Mistake("convT.forgot-output-padding", "漏加了 output_padding", {"out": out - op}),
            Mistake("convT.padding-once", "padding 只减了一次（应为 2p）", {"out": out + pad}),
            Mistake("convT.forgot-padding", "完全忘了 padding（应减 2p）", {"out": out + 2 * pad}),
            Mistake(
                "convT.ignored-dilation",
                "忽略了 dilation（有效核大小为 d(k−1)+1）",
                {"out": _convt_out(h, k, s, pad, op, 1)},
            ),
            Mistake("convT.h-times-stride", "用了 H·s 而不是 (H−1)·s", {"out": out + s}),
        ]


# -- MaxPool2d --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PoolOutputSizeParams(TypedParams):
    """PoolOutputSize's parameters, typed."""

    size: int
    kernel: int
    stride: int
    padding: int


@register
class PoolOutputSize(Family):
    id = "pool_output_size"
    title = "MaxPool2d 输出尺寸（floor 与 ceil_mode）"
    topics = ("001-0324", "002-0461", "003-0227")
    schema = {
        "size": Param("int", 4, 128),
        "kernel": Param("int", 2, 5),
        "stride": Param("int", 1, 5),
        "padding": Param("int", 0, 2),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _PoolOutputSizeParams.of(p)
        if q.padding > q.kernel // 2:
            return "MaxPool2d needs padding <= kernel_size / 2"
        if q.kernel > q.size + 2 * q.padding:
            return "the kernel is larger than the padded input"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        k, pad = c["kernel"], c["padding"]
        return (pad <= torch.floor(k / 2)) & (k <= c["size"] + 2 * pad)

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _PoolOutputSizeParams.of(p)
        k, s, pad = q.kernel, q.stride, q.padding
        floor = nn.MaxPool2d(k, stride=s, padding=pad, ceil_mode=False)
        ceil = nn.MaxPool2d(k, stride=s, padding=pad, ceil_mode=True)
        return {"out_floor": _meta_out(floor, q.size)[-1], "out_ceil": _meta_out(ceil, q.size)[-1]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        h, k, s, pad = c["size"], c["kernel"], c["stride"], c["padding"]
        span = h + 2 * pad - k
        out_floor = torch.floor(span / s) + 1
        raw = torch.ceil(span / s) + 1
        out_ceil = torch.where((raw - 1) * s >= h + pad, raw - 1, raw)
        return {"out_floor": out_floor, "out_ceil": out_ceil}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _PoolOutputSizeParams.of(p)
        h, k, s, pad = q.size, q.kernel, q.stride, q.padding
        return (
            f"输入特征图为 ${h}\\times{h}$，经过 `nn.MaxPool2d(kernel_size={k}, stride={s}, padding={pad})`。\n\n"
            "1. 默认 `ceil_mode=False` 时输出边长是多少？\n"
            "2. `ceil_mode=True` 时输出边长是多少？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        return (
            Part("out_floor", "`ceil_mode=False` 输出边长", "int", w["out_floor"]),
            Part("out_ceil", "`ceil_mode=True` 输出边长", "int", w["out_ceil"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _PoolOutputSizeParams.of(p)
        h, k, s, pad = q.size, q.kernel, q.stride, q.padding
        span = h + 2 * pad - k
        raw = -(-span // s) + 1
        dropped = raw != w["out_ceil"]
        rule = f"检查最后一个窗口的起点：$({raw}-1)\\times{s}={(raw - 1) * s}" + (
            f"\\ge H+p={h + pad}$，它完全落在右侧填充里，PyTorch 丢弃它，得 ${raw - 1}$。"
            if dropped
            else f"< H+p={h + pad}$，窗口起点在输入（或左填充）内，保留，得 ${raw}$。"
        )
        return (
            "$$H_{floor}=\\left\\lfloor\\frac{H+2p-k}{s}\\right\\rfloor+1"
            f"=\\left\\lfloor\\frac{{{h}+2\\times{pad}-{k}}}{{{s}}}\\right\\rfloor+1={w['out_floor']}$$\n\n"
            "$$H_{ceil}=\\left\\lceil\\frac{H+2p-k}{s}\\right\\rceil+1"
            f"=\\left\\lceil\\frac{{{span}}}{{{s}}}\\right\\rceil+1={raw}$$\n\n" + rule
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _PoolOutputSizeParams.of(p)
        # (the "forgot the padding" slip still applies ceil_mode's last-window rule, on the unpadded input)
        h, k, s, pad = q.size, q.kernel, q.stride, q.padding
        span = h + 2 * pad - k
        raw = -(-span // s) + 1
        return [
            Mistake(
                "pool.ceil-mode-no-last-window-rule",
                "ceil_mode 时没有丢弃起点落在右侧填充里的最后一个窗口",
                {"out_ceil": raw},
            ),
            Mistake("pool.floor-in-ceil-mode", "ceil_mode=True 仍然向下取整", {"out_ceil": w["out_floor"]}),
            Mistake("pool.ceil-in-floor-mode", "默认模式用了向上取整（默认向下取整）", {"out_floor": raw}),
            Mistake(
                "pool.forgot-double-padding",
                "padding 只加了一次（应为 2p）",
                {"out_floor": (h + pad - k) // s + 1},
            ),
            Mistake(
                "pool.forgot-padding",
                "完全忘了 padding（应加 2p）",
                {"out_floor": (h - k) // s + 1, "out_ceil": _ceil_out(h - k, s, h)},
            ),
        ]


def _ceil_out(span: int, s: int, h_left: int) -> int:
    """ceil_mode's output size for ``span = H + 2p - k``: windows up to the rounded-up count, the last one
    dropped when it would start at or past ``h_left`` (H + p: the input and its left padding)."""
    out = -(-span // s) + 1
    return out - 1 if (out - 1) * s >= h_left else out


# -- SPP --------------------------------------------------------------------------------------------

SPP_LEVELS = ("4,2,1", "3,2,1", "6,3,2,1", "5,3,1")


def _levels(text: str) -> list[int]:
    return [int(x) for x in text.split(",")]


@dataclass(frozen=True)
class _SppBinsParams(TypedParams):
    """SppBins's parameters, typed."""

    size: int
    levels: Literal["4,2,1", "3,2,1", "6,3,2,1", "5,3,1"]
    channels: int


@register
class SppBins(Family):
    id = "spp_bins"
    title = "SPP 金字塔池化的窗口与步长"
    topics = ("004-0035",)
    schema = {
        "size": Param("int", 6, 60),
        "levels": Param("choice", choices=SPP_LEVELS),
        "channels": Param("choice", choices=(256, 512)),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _SppBinsParams.of(p)
        if q.size < _levels(q.levels)[0]:
            return "the feature map is smaller than the finest pyramid level"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        return c["size"] >= _choice_table(SPP_LEVELS, c["levels"], lambda t: _levels(t)[0])

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _SppBinsParams.of(p)
        a, levels, ch = q.size, _levels(q.levels), q.channels
        n = levels[0]
        # SPP-Net's rule, as a plain reference: the smallest window that n windows can tile a with,
        # and the largest stride.
        window = next(w for w in range(1, a + 1) if w * n >= a)
        stride = max(t for t in range(1, a + 1) if t * n <= a)
        out = _meta_out(nn.MaxPool2d(window, stride=stride), a, ch)[-1]
        feat = 0
        for m in levels:
            shape = _meta_out(nn.AdaptiveMaxPool2d(m), a, ch)
            feat += math.prod(shape[1:])
        return {"window": window, "stride": stride, "out": out, "feat": feat}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        a = c["size"]
        n = _choice_table(SPP_LEVELS, c["levels"], lambda t: _levels(t)[0])
        sq = _choice_table(SPP_LEVELS, c["levels"], lambda t: sum(m * m for m in _levels(t)))
        ch = _choice_table(self.schema["channels"].choices, c["channels"])
        window, stride = torch.ceil(a / n), torch.floor(a / n)
        return {
            "window": window,
            "stride": stride,
            "out": torch.floor((a - window) / stride) + 1,
            "feat": ch * sq,
        }

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _SppBinsParams.of(p)
        a, levels, ch = q.size, _levels(q.levels), q.channels
        n = levels[0]
        grid = "、".join(f"{m}\\times{m}" for m in levels)
        return (
            f"SPP-Net 的空间金字塔池化：最后一层卷积输出 ${ch}$ 个通道、${a}\\times{a}$ 的特征图，金字塔各级为 "
            f"${grid}$。按 SPP-Net 的做法，每一级用一个普通的 max pooling（由 $a$ 和 $n$ 算出窗口与步长）实现。\n\n"
            f"1. ${n}\\times{n}$ 这一级的池化窗口边长是多少？\n"
            "2. 步长是多少？\n"
            f"3. 用 `nn.MaxPool2d(kernel_size=窗口, stride=步长)` 池化这张 ${a}\\times{a}$ 的图，输出边长实际是多少？\n"
            "4. 若每一级都正好输出 $n\\times n$（如 `nn.AdaptiveMaxPool2d(n)`），拼接后的定长向量有多少维？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        q = _SppBinsParams.of(p)
        levels = _levels(q.levels)
        n = levels[0]
        win, s, out, feat = w["window"], w["stride"], w["out"], w["feat"]
        return (
            Part("window", f"${n}\\times{n}$ 级的窗口边长", "int", win),
            Part("stride", "步长", "int", s),
            Part("out", "`MaxPool2d` 实际输出边长", "int", out),
            Part("feat", "拼接后的向量维数", "int", feat),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _SppBinsParams.of(p)
        a, levels, ch = q.size, _levels(q.levels), q.channels
        n = levels[0]
        win, s, out, feat = w["window"], w["stride"], w["out"], w["feat"]
        return (
            f"$$\\text{{win}}=\\left\\lceil\\frac{{a}}{{n}}\\right\\rceil=\\left\\lceil\\frac{{{a}}}{{{n}}}"
            f"\\right\\rceil={win},\\qquad \\text{{str}}=\\left\\lfloor\\frac{{a}}{{n}}\\right\\rfloor="
            f"\\left\\lfloor\\frac{{{a}}}{{{n}}}\\right\\rfloor={s}$$\n\n"
            f"$$H_{{out}}=\\left\\lfloor\\frac{{a-\\text{{win}}}}{{\\text{{str}}}}\\right\\rfloor+1="
            f"\\left\\lfloor\\frac{{{a}-{win}}}{{{s}}}\\right\\rfloor+1={out}$$"
            + ("" if out == n else f"（不等于 ${n}$：这套窗口/步长并不总能恰好得到 $n\\times n$）")
            + "\n\n"
            f"$$D=C\\sum_i n_i^2={ch}\\times({'+'.join(f'{m}^2' for m in levels)})"
            f"={ch}\\times{sum(m * m for m in levels)}={feat}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _SppBinsParams.of(p)
        a, levels, ch = q.size, _levels(q.levels), q.channels
        n = levels[0]
        return [
            Mistake("spp.window-floor", "窗口用了向下取整（应为 ⌈a/n⌉）", {"window": a // n}),
            Mistake("spp.stride-ceil", "步长用了向上取整（应为 ⌊a/n⌋）", {"stride": -(-a // n)}),
            Mistake("spp.assumed-n-bins", "以为这样池化总能得到 n×n", {"out": n}),
            Mistake("spp.forgot-channels", "定长向量维数忘了乘通道数", {"feat": sum(m * m for m in levels)}),
            Mistake("spp.levels-not-squared", "每级的 bin 数用了 n 而不是 n²", {"feat": ch * sum(levels)}),
        ]


# -- receptive field --------------------------------------------------------------------------------


def rf_by_gradient(layers: list[tuple[str, int, int, int]]) -> tuple[int, int]:
    """Receptive field and jump of a stack of layers, measured rather than computed.

    Runs real ``nn.Conv2d`` layers (all-ones weights) and ``nn.AvgPool2d`` layers (same window as the
    max pooling; an average spreads the gradient over the whole window) on a 1-pixel-wide column and
    back-propagates a one-hot gradient from output units 0 and 1: the receptive field is the span of
    input pixels with a non-zero gradient, the jump the distance between the two spans' starts.

    Args:
        layers: ``(kind, kernel, stride, dilation)`` per layer, kind ``"conv"`` or ``"pool"``.

    Returns:
        ``(receptive_field, jump)`` in input pixels.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a few tiny convolutions: a thread pool only adds latency
    try:
        return _rf_by_gradient(layers)
    finally:
        torch.set_num_threads(threads)


def _rf_by_gradient(layers: list[tuple[str, int, int, int]]) -> tuple[int, int]:
    length = 16
    while True:
        x = torch.zeros(1, 1, length, 1, dtype=torch.float64, requires_grad=True)
        y: torch.Tensor | None = x
        try:
            for kind, k, s, d in layers:
                if kind == "conv":
                    conv = nn.Conv2d(
                        1, 1, (k, 1), stride=(s, 1), dilation=(d, 1), bias=False, dtype=torch.float64
                    )
                    nn.init.ones_(conv.weight)
                    m: nn.Module = conv
                else:
                    m = nn.AvgPool2d((k, 1), stride=(s, 1))
                y = m(y)
        except RuntimeError:  # input too small for the stack
            y = None
        if y is not None and y.shape[2] >= 2:
            break
        length *= 2
    spans = []
    for unit in (0, 1):
        (g,) = torch.autograd.grad(y[0, 0, unit, 0], x, retain_graph=True)
        hit = torch.nonzero(g[0, 0, :, 0]).flatten().tolist()
        spans.append((hit[0], hit[-1]))
    return spans[0][1] - spans[0][0] + 1, spans[1][0] - spans[0][0]


MAX_LAYERS = 4


def _layer_schema() -> dict[str, Param]:
    schema: dict[str, Param] = {"n_layers": Param("int", 2, MAX_LAYERS)}
    for i in range(1, MAX_LAYERS + 1):
        schema[f"kind{i}"] = Param("choice", choices=("conv", "pool"))
        schema[f"k{i}"] = Param("int", 1, 5)
        schema[f"s{i}"] = Param("int", 1, 3)
        schema[f"d{i}"] = Param("int", 1, 3)
    return schema


def _layer_rows(layers: list[tuple[str, int, int, int]]) -> list[str]:
    """The stack as the prompt lists it, one numbered line per layer."""
    rows = []
    for i, (kind, k, s, d) in enumerate(layers, 1):
        if kind == "conv":
            rows.append(f"{i}. `nn.Conv2d(kernel_size={k}, stride={s}, dilation={d})`")
        else:
            rows.append(f"{i}. `nn.MaxPool2d(kernel_size={k}, stride={s})`")
    return rows


def _layers(p: dict[str, Any]) -> list[tuple[str, int, int, int]]:
    out = []
    for i in range(1, p["n_layers"] + 1):
        kind = p[f"kind{i}"]
        out.append((kind, p[f"k{i}"], p[f"s{i}"], p[f"d{i}"] if kind == "conv" else 1))
    return out


def _rf_textbook(
    layers: list[tuple[str, int, int, int]],
    *,
    dilation: bool = True,
    strides: bool = True,
    own_stride: bool = False,
) -> int:
    r, j = 1, 1
    for _, k, s, d in layers:
        eff = d * (k - 1) + 1 if dilation else k
        if own_stride:
            j *= s
        r += (eff - 1) * (j if strides else 1)
        if not own_stride:
            j *= s
    return r


@dataclass(frozen=True)
class _ReceptiveFieldParams(TypedParams):
    """ReceptiveField's parameters, typed."""

    n_layers: int
    kind1: Literal["conv", "pool"]
    k1: int
    s1: int
    d1: int
    kind2: Literal["conv", "pool"]
    k2: int
    s2: int
    d2: int
    kind3: Literal["conv", "pool"]
    k3: int
    s3: int
    d3: int
    kind4: Literal["conv", "pool"]
    k4: int
    s4: int
    d4: int


@register
class ReceptiveField(Family):
    id = "receptive_field"
    title = "卷积/池化堆叠的感受野"
    topics = ("003-0044", "001-0198")
    schema = _layer_schema()

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _ReceptiveFieldParams.of(p)
        for i in range(1, q.n_layers + 1):
            if p[f"kind{i}"] == "pool" and p[f"k{i}"] < 2:
                return f"layer {i}: a pooling window must be at least 2"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        ok = torch.ones_like(c["n_layers"], dtype=torch.bool)
        for i in range(1, MAX_LAYERS + 1):
            bad = (c["n_layers"] >= i) & (c[f"kind{i}"] == 1) & (c[f"k{i}"] < 2)
            ok = ok & ~bad
        return ok

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        rf, jump = rf_by_gradient(_layers(p))
        return {"rf": rf, "jump": jump}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        n = c["n_layers"]
        r = torch.ones_like(n)
        j = torch.ones_like(n)
        for i in range(1, MAX_LAYERS + 1):
            active = n >= i
            conv = c[f"kind{i}"] == 0
            d = torch.where(conv, c[f"d{i}"], torch.ones_like(n))
            eff = d * (c[f"k{i}"] - 1) + 1
            r = torch.where(active, r + (eff - 1) * j, r)
            j = torch.where(active, j * c[f"s{i}"], j)
        return {"rf": r, "jump": j}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        layers = _layers(p)
        rows = _layer_rows(layers)
        return (
            "下面的层从输入开始依次堆叠（padding 不影响感受野大小，略去）：\n\n" + "\n".join(rows) + "\n\n"
            "1. 最后一层输出上的一个位置，在输入图像上的感受野边长是多少？\n"
            "2. 最后一层输出上相邻两个位置，对应到输入上相隔多少像素（累计步长）？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        return (
            Part("rf", "感受野边长", "int", w["rf"]),
            Part("jump", "累计步长", "int", w["jump"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        layers = _layers(p)
        steps = [
            "$$r_0=1,\\quad j_0=1,\\qquad r_i=r_{i-1}+(k_{eff}-1)\\,j_{i-1},\\quad j_i=j_{i-1}s_i,"
            "\\quad k_{eff}=d(k-1)+1$$",
            "",
        ]
        r, j = 1, 1
        for i, (_kind, k, s, d) in enumerate(layers, 1):
            eff = d * (k - 1) + 1
            nr, nj = r + (eff - 1) * j, j * s
            steps.append(
                f"- 第 {i} 层：$k_{{eff}}={d}\\times({k}-1)+1={eff}$，"
                f"$r_{i}={r}+({eff}-1)\\times{j}={nr}$，$j_{i}={j}\\times{s}={nj}$"
            )
            r, j = nr, nj
        steps.append(f"\n感受野 ${r}$，累计步长 ${j}$。")
        return "\n".join(steps)

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        layers = _layers(p)
        return [
            Mistake(
                "rf.ignored-dilation",
                "忽略了 dilation（有效核大小为 d(k−1)+1）",
                {"rf": _rf_textbook(layers, dilation=False)},
            ),
            Mistake(
                "rf.ignored-strides",
                "没有乘前面各层的累计步长（直接把 k−1 相加）",
                {"rf": _rf_textbook(layers, strides=False)},
            ),
            Mistake(
                "rf.included-own-stride",
                "把本层的 stride 也乘进去了（只乘前面各层的）",
                {"rf": _rf_textbook(layers, own_stride=True)},
            ),
        ]
