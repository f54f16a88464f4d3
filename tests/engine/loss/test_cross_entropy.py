"""Softmax cross-entropy (cross_entropy, label_smoothing): hand-computed examples, mistake detectors,
and properties against plain-loop specifications (data read back from the prompt)."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import get_family, grade
from engine.values import InvalidParams
from tests.engine.helpers import mistake_id, shown_vector
from tests.engine.loss.helpers import close, log_softmax

# -- cross_entropy ---------------------------------------------------------------------------------------

CE = "cross_entropy"


def test_cross_entropy_logits_example_and_mistakes():
    p = {"given": "logits", "K": 3, "target": 0, "data_seed": 1}
    v = get_family(CE).instantiate(p)
    assert shown_vector(v.prompt, "z") == [1.8, -1.1, -1.4]
    pt = math.exp(1.8) / (math.exp(1.8) + math.exp(-1.1) + math.exp(-1.4))  # 0.9329
    assert close(v.answers["p"], pt) and close(v.answers["loss"], -math.log(pt))
    assert mistake_id(CE, p, loss=repr(-math.log2(pt))) == "ce.log2"
    assert mistake_id(CE, p, loss=repr(-math.log10(pt))) == "ce.log10"
    assert mistake_id(CE, p, loss=repr(-math.log(1.8))) == "ce.no-softmax"


def test_cross_entropy_forgot_exp():
    # z = (1.5, -1.2, -0.1), target 0: z_t/Σz = 1.5/0.2 is no probability, but the mistake is real
    p = {"given": "logits", "K": 3, "target": 0, "data_seed": 4}
    v = get_family(CE).instantiate(p)
    assert shown_vector(v.prompt, "z") == [1.5, -1.2, -0.1]
    assert mistake_id(CE, p, p="7.5", loss=repr(-math.log(7.5))) == "ce.forgot-exp"


def test_cross_entropy_probs_example_and_mistakes():
    p = {"given": "probs", "K": 3, "target": 2, "data_seed": 0}
    v = get_family(CE).instantiate(p)
    assert shown_vector(v.prompt, "q") == [0.45, 0.2, 0.35]
    assert close(v.answers["p"], 0.35) and close(v.answers["loss"], -math.log(0.35))  # 1.049822
    e = [math.exp(0.45), math.exp(0.2), math.exp(0.35)]
    assert (
        mistake_id(CE, p, p=repr(e[2] / sum(e)), loss=repr(-math.log(e[2] / sum(e)))) == "ce.softmax-on-probs"
    )
    assert grade(v, {"p": "35%", "loss": "1.0498"}).correct


def test_cross_entropy_target_must_exist():
    with pytest.raises(InvalidParams):
        get_family(CE).instantiate({"given": "logits", "K": 3, "target": 3, "data_seed": 0})


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["logits", "probs"]), st.integers(3, 5), st.integers(0, 4), st.integers(0, 10**6))
def test_cross_entropy_matches_loop_spec(given_, k, t, seed):
    params = {"given": given_, "K": k, "target": t, "data_seed": seed}
    fam = get_family(CE)
    assume(t < k and fam.constraint(params) is None)
    v = fam.instantiate(params)
    if given_ == "logits":
        z = shown_vector(v.prompt, "z")
        total = 0.0
        for x in z:
            total += math.exp(x)
        pt = math.exp(z[t]) / total
    else:
        q = shown_vector(v.prompt, "q")
        assert abs(sum(q) - 1) < 1e-9 and min(q) > 0
        pt = q[t]
    assert len(z if given_ == "logits" else q) == k
    assert close(v.answers["p"], pt) and close(v.answers["loss"], -math.log(pt))


# -- label_smoothing -------------------------------------------------------------------------------------

LS = "label_smoothing"


def test_label_smoothing_example_and_mistakes():
    p = {"K": 3, "target": 1, "eps": 0.1, "data_seed": 0}
    v = get_family(LS).instantiate(p)
    z = shown_vector(v.prompt, "z")
    assert z == [-0.2, 0.9, 0.6]
    lp = log_softmax(z)
    # torch: eps/K to every class, so q_t = 0.9 + 0.1/3, q_other = 0.1/3
    qt, qo = 0.9 + 0.1 / 3, 0.1 / 3
    a = v.answers
    assert close(a["q_t"], qt) and close(a["q_other"], qo)
    assert close(a["loss"], -(qt * lp[1] + qo * (lp[0] + lp[2])))
    wrong = -(0.9 * lp[1] + 0.05 * (lp[0] + lp[2]))
    # typed with the four digits asked ("0.9" alone is imprecise: right to one digit, 0.9333)
    assert mistake_id(LS, p, q_t="0.9000", q_other="0.05000", loss=repr(wrong)) == "ls.eps-over-k-minus-1"
    assert mistake_id(LS, p, loss=repr(-lp[1])) == "ls.no-smoothing"


@settings(max_examples=200, deadline=None)
@given(st.integers(3, 5), st.integers(0, 4), st.sampled_from([0.1, 0.2, 0.05, 0.3]), st.integers(0, 10**6))
def test_label_smoothing_matches_loop_spec(k, t, eps, seed):
    assume(t < k)
    v = get_family(LS).instantiate({"K": k, "target": t, "eps": eps, "data_seed": seed})
    z = shown_vector(v.prompt, "z")
    lp = log_softmax(z)
    loss = 0.0
    for i in range(k):
        q = (1 - eps) * (i == t) + eps / k
        loss -= q * lp[i]
    assert close(v.answers["loss"], loss) and close(v.answers["q_other"], eps / k)
