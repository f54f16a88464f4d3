"""BatchNorm: running statistics equal the closed-form exponential moving average.

PyTorch's rule (momentum m weighs the new batch), from running_mean = 0 and running_var = 1:
after k batches, running_mean = Σ_{i=1..k} m(1-m)^{k-i} x̄_i and
running_var = (1-m)^k + Σ_{i=1..k} m(1-m)^{k-i} s²_i, with s²_i the unbiased batch variance.
"""

from __future__ import annotations

import math

import pytest

from engine.demos import get_demo

DEMO = get_demo("batchnorm")


@pytest.fixture(scope="module")
def result():
    return DEMO.run({"stat_steps": 30, "batch": 32, "mean": 3.0, "std": 2.0, "train_steps": 20}, seed=5)


def test_running_stats_equal_the_closed_form_moving_average(result):
    s = result.series
    xbar, var = s["batch_mean"], s["batch_var"]
    assert len(xbar) == len(var) == 30
    for key, run in s["running"].items():
        m = float(key)
        for k in range(1, 31):
            mean_k = sum(m * (1 - m) ** (k - i) * xbar[i - 1] for i in range(1, k + 1))
            var_k = (1 - m) ** k + sum(m * (1 - m) ** (k - i) * var[i - 1] for i in range(1, k + 1))
            assert run["running_mean"][k - 1] == pytest.approx(mean_k, rel=1e-4, abs=1e-5), (m, k)
            assert run["running_var"][k - 1] == pytest.approx(var_k, rel=1e-4, abs=1e-5), (m, k)


def test_batch_means_come_from_the_asked_distribution(result):
    xbar = result.series["batch_mean"]
    # 30 batches of 32 from N(3, 2²): the mean of the batch means has std 2/√960 ≈ 0.065
    assert abs(sum(xbar) / len(xbar) - 3.0) < 5 * 2 / math.sqrt(960)


def test_train_mode_uses_batch_stats_and_eval_mode_the_running_ones(result):
    for key, run in result.series["running"].items():
        assert abs(run["train_output_mean"]) < 1e-4
        assert run["train_output_std"] == pytest.approx(1.0, abs=0.01)
        # eval: (x - running_mean) / sqrt(running_var + eps); the fresh batch of 256 has mean 3 ± 2/16
        rm, rv = run["running_mean"][-1], run["running_var"][-1]
        expected = (3.0 - rm) / math.sqrt(rv + 1e-5)
        assert run["eval_output_mean"] == pytest.approx(expected, abs=5 * 2 / 16 / math.sqrt(rv)), key


def test_smallest_momentum_is_farthest_after_few_steps(result):
    # |E running_mean - μ| = μ (1-m)^k: 3·0.99^30 ≈ 2.2 vs 3·0.9^30 ≈ 0.13 and ≈ 0 for m = 0.5
    assert result.question.choices[result.answer] == "momentum=0.01"


def test_training_curves_have_one_loss_per_step(result):
    assert set(result.series["loss"]) == {"plain", "BN"}
    assert all(len(c) == 20 for c in result.series["loss"].values())
