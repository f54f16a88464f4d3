"""Loss families (mse_loss, mae_loss, cross_entropy, bce_loss, kl_divergence, smooth_l1, focal_loss,
label_smoothing): hand-computed examples, mistake detectors, and hypothesis properties against
plain-loop specifications written here (data read back from the prompt)."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import get_family, grade
from engine.core import InvalidParams
from tests.engine.helpers import mistake_id, shown_vector


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def log_softmax(z: list[float]) -> list[float]:
    m = max(z)
    lse = m + math.log(sum(math.exp(v - m) for v in z))
    return [v - lse for v in z]


# -- mse_loss / mae_loss -------------------------------------------------------------------------------


def test_mse_example_and_mistakes():
    p = {"n": 3, "data_seed": 0}
    v = get_family("mse_loss").instantiate(p)
    assert shown_vector(v.prompt, "\\hat y") == [0.2, 0.4, 1.2] and shown_vector(v.prompt, "$y") == [
        1.6,
        0.1,
        2.5,
    ]
    # d = (-1.4, 0.3, -1.3); squares 1.96 + 0.09 + 1.69 = 3.74
    assert close(v.answers["mean"], 3.74 / 3) and close(v.answers["half_sum"], 1.87)
    assert mistake_id("mse_loss", p, mean="1.87", half_sum=repr(3.74 / 3)) == "mse.half-sum-vs-mean"
    assert mistake_id("mse_loss", p, half_sum="3.74") == "mse.forgot-half"
    assert mistake_id("mse_loss", p, mean="1.0") == "mse.mae-confused"


def test_mse_two_elements_has_no_swap_mistake():
    # n = 2: ½·sum equals the mean, so the two forms cannot be confused
    v = get_family("mse_loss").instantiate({"n": 2, "data_seed": 0})
    assert close(v.answers["mean"], v.answers["half_sum"])
    assert "mse.half-sum-vs-mean" not in {m.id for m in v.mistakes}


def test_mae_example_and_mistakes():
    p = {"n": 3, "data_seed": 0}
    v = get_family("mae_loss").instantiate(p)
    # pred (-1.5, -1.1, -0.3), target (0.9, 1.2, 1.3): d = (-2.4, -2.3, -1.6), mean |d| = 6.3/3
    assert shown_vector(v.prompt, "\\hat y") == [-1.5, -1.1, -0.3]
    assert close(v.answers["mae"], 2.1)
    assert mistake_id("mae_loss", p, mae="-2.1") == "mae.forgot-abs"
    assert mistake_id("mae_loss", p, mae="6.3") == "mae.sum-not-mean"
    assert mistake_id("mae_loss", p, mae=repr((5.76 + 5.29 + 2.56) / 3)) == "mae.squared"


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 5), st.integers(0, 10**6))
def test_mse_mae_match_loop_spec(n, seed):
    for fid in ("mse_loss", "mae_loss"):
        v = get_family(fid).instantiate({"n": n, "data_seed": seed})
        yh, y = shown_vector(v.prompt, "\\hat y"), shown_vector(v.prompt, "$y")
        assert len(yh) == len(y) == n
        sq = ab = 0.0
        for a, b in zip(yh, y, strict=True):
            sq += (a - b) ** 2
            ab += abs(a - b)
        if fid == "mse_loss":
            assert close(v.answers["mean"], sq / n) and close(v.answers["half_sum"], sq / 2)
        else:
            assert close(v.answers["mae"], ab / n)


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


# -- kl_divergence ---------------------------------------------------------------------------------------

KL = "kl_divergence"


def test_kl_example_and_mistakes():
    p = {"K": 3, "direction": "PQ", "data_seed": 1}
    v = get_family(KL).instantiate(p)
    assert shown_vector(v.prompt, "P") == [0.6, 0.25, 0.15] and shown_vector(v.prompt, "Q") == [
        0.5,
        0.35,
        0.15,
    ]
    kl = 0.6 * math.log(0.6 / 0.5) + 0.25 * math.log(0.25 / 0.35)  # third term is 0: 0.025275
    assert close(v.answers["kl"], kl)
    assert v.answers["call"] == "F.kl_div(Q.log(), P, reduction='sum')"
    rev = 0.5 * math.log(0.5 / 0.6) + 0.35 * math.log(0.35 / 0.25)
    assert mistake_id(KL, p, kl=repr(rev)) == "kl.reversed"
    assert mistake_id(KL, p, call="F.kl_div(P.log(), Q, reduction='sum')") == "kl.kl-div-args-swapped"
    assert mistake_id(KL, p, call="C") == "kl.input-not-log"
    assert mistake_id(KL, p, kl=repr(kl / math.log(2))) == "kl.log2"


def test_kl_other_direction_swaps_the_call():
    v = get_family(KL).instantiate({"K": 3, "direction": "QP", "data_seed": 1})
    assert v.answers["call"] == "F.kl_div(P.log(), Q, reduction='sum')"
    assert close(v.answers["kl"], 0.5 * math.log(0.5 / 0.6) + 0.35 * math.log(0.35 / 0.25))


@settings(max_examples=200, deadline=None)
@given(st.integers(3, 4), st.sampled_from(["PQ", "QP"]), st.integers(0, 10**6))
def test_kl_matches_loop_spec(k, direction, seed):
    params = {"K": k, "direction": direction, "data_seed": seed}
    fam = get_family(KL)
    assume(fam.constraint(params) is None)
    v = fam.instantiate(params)
    P, Q = shown_vector(v.prompt, "P"), shown_vector(v.prompt, "Q")
    a, b = (P, Q) if direction == "PQ" else (Q, P)
    kl = 0.0
    for x, y in zip(a, b, strict=True):
        kl += x * math.log(x / y)
    assert close(v.answers["kl"], kl) and kl >= 0


# -- smooth_l1 -------------------------------------------------------------------------------------------

SL = "smooth_l1"


def sl(form="beta", beta=1.0, sigma=1, n=2, seed=4):
    return {"form": form, "beta": beta, "sigma": sigma, "n": n, "data_seed": seed}


def test_smooth_l1_examples():
    v = get_family(SL).instantiate(sl())
    assert shown_vector(v.prompt, "\\hat t") == [-0.7, 0.8] and shown_vector(v.prompt, "$t") == [-1.3, 1.0]
    # d = (0.6, -0.2), beta 1: 0.5*0.36 = 0.18, 0.5*0.04 = 0.02 -> 0.1
    assert close(v.answers["loss"], 0.1)
    # sigma = 2 -> beta = 1/4: |0.6| >= 0.25 -> 0.6 - 0.125; |0.2| < 0.25 -> 0.5*0.04/0.25 = 0.08
    assert close(get_family(SL).instantiate(sl("sigma", sigma=2)).answers["loss"], (0.475 + 0.08) / 2)


def test_smooth_l1_mistakes():
    s2 = sl("sigma", sigma=2)
    assert mistake_id(SL, s2, loss="0.05") == "smoothl1.sigma-as-beta"  # beta = 2
    assert mistake_id(SL, s2, loss="0.195") == "smoothl1.sigma-not-squared"  # beta = 1/2
    assert mistake_id(SL, s2, loss="0.4") == "smoothl1.used-l1"
    assert mistake_id(SL, s2, loss="0.2475") == "smoothl1.forgot-beta"  # 0.475 and 0.5*0.04
    assert mistake_id(SL, s2, loss="0.34") == "smoothl1.linear-no-offset"  # 0.6 and 0.08


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["beta", "sigma"]),
    st.sampled_from([1.0, 0.5, 0.2, 0.1]),
    st.sampled_from([1, 2, 3]),
    st.integers(2, 4),
    st.integers(0, 10**6),
)
def test_smooth_l1_matches_loop_spec(form, beta, sigma, n, seed):
    v = get_family(SL).instantiate(sl(form, beta, sigma, n, seed))
    pred, target = shown_vector(v.prompt, "\\hat t"), shown_vector(v.prompt, "$t")
    b = beta if form == "beta" else 1 / sigma**2
    total = 0.0
    for x, y in zip(pred, target, strict=True):
        d = abs(x - y)
        total += 0.5 * d * d / b if d < b else d - 0.5 * b
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
    assert mistake_id(LS, p, q_t="0.9", q_other="0.05", loss=repr(wrong)) == "ls.eps-over-k-minus-1"
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
