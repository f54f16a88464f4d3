"""Learning rate: gradient descent on a quadratic, against the eigenvalue theory; schedules against the
formulas of ``torch.optim.lr_scheduler``'s documentation.

The problem's Hessian has eigenvalues evenly spread in [0.05, 1]. With full-batch GD at learning rate η
the excess loss E_t = L_t − L* is a sum of terms c_i (1 − ηλ_i)^{2t}, so
min_i (1 − ηλ_i)^{2t} E_0 ≤ E_t ≤ max_i (1 − ηλ_i)^{2t} E_0, and GD diverges when η > 2/λ_max = 2.
"""

from __future__ import annotations

import math

import pytest

from engine.demos import get_demo

DEMO = get_demo("learning_rate")
EIG = (0.05, 1.0)


def factors(lr):
    """Min and max over λ in [0.05, 1] of (1 − ηλ)²: at the ends, or 0 where ηλ = 1 falls inside."""
    ends = [(1 - lr * lam) ** 2 for lam in EIG]
    return (0.0 if EIG[0] <= 1 / lr <= EIG[1] else min(ends)), max(ends)


@pytest.mark.parametrize("seed", [0, 3])
def test_full_batch_losses_follow_the_eigenvalue_bounds(seed):
    result = DEMO.run(
        {"lr_low": 0.05, "lr_good": 1.0, "lr_high": 2.1, "steps": 20, "schedule_steps": 20}, seed=seed
    )
    floor = result.series["loss_floor"]
    for key, lr in (("lr_low", 0.05), ("lr_good", 1.0), ("lr_high", 2.1)):
        loss = result.series["learning_rates"][key]["loss"]
        lo, hi = factors(lr)
        e0 = loss[0] - floor
        for t in range(1, 12):
            et = loss[t] - floor
            assert lo**t * e0 * (1 - 1e-3) - 1e-4 <= et <= hi**t * e0 * (1 + 1e-3) + 1e-4, (key, t)
    high = result.series["learning_rates"]["lr_high"]["loss"]
    # beyond 2/λ_max the excess loss grows, asymptotically by (1 − 2.1)² = 1.21 per step
    assert high[-1] > high[0]
    assert (high[-1] - floor) / (high[-2] - floor) == pytest.approx(1.21, rel=0.01)
    assert result.question.choices[result.answer] == "不收敛：损失越来越大"


@pytest.mark.parametrize(("lr_high", "expected"), [(1.5, 0), (0.5, 1), (2.05, 2)])
def test_prediction_follows_the_slowest_mode(lr_high, expected):
    # after many steps the slowest mode dominates: factor |1 − 0.05η| (faster for η = 1.5 than for
    # η = 1), unless |1 − η·1| > 1 (η > 2): divergence
    result = DEMO.run({"lr_high": lr_high, "steps": 200, "schedule_steps": 20}, seed=1)
    assert result.answer == expected


def test_schedules_match_their_documented_formulas():
    steps, peak = 90, 0.8
    result = DEMO.run({"lr_good": peak, "schedule_steps": steps, "steps": 10}, seed=0)
    lrs = {name: s["lr"] for name, s in result.series["schedules"].items()}
    for t in range(steps):
        assert lrs["constant"][t] == pytest.approx(peak)
        assert lrs["step"][t] == pytest.approx(peak * 0.1 ** (t // 30))
        assert lrs["cosine"][t] == pytest.approx(
            peak * (1 + math.cos(math.pi * t / steps)) / 2, rel=1e-5, abs=1e-9
        )
    warm = steps // 10
    for t in range(warm + 1):  # linear warmup from 1% of the peak
        assert lrs["warmup_cosine"][t] == pytest.approx(peak * (0.01 + 0.99 * t / warm))
    for t in range(warm, steps):
        c = peak * (1 + math.cos(math.pi * (t - warm) / (steps - warm))) / 2
        assert lrs["warmup_cosine"][t] == pytest.approx(c, rel=1e-5, abs=1e-9)
    one = lrs["onecycle"]  # OneCycleLR: max_lr/25 → max_lr at 30% of the steps → max_lr/(25·10⁴)
    assert one[0] == pytest.approx(peak / 25)
    assert max(one) == pytest.approx(peak) and one.index(max(one)) == round(0.3 * steps) - 1
    assert one[-1] < peak / 25 / 1e3


def test_every_schedule_runs_the_same_plain_sgd_and_none_diverges_below_two_over_lambda_max():
    """Only the learning rate differs between the schedules: none may add momentum (OneCycleLR cycles an SGD's
    momentum between 0.95 and 0.85 unless told not to, an effective step of about lr/(1 − β) ≈ 6.7 at the peak
    lr 1, past 2/λ_max = 2). Every schedule's lr stays at or below the peak 1 < 2/λ_max, so no schedule's loss
    may grow above the loss it started from."""
    result = DEMO.run({}, seed=0)
    start = result.series["learning_rates"]["lr_good"]["loss"][0]  # the full-batch loss of the shared start
    for name, s in result.series["schedules"].items():
        assert max(s["lr"]) <= 1.0 + 1e-9, name
        assert max(s["loss"]) <= start, (name, max(s["loss"]), start)
    assert result.series["lambda_max"] == pytest.approx(1.0)
