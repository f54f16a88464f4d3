"""Training bookkeeping families: hand-computed examples, mistake detectors, and hypothesis
properties against plain-loop specifications written here."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import get_family, grade
from tests.engine.helpers import mistake_id

# -- epoch_iterations -------------------------------------------------------------------------------------

EPOCH = "epoch_iterations"


@pytest.mark.parametrize(
    ("n", "batch", "epochs", "drop_last", "per", "total"),
    [
        (1000, 32, 10, False, 32, 320),  # 1000/32 = 31.25: the last, partial batch counts
        (1000, 32, 10, True, 31, 310),  # dropped
        (50000, 128, 90, False, 391, 35190),  # CIFAR-10
        (1024, 256, 3, True, 4, 12),  # exact division: both rules agree
    ],
)
def test_epoch_iterations_examples(n, batch, epochs, drop_last, per, total):
    v = get_family(EPOCH).instantiate({"n": n, "batch": batch, "epochs": epochs, "drop_last": drop_last})
    assert v.answers == {"per_epoch": per, "total": total}


def test_epoch_iterations_mistakes():
    p = {"n": 1000, "batch": 32, "epochs": 10, "drop_last": False}
    assert mistake_id(EPOCH, p, per_epoch="31", total="310") == "train.ceil-vs-floor"
    assert mistake_id(EPOCH, dict(p, drop_last=True), per_epoch="32", total="320") == "train.ceil-vs-floor"
    assert mistake_id(EPOCH, p, total="313") == "train.total-from-samples"  # ceil(10000 / 32)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(100, 200_000),
    st.sampled_from([8, 16, 24, 32, 48, 64, 100, 128, 256, 512]),
    st.integers(1, 300),
    st.booleans(),
)
def test_epoch_iterations_match_a_batching_loop(n, batch, epochs, drop_last):
    assume(batch <= n)
    per, left = 0, n
    while left > 0:
        take = min(batch, left)
        left -= take
        if take == batch or not drop_last:
            per += 1
    v = get_family(EPOCH).instantiate({"n": n, "batch": batch, "epochs": epochs, "drop_last": drop_last})
    assert v.answers == {"per_epoch": per, "total": per * epochs}


# -- dataset_split --------------------------------------------------------------------------------------

SPLIT = "dataset_split"


@pytest.mark.parametrize(
    ("n", "ratios", "sizes"),
    [
        (1001, "70/15/15", (701, 150, 150)),  # floors 700, 150, 150; 1 left -> train
        (199, "70/15/15", (140, 30, 29)),  # floors 139, 29, 29; 2 left -> train, val
        (1000, "80/10/10", (800, 100, 100)),
        (1003, "70/20/10", (703, 200, 100)),  # floors 702, 200, 100
    ],
)
def test_dataset_split_examples(n, ratios, sizes):
    v = get_family(SPLIT).instantiate({"n": n, "ratios": ratios})
    assert (v.answers["train"], v.answers["val"], v.answers["test"]) == sizes


def test_dataset_split_mistakes():
    p = {"n": 199, "ratios": "70/15/15"}  # 140, 30, 29 (floors 139.3 -> 139, 29.85 -> 29, 29)
    assert mistake_id(SPLIT, p, train="139", val="29", test="31") == "split.remainder-to-last"
    assert mistake_id(SPLIT, p, train="141", val="29", test="29") == "split.remainder-to-first"
    assert mistake_id(SPLIT, p, train="139", val="30", test="30") == "split.rounded-each"


def _split_spec(n, ratios):
    pcts = [int(x) for x in ratios.split("/")]
    sizes = [math.floor(n * Fraction(q, 100)) for q in pcts]
    i = 0
    while sum(sizes) < n:
        sizes[i % 3] += 1
        i += 1
    return dict(zip(("train", "val", "test"), sizes, strict=True))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(100, 20_000),
    st.sampled_from(
        ["70/15/15", "80/10/10", "60/20/20", "70/20/10", "90/5/5", "75/15/10", "85/10/5", "98/1/1"]
    ),
)
def test_dataset_split_matches_round_robin(n, ratios):
    fam = get_family(SPLIT)
    assume(fam.constraint({"n": n, "ratios": ratios}) is None)
    assert fam.instantiate({"n": n, "ratios": ratios}).answers == _split_spec(n, ratios)


# -- numerical_gradient ---------------------------------------------------------------------------------

NUM = "numerical_gradient"


def test_numerical_gradient_cubic_by_hand():
    # f = x^3 - 3x at 2, h = 0.1: f(2.1) = 2.961, f(1.9) = 1.159; (2.961 - 1.159)/0.2 = 9.01; f' = 9
    a = get_family(NUM).instantiate({"func": "x^3-3x", "x": 2.0, "h": 0.1}).answers
    assert a["num"] == pytest.approx(9.01, rel=1e-12)
    assert a["analytic"] == pytest.approx(9.0, rel=1e-12)
    assert a["err"] == pytest.approx(0.01, rel=1e-9)  # exactly h^2 for this cubic


def test_numerical_gradient_exp_by_hand():
    # e^x at 0: (e^h - e^-h) / 2h = sinh(h)/h
    a = get_family(NUM).instantiate({"func": "e^x", "x": 0.0, "h": 0.1}).answers
    assert a["num"] == pytest.approx(1.0016675001984403, rel=1e-12)
    assert a["analytic"] == 1.0
    assert a["err"] == pytest.approx(0.0016675001984403, rel=1e-9)


def test_numerical_gradient_mistakes():
    p = {"func": "x^3-3x", "x": 2.0, "h": 0.1}
    assert mistake_id(NUM, p, num="9.61", err="0.61") == "numgrad.forward-difference"  # (2.961 - 2)/0.1
    # h instead of 2h doubles the estimate: 18.02, 9.02 away from f'(2) = 9
    assert mistake_id(NUM, p, num="18.02", err="9.02") == "numgrad.forgot-2h"
    assert mistake_id(NUM, p, num="9") == "numgrad.gave-analytic"


def test_numerical_gradient_needs_the_digits():
    v = get_family(NUM).instantiate({"func": "x^3-3x", "x": 2.0, "h": 0.1})
    assert grade(v, {"num": "9.0100000", "analytic": "9", "err": "1e-2"}).correct
    assert not grade(v, {"num": "9.011", "analytic": "9", "err": "0.01"}).correct


FUNCS = {
    "x^3-3x": (lambda x: x**3 - 3 * x, lambda x: 3 * x**2 - 3),
    "x^4-2x^2": (lambda x: x**4 - 2 * x**2, lambda x: 4 * x**3 - 4 * x),
    "e^x": (math.exp, math.exp),
    "x*e^x": (lambda x: x * math.exp(x), lambda x: (1 + x) * math.exp(x)),
    "e^(-x^2)": (lambda x: math.exp(-x * x), lambda x: -2 * x * math.exp(-x * x)),
}


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(FUNCS)), st.integers(-20, 20), st.sampled_from([0.1, 0.05, 0.01]))
def test_numerical_gradient_matches_math_module(func, tenths, h):
    x = round(tenths / 10, 1)
    f, df = FUNCS[func]
    num = (f(x + h) - f(x - h)) / (2 * h)
    a = get_family(NUM).instantiate({"func": func, "x": x, "h": h}).answers
    assert a["num"] == pytest.approx(num, rel=1e-12, abs=1e-12)
    assert a["analytic"] == pytest.approx(df(x), rel=1e-12, abs=1e-12)
    assert a["err"] == pytest.approx(abs(num - df(x)), rel=1e-6, abs=1e-11)


# -- data_parallel_speedup ------------------------------------------------------------------------------

DP = "data_parallel_speedup"


def test_data_parallel_by_hand():
    # 1000 ms on one GPU, 4 GPUs, 50 ms all-reduce: 250 + 50 = 300 ms; S = 10/3; E = 5/6
    v = get_family(DP).instantiate({"t_compute": 1000, "gpus": 4, "t_comm": 50})
    a = v.answers
    assert a["step"] == 300.0
    assert a["speedup"] == pytest.approx(10 / 3)
    assert a["efficiency"] == pytest.approx(5 / 6)
    assert grade(v, {"step": "300", "speedup": "3.333", "efficiency": "83.33%"}).correct


def test_data_parallel_mistakes():
    p = {"t_compute": 1000, "gpus": 4, "t_comm": 50}
    assert mistake_id(DP, p, step="250", speedup="4", efficiency="1") == "parallel.forgot-communication"
    assert (
        mistake_id(DP, p, step="262.5", speedup=repr(1000 / 262.5), efficiency=repr(1000 / 262.5 / 4))
        == "parallel.comm-divided-by-p"
    )
    assert mistake_id(DP, p, speedup="0.3", efficiency="0.075") == "parallel.speedup-inverted"
    assert mistake_id(DP, p, efficiency="1.2") == "parallel.efficiency-inverted"


@settings(max_examples=200, deadline=None)
@given(st.integers(100, 2000), st.sampled_from([2, 4, 8, 16]), st.integers(5, 200))
def test_data_parallel_matches_a_timeline(t, gpus, comm):
    # each GPU's clock: its share of the batch, then the all-reduce; the step is the latest clock
    clocks = [0.0] * gpus
    for g in range(gpus):
        clocks[g] += t / gpus
    step = max(clocks) + comm
    a = get_family(DP).instantiate({"t_compute": t, "gpus": gpus, "t_comm": comm}).answers
    assert a["step"] == pytest.approx(step, rel=1e-12)
    assert a["speedup"] == pytest.approx(t / step, rel=1e-12)
    assert a["efficiency"] == pytest.approx(t / step / gpus, rel=1e-12)
