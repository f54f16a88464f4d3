"""Overfitting and regularisation: one small MLP trained on a small synthetic dataset three times, with
no regularisation, with weight decay and with dropout; train vs validation accuracy per epoch.

Data: two interleaved half-moons in the first two coordinates (Gaussian noise 0.2), plus ``noise_dims``
coordinates of pure N(0, 1) noise that a big enough network can memorise; ``label_noise`` of the
training labels are flipped. All three runs start from the same weights and see the same data; training
is full-batch SGD with momentum 0.9 and learning rate 0.1. Weight decay is ``SGD(weight_decay=λ)``, the
gradient of the notes' penalty :math:`\\tfrac{\\lambda}{2}\\lVert W\\rVert^2`; dropout is ``nn.Dropout(p)``
after each hidden layer (accuracies are measured in eval mode, without dropout).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from engine import Param
from engine.demos.base import Demo, Figure, Output, Question, Setting, register, rounded

__all__ = ["SETTINGS", "Overfitting", "two_moons"]

SETTINGS = ("none", "weight_decay", "dropout")
_LABEL = {"none": "不正则化", "weight_decay": "权值衰减", "dropout": "Dropout"}
VALIDATION = 1000
WIDTH = 64


def two_moons(n: int, noise_dims: int, noise: float = 0.2) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points of two half-moons (label 0 upper, 1 lower) with ``noise_dims`` extra noise columns."""
    y = torch.randint(0, 2, (n,))
    t = torch.rand(n) * math.pi
    x0 = torch.where(y == 0, torch.cos(t), 1 - torch.cos(t))
    x1 = torch.where(y == 0, torch.sin(t), 0.5 - torch.sin(t))
    xy = torch.stack([x0, x1], 1) + noise * torch.randn(n, 2)
    return torch.cat([xy, torch.randn(n, noise_dims)], 1), y


def _mlp(d_in: int, width: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(d_in, width),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(width, width),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(width, 2),
    )


@register
class Overfitting(Demo):
    id = "overfitting"
    title = "过拟合与正则化：不正则化、权值衰减（weight decay）、Dropout"
    title_en = "Overfitting and regularisation: none, weight decay, dropout"
    summary = "小数据集上训练集与验证集准确率的差距，以及 weight decay 与 Dropout 怎样缩小它。"
    topics = ("002-0364", "002-0372", "002-0384", "001-0107")
    schema = {
        "train_size": Setting(Param("int", 20, 400), 60, "训练样本数"),
        "noise_dims": Setting(Param("int", 0, 20), 2, "噪声维数"),
        "label_noise": Setting(Param("real", 0.0, 0.3), 0.1, "训练标签翻转比例"),
        "epochs": Setting(Param("int", 50, 1000), 300, "训练轮数"),
        "weight_decay": Setting(Param("real", 0.0, 0.3), 0.03, "权值衰减系数 λ"),
        "dropout": Setting(Param("real", 0.0, 0.8), 0.5, "Dropout 丢弃概率 p"),
    }

    def question(self, p: Mapping[str, Any]) -> Question:
        return Question(
            f"训练 {p['epochs']} 轮后，哪种设置的训练准确率与验证准确率的差距最大？",
            tuple(_LABEL[s] for s in SETTINGS),
        )

    def compute(
        self, p: Mapping[str, Any], *, device: torch.device, report: Callable[[float], None]
    ) -> Output:
        d = p["noise_dims"]
        x_tr, y_tr = two_moons(p["train_size"], d)
        flip = torch.rand(p["train_size"]) < p["label_noise"]
        y_tr = torch.where(flip, 1 - y_tr, y_tr)
        x_va, y_va = two_moons(VALIDATION, d)
        x_tr, y_tr, x_va, y_va = (t.to(device) for t in (x_tr, y_tr, x_va, y_va))
        base = _mlp(d + 2, WIDTH, 0.0).state_dict()
        every = max(1, p["epochs"] // 100)
        curves: dict[str, Any] = {}
        final: dict[str, tuple[float, float]] = {}
        for i, setting in enumerate(SETTINGS):
            net = _mlp(d + 2, WIDTH, p["dropout"] if setting == "dropout" else 0.0)
            net.load_state_dict(base)
            net.to(device)
            wd = p["weight_decay"] if setting == "weight_decay" else 0.0
            opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=wd)
            tr_acc, va_acc, tr_loss, epochs = [], [], [], []
            for epoch in range(1, p["epochs"] + 1):
                net.train()
                loss = nn.functional.cross_entropy(net(x_tr), y_tr)
                opt.zero_grad()
                loss.backward()
                opt.step()
                if epoch % every == 0 or epoch == p["epochs"]:
                    net.eval()
                    with torch.no_grad():
                        tr_acc.append(float((net(x_tr).argmax(1) == y_tr).double().mean()))
                        va_acc.append(float((net(x_va).argmax(1) == y_va).double().mean()))
                    tr_loss.append(loss.item())
                    epochs.append(epoch)
                    report((i + epoch / p["epochs"]) / len(SETTINGS))
            curves[setting] = {
                "epoch": epochs,
                "train_accuracy": rounded(tr_acc, 4),
                "val_accuracy": rounded(va_acc, 4),
                "train_loss": rounded(tr_loss, 5),
            }
            final[setting] = (tr_acc[-1], va_acc[-1])
        gap = {s: final[s][0] - final[s][1] for s in SETTINGS}
        widest = max(SETTINGS, key=lambda s: (gap[s], -SETTINGS.index(s)))
        best_val = max(SETTINGS, key=lambda s: (final[s][1], -SETTINGS.index(s)))

        def pair(s: str) -> str:
            return f"训练 {final[s][0]:.1%} / 验证 {final[s][1]:.1%}"

        explanation = (
            f"{p['train_size']} 个训练样本（{p['label_noise']:.0%} 的标签被翻转，另有 {d} 维纯噪声特征），"
            f"{VALIDATION} 个验证样本，训练 {p['epochs']} 轮：不正则化 {pair('none')}；"
            f"权值衰减 λ={p['weight_decay']:g} {pair('weight_decay')}；Dropout p={p['dropout']:g} {pair('dropout')}。"
            f"验证准确率最高的是{_LABEL[best_val]}。训练准确率远高于验证准确率说明网络记住了训练集的噪声"
            "（过拟合）；权值衰减把权重拉向 0，Dropout 让网络不能依赖个别神经元，两者都限制了这种记忆。"
        )
        figures = [Figure(f"val_accuracy_{s}", f"{_LABEL[s]}的验证准确率", final[s][1]) for s in SETTINGS]
        figures += [Figure(f"gap_{s}", f"{_LABEL[s]}的训练−验证差距", gap[s]) for s in SETTINGS]
        return Output(
            series={"runs": curves},
            figures=figures,
            explanation=explanation,
            answer=SETTINGS.index(widest),
            why="训练与验证准确率之差：" + "，".join(f"{_LABEL[s]} {gap[s]:.1%}" for s in SETTINGS) + "。",
        )
