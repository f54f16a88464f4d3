"""Receptive field: the effective receptive field of a stack of convolutions, from the gradient of one
centre output with respect to the input, next to the analytic size.

The stack is ``layers`` ``nn.Conv2d(8, 8, kernel, stride, dilation=dilation)`` layers without padding
(the first one takes one input channel), with random weights. The analytic receptive field is
:math:`r = 1 + \\sum_l d_l (k_l - 1) \\prod_{j<l} s_j`. Two gradients are taken:

* without activations (a linear stack), averaged in absolute value over random inputs: its non-zero
  support is exactly :math:`r \\times r`, which the run measures;
* with the chosen ``activation`` (ReLU by default), averaged in absolute value over ``samples`` random
  inputs: the *effective* receptive field (Luo et al., 2016), concentrated near the centre; the run
  reports the side of the smallest centred square that holds 90% of the gradient mass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from engine import Param
from engine.demos.base import Demo, Figure, Output, Question, Setting, register, rounded

__all__ = ["ReceptiveField", "analytic_rf", "jump"]

MAX_RF = 129
CHANNELS = 8
MASS = 0.9


def analytic_rf(layers: int, kernel: int, stride: int, dilation: int) -> int:
    """:math:`1 + \\sum_l d(k-1) s^{l-1}` for ``layers`` equal layers.

    Example:
        >>> analytic_rf(3, 3, 1, 1), analytic_rf(2, 3, 2, 1)
        (7, 7)
    """
    return 1 + sum(dilation * (kernel - 1) * stride**i for i in range(layers))


def jump(layers: int, stride: int) -> int:
    """The distance in input pixels between neighbouring outputs: the product of the strides."""
    return int(stride**layers)


def _stack(p: Mapping[str, Any]) -> nn.ModuleList:
    return nn.ModuleList(
        nn.Conv2d(1 if i == 0 else CHANNELS, CHANNELS, p["kernel"], p["stride"], dilation=p["dilation"])
        for i in range(p["layers"])
    )


def _centre_grad(
    convs: nn.ModuleList, x: torch.Tensor, act: Callable[[torch.Tensor], torch.Tensor] | None
) -> torch.Tensor:
    """Mean over the batch of |∂ out[centre] / ∂ x|, summed over output channels."""
    x = x.clone().requires_grad_(True)
    h = x
    for i, conv in enumerate(convs):
        h = conv(h)
        if act is not None and i < len(convs) - 1:
            h = act(h)
    c = h.shape[-1] // 2
    h[:, :, c, c].sum().backward()
    assert x.grad is not None
    return x.grad.abs().mean(dim=(0, 1))


def _support(g: torch.Tensor) -> tuple[int, int]:
    """Height and width of the bounding box of the non-zero entries."""
    nz = (g > 0).nonzero()
    return int(nz[:, 0].max() - nz[:, 0].min() + 1), int(nz[:, 1].max() - nz[:, 1].min() + 1)


def _mass_side(g: torch.Tensor, cy: int, cx: int, mass: float) -> int:
    """Side of the smallest centred square (odd side) around ``(cy, cx)`` holding ``mass`` of ``g``."""
    total = float(g.sum())
    for half in range(g.shape[0]):
        win = g[max(0, cy - half) : cy + half + 1, max(0, cx - half) : cx + half + 1]
        if float(win.sum()) >= mass * total:
            return 2 * half + 1
    return g.shape[0]


@register
class ReceptiveField(Demo):
    id = "receptive_field"
    title = "感受野：卷积堆叠的有效感受野与理论大小"
    title_en = "Receptive field: the effective receptive field of a conv stack and its analytic size"
    summary = "卷积堆叠中心输出对输入的梯度：有效感受野的范围与理论公式的对比。"
    topics = ("003-0044",)
    schema = {
        "layers": Setting(Param("int", 1, 10), 5, "卷积层数"),
        "kernel": Setting(Param("choice", choices=(3, 5, 7)), 3, "卷积核大小"),
        "stride": Setting(Param("choice", choices=(1, 2)), 1, "步幅"),
        "dilation": Setting(Param("choice", choices=(1, 2)), 1, "空洞率（dilation）"),
        "activation": Setting(Param("choice", choices=("relu", "none")), "relu", "激活函数"),
        "samples": Setting(Param("choice", choices=(8, 32, 64)), 32, "随机输入个数"),
    }

    def constraint(self, p: Mapping[str, Any]) -> str | None:
        r = analytic_rf(p["layers"], p["kernel"], p["stride"], p["dilation"])
        if r > MAX_RF:
            return f"the receptive field of this stack is {r} pixels; at most {MAX_RF} are shown"
        return None

    def question(self, p: Mapping[str, Any]) -> Question:
        return Question(
            f"包含 {MASS:.0%} 梯度（绝对值）的中心方块，边长与理论感受野相比如何？",
            ("与理论感受野一样大", "理论感受野的一半到全部之间", "不到理论感受野的一半"),
        )

    def compute(
        self, p: Mapping[str, Any], *, device: torch.device, report: Callable[[float], None]
    ) -> Output:
        r = analytic_rf(p["layers"], p["kernel"], p["stride"], p["dilation"])
        j = jump(p["layers"], p["stride"])
        margin = j * max(1, -(-4 // j))  # at least 4 pixels of input around the field
        size = r + 2 * margin  # valid convolutions: (size - r) / j + 1 = an odd number of outputs
        convs = _stack(p).to(device)
        x = torch.randn(p["samples"], 1, size, size).to(device)
        linear = _centre_grad(convs, x, None).cpu()
        report(0.4)
        act = torch.relu if p["activation"] == "relu" else None
        erf = _centre_grad(convs, x, act).cpu()
        report(0.8)
        support_h, support_w = _support(linear)
        out_size = (size - r) // j + 1
        top = (out_size // 2) * j  # input rows/cols of the centre output's field: [top, top + r)
        centre = top + r // 2
        side = _mass_side(erf, centre, centre, MASS)
        side_linear = _mass_side(linear, centre, centre, MASS)
        ratio = side / r
        answer = 0 if side >= r else (1 if ratio >= 0.5 else 2)
        peak = float(erf.max())
        field = erf[top : top + r, top : top + r]
        ring = torch.cat([field[0], field[-1], field[:, 0], field[:, -1]])
        edge = float(ring.max()) / max(float(erf[centre, centre]), 1e-30)
        explanation = (
            f"{p['layers']} 层 {p['kernel']}×{p['kernel']} 卷积（步幅 {p['stride']}，空洞率 {p['dilation']}）："
            f"理论感受野 r = 1 + Σ d(k−1)·∏s = {r}；中心输出对输入的梯度（无激活）的非零区域为 "
            f"{support_h}×{support_w}。有效感受野：{p['samples']} 个随机输入上平均的梯度绝对值，"
            f"含 {MASS:.0%} 梯度的中心方块边长为 {side}（{p['activation']}），占理论值的 {ratio:.0%}；"
            f"无激活时为 {side_linear}。梯度集中在中心、向边缘近似高斯地衰减：理论感受野边缘上最大的梯度只有"
            f"中心像素的 {edge:.2%}，边缘像素只通过很少的路径影响输出。"
        )
        figures = [
            Figure("analytic_rf", "理论感受野", r, "px"),
            Figure("support", "梯度非零区域边长", support_w, "px"),
            Figure("effective_side", f"含 {MASS:.0%} 梯度的方块边长", side, "px"),
            Figure("edge_over_centre", "感受野边缘最大梯度 / 中心梯度", edge),
        ]
        lo, hi = max(0, top - margin), min(size, top + r + margin)
        return Output(
            series={
                "input_size": size,
                "field": [top, top + r],
                "centre": centre,
                "erf": [rounded(row, 4) for row in (erf / peak)[lo:hi, lo:hi]],
                "erf_origin": lo,
                "profile": rounded(erf[centre] / peak, 4),
                "linear_profile": rounded(linear[centre] / float(linear.max()), 4),
            },
            figures=figures,
            explanation=explanation,
            answer=answer,
            why=f"含 {MASS:.0%} 梯度的方块边长 {side}，理论感受野 {r}（{ratio:.0%}）。",
        )
