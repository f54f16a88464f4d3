"""SGD with weight decay: hand-worked examples, its mistake detectors, and a property against a
plain-loop spec."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import get_family, grade
from tests.engine.helpers import closed_answers
from tests.engine.optim.helpers import SETTINGS, curv, grad, mode, named, params, spec_grad, steps, variant

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# -- hand-worked examples --------------------------------------------------------------------------

SGD_TWO_STEPS = dict(
    steps=2, grad_mode="fixed", theta0_1=1.0, theta0_2=-2.0, g1_1=0.5, g1_2=-1.0, g2_1=1.0, g2_2=2.0, lr=0.1
)


def test_sgd_two_fixed_steps_without_and_with_weight_decay():
    kw = SGD_TWO_STEPS
    # θ1 = (1, -2) - 0.1(0.5, -1) = (0.95, -1.9); θ2 = θ1 - 0.1(1, 2) = (0.85, -2.1)
    assert variant("sgd_step", **kw, weight_decay=0.0).answers["theta"] == pytest.approx([0.85, -2.1])
    # with λ=0.1: d1 = (0.6, -1.2), θ1 = (0.94, -1.88); d2 = (1.094, 1.812), θ2 = (0.8306, -2.0612)
    v = variant("sgd_step", **kw, weight_decay=0.1)
    assert v.answers["theta"] == pytest.approx([0.8306, -2.0612])
    assert grade(v, {"theta": "0.8306, -2.0612"}).correct


def test_sgd_on_a_quadratic_shrinks_by_one_minus_lr_a():
    # ∇ = 2θ, lr 0.1: θ ← 0.8θ each step; 3 steps: 0.512θ0
    v = variant("sgd_step", steps=3, grad_mode="quadratic", curv=2.0, theta0_1=1.0, theta0_2=-0.5, lr=0.1)
    assert v.answers["theta"] == pytest.approx([0.512, -0.256])


# -- one test per mistake detector ----------------------------------------------------------------

SGD_WD = dict(SGD_TWO_STEPS, weight_decay=0.1)


def test_sgd_mistakes():
    v = variant("sgd_step", **SGD_WD)
    assert named(v, theta=[0.85, -2.1]) == "optim.wd-ignored"
    # λθ not scaled by lr: θ1 = (1 - 0.05 - 0.1, -2 + 0.1 + 0.2) = (0.85, -1.7);
    # θ2 = (0.85 - 0.1 - 0.085, -1.7 - 0.2 + 0.17) = (0.665, -1.73)
    assert named(v, theta=[0.665, -1.73]) == "optim.wd-not-scaled-by-lr"
    q = variant("sgd_step", steps=2, grad_mode="quadratic", curv=2.0, theta0_1=1.0, theta0_2=-0.5, lr=0.1)
    # the gradient at θ0 used twice: θ2 = θ0 - 2·0.1·2θ0 = 0.6θ0
    assert named(q, theta=[0.6, -0.3]) == "optim.stale-gradient"


# -- properties against plain-loop specs ----------------------------------------------------------


@SETTINGS
@given(
    k=steps,
    mode_=mode,
    a=curv,
    th0=st.lists(grad, min_size=2, max_size=2),
    gs=st.lists(st.lists(grad, min_size=2, max_size=2), min_size=3, max_size=3),
    lr=st.sampled_from([0.01, 0.05, 0.1, 0.2, 0.5]),
    wd=st.sampled_from([0.0, 0.01, 0.1, 0.5]),
)
def test_sgd_closed_form_and_torch_match_loop_spec(k, mode_, a, th0, gs, lr, wd):
    p = params("sgd_step", traj=(k, mode_, a, th0, gs), lr=lr, weight_decay=wd)
    want = []
    for i in range(2):
        th = th0[i]
        for t in range(k):
            th -= lr * (spec_grad(mode_, a, [row[i] for row in gs], t, th) + wd * th)
        want.append(th)
    assert get_family("sgd_step").solve(p)["theta"] == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert closed_answers("sgd_step", p)["theta"] == pytest.approx(want, rel=1e-9, abs=1e-12)
