"""Activation families (softmax, activation_values): hand-computed examples, mistake detectors, and
hypothesis properties against plain-loop specifications written here."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import InvalidParams, get_family, grade
from tests.engine.helpers import mistake_id, shown_vector


def vec(xs) -> str:
    return ", ".join(repr(float(x)) for x in xs)


def close_all(a, b, tol=1e-9) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= tol * max(1.0, abs(y)) for x, y in zip(a, b, strict=True))


# -- softmax ---------------------------------------------------------------------------------------------

SM = "softmax"


def test_softmax_large_logits_example():
    v = get_family(SM).instantiate({"data_seed": 2, "offset": 1000})
    assert shown_vector(v.prompt, "z") == [1000.7, 1001.2, 1000.7, 1000.5]
    # shift by the max 1001.2: (-0.5, 0, -0.5, -0.7); e^-0.5 = 0.60653, e^-0.7 = 0.49659
    assert close_all(v.answers["shifted"], [-0.5, 0.0, -0.5, -0.7], 1e-12)
    e = [math.exp(-0.5), 1.0, math.exp(-0.5), math.exp(-0.7)]
    assert close_all(v.answers["probs"], [x / sum(e) for x in e])
    # a naive exp(1000.7) overflows float64: the shift is what makes it computable
    with pytest.raises(OverflowError):
        math.exp(1000.7)


def test_softmax_accepts_percentages_and_rounding():
    v = get_family(SM).instantiate({"data_seed": 2, "offset": 1000})
    e = [math.exp(-0.5), 1.0, math.exp(-0.5), math.exp(-0.7)]
    pct = ", ".join(f"{100 * x / sum(e):.2f}%" for x in e)
    assert grade(v, {"shifted": "-0.5, 0, -0.5, -0.7", "probs": pct}).correct


def test_softmax_mistakes():
    p = {"data_seed": 2, "offset": 1000}
    z = [1000.7, 1001.2, 1000.7, 1000.5]
    assert mistake_id(SM, p, probs=vec([x / sum(z) for x in z])) == "softmax.no-exp"
    assert (
        mistake_id(SM, p, probs=vec([math.exp(-0.5), 1.0, math.exp(-0.5), math.exp(-0.7)]))
        == "softmax.forgot-normalise"
    )
    lse = math.log(2 * math.exp(-0.5) + 1 + math.exp(-0.7))
    assert mistake_id(SM, p, probs=vec([-0.5 - lse, -lse, -0.5 - lse, -0.7 - lse])) == "softmax.log-softmax"
    assert mistake_id(SM, p, shifted="0.5, 0, 0.5, 0.7") == "softmax.shift-sign"


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([0, 5, 100, 1000]))
def test_softmax_matches_loop_spec(seed, offset):
    v = get_family(SM).instantiate({"data_seed": seed, "offset": offset})
    z = shown_vector(v.prompt, "z")
    m = z[0]
    for x in z:
        m = max(m, x)
    shifted = [x - m for x in z]
    total = 0.0
    for s in shifted:
        total += math.exp(s)
    assert close_all(v.answers["shifted"], shifted)
    assert close_all(v.answers["probs"], [math.exp(s) / total for s in shifted])
    assert abs(sum(v.answers["probs"]) - 1) < 1e-12


# -- activation_values -------------------------------------------------------------------------------------

AV = "activation_values"


def av(fn, x, slope=0.1, alpha=1.0):
    return {"fn": fn, "x": x, "slope": slope, "alpha": alpha}


def _phi(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


@pytest.mark.parametrize(
    ("params", "value", "grad"),
    [
        (av("sigmoid", 0.0), 0.5, 0.25),  # σ(0) = 1/2, σ(1-σ) = 1/4
        (av("tanh", 1.0), math.tanh(1), 1 - math.tanh(1) ** 2),  # 0.761594, 0.419974
        (av("relu", -1.5), 0.0, 0.0),
        (av("relu", 2.5), 2.5, 1.0),
        (av("leaky_relu", -2.0, slope=0.1), -0.2, 0.1),
        (av("leaky_relu", 2.0, slope=0.01), 2.0, 1.0),
        (av("elu", -1.0, alpha=0.5), 0.5 * (math.exp(-1) - 1), 0.5 * math.exp(-1)),
        # exact GELU: Φ(1) = 0.841345, φ(1) = 0.241971
        (av("gelu", 1.0), _phi(1.0), _phi(1.0) + math.exp(-0.5) / math.sqrt(2 * math.pi)),
    ],
)
def test_activation_examples(params, value, grad):
    a = get_family(AV).instantiate(params).answers
    assert close_all([a["value"], a["grad"]], [value, grad], 1e-12)


def test_activation_kink_is_not_asked():
    with pytest.raises(InvalidParams):
        get_family(AV).instantiate(av("relu", 0.0))


def test_activation_mistakes():
    assert mistake_id(AV, av("sigmoid", 0.0), grad="0.5") == "act.sigmoid-derivative-as-sigma"
    assert mistake_id(AV, av("tanh", 1.0), grad=repr(1 - math.tanh(1))) == "act.tanh-derivative-unsquared"
    # max(kx, 0) at x = -2: 0 with slope 0 (the right form is max(x, kx) = -0.2)
    assert mistake_id(AV, av("leaky_relu", -2.0, slope=0.1), value="0", grad="0") == "act.leaky-relu-max-kx-0"
    assert (
        mistake_id(AV, av("elu", -1.0, alpha=0.5), value=repr(math.exp(-1) - 1), grad=repr(math.exp(-1)))
        == "act.elu-forgot-alpha"
    )
    # tanh approximation at x = -3: u = sqrt(2/pi)(-3 - 0.044715*27)
    u = math.sqrt(2 / math.pi) * (-3 - 0.044715 * 27)
    approx = 0.5 * -3 * (1 + math.tanh(u))
    # its derivative: 0.5(1 + tanh u) + 0.5x(1 - tanh²u)·sqrt(2/pi)(1 + 3·0.044715x²)
    d_approx = 0.5 * (1 + math.tanh(u)) + 0.5 * -3 * (1 - math.tanh(u) ** 2) * math.sqrt(2 / math.pi) * (
        1 + 3 * 0.044715 * 9
    )
    assert mistake_id(AV, av("gelu", -3.0), value=repr(approx), grad=repr(d_approx)) == "act.gelu-tanh-approx"


def test_activation_mistake_is_named_only_when_it_explains_every_part():
    # LeakyReLU(k=0.1) at x = 1: value 1, slope 1. max(kx, 0) would give 0.1 and slope 0.1; a right
    # slope of 1 with a value of 0.1 contradicts that mistake, so it is not named
    p = av("leaky_relu", 1.0, slope=0.1)
    assert mistake_id(AV, p, value="0.1", grad="0.1") == "act.leaky-relu-max-kx-0"
    assert mistake_id(AV, p, value="0.1", grad="1") is None


_SPEC = {
    "sigmoid": lambda x, k, a: 1 / (1 + math.exp(-x)),
    "tanh": lambda x, k, a: math.tanh(x),
    "relu": lambda x, k, a: max(0.0, x),
    "leaky_relu": lambda x, k, a: x if x > 0 else k * x,
    "elu": lambda x, k, a: x if x > 0 else a * (math.exp(x) - 1),
    "gelu": lambda x, k, a: x * _phi(x),
}


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(list(_SPEC)),
    st.integers(-30, 30),
    st.sampled_from([0.01, 0.1, 0.2]),
    st.sampled_from([1.0, 0.5, 1.5]),
)
def test_activation_matches_central_difference(fn, x10, k, a):
    x = x10 / 10
    assume(x != 0 or fn in ("sigmoid", "tanh", "gelu"))
    ans = get_family(AV).instantiate(av(fn, x, k, a)).answers
    f = _SPEC[fn]
    h = 1e-6
    assert abs(ans["value"] - f(x, k, a)) < 1e-12
    assert abs(ans["grad"] - (f(x + h, k, a) - f(x - h, k, a)) / (2 * h)) < 1e-6
