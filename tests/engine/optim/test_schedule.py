"""Learning-rate schedules: examples, mistake detectors, and a property against a step-by-step spec."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import get_family
from tests.engine.helpers import closed_answers
from tests.engine.optim.helpers import SETTINGS, named, variant

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# -- hand-worked examples --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw, expected",
    [
        (dict(kind="step", base_lr=0.1, step_size=10, gamma=0.1, t=25), 0.001),
        (dict(kind="exponential", base_lr=1.0, gamma=0.9, t=3), 0.729),
        (dict(kind="exp_staircase", base_lr=0.1, step_size=10, gamma=0.5, t=25), 0.025),
        (dict(kind="piecewise", base_lr=0.1, m1=10, m2=40, gamma=0.1, t=40), 0.001),
        (dict(kind="piecewise", base_lr=0.1, m1=10, m2=40, gamma=0.1, t=39), 0.01),
        (dict(kind="polynomial", base_lr=0.1, total=50, power=2.0, t=25), 0.025),
        (dict(kind="polynomial", base_lr=0.1, total=20, power=2.0, t=20), 0.0),
        (dict(kind="inverse_time", base_lr=0.1, step_size=10, gamma=0.5, t=20), 0.05),
        (dict(kind="cosine", base_lr=0.1, total=20, eta_min=0.0, t=10), 0.05),
        (dict(kind="cosine", base_lr=0.1, total=20, eta_min=0.001, t=10), 0.0505),
        # T_0=10, T_mult=2: cycles [0,10), [10,30): t=17 → T_cur=7, T_i=20
        (
            dict(kind="cosine_restarts", base_lr=0.1, step_size=10, t_mult=2, eta_min=0.0, t=17),
            0.05 * (1 + math.cos(0.35 * math.pi)),
        ),
        (
            dict(kind="cosine_restarts", base_lr=0.1, step_size=10, t_mult=1, eta_min=0.0, t=17),
            0.05 * (1 + math.cos(0.7 * math.pi)),
        ),
    ],
)
def test_lr_schedule_examples(kw, expected):
    v = variant("lr_schedule", **kw)
    assert v.answers["lr"] == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert closed_answers("lr_schedule", dict(v.params))["lr"][0] == pytest.approx(
        expected, rel=1e-9, abs=1e-15
    )


# -- one test per mistake detector ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kw, wrong, mid",
    [
        (dict(kind="exponential", base_lr=1.0, gamma=0.9, t=3), 0.81, "lr.off-by-one"),
        (
            dict(kind="exp_staircase", base_lr=0.1, step_size=10, gamma=0.5, t=25),
            0.1 * 0.5**2.5,
            "lr.staircase-ignored",
        ),
        (
            dict(kind="piecewise", base_lr=0.1, m1=10, m2=40, gamma=0.1, t=40),
            0.01,
            "lr.milestone-not-yet-applied",
        ),
        (dict(kind="polynomial", base_lr=0.1, total=50, power=2.0, t=25), 0.05, "lr.poly-power-ignored"),
        (
            dict(kind="inverse_time", base_lr=0.1, step_size=10, gamma=0.5, t=20),
            0.1 / 11,
            "lr.inverse-time-no-decay-steps",
        ),
        (dict(kind="cosine", base_lr=0.1, total=20, eta_min=0.001, t=10), 0.05, "lr.cosine-eta-min-ignored"),
        (
            dict(kind="cosine_restarts", base_lr=0.1, step_size=10, t_mult=2, eta_min=0.0, t=17),
            0.05 * (1 + math.cos(0.7 * math.pi)),
            "lr.restart-period-not-multiplied",
        ),
        (
            dict(kind="cosine_restarts", base_lr=0.1, step_size=10, t_mult=2, eta_min=0.0, t=17),
            0.05 * (1 + math.cos(1.7 * math.pi)),
            "lr.no-restart",
        ),
    ],
)
def test_lr_schedule_mistakes(kw, wrong, mid):
    assert named(variant("lr_schedule", **kw), lr=wrong) == mid


# -- properties against plain-loop specs ----------------------------------------------------------


def _lr_spec(p: dict) -> float:
    """The LR after t steps, replaying each schedule's rule one step at a time (no closed forms)."""
    kind, lr = p["kind"], p["base_lr"]
    t_cur, t_i = 0, p["step_size"]
    for e in range(1, p["t"] + 1):
        if kind == "step" and e % p["step_size"] == 0:
            lr *= p["gamma"]
        elif kind == "exponential":
            lr *= p["gamma"]
        elif kind == "exp_staircase" and e % p["step_size"] == 0:
            lr *= p["gamma"]
        elif kind == "piecewise" and e in (p["m1"], p["m2"]):
            lr *= p["gamma"]
        elif kind == "cosine_restarts":
            t_cur += 1
            if t_cur == t_i:
                t_cur, t_i = 0, t_i * p["t_mult"]
    t = p["t"]
    if kind == "polynomial":
        lr = p["base_lr"] * max(0.0, 1 - t / p["total"]) ** p["power"]
    elif kind == "inverse_time":
        lr = p["base_lr"] / (1 + p["gamma"] * t / p["step_size"])
    elif kind in ("cosine", "cosine_restarts"):
        frac = t / p["total"] if kind == "cosine" else t_cur / t_i
        lr = p["eta_min"] + (p["base_lr"] - p["eta_min"]) * (1 + math.cos(math.pi * frac)) / 2
    return lr


@SETTINGS
@given(seed=st.integers(0, 10**6))
def test_lr_schedule_matches_step_by_step_spec(seed):
    fam = get_family("lr_schedule")
    v = fam.generate(seed)
    want = _lr_spec(dict(v.params))
    assert v.answers["lr"] == pytest.approx(want, rel=1e-9, abs=1e-15)
    assert closed_answers("lr_schedule", dict(v.params))["lr"][0] == pytest.approx(want, rel=1e-9, abs=1e-15)
