"""AdaGrad and RMSprop: hand-worked examples, mistake detectors, and a property against plain-loop
specs."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import get_family
from tests.engine.optim.helpers import SETTINGS, curv, grad, mode, named, params, spec_grad, steps, variant

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# -- hand-worked examples --------------------------------------------------------------------------

# θ0 = (1, 1), g1 = (1, 2), g2 = (1, 0), lr 0.1
ADAGRAD_TWO_STEPS = dict(
    steps=2, grad_mode="fixed", theta0_1=1.0, theta0_2=1.0, g1_1=1.0, g1_2=2.0, g2_1=1.0, g2_2=0.0, lr=0.1
)


def test_adagrad_two_steps():
    # G1 = (1, 4): θ1 = (0.9, 0.9); G2 = (2, 4): θ2 = (0.9 - 0.1/√2, 0.9)
    v = variant("adagrad_step", **ADAGRAD_TWO_STEPS)
    assert v.answers["theta"] == pytest.approx([0.9 - 0.1 / math.sqrt(2), 0.9], rel=1e-9)
    assert v.answers["accum"] == pytest.approx([2.0, 4.0])


def test_rmsprop_one_step():
    # v = 0.1·g² = (0.1, 0.4); θ = 1 - 0.01/√0.1, -1 + 0.02/√0.4  (both a step of 0.0316228)
    v = variant(
        "rmsprop_step",
        steps=1,
        grad_mode="fixed",
        theta0_1=1.0,
        theta0_2=-1.0,
        g1_1=1.0,
        g1_2=-2.0,
        lr=0.01,
        alpha=0.9,
        eps=1e-8,
    )
    assert v.answers["square_avg"] == pytest.approx([0.1, 0.4])
    assert v.answers["theta"] == pytest.approx([0.9683772, -0.9683772], rel=1e-6)


# -- one test per mistake detector ----------------------------------------------------------------


def test_adagrad_mistakes():
    v = variant("adagrad_step", **ADAGRAD_TWO_STEPS)
    # dividing by G: θ1 = (0.9, 0.95); θ2 = (0.9 - 0.1/2, 0.95) = (0.85, 0.95)
    assert named(v, theta=[0.85, 0.95]) == "adagrad.no-sqrt"
    # only g²: each step moves lr·sign(g): θ2 = (0.8, 0.9), G = (1, 0)
    assert named(v, theta=[0.8, 0.9], accum=[1.0, 0.0]) == "adagrad.last-grad-only"


def test_rmsprop_mistakes():
    v = variant(
        "rmsprop_step",
        steps=1,
        grad_mode="fixed",
        theta0_1=1.0,
        theta0_2=-1.0,
        g1_1=0.1,
        g1_2=-0.2,
        lr=0.01,
        alpha=0.9,
        eps=0.01,
    )
    # v = 0.1·g² = (0.001, 0.004); ε inside the root: 1 - 0.001/√0.011, -1 + 0.002/√0.014
    assert (
        named(v, theta=[1 - 0.001 / math.sqrt(0.011), -1 + 0.002 / math.sqrt(0.014)])
        == "rmsprop.eps-inside-sqrt"
    )
    # v = 0.9·g² = (0.009, 0.036)
    assert (
        named(
            v,
            theta=[1 - 0.001 / (math.sqrt(0.009) + 0.01), -1 + 0.002 / (math.sqrt(0.036) + 0.01)],
            square_avg=[0.009, 0.036],
        )
        == "rmsprop.alpha-swapped"
    )
    # with α = 0.5 (where swapping α and 1−α changes nothing): bias-corrected v̂ = g², a step of lr·g/(|g|+ε)
    w = variant(
        "rmsprop_step",
        steps=1,
        grad_mode="fixed",
        theta0_1=1.0,
        theta0_2=-1.0,
        g1_1=0.1,
        g1_2=-0.2,
        lr=0.01,
        alpha=0.5,
        eps=0.01,
    )
    assert named(w, theta=[1 - 0.001 / 0.11, -1 + 0.002 / 0.21]) == "rmsprop.bias-correction"


# -- properties against plain-loop specs ----------------------------------------------------------


@SETTINGS
@given(
    k=steps,
    mode_=mode,
    a=curv,
    th0=st.lists(grad, min_size=2, max_size=2),
    gs=st.lists(st.lists(grad, min_size=2, max_size=2), min_size=3, max_size=3),
    lr=st.sampled_from([0.01, 0.1, 0.5, 1.0]),
    lr_r=st.sampled_from([0.001, 0.01, 0.1]),
    alpha=st.sampled_from([0.5, 0.9, 0.99]),
    eps=st.sampled_from([1e-8, 1e-6, 0.01]),
)
def test_adagrad_and_rmsprop_match_loop_spec(k, mode_, a, th0, gs, lr, lr_r, alpha, eps):
    common = dict(traj=(k, mode_, a, th0, gs))
    for i in range(2):
        th, acc, th_r, sq = th0[i], 0.0, th0[i], 0.0
        col = [row[i] for row in gs]
        for t in range(k):
            g = spec_grad(mode_, a, col, t, th)
            acc += g * g
            th -= lr * g / (math.sqrt(acc) + 1e-10)
            g = spec_grad(mode_, a, col, t, th_r)
            sq = alpha * sq + (1 - alpha) * g * g
            th_r -= lr_r * g / (math.sqrt(sq) + eps)
        ada = get_family("adagrad_step").solve(params("adagrad_step", **common, lr=lr))
        assert ada["theta"][i] == pytest.approx(th, rel=1e-9, abs=1e-12)
        assert ada["accum"][i] == pytest.approx(acc, rel=1e-9, abs=1e-12)
        rms = get_family("rmsprop_step").solve(
            params("rmsprop_step", **common, lr=lr_r, alpha=alpha, eps=eps)
        )
        assert rms["theta"][i] == pytest.approx(th_r, rel=1e-9, abs=1e-12)
        assert rms["square_avg"][i] == pytest.approx(sq, rel=1e-9, abs=1e-12)
