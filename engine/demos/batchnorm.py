"""BatchNorm in training: a small net trained with and without BN (loss curves), ``nn.BatchNorm1d``'s
running mean and variance converging for several momentum values, and train vs eval mode outputs.

Running statistics (PyTorch's convention, ``momentum`` is the weight of the *new* batch):
:math:`\\hat\\mu \\leftarrow (1-m)\\hat\\mu + m\\,\\bar x_B`, :math:`\\hat\\sigma^2 \\leftarrow (1-m)
\\hat\\sigma^2 + m\\,s_B^2` with the unbiased batch variance :math:`s_B^2`, starting from 0 and 1. After
:math:`k` batches :math:`\\hat\\mu_k = \\sum_{i=1}^{k} m(1-m)^{k-i}\\bar x_i`. The stream's batches are
drawn from N(``mean``, ``std``\\ :sup:`2`); in eval mode the layer normalises with the running statistics,
so with few steps and a small momentum its output is far from the train-mode output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from engine import Param
from engine.demos.base import Demo, Figure, Output, Question, Setting, register, rounded

__all__ = ["MOMENTA", "BatchNormDemo"]

MOMENTA = (0.01, 0.1, 0.5)
FEATURES = 4


def _mlp(bn: bool, d_in: int, width: int, depth: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(depth):
        layers.append(nn.Linear(d_in if i == 0 else width, width))
        if bn:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.Sigmoid())
    layers.append(nn.Linear(width, 2))
    return nn.Sequential(*layers)


@register
class BatchNormDemo(Demo):
    id = "batchnorm"
    title = "Batch Normalization：训练曲线、running mean/var 与 momentum、train 与 eval 模式"
    title_en = "Batch Normalization: training curves, running mean/var and momentum, train vs eval mode"
    summary = "同一个小网络有无 BN 的训练曲线，running mean/var 随 momentum 收敛的快慢，train 与 eval 模式输出的差别。"
    topics = ("002-0329", "002-0334", "002-0351", "001-0560", "001-0574", "001-0594")
    schema = {
        "stat_steps": Setting(Param("int", 5, 300), 40, "统计量更新步数 k"),
        "batch": Setting(Param("choice", choices=(8, 32, 128)), 32, "批大小"),
        "mean": Setting(Param("real", -5.0, 5.0), 3.0, "数据均值"),
        "std": Setting(Param("real", 0.5, 5.0), 2.0, "数据标准差"),
        "train_steps": Setting(Param("int", 20, 400), 150, "训练步数"),
        "lr": Setting(Param("real", 0.01, 2.0), 0.5, "训练学习率（SGD）"),
    }

    def question(self, p: Mapping[str, Any]) -> Question:
        return Question(
            f"{p['stat_steps']} 步之后，哪个 momentum 的 running_mean 离数据的真实均值 {p['mean']:g} 最远？",
            tuple(f"momentum={m:g}" for m in MOMENTA),
        )

    def compute(
        self, p: Mapping[str, Any], *, device: torch.device, report: Callable[[float], None]
    ) -> Output:
        k, b, mu, sd = p["stat_steps"], p["batch"], p["mean"], p["std"]
        # -- running statistics for several momenta, on the same stream of batches
        stream = (torch.randn(k, b, FEATURES) * sd + mu).to(device)
        batch_mean = stream[:, :, 0].mean(dim=1)
        batch_var = stream[:, :, 0].var(dim=1, unbiased=True)
        running: dict[str, Any] = {}
        eval_gap: dict[float, float] = {}
        fresh = (torch.randn(256, FEATURES) * sd + mu).to(device)
        for m in MOMENTA:
            layer = nn.BatchNorm1d(FEATURES, momentum=m, affine=False).to(device)
            means, variances = [], []
            layer.train()
            with torch.no_grad():
                for t in range(k):
                    layer(stream[t])
                    assert layer.running_mean is not None and layer.running_var is not None
                    means.append(float(layer.running_mean[0]))
                    variances.append(float(layer.running_var[0]))
                layer.eval()
                eval_out = layer(fresh)  # normalised with the running statistics after k steps
                layer.train()
                train_out = layer(fresh)  # with its own batch statistics
            running[f"{m:g}"] = {
                "running_mean": rounded(means),
                "running_var": rounded(variances),
                "train_output_mean": float(train_out[:, 0].mean()),
                "train_output_std": float(train_out[:, 0].std()),
                "eval_output_mean": float(eval_out[:, 0].mean()),
                "eval_output_std": float(eval_out[:, 0].std()),
            }
            eval_gap[m] = abs(means[-1] - mu)
        report(0.2)
        # -- training with and without BN: two Gaussian blobs in 8-D far from the origin, a sigmoid MLP
        d_in = 8
        n = 512
        labels = torch.randint(0, 2, (n,))
        centres = torch.randn(2, d_in) * 1.5 + 4.0
        data = (centres[labels] + torch.randn(n, d_in)).to(device)
        labels = labels.to(device)
        plain_net, bn_net = _mlp(False, d_in, 32, 4), _mlp(True, d_in, 32, 4)
        for dst, src in zip(_linears(bn_net), _linears(plain_net)):  # the same starting weights
            dst.load_state_dict(src.state_dict())
        batches = torch.randint(0, n, (p["train_steps"], 64)).to(device)  # the same batches for both
        curves: dict[str, list[float | None]] = {}
        accs: dict[str, float] = {}
        for j, net in enumerate((plain_net, bn_net)):
            net.to(device)
            opt = torch.optim.SGD(net.parameters(), lr=p["lr"])
            losses = []
            for step, idx in enumerate(batches):
                loss = nn.functional.cross_entropy(net(data[idx]), labels[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
                if step % 25 == 0:
                    report(0.2 + 0.4 * j + 0.4 * (step + 1) / p["train_steps"])
            net.eval()
            with torch.no_grad():
                accs[("plain", "BN")[j]] = float((net(data).argmax(1) == labels).double().mean())
            curves[("plain", "BN")[j]] = rounded(losses, 5)
        far = max(MOMENTA, key=lambda m: eval_gap[m])
        slow = running[f"{MOMENTA[0]:g}"]
        tail = 20
        plain_tail = sum(curves["plain"][-tail:]) / tail  # type: ignore[arg-type]
        bn_tail = sum(curves["BN"][-tail:]) / tail  # type: ignore[arg-type]
        explanation = (
            f"数据 N({mu:g}, {sd:g}²)，批大小 {b}，{k} 步后 running_mean："
            + "，".join(f"momentum={m:g} 为 {running[f'{m:g}']['running_mean'][-1]:.3g}" for m in MOMENTA)
            + f"（从 0 出发，离真实均值的差按 (1−m)^k 衰减：0.99^{k} = {0.99**k:.3g}）。"
            f"momentum={MOMENTA[0]:g} 时 eval 模式的输出均值为 {slow['eval_output_mean']:.3g}、标准差 "
            f"{slow['eval_output_std']:.3g}，train 模式用批统计量，输出均值 {slow['train_output_mean']:.2g}、"
            f"标准差 {slow['train_output_std']:.3g}。训练 {p['train_steps']} 步（SGD lr={p['lr']:g}）后最后 {tail} 步"
            f"的平均损失：不加 BN {plain_tail:.3g}，加 BN {bn_tail:.3g}；训练集准确率 {accs['plain']:.0%} 与 {accs['BN']:.0%}。"
        )
        figures = [
            Figure(
                f"running_mean_{m:g}",
                f"momentum={m:g} 的 running_mean",
                running[f"{m:g}"]["running_mean"][-1],
            )
            for m in MOMENTA
        ]
        figures += [
            Figure("loss_plain", "不加 BN 的末段损失", plain_tail),
            Figure("loss_bn", "加 BN 的末段损失", bn_tail),
        ]
        return Output(
            series={
                "steps": list(range(1, k + 1)),
                "batch_mean": rounded(batch_mean),
                "batch_var": rounded(batch_var),
                "running": running,
                "true_mean": mu,
                "true_var": sd * sd,
                "loss": curves,
                "accuracy": accs,
            },
            figures=figures,
            explanation=explanation,
            answer=MOMENTA.index(far),
            why=f"{k} 步后 |running_mean − {mu:g}|："
            + "，".join(f"momentum={m:g} 为 {eval_gap[m]:.3g}" for m in MOMENTA)
            + "。",
        )


def _linears(net: nn.Sequential) -> list[nn.Linear]:
    return [mod for mod in net if isinstance(mod, nn.Linear)]
