"""Model cost: parameter counts, MACs / FLOPs and parameter memory of common layers.

Conventions used in every prompt here: 1 MAC (multiply-accumulate) = 2 FLOPs, bias additions and
activations are not counted in MACs/FLOPs, 1 MB = 2^20 bytes (MiB).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from engine.families.conv import _choice_table, rf_by_gradient
from engine.family import Family, TypedParams, register
from engine.formatting import fmt
from engine.values import Mistake, Param, Part

__all__ = [
    "BottleneckCost",
    "ConvFlops",
    "ConvParams",
    "DepthwiseSeparableCost",
    "FcParamsFlops",
    "GroupedConvCost",
    "ParamMemory",
    "StackedSmallKernels",
]

MACS_HINT = "（MACs/FLOPs 可写科学计数法，如 1.23e9）"


def _numel(module: nn.Module) -> int:
    """Number of parameters of a module: PyTorch's own count, ``sum(p.numel())``."""
    return sum(p.numel() for p in module.parameters())


def _run_flops(module: nn.Module, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """Output shape and FLOPs (2 per MAC) of ``module`` on a meta input, from ``FlopCounterMode``."""
    x = torch.empty(*shape, device="meta")  # (no ``torch.device`` context: with it the counter is 20x slower)
    with FlopCounterMode(display=False) as counter:
        y = module.to("meta")(x)
    return tuple(y.shape), int(counter.get_total_flops())


def _bias_mistakes(bias: bool, right: int, cout: int) -> list[Mistake]:
    if bias:
        return [
            Mistake("cost.bias-forgotten", "漏算了 bias（每个输出通道/神经元一个）", {"params": right - cout})
        ]
    return [Mistake("cost.bias-counted", "题目说明无 bias，却把 bias 算进去了", {"params": right + cout})]


def _bias_text(bias: bool) -> str:
    return "True" if bias else "False"


# -- standard conv ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ConvLayerParams(TypedParams):
    """ConvParams's parameters, typed."""

    cin: int
    cout: int
    kernel: int
    bias: bool


@register
class ConvParams(Family):
    id = "conv_params"
    title = "卷积层参数量"
    topics = ("001-0304", "002-0446", "003-0199", "001-0341")
    schema = {
        "cin": Param("int", 1, 512),
        "cout": Param("int", 1, 512),
        "kernel": Param("int", 1, 7),
        "bias": Param("choice", choices=(True, False)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _ConvLayerParams.of(p)
        conv = nn.Conv2d(q.cin, q.cout, q.kernel, bias=q.bias, device="meta")
        return {"params": _numel(conv)}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        has_bias = (c["bias"] == 0).to(torch.float64)
        return {"params": c["kernel"] ** 2 * c["cin"] * c["cout"] + has_bias * c["cout"]}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _ConvLayerParams.of(p)
        cin, cout, k, bias = q.cin, q.cout, q.kernel, q.bias
        return (
            f"`nn.Conv2d(in_channels={cin}, out_channels={cout}, kernel_size={k}, bias={_bias_text(bias)})` "
            "一共有多少个可学习参数？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        n = w["params"]
        return (Part("params", "参数量", "int", n),)

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _ConvLayerParams.of(p)
        cin, cout, k, bias = q.cin, q.cout, q.kernel, q.bias
        n = w["params"]
        return (
            "$$N=k^2\\,C_{in}\\,C_{out}" + ("+C_{out}" if bias else "") + "$$\n\n"
            f"$$={k}^2\\times{cin}\\times{cout}"
            + (f"+{cout}" if bias else "")
            + f"={k * k * cin * cout}"
            + (f"+{cout}" if bias else "")
            + f"={n}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _ConvLayerParams.of(p)
        cin, cout, k, bias = q.cin, q.cout, q.kernel, q.bias
        n = w["params"]
        b = cout if bias else 0
        return _bias_mistakes(bias, n, cout) + [
            Mistake(
                "cost.forgot-input-channels", "每个卷积核漏乘了输入通道数 C_in", {"params": k * k * cout + b}
            ),
            Mistake(
                "cost.kernel-not-squared", "卷积核面积写成了 k 而不是 k²", {"params": k * cin * cout + b}
            ),
        ]


@dataclass(frozen=True)
class _ConvFlopsParams(TypedParams):
    """ConvFlops's parameters, typed."""

    size: int
    cin: int
    cout: int
    kernel: int
    stride: int
    padding: int


@register
class ConvFlops(Family):
    id = "conv_flops"
    title = "卷积层的 MACs 与 FLOPs"
    topics = ("000-0030", "003-0199", "003-0232")
    schema = {
        "size": Param("int", 7, 224),
        "cin": Param("int", 1, 256),
        "cout": Param("int", 1, 256),
        "kernel": Param("int", 1, 7),
        "stride": Param("int", 1, 2),
        "padding": Param("int", 0, 3),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _ConvFlopsParams.of(p)
        if q.kernel > q.size + 2 * q.padding:
            return "the kernel is larger than the padded input"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        return c["kernel"] <= c["size"] + 2 * c["padding"]

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _ConvFlopsParams.of(p)
        conv = nn.Conv2d(
            q.cin,
            q.cout,
            q.kernel,
            stride=q.stride,
            padding=q.padding,
            bias=False,
            device="meta",
        )
        shape, flops = _run_flops(conv, (1, q.cin, q.size, q.size))
        return {"out": shape[-1], "macs": float(flops // 2), "flops": float(flops)}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out = torch.floor((c["size"] + 2 * c["padding"] - c["kernel"]) / c["stride"]) + 1
        macs = out * out * c["cout"] * c["kernel"] ** 2 * c["cin"]
        return {"out": out, "macs": macs, "flops": 2 * macs}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _ConvFlopsParams.of(p)
        h, cin, cout, k, s, pad = q.size, q.cin, q.cout, q.kernel, q.stride, q.padding
        return (
            f"输入为 ${cin}\\times{h}\\times{h}$（batch 为 1），经过 `nn.Conv2d({cin}, {cout}, kernel_size={k}, "
            f"stride={s}, padding={pad}, bias=False)`。约定 1 次乘加（MAC）= 2 FLOPs。\n\n"
            "1. 输出特征图边长是多少？\n2. 这一层的 MACs 是多少？\n3. FLOPs 是多少？" + MACS_HINT
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        o, macs = w["out"], w["macs"]
        return (
            Part("out", "输出边长", "int", o),
            Part("macs", "MACs", "real", macs),
            Part("flops", "FLOPs", "real", w["flops"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _ConvFlopsParams.of(p)
        h, cin, cout, k, s, pad = q.size, q.cin, q.cout, q.kernel, q.stride, q.padding
        o, macs = w["out"], w["macs"]
        return (
            f"$$H_{{out}}=\\left\\lfloor\\frac{{{h}+2\\times{pad}-{k}}}{{{s}}}\\right\\rfloor+1={o}$$\n\n"
            "每个输出元素做 $k^2C_{in}$ 次乘加，输出共 $C_{out}H_{out}^2$ 个元素：\n\n"
            f"$$\\text{{MACs}}=C_{{out}}H_{{out}}^2\\cdot k^2C_{{in}}={cout}\\times{o}^2\\times{k}^2\\times{cin}"
            f"={fmt(macs)}$$\n\n$$\\text{{FLOPs}}=2\\times\\text{{MACs}}={fmt(w['flops'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _ConvFlopsParams.of(p)
        h, cin, cout, k = q.size, q.cin, q.cout, q.kernel
        o, macs = w["out"], w["macs"]
        wrong_c = float(o * o * cout * k * k)
        wrong_in = float(h * h * cout * k * k * cin)
        wrong_k = float(o * o * cout * k * cin)
        return [
            Mistake(
                "cost.flops-vs-macs",
                "把 FLOPs 和 MACs 弄混了（1 MAC = 2 FLOPs）",
                {"macs": w["flops"], "flops": macs},
            ),
            Mistake("cost.flops-not-doubled", "FLOPs 填了 MACs 的数（1 MAC = 2 FLOPs）", {"flops": macs}),
            Mistake(
                "cost.forgot-input-channels",
                "每个输出元素的乘加次数漏乘了 C_in",
                {"macs": wrong_c, "flops": 2 * wrong_c},
            ),
            Mistake(
                "cost.used-input-size",
                "用了输入尺寸而不是输出尺寸（忽略了 stride/padding）",
                {"macs": wrong_in, "flops": 2 * wrong_in},
            ),
            Mistake(
                "cost.kernel-not-squared",
                "卷积核面积写成了 k 而不是 k²",
                {"macs": wrong_k, "flops": 2 * wrong_k},
            ),
        ]


# -- depthwise separable ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _DepthwiseSeparableCostParams(TypedParams):
    """DepthwiseSeparableCost's parameters, typed."""

    size: int
    cin: int
    cout: int
    kernel: int


@register
class DepthwiseSeparableCost(Family):
    id = "depthwise_separable_cost"
    title = "深度可分离卷积的参数量与计算量"
    topics = ("000-0030", "001-0172", "001-0341")
    schema = {
        "size": Param("int", 7, 112),
        "cin": Param("int", 8, 512),
        "cout": Param("int", 8, 512),
        "kernel": Param("choice", choices=(3, 5)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _DepthwiseSeparableCostParams.of(p)
        cin, cout, k, h = q.cin, q.cout, q.kernel, q.size
        std = nn.Conv2d(cin, cout, k, padding=k // 2, bias=False, device="meta")
        dws = nn.Sequential(
            nn.Conv2d(cin, cin, k, padding=k // 2, groups=cin, bias=False, device="meta"),
            nn.Conv2d(cin, cout, 1, bias=False, device="meta"),
        )
        _, f_std = _run_flops(std, (1, cin, h, h))
        _, f_dws = _run_flops(dws, (1, cin, h, h))
        return {
            "params_std": _numel(std),
            "params_dws": _numel(dws),
            "macs_dws": float(f_dws // 2),
            "ratio": f_dws / f_std,
        }

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        k = _choice_table(self.schema["kernel"].choices, c["kernel"])
        cin, cout, h = c["cin"], c["cout"], c["size"]
        dws = k * k * cin + cin * cout
        return {
            "params_std": k * k * cin * cout,
            "params_dws": dws,
            "macs_dws": h * h * dws,
            "ratio": 1 / cout + 1 / (k * k),
        }

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _DepthwiseSeparableCostParams.of(p)
        h, cin, cout, k = q.size, q.cin, q.cout, q.kernel
        return (
            f"输入 ${cin}\\times{h}\\times{h}$，要得到 ${cout}\\times{h}\\times{h}$ 的输出（stride 1，same padding，"
            f"均不含 bias）。比较标准 ${k}\\times{k}$ 卷积与深度可分离卷积（${k}\\times{k}$ depthwise，"
            "`groups=C_in`，再接 $1\\times1$ pointwise）。\n\n"
            "1. 标准卷积的参数量？\n2. 深度可分离卷积（两层合计）的参数量？\n"
            "3. 深度可分离卷积的 MACs？\n4. 深度可分离 / 标准卷积的计算量之比？" + MACS_HINT
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        std, dws = w["params_std"], w["params_dws"]
        return (
            Part("params_std", "标准卷积参数量", "int", std),
            Part("params_dws", "深度可分离卷积参数量", "int", dws),
            Part("macs_dws", "深度可分离卷积 MACs", "real", w["macs_dws"]),
            Part("ratio", "计算量之比", "real", w["ratio"], ratio=True),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _DepthwiseSeparableCostParams.of(p)
        h, cin, cout, k = q.size, q.cin, q.cout, q.kernel
        std, dws = w["params_std"], w["params_dws"]
        return (
            f"$$N_{{std}}=k^2C_{{in}}C_{{out}}={k}^2\\times{cin}\\times{cout}={std}$$\n\n"
            f"$$N_{{dw}}+N_{{pw}}=k^2C_{{in}}+C_{{in}}C_{{out}}={k * k * cin}+{cin * cout}={dws}$$\n\n"
            f"$$\\text{{MACs}}=H^2(k^2C_{{in}}+C_{{in}}C_{{out}})={h}^2\\times{dws}={fmt(w['macs_dws'])}$$\n\n"
            f"$$\\frac{{1}}{{C_{{out}}}}+\\frac{{1}}{{k^2}}=\\frac{{1}}{{{cout}}}+\\frac{{1}}{{{k * k}}}"
            f"={fmt(w['ratio'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _DepthwiseSeparableCostParams.of(p)
        h, cin, cout, k = q.size, q.cin, q.cout, q.kernel
        std, dws = w["params_std"], w["params_dws"]
        full = k * k * cin * cin + cin * cout
        dw_only = k * k * cin
        return [
            Mistake(
                "cost.depthwise-groups-ignored",
                "depthwise 卷积没有按 groups=C_in 计算（当成了全连接通道）",
                {"params_dws": full, "macs_dws": float(h * h * full), "ratio": full / std},
            ),
            Mistake(
                "cost.forgot-pointwise",
                "漏算了 1×1 pointwise 卷积",
                {"params_dws": dw_only, "macs_dws": float(h * h * dw_only), "ratio": dw_only / std},
            ),
            Mistake("cost.ratio-inverted", "比值算反了（标准 / 深度可分离）", {"ratio": std / dws}),
            Mistake(
                "cost.flops-vs-macs", "把 FLOPs 当成了 MACs（多乘了 2）", {"macs_dws": 2 * w["macs_dws"]}
            ),
        ]


# -- grouped conv ----------------------------------------------------------------------------------

CHANNELS = (32, 64, 96, 128, 192, 256, 384, 512)


@dataclass(frozen=True)
class _GroupedConvCostParams(TypedParams):
    """GroupedConvCost's parameters, typed."""

    size: int
    cin: int
    cout: int
    groups: int
    kernel: int


@register
class GroupedConvCost(Family):
    id = "grouped_conv_cost"
    title = "分组卷积的参数量与计算量"
    topics = ("001-0172", "001-0341")
    schema = {
        "size": Param("int", 7, 56),
        "cin": Param("choice", choices=CHANNELS),
        "cout": Param("choice", choices=CHANNELS),
        "groups": Param("choice", choices=(2, 4, 8, 16, 32)),
        "kernel": Param("choice", choices=(1, 3, 5)),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        q = _GroupedConvCostParams.of(p)
        if q.cin % q.groups or q.cout % q.groups:
            return "groups must divide both in_channels and out_channels"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        g = _choice_table(self.schema["groups"].choices, c["groups"])
        return (torch.remainder(_choice_table(CHANNELS, c["cin"]), g) == 0) & (
            torch.remainder(_choice_table(CHANNELS, c["cout"]), g) == 0
        )

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _GroupedConvCostParams.of(p)
        k = q.kernel
        conv = nn.Conv2d(q.cin, q.cout, k, padding=k // 2, groups=q.groups, bias=False, device="meta")
        _, flops = _run_flops(conv, (1, q.cin, q.size, q.size))
        return {"params": _numel(conv), "macs": float(flops // 2)}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        cin = _choice_table(CHANNELS, c["cin"])
        cout = _choice_table(CHANNELS, c["cout"])
        g = _choice_table(self.schema["groups"].choices, c["groups"])
        k = _choice_table(self.schema["kernel"].choices, c["kernel"])
        params = k * k * cin * cout / g
        return {"params": params, "macs": c["size"] ** 2 * params}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _GroupedConvCostParams.of(p)
        h, cin, cout, g, k = q.size, q.cin, q.cout, q.groups, q.kernel
        return (
            f"输入 ${cin}\\times{h}\\times{h}$，经过 `nn.Conv2d({cin}, {cout}, kernel_size={k}, padding={k // 2}, "
            f"groups={g}, bias=False)`（输出 ${cout}\\times{h}\\times{h}$）。\n\n"
            "1. 参数量是多少？\n2. MACs 是多少？" + MACS_HINT
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        n, macs = w["params"], w["macs"]
        return (Part("params", "参数量", "int", n), Part("macs", "MACs", "real", macs))

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _GroupedConvCostParams.of(p)
        h, cin, cout, g, k = q.size, q.cin, q.cout, q.groups, q.kernel
        n, macs = w["params"], w["macs"]
        return (
            "每组把 $C_{in}/g$ 个输入通道映射到 $C_{out}/g$ 个输出通道，共 $g$ 组：\n\n"
            f"$$N=g\\cdot k^2\\cdot\\frac{{C_{{in}}}}{{g}}\\cdot\\frac{{C_{{out}}}}{{g}}=\\frac{{k^2C_{{in}}C_{{out}}}}{{g}}"
            f"=\\frac{{{k}^2\\times{cin}\\times{cout}}}{{{g}}}={n}$$\n\n"
            f"$$\\text{{MACs}}=H^2\\cdot N={h}^2\\times{n}={fmt(macs)}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _GroupedConvCostParams.of(p)
        h, cin, cout, g, k = q.size, q.cin, q.cout, q.groups, q.kernel
        macs = w["macs"]
        full = k * k * cin * cout
        one = k * k * (cin // g) * (cout // g)
        return [
            Mistake(
                "cost.groups-ignored",
                "忽略了 groups（按普通卷积计算）",
                {"params": full, "macs": float(h * h * full)},
            ),
            Mistake(
                "cost.groups-one-group-only",
                "只算了一组（漏乘组数 g）",
                {"params": one, "macs": float(h * h * one)},
            ),
            Mistake("cost.flops-vs-macs", "把 FLOPs 当成了 MACs（多乘了 2）", {"macs": 2 * macs}),
        ]


# -- bottleneck ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BottleneckCostParams(TypedParams):
    """BottleneckCost's parameters, typed."""

    channels: int
    reduction: int


@register
class BottleneckCost(Family):
    id = "bottleneck_cost"
    title = "1×1 瓶颈结构与普通 3×3 卷积的参数量"
    topics = ("001-0172", "001-0341")
    schema = {
        "channels": Param("choice", choices=(64, 128, 192, 256, 384, 512, 1024, 2048)),
        "reduction": Param("choice", choices=(2, 4, 8)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _BottleneckCostParams.of(p)
        c, m = q.channels, q.channels // q.reduction
        block = nn.Sequential(
            nn.Conv2d(c, m, 1, bias=False, device="meta"),
            nn.Conv2d(m, m, 3, padding=1, bias=False, device="meta"),
            nn.Conv2d(m, c, 1, bias=False, device="meta"),
        )
        plain = nn.Conv2d(c, c, 3, padding=1, bias=False, device="meta")
        nb, npl = _numel(block), _numel(plain)
        return {"params_bottleneck": nb, "params_plain": npl, "ratio": nb / npl}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        ch = _choice_table(self.schema["channels"].choices, c["channels"])
        m = ch / _choice_table(self.schema["reduction"].choices, c["reduction"])
        nb = 2 * ch * m + 9 * m * m
        return {"params_bottleneck": nb, "params_plain": 9 * ch * ch, "ratio": nb / (9 * ch * ch)}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _BottleneckCostParams.of(p)
        c, r = q.channels, q.reduction
        m = c // r
        return (
            f"输入输出都是 ${c}$ 个通道（卷积均不含 bias，空间尺寸不变）。\n\n"
            f"- 瓶颈结构：$1\\times1$ 卷积 ${c}\\to{m}$，$3\\times3$ 卷积 ${m}\\to{m}$，$1\\times1$ 卷积 ${m}\\to{c}$；\n"
            f"- 普通结构：一个 $3\\times3$ 卷积 ${c}\\to{c}$。\n\n"
            "1. 瓶颈结构三层合计的参数量？\n2. 普通结构的参数量？\n3. 瓶颈 / 普通 的参数量之比？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        nb, npl = w["params_bottleneck"], w["params_plain"]
        return (
            Part("params_bottleneck", "瓶颈结构参数量", "int", nb),
            Part("params_plain", "普通 3×3 卷积参数量", "int", npl),
            Part("ratio", "参数量之比", "real", w["ratio"], ratio=True),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _BottleneckCostParams.of(p)
        c, r = q.channels, q.reduction
        m = c // r
        nb, npl = w["params_bottleneck"], w["params_plain"]
        return (
            f"$$N_{{bottleneck}}={c}\\times{m}+3^2\\times{m}\\times{m}+{m}\\times{c}"
            f"={c * m}+{9 * m * m}+{m * c}={nb}$$\n\n"
            f"$$N_{{plain}}=3^2\\times{c}\\times{c}={npl}$$\n\n"
            f"$$\\frac{{{nb}}}{{{npl}}}={fmt(w['ratio'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _BottleneckCostParams.of(p)
        c, r = q.channels, q.reduction
        m = c // r
        nb, npl = w["params_bottleneck"], w["params_plain"]
        no_expand = c * m + 9 * m * m
        k3b, k3p = c * m + 3 * m * m + m * c, 3 * c * c
        return [
            Mistake(
                "cost.bottleneck-forgot-expand",
                "漏算了最后把通道升回去的 1×1 卷积",
                {"params_bottleneck": no_expand, "ratio": no_expand / npl},
            ),
            Mistake(
                "cost.kernel-not-squared",
                "3×3 卷积核面积写成了 3 而不是 9",
                {"params_bottleneck": k3b, "params_plain": k3p, "ratio": k3b / k3p},
            ),
            Mistake("cost.ratio-inverted", "比值算反了（普通 / 瓶颈）", {"ratio": npl / nb}),
        ]


# -- fully connected -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FcParamsFlopsParams(TypedParams):
    """FcParamsFlops's parameters, typed."""

    channels: int
    spatial: int
    out: int
    batch: int
    bias: bool


@register
class FcParamsFlops(Family):
    id = "fc_params_flops"
    title = "全连接层的参数量与 FLOPs"
    topics = ("003-0229", "003-0232")
    schema = {
        "channels": Param("int", 1, 512),
        "spatial": Param("int", 1, 7),
        "out": Param("int", 1, 4096),
        "batch": Param("int", 1, 64),
        "bias": Param("choice", choices=(True, False)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _FcParamsFlopsParams.of(p)
        c, s = q.channels, q.spatial
        fc = nn.Sequential(nn.Flatten(), nn.Linear(c * s * s, q.out, bias=q.bias, device="meta"))
        _, flops = _run_flops(fc, (q.batch, c, s, s))
        return {"params": _numel(fc), "flops": float(flops)}

    def closed_form(self, cl: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        n_in = cl["channels"] * cl["spatial"] ** 2
        has_bias = (cl["bias"] == 0).to(torch.float64)
        return {
            "params": n_in * cl["out"] + has_bias * cl["out"],
            "flops": 2 * cl["batch"] * n_in * cl["out"],
        }

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _FcParamsFlopsParams.of(p)
        c, s, o, bsz, bias = q.channels, q.spatial, q.out, q.batch, q.bias
        return (
            f"一个 batch 有 ${bsz}$ 个样本，每个样本的特征图为 ${c}\\times{s}\\times{s}$，展平（`nn.Flatten()`）后接 "
            f"`nn.Linear(in_features, {o}, bias={_bias_text(bias)})`。约定 1 MAC = 2 FLOPs，不计 bias 加法。\n\n"
            "1. 这个全连接层的参数量？\n2. 整个 batch 前向的 FLOPs？" + MACS_HINT
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        n, flops = w["params"], w["flops"]
        return (Part("params", "参数量", "int", n), Part("flops", "FLOPs", "real", flops))

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _FcParamsFlopsParams.of(p)
        c, s, o, bsz, bias = q.channels, q.spatial, q.out, q.batch, q.bias
        n, flops = w["params"], w["flops"]
        n_in = c * s * s
        return (
            f"$$n_{{in}}={c}\\times{s}\\times{s}={n_in}$$\n\n"
            f"$$N=n_{{in}}\\,n_{{out}}"
            + ("+n_{out}" if bias else "")
            + f"={n_in}\\times{o}"
            + (f"+{o}" if bias else "")
            + f"={n}$$\n\n"
            f"$$\\text{{FLOPs}}=2\\,B\\,n_{{in}}\\,n_{{out}}=2\\times{bsz}\\times{n_in}\\times{o}={fmt(flops)}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _FcParamsFlopsParams.of(p)
        c, o, bsz, bias = q.channels, q.out, q.batch, q.bias
        n, flops = w["params"], w["flops"]
        b = o if bias else 0
        return _bias_mistakes(bias, n, o) + [
            Mistake("cost.flops-vs-macs", "把 MACs 当成了 FLOPs（少乘了 2）", {"flops": flops / 2}),
            Mistake("cost.forgot-batch", "只算了一个样本（漏乘 batch）", {"flops": flops / bsz}),
            Mistake(
                "cost.fc-forgot-spatial",
                "输入维数只算了通道数（忘了展平 H×W）",
                {"params": c * o + b, "flops": float(2 * bsz * c * o)},
            ),
        ]


# -- memory ----------------------------------------------------------------------------------------

DTYPES = ("float32", "float16", "bfloat16", "float64", "int8")
_BITS = {"float32": 32, "float16": 16, "bfloat16": 16, "float64": 64, "int8": 8}
MIB = 2**20


@dataclass(frozen=True)
class _ParamMemoryParams(TypedParams):
    """ParamMemory's parameters, typed."""

    n_params: int
    dtype: Literal["float32", "float16", "bfloat16", "float64", "int8"]


@register
class ParamMemory(Family):
    id = "param_memory"
    title = "参数占用的内存"
    topics = ("003-0232",)
    schema = {
        "n_params": Param("int", 1_000, 500_000_000),
        "dtype": Param("choice", choices=DTYPES),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _ParamMemoryParams.of(p)
        t = torch.empty(q.n_params, dtype=getattr(torch, q.dtype), device="meta")
        return {"bytes": t.nbytes, "mib": t.nbytes / MIB}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        size = _choice_table(DTYPES, c["dtype"], lambda d: _BITS[d] / 8)
        nbytes = c["n_params"] * size
        return {"bytes": nbytes, "mib": nbytes / 1024 / 1024}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _ParamMemoryParams.of(p)
        n, dt = q.n_params, q.dtype
        n_tex = f"{n:,}".replace(",", "{,}")
        return (
            f"一个模型有 ${n_tex}$ 个参数，全部以 `torch.{dt}` 存储。本题中 1 KB = 1024 字节，"
            "1 MB = $1024\\times1024$ 字节（即 MiB）。\n\n1. 参数共占多少字节？\n2. 合多少 MB？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        nbytes, mib = w["bytes"], w["mib"]
        return (
            Part("bytes", "字节数", "int", nbytes),
            Part("mib", "MB（MiB）", "real", mib, unit="MB"),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _ParamMemoryParams.of(p)
        n, dt = q.n_params, q.dtype
        nbytes, mib = w["bytes"], w["mib"]
        bits = _BITS[dt]
        return (
            f"`{dt}` 每个元素 ${bits}$ bit $={bits // 8}$ 字节：\n\n"
            f"$$\\text{{bytes}}={n}\\times{bits // 8}={nbytes}$$\n\n"
            f"$$\\text{{MB}}=\\frac{{{nbytes}}}{{1024\\times1024}}={fmt(mib)}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _ParamMemoryParams.of(p)
        n, dt = q.n_params, q.dtype
        nbytes = w["bytes"]
        bits = _BITS[dt]
        return [
            Mistake(
                "cost.mb-1000-vs-1024",
                "MB 按 10^6 字节换算了（本题 1 MB = 2^20 字节）",
                {"mib": nbytes / 1e6},
            ),
            Mistake(
                "cost.bits-vs-bytes", "把位数（bit）当成了字节数", {"bytes": n * bits, "mib": n * bits / MIB}
            ),
            Mistake(
                "cost.assumed-fp32", "默认每个参数 4 字节（没看 dtype）", {"bytes": 4 * n, "mib": 4 * n / MIB}
            ),
            Mistake("cost.divided-by-1024-once", "只除了一次 1024（得到的是 KB）", {"mib": nbytes / 1024}),
        ]


# -- stacked 3x3 -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _StackedSmallKernelsParams(TypedParams):
    """StackedSmallKernels's parameters, typed."""

    n: int
    channels: int


@register
class StackedSmallKernels(Family):
    id = "stacked_small_kernels"
    title = "堆叠小卷积核 vs 一个大卷积核"
    topics = ("001-0782", "001-0337", "002-0545")
    schema = {
        "n": Param("int", 2, 4),
        "channels": Param("int", 16, 512),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _StackedSmallKernelsParams.of(p)
        n, c = q.n, q.channels
        rf, _ = rf_by_gradient([("conv", 3, 1, 1)] * n)
        stack = nn.Sequential(*[nn.Conv2d(c, c, 3, padding=1, bias=False, device="meta") for _ in range(n)])
        big = nn.Conv2d(c, c, rf, padding=rf // 2, bias=False, device="meta")
        return {"rf": rf, "params_stack": _numel(stack), "params_big": _numel(big)}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        n, ch = c["n"], c["channels"]
        return {"rf": 2 * n + 1, "params_stack": 9 * n * ch * ch, "params_big": (2 * n + 1) ** 2 * ch * ch}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _StackedSmallKernelsParams.of(p)
        n, c = q.n, q.channels
        return (
            f"${n}$ 个 $3\\times3$ 卷积（stride 1，输入输出都是 ${c}$ 通道，不含 bias）依次堆叠。\n\n"
            "1. 堆叠后的感受野边长 $K$？\n2. 这 "
            f"${n}$ 层合计的参数量？\n3. 换成一个感受野相同的 $K\\times K$ 卷积（${c}\\to{c}$，不含 bias），参数量是多少？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        rf, ns, nb = w["rf"], w["params_stack"], w["params_big"]
        return (
            Part("rf", "感受野边长 K", "int", rf),
            Part("params_stack", "堆叠的参数量", "int", ns),
            Part("params_big", "大卷积核的参数量", "int", nb),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _StackedSmallKernelsParams.of(p)
        n, c = q.n, q.channels
        rf, ns, nb = w["rf"], w["params_stack"], w["params_big"]
        return (
            f"每层 $3\\times3$（stride 1）让感受野增加 2：$K=1+{n}\\times2={rf}$。\n\n"
            f"$$N_{{stack}}={n}\\times3^2\\times{c}^2={ns}$$\n\n"
            f"$$N_{{big}}={rf}^2\\times{c}^2={nb}$$\n\n"
            f"参数量之比 ${fmt(ns / nb)}$，而且堆叠还多了 ${n - 1}$ 个非线性。"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _StackedSmallKernelsParams.of(p)
        n, c = q.n, q.channels
        rf = w["rf"]
        return [
            Mistake("rf.sum-of-kernels", "把各层核大小直接相加（应为 1+Σ(k−1)）", {"rf": 3 * n}),
            Mistake("cost.stack-counted-one-layer", "只算了一层 3×3 的参数", {"params_stack": 9 * c * c}),
            Mistake(
                "cost.forgot-input-channels",
                "卷积核漏乘了输入通道数",
                {"params_stack": 9 * n * c, "params_big": rf * rf * c},
            ),
            Mistake(
                "cost.kernel-not-squared",
                "卷积核面积写成了 k 而不是 k²",
                {"params_stack": 3 * n * c * c, "params_big": rf * c * c},
            ),
        ]
