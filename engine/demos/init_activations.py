"""Initialisation and activations: a deep MLP on random input, four weight initialisations times three
activations, and the histogram and standard deviation of each layer's activations.

The network is ``depth`` square ``nn.Linear(width, width)`` layers (biases zero), each followed by the
activation, on ``samples`` inputs drawn from N(0, 1). The initialisations are ``nn.init.normal_`` with
std 1 and 0.01, ``nn.init.xavier_normal_`` (std :math:`\\sqrt{2/(n_{in}+n_{out})} = 1/\\sqrt{n}`) and
``nn.init.kaiming_normal_`` for ReLU (std :math:`\\sqrt{2/n}`).

With He init and ReLU every pre-activation has variance 2 (the input's second moment is 1, and ReLU
keeps half of it), so each layer's ReLU output has standard deviation :math:`\\sqrt{1 - 1/\\pi} \\approx
0.826` whatever the depth; with N(0, 0.01) each layer multiplies the scale by about
:math:`0.01\\sqrt{n/2}` and the activations collapse towards 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from engine import Param
from engine.demos.base import Demo, Figure, Output, Question, Setting, histogram, register, rounded

__all__ = ["ACTIVATIONS", "INITS", "InitActivations"]

INITS: dict[str, Callable[[torch.Tensor], Any]] = {
    "N(0,1)": lambda w: nn.init.normal_(w, std=1.0),
    "N(0,0.01)": lambda w: nn.init.normal_(w, std=0.01),
    "Xavier": nn.init.xavier_normal_,
    "He": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
}
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
}
_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
BINS = 30


def _layer_outputs(
    x: torch.Tensor, weights: list[torch.Tensor], act: Callable[[torch.Tensor], torch.Tensor]
) -> list[torch.Tensor]:
    outs = []
    with torch.no_grad():
        for w in weights:
            x = act(x @ w.T)
            outs.append(x)
    return outs


@register
class InitActivations(Demo):
    id = "init_activations"
    title = "权重初始化与激活值分布（N(0,1)、N(0,0.01)、Xavier、He × sigmoid/tanh/ReLU）"
    title_en = "Weight initialisation and activation distributions (N(0,1), N(0,0.01), Xavier, He x sigmoid/tanh/ReLU)"
    summary = "多层 MLP 各层激活值的分布：哪种初始化让激活饱和，哪种让它塌缩到 0，哪种保持方差。"
    topics = ("002-0286", "002-0290", "002-0309", "002-0319", "002-0325", "001-1104")
    schema = {
        "depth": Setting(Param("int", 5, 10), 8, "层数"),
        "width": Setting(Param("choice", choices=(50, 100, 200)), 100, "每层神经元数"),
        "samples": Setting(Param("choice", choices=(250, 500, 1000)), 1000, "输入样本数"),
    }

    def question(self, p: Mapping[str, Any]) -> Question:
        return Question(
            f"ReLU 网络到第 {p['depth']} 层时，哪种初始化的激活值标准差最小（激活塌缩到 0 附近）？",
            tuple(INITS),
        )

    def compute(
        self, p: Mapping[str, Any], *, device: torch.device, report: Callable[[float], None]
    ) -> Output:
        n, depth = p["width"], p["depth"]
        x = torch.randn(p["samples"], n).to(device)
        std: dict[str, dict[str, list[float | None]]] = {a: {} for a in ACTIVATIONS}
        hists: dict[str, dict[str, list[dict[str, Any]]]] = {a: {} for a in ACTIVATIONS}
        saturated: dict[str, dict[str, float]] = {a: {} for a in ACTIVATIONS}
        last: dict[tuple[str, str], float] = {}
        total = len(INITS) * len(ACTIVATIONS)
        done = 0
        for init_name, init in INITS.items():
            weights = []
            for _ in range(depth):
                w = torch.empty(n, n)
                init(w)
                weights.append(w.to(device))
            for act_name, act in ACTIVATIONS.items():
                outs = _layer_outputs(x, weights, act)
                stds = torch.stack([o.std() for o in outs])
                std[act_name][init_name] = rounded(stds, 4)
                last[(act_name, init_name)] = float(stds[-1])
                layer_hists = []
                for o in outs:
                    low, high = _RANGE.get(act_name, (0.0, float(o.max())))
                    layer_hists.append(histogram(o, BINS, low, high))
                hists[act_name][init_name] = layer_hists
                if act_name == "sigmoid":
                    s = outs[-1]
                    saturated[act_name][init_name] = float(((s < 0.01) | (s > 0.99)).double().mean())
                done += 1
                report(done / total)
        relu_last = {i: last[("relu", i)] for i in INITS}
        collapsed = min(INITS, key=lambda i: relu_last[i])
        theory = (1 - 1 / torch.pi) ** 0.5
        sat = saturated["sigmoid"]["N(0,1)"]
        explanation = (
            f"{depth} 层、每层 {n} 个神经元、{p['samples']} 个 N(0,1) 输入：第 {depth} 层 ReLU+He 的激活标准差为 "
            f"{relu_last['He']:.3g}（理论值 √(1−1/π) ≈ {theory:.3f}，与深度无关），"
            f"ReLU+Xavier 为 {relu_last['Xavier']:.3g}（每层方差减半），ReLU+N(0,0.01) 为 "
            f"{relu_last['N(0,0.01)']:.2g}（每层约乘 0.01·√(n/2) = {0.01 * (n / 2) ** 0.5:.3g}，塌缩到 0），"
            f"ReLU+N(0,1) 为 {relu_last['N(0,1)']:.3g}（爆炸）。sigmoid+N(0,1) 第 {depth} 层有 {sat:.0%} 的激活"
            f"饱和在 0 或 1 附近（梯度几乎为 0）；tanh+Xavier 的标准差为 {last[('tanh', 'Xavier')]:.3g}。"
        )
        figures = [
            Figure("relu_he_std", f"第 {depth} 层 ReLU+He 标准差", relu_last["He"]),
            Figure("relu_he_theory", "ReLU+He 标准差理论值", theory),
            Figure("relu_small_std", f"第 {depth} 层 ReLU+N(0,0.01) 标准差", relu_last["N(0,0.01)"]),
            Figure("relu_xavier_std", f"第 {depth} 层 ReLU+Xavier 标准差", relu_last["Xavier"]),
            Figure("sigmoid_big_saturated", f"第 {depth} 层 sigmoid+N(0,1) 饱和比例", sat),
        ]
        return Output(
            series={"layers": list(range(1, depth + 1)), "std": std, "histograms": hists},
            figures=figures,
            explanation=explanation,
            answer=tuple(INITS).index(collapsed),
            why=f"第 {depth} 层 ReLU 的激活标准差："
            + "，".join(f"{i} {relu_last[i]:.3g}" for i in INITS)
            + "。",
        )
