"""Regression losses (mse_loss, mae_loss, smooth_l1): hand-computed examples, mistake detectors,
and properties against plain-loop specifications (data read back from the prompt)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import get_family
from tests.engine.helpers import mistake_id, shown_vector
from tests.engine.loss.helpers import close

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
