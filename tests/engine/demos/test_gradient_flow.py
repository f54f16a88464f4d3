"""Gradient flow: the chain rule bounds how fast a sigmoid network's gradient shrinks.

Without BN or residuals, ∂L/∂a_{l-1} = W_lᵀ (σ'(z_l) ⊙ ∂L/∂a_l), and σ' ≤ 1/4, so for every layer
‖∂L/∂a_{l-1}‖ ≤ ‖W_l‖₂ · ¼ · ‖∂L/∂a_l‖ (Frobenius norms over the batch, spectral norm of W_l). Xavier
normal weights of an n×n layer have entries of variance 1/n, whose largest singular value is close to
2 (Bai–Yin: 2σ√n); we allow [1.5, 2.5] at n = 64. So the backward signal of a sigmoid net shrinks by at
least a factor 2.5/4 = 0.625 per layer: at most (1/4)·‖W‖₂ per layer, never more.
"""

from __future__ import annotations

import pytest

from engine.demos import get_demo

DEMO = get_demo("gradient_flow")


@pytest.mark.parametrize("seed", [0, 1])
def test_sigmoid_backward_signal_shrinks_at_least_as_the_chain_rule_bound(seed):
    depth = 12
    result = DEMO.run({"depth": depth, "width": 64, "batch": 256}, seed=seed)
    net = result.series["networks"]["sigmoid"]
    g = net["activation_grad_norm"]
    w = net["weight_spectral_norm"]
    assert len(g) == len(w) == depth
    for s in w:
        assert 1.5 <= s <= 2.5
    for i in range(1, depth):  # g[i] is the gradient at a_{i+1}; W_{i+1} (norm w[i]) maps a_i to a_{i+1}
        assert g[i - 1] <= w[i] / 4 * g[i] * (1 + 1e-3), (i, g[i - 1], g[i], w[i])
    assert g[0] <= 0.625 ** (depth - 1) * g[-1]
    # the answer: the plain sigmoid net has the smallest first-layer weight gradient
    assert result.question.choices[result.answer] == "sigmoid"


def test_relu_with_he_init_keeps_the_signal_while_sigmoid_loses_it():
    # ReLU' is 0 or 1 and He weights keep E‖W_lᵀ δ‖² ≈ 2·½ = 1 times E‖δ‖²: no systematic decay
    result = DEMO.run({"depth": 12, "width": 64, "batch": 256}, seed=0)
    relu = result.series["networks"]["relu"]["activation_grad_norm"]
    sig = result.series["networks"]["sigmoid"]["activation_grad_norm"]
    assert relu[0] / relu[-1] > 0.1
    assert sig[0] / sig[-1] < 1e-4


def test_every_network_reports_one_norm_per_layer():
    result = DEMO.run({"depth": 4, "width": 32, "batch": 64}, seed=3)
    assert result.series["layers"] == [1, 2, 3, 4]
    assert len(result.series["networks"]) == 8
    for name, net in result.series["networks"].items():
        for key in ("weight_grad_norm", "activation_grad_norm", "weight_spectral_norm"):
            assert len(net[key]) == 4 and all(v is not None and v > 0 for v in net[key]), (name, key)
