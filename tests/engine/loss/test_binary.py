"""Binary losses (bce_loss, focal_loss): hand-computed examples, mistake detectors, and properties
against plain-loop specifications (data read back from the prompt)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import get_family
from tests.engine.helpers import mistake_id, shown_vector
from tests.engine.loss.helpers import close, sigmoid

# -- bce_loss --------------------------------------------------------------------------------------------

BCE = "bce_loss"


def test_bce_probs_example_and_mistakes():
    p = {"given": "probs", "n": 2, "data_seed": 0}
    v = get_family(BCE).instantiate(p)
    assert shown_vector(v.prompt, "p") == [0.5, 0.9] and shown_vector(v.prompt, "y") == [0, 1]
    loss = (-math.log(0.5) - math.log(0.9)) / 2  # (0.693147 + 0.105361)/2 = 0.399254
    assert close(v.answers["loss"], loss)
    assert mistake_id(BCE, p, loss=repr(2 * loss)) == "bce.sum-not-mean"
    twice = (-math.log(1 - sigmoid(0.5)) - math.log(sigmoid(0.9))) / 2
    assert mistake_id(BCE, p, loss=repr(twice)) == "bce.sigmoid-on-probs"


def test_bce_logits_example_and_mistakes():
    p = {"given": "logits", "n": 2, "data_seed": 3}
    v = get_family(BCE).instantiate(p)
    assert shown_vector(v.prompt, "z") == [-2.7, -2.7] and shown_vector(v.prompt, "y") == [1, 0]
    # y=1: -ln σ(-2.7) = ln(1 + e^2.7); y=0: -ln(1 - σ(-2.7)) = ln(1 + e^-2.7)
    loss = (math.log1p(math.exp(2.7)) + math.log1p(math.exp(-2.7))) / 2
    assert close(v.answers["loss"], loss)
    s = sigmoid(sigmoid(-2.7))
    assert mistake_id(BCE, p, loss=repr((-math.log(s) - math.log(1 - s)) / 2)) == "bce.double-sigmoid"


def test_bce_logit_as_prob():
    # only a logit inside (0, 1) can be misread as a probability: take the first such variant
    fam = get_family(BCE)
    for seed in range(2000):
        v = fam.instantiate({"given": "logits", "n": 1, "data_seed": seed})
        z, y = shown_vector(v.prompt, "z"), shown_vector(v.prompt, "y")
        if 0 < z[0] < 1:
            break
    wrong = -math.log(z[0]) if y[0] == 1 else -math.log(1 - z[0])
    assert (
        mistake_id(BCE, {"given": "logits", "n": 1, "data_seed": seed}, loss=repr(wrong))
        == "bce.logit-as-prob"
    )


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["probs", "logits"]), st.integers(1, 4), st.integers(0, 10**6))
def test_bce_matches_loop_spec(given_, n, seed):
    v = get_family(BCE).instantiate({"given": given_, "n": n, "data_seed": seed})
    x = shown_vector(v.prompt, "p" if given_ == "probs" else "z")
    y = shown_vector(v.prompt, "y")
    total = 0.0
    for xi, yi in zip(x, y, strict=True):
        pi = xi if given_ == "probs" else sigmoid(xi)
        total += -math.log(pi) if yi == 1 else -math.log(1 - pi)
    assert close(v.answers["loss"], total / n)


# -- focal_loss ------------------------------------------------------------------------------------------

FL = "focal_loss"


def fl(p, label, alpha=0.25, gamma=2.0):
    return {"p": p, "label": label, "alpha": alpha, "gamma": gamma}


def test_focal_examples():
    pos = get_family(FL).instantiate(fl(0.9, 1)).answers
    # p_t = 0.9, alpha_t = 0.25: 0.25 * 0.1^2 * ln(1/0.9) = 2.634e-4 (an easy positive barely counts)
    assert close(pos["p_t"], 0.9) and close(pos["loss"], 0.25 * 0.01 * -math.log(0.9))
    neg = get_family(FL).instantiate(fl(0.2, 0)).answers
    # p_t = 0.8, alpha_t = 0.75: 0.75 * 0.04 * 0.223144 = 0.006694
    assert close(neg["p_t"], 0.8) and close(neg["loss"], 0.75 * 0.04 * -math.log(0.8))


def test_focal_mistakes():
    p = fl(0.2, 0)
    ce = -math.log(0.8)
    assert mistake_id(FL, p, loss=repr(0.04 * ce)) == "focal.forgot-alpha"
    assert mistake_id(FL, p, loss=repr(0.25 * 0.04 * ce)) == "focal.alpha-wrong-class"
    assert mistake_id(FL, p, loss=repr(0.75 * 0.64 * ce)) == "focal.gamma-on-pt"
    assert mistake_id(FL, p, p_t="0.2", loss=repr(0.75 * 0.64 * -math.log(0.2))) == "focal.pt-is-p"


def test_focal_gamma_zero_alpha_half_is_half_bce():
    v = get_family(FL).instantiate(fl(0.3, 1, alpha=0.5, gamma=0.0))
    assert close(v.answers["loss"], 0.5 * -math.log(0.3))
    assert "focal.alpha-wrong-class" not in {m.id for m in v.mistakes}


@settings(max_examples=200, deadline=None)
@given(
    st.integers(5, 95),
    st.integers(0, 1),
    st.sampled_from([0.25, 0.5, 0.75]),
    st.sampled_from([0.0, 0.5, 1.0, 2.0, 5.0]),
)
def test_focal_matches_spec(p100, label, alpha, gamma):
    p = p100 / 100
    a = get_family(FL).instantiate(fl(p, label, alpha, gamma)).answers
    pt = p if label == 1 else 1 - p
    at = alpha if label == 1 else 1 - alpha
    assert close(a["p_t"], pt) and close(a["loss"], -at * (1 - pt) ** gamma * math.log(pt))
