"""Initialisation: He keeps ReLU activations at the theoretical scale, N(0, 0.01) collapses.

Theory (independent of the demo): with inputs of second moment 1 and He weights (variance 2/n), every
pre-activation has variance 2, so a ReLU output has second moment 1 and mean σ/√(2π) = 1/√π, hence
standard deviation √(1 − 1/π) ≈ 0.826 at every layer. The first layer sees the inputs directly, so its
std is within 5% of that; deeper layers drift by a finite-width random walk (the per-layer gain
fluctuates by about √(2/n)), so at width 200 and depth 10 we allow a factor of 2 either way. With
N(0, 0.01) each layer multiplies the scale by about 0.01·√(n/2) (= 0.1 at n = 200).
"""

from __future__ import annotations

import math

import pytest

from engine.demos import get_demo

DEMO = get_demo("init_activations")
THEORY = math.sqrt(1 - 1 / math.pi)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_he_relu_std_stays_near_theory_while_small_normal_collapses(seed):
    n, depth = 200, 10
    result = DEMO.run({"depth": depth, "width": n, "samples": 500}, seed=seed)
    he = result.series["std"]["relu"]["He"]
    small = result.series["std"]["relu"]["N(0,0.01)"]
    assert he[0] == pytest.approx(THEORY, rel=0.05)
    for layer, s in enumerate(he, start=1):
        assert THEORY / 2 <= s <= THEORY * 2, (layer, s)
    gain = 0.01 * math.sqrt(n / 2)
    for layer, s in enumerate(small, start=1):
        assert s <= 2 * THEORY * gain**layer, (layer, s)
    assert small[4] < 1e-4  # by layer 5: collapsed, five orders of magnitude below He
    assert result.question.choices[result.answer] == "N(0,0.01)"


def test_histograms_count_every_activation_of_every_layer():
    p = {"depth": 5, "width": 50, "samples": 250}
    result = DEMO.run(p, seed=4)
    for act, per_init in result.series["histograms"].items():
        for init, layers in per_init.items():
            assert len(layers) == 5
            for h in layers:
                assert len(h["edges"]) == len(h["counts"]) + 1
                assert sum(h["counts"]) == 250 * 50, (act, init)
            if act == "sigmoid":
                assert h["edges"][0] == 0.0 and h["edges"][-1] == 1.0


def test_sigmoid_with_big_weights_saturates():
    # N(0, 1) weights on n = 100 inputs of unit scale: pre-activations of std ~ √(n·E[a²]) ≥ 5, so most
    # sigmoid outputs sit near 0 or 1
    result = DEMO.run({"depth": 5, "width": 100, "samples": 250}, seed=0)
    sat = next(f for f in result.figures if f.key == "sigmoid_big_saturated").value
    assert sat > 0.3
