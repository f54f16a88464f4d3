"""Gradient flow: per-layer gradient norms against depth for sigmoid and ReLU MLPs, without and with
BatchNorm, without and with residual connections (eight networks).

Hidden layer ``l`` computes :math:`z_l = W_l a_{l-1} + b_l` (BatchNorm: :math:`z_l = \\mathrm{BN}(W_l
a_{l-1})`), :math:`h_l = \\phi(z_l)`, and :math:`a_l = h_l` (residual: :math:`a_l = a_{l-1} + h_l`); a
linear head maps :math:`a_L` to 10 logits, the loss is the cross-entropy against random labels. The
input is N(0, 1). Initialisation (``init``): ``matched`` uses Xavier for sigmoid and He for ReLU.

For each layer the run records :math:`\\|\\partial L/\\partial W_l\\|_F` (what optimizers see),
:math:`\\|\\partial L/\\partial a_l\\|_F` (the signal flowing back) and the spectral norm
:math:`\\|W_l\\|_2`. Without BN and residuals, :math:`\\partial L/\\partial a_{l-1} = W_l^\\top
(\\phi'(z_l) \\odot \\partial L/\\partial a_l)`, and :math:`\\sigma' \\le 1/4` gives
:math:`\\|\\partial L/\\partial a_{l-1}\\| \\le \\tfrac14 \\|W_l\\|_2 \\|\\partial L/\\partial a_l\\|`: with
weights of spectral norm about 2 the sigmoid signal at least halves at every layer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from engine import Param
from engine.demos.base import Demo, Figure, Output, Question, Setting, register, rounded

__all__ = ["CONFIGS", "GradientFlow", "config_name"]

CONFIGS = tuple(
    (act, bn, res) for act in ("sigmoid", "relu") for bn in (False, True) for res in (False, True)
)


def config_name(act: str, bn: bool, res: bool) -> str:
    """``sigmoid``, ``relu+BN``, ``sigmoid+残差``, ``relu+BN+残差`` ..."""
    return act + ("+BN" if bn else "") + ("+残差" if res else "")


class _Net(nn.Module):
    def __init__(self, width: int, depth: int, act: str, bn: bool, res: bool, init: str) -> None:
        super().__init__()
        self.layers = [nn.Linear(width, width, bias=not bn) for _ in range(depth)]
        self.linears = nn.ModuleList(self.layers)
        self.norms = nn.ModuleList(nn.BatchNorm1d(width) for _ in range(depth)) if bn else None
        self.head = nn.Linear(width, 10)
        self.act = torch.sigmoid if act == "sigmoid" else torch.relu
        self.res = res
        scheme = init if init != "matched" else ("xavier" if act == "sigmoid" else "he")
        for lin in self.layers:
            if scheme == "xavier":
                nn.init.xavier_normal_(lin.weight)
            else:
                nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            if lin.bias is not None:
                nn.init.zeros_(lin.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        acts = []
        a = x
        for i, lin in enumerate(self.layers):
            z = lin(a)
            if self.norms is not None:
                z = self.norms[i](z)
            h = self.act(z)
            a = a + h if self.res else h
            a.retain_grad()
            acts.append(a)
        return self.head(a), acts


@register
class GradientFlow(Demo):
    id = "gradient_flow"
    title = "梯度消失：各层梯度范数随深度的变化（sigmoid/ReLU、BN、残差连接）"
    title_en = "Vanishing gradients: per-layer gradient norms vs depth (sigmoid/ReLU, BN, residual)"
    summary = "一次反向传播里各层梯度范数随深度怎样变化：sigmoid 与 ReLU、加不加 BN、加不加残差连接。"
    topics = ("001-0142", "001-1168", "001-1178", "001-1195", "001-1204", "001-1208", "001-1211", "002-0309")
    schema = {
        "depth": Setting(Param("int", 3, 30), 15, "隐藏层数"),
        "width": Setting(Param("choice", choices=(32, 64, 128)), 64, "每层神经元数"),
        "init": Setting(Param("choice", choices=("matched", "xavier", "he")), "matched", "初始化"),
        "batch": Setting(Param("choice", choices=(64, 256)), 256, "批大小"),
    }

    def question(self, p: Mapping[str, Any]) -> Question:
        return Question(
            f"{p['depth']} 层的网络中，哪一种的第 1 层权重梯度范数最小？",
            tuple(config_name(*c) for c in CONFIGS),
        )

    def compute(
        self, p: Mapping[str, Any], *, device: torch.device, report: Callable[[float], None]
    ) -> Output:
        width, depth = p["width"], p["depth"]
        x = torch.randn(p["batch"], width).to(device)
        y = torch.randint(0, 10, (p["batch"],)).to(device)
        nets: dict[str, Any] = {}
        first: dict[str, float] = {}
        ratio: dict[str, float] = {}
        for i, (act, bn, res) in enumerate(CONFIGS):
            name = config_name(act, bn, res)
            net = _Net(width, depth, act, bn, res, p["init"]).to(device)  # train mode: BN uses batch stats
            logits, acts = net(x)
            nn.functional.cross_entropy(logits, y).backward()
            w_grad = torch.stack([lin.weight.grad.norm() for lin in net.layers])  # type: ignore[union-attr]
            a_grad = torch.stack([a.grad.norm() for a in acts])  # type: ignore[union-attr]
            spectral = torch.stack(
                [torch.linalg.matrix_norm(lin.weight.detach(), ord=2) for lin in net.layers]
            )
            nets[name] = {
                "weight_grad_norm": rounded(w_grad, 5),
                "activation_grad_norm": rounded(a_grad, 5),
                "weight_spectral_norm": rounded(spectral, 5),
            }
            first[name] = float(w_grad[0])
            ratio[name] = float(w_grad[0] / w_grad[-1])
            report((i + 1) / len(CONFIGS))
        names = [config_name(*c) for c in CONFIGS]
        smallest = min(names, key=lambda n: first[n])
        per_layer = ratio["sigmoid"] ** (1 / max(1, depth - 1))
        explanation = (
            f"{depth} 层、宽 {width}、批大小 {p['batch']}：第 1 层与第 {depth} 层权重梯度范数之比，"
            f"sigmoid 为 {ratio['sigmoid']:.2g}（平均每层乘 {per_layer:.3g}；sigmoid 的导数不超过 1/4），"
            f"ReLU 为 {ratio['relu']:.3g}，sigmoid+BN 为 {ratio['sigmoid+BN']:.3g}，"
            f"sigmoid+残差 为 {ratio['sigmoid+残差']:.3g}。残差连接让梯度有一条不经过激活导数的恒等通路，"
            f"BN 把每层的输入拉回单位方差，使 sigmoid 不再饱和、梯度不再逐层缩小。"
        )
        figures = [
            Figure(f"first_over_last_{n}", f"{n}：第 1 层 / 第 {depth} 层梯度范数", ratio[n]) for n in names
        ]
        return Output(
            series={"layers": list(range(1, depth + 1)), "networks": nets},
            figures=figures,
            explanation=explanation,
            answer=names.index(smallest),
            why=f"第 1 层权重梯度范数最小的是 {smallest}（{first[smallest]:.3g}）；"
            f"sigmoid {first['sigmoid']:.3g}，relu {first['relu']:.3g}，relu+BN+残差 {first['relu+BN+残差']:.3g}。",
        )
