"""Momentum (both conventions) and Nesterov: hand-worked examples, mistake detectors, and a
property against plain-loop specs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import get_family
from tests.engine.optim.helpers import SETTINGS, curv, grad, mode, named, params, spec_grad, steps, variant

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# -- hand-worked examples --------------------------------------------------------------------------


def test_momentum_both_conventions_same_theta_different_velocity():
    kw = dict(steps=2, grad_mode="fixed", theta0=1.0, g1=1.0, g2=1.0, lr=0.1, momentum=0.9)
    # PyTorch: v1 = 1, θ1 = 0.9; v2 = 1.9, θ2 = 0.71.  Book: v1 = -0.1, v2 = -0.19, θ2 = 0.71
    vp = variant("momentum_step", **kw, convention="pytorch")
    vb = variant("momentum_step", **kw, convention="book")
    assert vp.answers["theta"] == pytest.approx(0.71) and vb.answers["theta"] == pytest.approx(0.71)
    assert vp.answers["velocity"] == pytest.approx(1.9)
    assert vb.answers["velocity"] == pytest.approx(-0.19)


def test_nesterov_two_steps():
    # b1 = 1, d1 = 1 + 0.9 = 1.9, θ1 = 0.81; b2 = 1.9, d2 = 1 + 1.71 = 2.71, θ2 = 0.539
    v = variant("nesterov_step", steps=2, grad_mode="fixed", theta0=1.0, g1=1.0, g2=1.0, lr=0.1, momentum=0.9)
    assert v.answers["theta"] == pytest.approx(0.539)
    assert v.answers["buffer"] == pytest.approx(1.9)


# -- one test per mistake detector ----------------------------------------------------------------

MOM = dict(steps=2, grad_mode="fixed", theta0=1.0, g1=1.0, g2=1.0, lr=0.1, momentum=0.9, convention="pytorch")


def test_momentum_mistakes():
    v = variant("momentum_step", **MOM)
    assert named(v, theta=0.71, velocity=-0.19) == "momentum.convention-swapped"
    # EMA form: v1 = 0.1, θ1 = 0.99; v2 = 0.19, θ2 = 0.971
    assert named(v, theta=0.971, velocity=0.19) == "momentum.ema-form"
    # plain SGD: θ2 = 0.8, "velocity" = g2 = 1
    assert named(v, theta=0.8, velocity=1.0) == "momentum.ignored"


def test_nesterov_mistakes():
    v = variant("nesterov_step", steps=2, grad_mode="fixed", theta0=1.0, g1=1.0, g2=1.0, lr=0.1, momentum=0.9)
    assert named(v, theta=0.71) == "nesterov.plain-momentum"
    q = variant("nesterov_step", steps=2, grad_mode="quadratic", curv=1.0, theta0=1.0, lr=0.5, momentum=0.5)
    # Sutskever: v1 = -0.5·1 = -0.5, θ1 = 0.5; v2 = 0.5·(-0.5) - 0.5·(0.5 - 0.25) = -0.375, θ2 = 0.125
    assert named(q, theta=0.125) == "nesterov.sutskever-lookahead"


# -- properties against plain-loop specs ----------------------------------------------------------


@SETTINGS
@given(
    k=steps,
    mode_=mode,
    a=curv,
    th0=grad,
    gs=st.lists(grad, min_size=3, max_size=3),
    lr=st.sampled_from([0.01, 0.1, 0.2, 0.5]),
    mu=st.sampled_from([0.5, 0.8, 0.9]),
    conv=st.sampled_from(["pytorch", "book"]),
)
def test_momentum_and_nesterov_match_loop_spec(k, mode_, a, th0, gs, lr, mu, conv):
    common = dict(traj=(k, mode_, a, th0, gs), lr=lr, momentum=mu)
    th, v = th0, 0.0  # book form, then the PyTorch velocity is -v/lr
    for t in range(k):
        v = mu * v - lr * spec_grad(mode_, a, gs, t, th)
        th += v
    ans = get_family("momentum_step").solve(params("momentum_step", **common, convention=conv))
    assert ans["theta"] == pytest.approx(th, rel=1e-9, abs=1e-12)
    assert ans["velocity"] == pytest.approx(v if conv == "book" else -v / lr, rel=1e-9, abs=1e-12)
    th, b = th0, 0.0
    for t in range(k):
        g = spec_grad(mode_, a, gs, t, th)
        b = mu * b + g
        th -= lr * (g + mu * b)
    nes = get_family("nesterov_step").solve(params("nesterov_step", **common))
    assert nes["theta"] == pytest.approx(th, rel=1e-9, abs=1e-12)
    assert nes["buffer"] == pytest.approx(b, rel=1e-9, abs=1e-12)
