"""Adam and AdamW vs Adam + L2: hand-worked examples, mistake detectors, and properties against
plain-loop specs."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import get_family
from tests.engine.optim.helpers import SETTINGS, curv, grad, mode, named, params, spec_grad, steps, variant

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# -- hand-worked examples --------------------------------------------------------------------------


def test_adam_first_steps_move_by_lr():
    # m1 = 0.05, v1 = 0.00025, m̂ = 0.5, v̂ = 0.25: θ1 = 1 - 0.1·0.5/0.5 = 0.9; same again: θ2 = 0.8
    v = variant(
        "adam_step", steps=2, grad_mode="fixed", theta0=1.0, g1=0.5, g2=0.5, lr=0.1, beta1=0.9, beta2=0.999
    )
    assert v.answers["theta"] == pytest.approx(0.8, rel=1e-6)
    assert v.answers["m"] == pytest.approx(0.095)
    assert v.answers["v"] == pytest.approx(0.00049975)


def test_adamw_vs_adam_l2_one_step():
    # AdamW: θ ← 1·(1 - 0.1·0.5) = 0.95, then -0.1·sign(0.5): 0.85.  Adam+L2: g = 0.5 + 0.5·1 = 1: 0.9
    v = variant("adamw_vs_l2", steps=1, grad_mode="fixed", theta0=1.0, g1=0.5, lr=0.1, weight_decay=0.5)
    assert v.answers["adamw"] == pytest.approx(0.85, rel=1e-6)
    assert v.answers["adam_l2"] == pytest.approx(0.9, rel=1e-6)


# -- one test per mistake detector ----------------------------------------------------------------


def test_adam_mistakes():
    v = variant("adam_step", steps=1, grad_mode="fixed", theta0=1.0, g1=0.5, lr=0.1, beta1=0.9, beta2=0.999)
    # no bias correction: 1 - 0.1·0.05/√0.00025 = 1 - 0.316228
    assert named(v, theta=1 - 0.1 * 0.05 / math.sqrt(0.00025)) == "optim.adam-no-bias-correction"
    assert named(v, m=0.5, v=0.25) == "adam.state-bias-corrected"
    # swapped weights: m = 0.9·0.5 = 0.45, v = 0.999·0.25 = 0.24975; bias-corrected m̂ = 4.5,
    # v̂ = 249.75: θ = 1 - 0.1·4.5/√249.75. Named only with that θ: a right θ contradicts the mistake
    theta_swapped = 1 - 0.1 * 4.5 / math.sqrt(249.75)
    assert named(v, m=0.45, v=0.24975, theta=theta_swapped) == "adam.betas-swapped"
    assert named(v, m=0.45, v=0.24975) is None


def test_adamw_mistakes():
    # g = -0.2 at θ0 = 1, λ = 0.5, lr = 0.1 (one Adam step moves lr·sign(gradient)):
    # AdamW 1·0.95 + 0.1 = 1.05; Adam+L2: g = -0.2 + 0.5 = 0.3 > 0, so 0.9; no decay at all: 1.1
    v = variant("adamw_vs_l2", steps=1, grad_mode="fixed", theta0=1.0, g1=-0.2, lr=0.1, weight_decay=0.5)
    assert v.answers["adamw"] == pytest.approx(1.05) and v.answers["adam_l2"] == pytest.approx(0.9)
    assert named(v, adamw=0.9, adam_l2=1.05) == "adamw.swapped"
    # decay θ(1 - λ) = 0.5, then +0.1
    assert named(v, adamw=0.6) == "adamw.decay-not-scaled-by-lr"
    assert named(v, adamw=1.1, adam_l2=1.1) == "adamw.decay-ignored"


# -- properties against plain-loop specs ----------------------------------------------------------


@SETTINGS
@given(
    k=steps,
    mode_=mode,
    a=curv,
    th0=grad,
    gs=st.lists(grad, min_size=3, max_size=3),
    lr=st.sampled_from([0.001, 0.01, 0.1, 0.5]),
    b1=st.sampled_from([0.5, 0.8, 0.9]),
    b2=st.sampled_from([0.9, 0.99, 0.999]),
)
def test_adam_matches_loop_spec(k, mode_, a, th0, gs, lr, b1, b2):
    p = params("adam_step", traj=(k, mode_, a, th0, gs), lr=lr, beta1=b1, beta2=b2)
    th, m, v = th0, 0.0, 0.0
    for t in range(k):
        g = spec_grad(mode_, a, gs, t, th)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        th -= lr * (m / (1 - b1 ** (t + 1))) / (math.sqrt(v / (1 - b2 ** (t + 1))) + 1e-8)
    ans = get_family("adam_step").solve(p)
    assert ans["theta"] == pytest.approx(th, rel=1e-9, abs=1e-12)
    assert ans["m"] == pytest.approx(m, rel=1e-9, abs=1e-12)
    assert ans["v"] == pytest.approx(v, rel=1e-9, abs=1e-12)


@SETTINGS
@given(
    k=steps,
    mode_=mode,
    a=curv,
    th0=grad,
    gs=st.lists(grad, min_size=3, max_size=3),
    lr=st.sampled_from([0.01, 0.1, 0.2]),
    wd=st.sampled_from([0.1, 0.5, 1.0]),
)
def test_adamw_and_l2_match_loop_spec(k, mode_, a, th0, gs, lr, wd):
    p = params("adamw_vs_l2", traj=(k, mode_, a, th0, gs), lr=lr, weight_decay=wd)

    def adam(decoupled: bool) -> float:
        th, m, v = th0, 0.0, 0.0
        for t in range(1, k + 1):
            g = spec_grad(mode_, a, gs, t - 1, th)
            if decoupled:
                th -= lr * wd * th
            else:
                g += wd * th
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            th -= lr * (m / (1 - 0.9**t)) / (math.sqrt(v / (1 - 0.999**t)) + 1e-8)
        return th

    ans = get_family("adamw_vs_l2").solve(p)
    assert ans["adamw"] == pytest.approx(adam(True), rel=1e-9, abs=1e-12)
    assert ans["adam_l2"] == pytest.approx(adam(False), rel=1e-9, abs=1e-12)
