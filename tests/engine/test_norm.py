"""Normalisation families (bn_forward, bn_running_stats, norm_axes): hand-computed examples, mistake
detectors, and hypothesis properties against plain-loop specifications written here. Data drawn from
a ``data_seed`` are read back from the prompt, so the checks also cover "the prompt shows the numbers
the answer comes from"."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import InvalidParams, get_family
from tests.engine.helpers import mistake_id


def _nums(body: str) -> list[float]:
    return [float(x.replace("\\", "").strip()) for x in body.split(",")]


def shown_vector(prompt: str, name: str) -> list[float]:
    m = re.search(rf"{re.escape(name)} ?= ?\(([^)]*)\)", prompt)
    assert m, f"{name} not shown in the prompt"
    return _nums(m.group(1))


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


# -- bn_forward -----------------------------------------------------------------------------------------

BNF = "bn_forward"


def bnf(seed=5, n=3, index=2, gamma=2.0, beta=0.5, eps=0.1):
    return {"n": n, "data_seed": seed, "index": index, "gamma": gamma, "beta": beta, "eps": eps}


def test_bn_forward_example():
    v = get_family(BNF).instantiate(bnf())
    assert shown_vector(v.prompt, "x") == [0.9, 3.0, 1.5]
    # mean 5.4/3 = 1.8; deviations -0.9, 1.2, -0.3; biased var (0.81 + 1.44 + 0.09)/3 = 0.78
    # x_2 = 3.0: x̂ = 1.2/sqrt(0.78 + 0.1); y = 2 x̂ + 0.5
    a = v.answers
    assert close(a["mean"], 1.8) and close(a["var"], 0.78)
    assert close(a["xhat"], 1.2 / math.sqrt(0.88))
    assert close(a["y"], 2 * 1.2 / math.sqrt(0.88) + 0.5)


def test_bn_forward_mistakes():
    # unbiased: var 2.34/2 = 1.17, x̂ = 1.2/sqrt(1.27)
    xu = 1.2 / math.sqrt(1.27)
    assert mistake_id(BNF, bnf(), var="1.17", xhat=f"{xu}", y=f"{2 * xu + 0.5}") == "bn.unbiased-batch-var"
    x0 = 1.2 / math.sqrt(0.78)
    assert mistake_id(BNF, bnf(), xhat=f"{x0}", y=f"{2 * x0 + 0.5}") == "bn.forgot-eps"
    xo = 1.2 / (math.sqrt(0.78) + 0.1)
    assert mistake_id(BNF, bnf(), xhat=f"{xo}", y=f"{2 * xo + 0.5}") == "bn.eps-outside-sqrt"
    assert mistake_id(BNF, bnf(), y=f"{1.2 / math.sqrt(0.88)}") == "bn.forgot-affine"


def test_bn_forward_tiny_eps_cannot_show_the_eps_mistakes_so_generation_draws_again():
    # with eps = 1e-5 forgetting it changes x̂ by ~6e-6 relative: at four significant digits a learner
    # making it would be graded correct. The variant says so, and generate never hands such a one out
    v = get_family(BNF).instantiate(bnf(eps=1e-5))
    assert set(v.indistinct) == {"bn.forgot-eps", "bn.eps-outside-sqrt"}
    listed = 0
    for seed in range(60):
        g = get_family(BNF).generate(seed)
        assert g.indistinct == ()
        listed += {"bn.forgot-eps", "bn.eps-outside-sqrt"} <= {m.id for m in g.mistakes}
    assert listed >= 50  # not where x_i is the batch mean: x̂ = 0 with or without eps


def test_bn_forward_rejects_index_beyond_batch():
    with pytest.raises(InvalidParams):
        get_family(BNF).instantiate(bnf(n=3, index=5))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(3, 6),
    st.integers(0, 10**6),
    st.integers(0, 5),
    st.integers(5, 20),
    st.integers(-10, 10),
    st.sampled_from([1e-5, 1e-3, 0.01, 0.1]),
)
def test_bn_forward_matches_loop_spec(n, seed, k, g10, b10, eps):
    index = 1 + k % n
    params = bnf(seed, n, index, g10 / 10, b10 / 10, eps)
    fam = get_family(BNF)
    assume(fam.constraint(params) is None)
    v = fam.instantiate(params)
    xs = shown_vector(v.prompt, "x")
    assert len(xs) == n
    mean = 0.0
    for x in xs:
        mean += x
    mean /= n
    var = 0.0
    for x in xs:
        var += (x - mean) ** 2
    var /= n
    xhat = (xs[index - 1] - mean) / math.sqrt(var + eps)
    a = v.answers
    assert close(a["mean"], mean) and close(a["var"], var)
    assert close(a["xhat"], xhat, 1e-7) and close(a["y"], g10 / 10 * xhat + b10 / 10, 1e-7)


# -- bn_running_stats -----------------------------------------------------------------------------------

RS = "bn_running_stats"


def rs(convention="pytorch", momentum=0.1, steps=2, batch=2, seed=0, init_mean=0.0, init_var=1.0):
    return {
        "convention": convention,
        "momentum": momentum,
        "steps": steps,
        "batch": batch,
        "data_seed": seed,
        "init_mean": init_mean,
        "init_var": init_var,
    }


def shown_batches(prompt: str) -> list[list[float]]:
    return [_nums(b) for b in re.findall(r"batch：\$\(([^)]*)\)\$", prompt)]


def test_running_stats_pytorch_example():
    v = get_family(RS).instantiate(rs())
    assert shown_batches(v.prompt) == [[2, 9], [9, 3]]
    # batch 1: mean 5.5, unbiased var 24.5; batch 2: mean 6, unbiased var 18
    # mean: 0.9*0 + 0.1*5.5 = 0.55 -> 0.9*0.55 + 0.1*6 = 1.095
    # var:  0.9*1 + 0.1*24.5 = 3.35 -> 0.9*3.35 + 0.1*18 = 4.815
    assert close(v.answers["mean"], 1.095) and close(v.answers["var"], 4.815)


def test_running_stats_tensorflow_example():
    # Keras momentum 0.99 (decay, weight of the OLD value), one step, biased var 12.25
    v = get_family(RS).instantiate(rs("tensorflow", momentum=0.01, steps=1))
    assert "momentum=0.99" in v.prompt
    assert close(v.answers["mean"], 0.055) and close(v.answers["var"], 0.99 + 0.1225)


def test_running_stats_cumulative_example():
    # momentum=None: plain average of the batch statistics, the initial values are overwritten
    v = get_family(RS).instantiate(rs("cumulative", init_mean=0.5, init_var=2.0))
    assert close(v.answers["mean"], 5.75) and close(v.answers["var"], 21.25)


def test_running_stats_mistakes():
    # momentum as the old value's weight: 0.1*0 + 0.9*5.5 = 4.95 -> 0.1*4.95 + 0.9*6 = 5.895;
    # var 0.1 + 0.9*24.5 = 22.15 -> 2.215 + 16.2 = 18.415
    assert mistake_id(RS, rs(), mean="5.895", var="18.415") == "bn.tf-vs-pytorch-momentum"
    # biased batch variances 12.25, 9: 0.9 + 1.225 = 2.125 -> 1.9125 + 0.9 = 2.8125
    assert mistake_id(RS, rs(), var="2.8125") == "bn.biased-running-var"
    tf = rs("tensorflow", momentum=0.01, steps=1)
    assert mistake_id(RS, tf, mean="5.445", var="12.1375") == "bn.tf-vs-pytorch-momentum"
    assert mistake_id(RS, tf, var=f"{0.99 + 0.245}") == "bn.unbiased-var-in-tf"
    cum = rs("cumulative", init_mean=0.5, init_var=2.0)
    # exponential with 0.1 from (0.5, 2): 0.45 + 0.55 = 1.0 -> 0.9 + 0.6 = 1.5; 1.8 + 2.45 = 4.25 -> 3.825 + 1.8
    assert mistake_id(RS, cum, mean="1.5", var="5.625") == "bn.cumulative-vs-exponential"
    assert (
        mistake_id(RS, cum, mean=f"{(0.5 + 5.5 + 6) / 3}", var=f"{(2 + 24.5 + 18) / 3}")
        == "bn.cumulative-counted-init"
    )
    assert mistake_id(RS, cum, var=f"{(12.25 + 9) / 2}") == "bn.biased-running-var"


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["pytorch", "tensorflow", "cumulative"]),
    st.sampled_from([0.1, 0.01, 0.05, 0.2, 0.3]),
    st.integers(1, 4),
    st.integers(2, 4),
    st.integers(0, 10**6),
    st.integers(-10, 10),
    st.integers(5, 20),
)
def test_running_stats_match_loop_spec(convention, momentum, steps, batch, seed, m10, v10):
    v = get_family(RS).instantiate(rs(convention, momentum, steps, batch, seed, m10 / 10, v10 / 10))
    batches = shown_batches(v.prompt)
    assert len(batches) == steps and all(len(b) == batch for b in batches)
    rm, rv = m10 / 10, v10 / 10
    for t, b in enumerate(batches, start=1):
        mu = sum(b) / batch
        ss = sum((x - mu) ** 2 for x in b)
        if convention == "pytorch":
            rm, rv = (1 - momentum) * rm + momentum * mu, (1 - momentum) * rv + momentum * ss / (batch - 1)
        elif convention == "tensorflow":
            d = 1 - momentum
            rm, rv = d * rm + (1 - d) * mu, d * rv + (1 - d) * ss / batch
        else:
            rm, rv = rm + (mu - rm) / t, rv + (ss / (batch - 1) - rv) / t
    assert close(v.answers["mean"], rm, 1e-7) and close(v.answers["var"], rv, 1e-7)


# -- norm_axes ------------------------------------------------------------------------------------------

NA = "norm_axes"


def na(norm, N=8, C=64, H=10, W=12, groups=4):
    return {"norm": norm, "N": N, "C": C, "H": H, "W": W, "groups": groups}


@pytest.mark.parametrize(
    ("norm", "shape", "count"),
    [
        ("BN", (1, 64, 1, 1), 8 * 10 * 12),  # per channel, over N, H, W
        ("LN", (8, 1, 1, 1), 64 * 10 * 12),  # per sample, over C, H, W
        ("IN", (8, 64, 1, 1), 10 * 12),  # per sample and channel, over H, W
        ("GN", (8, 4, 1, 1), 16 * 10 * 12),  # per sample and group, over C/G channels and H, W
    ],
)
def test_norm_axes_examples(norm, shape, count):
    assert get_family(NA).instantiate(na(norm)).answers == {"shape": shape, "count": count}


def test_norm_axes_mistakes():
    assert mistake_id(NA, na("BN"), shape="8x1x1x1", count="7680") == "norm.bn-ln-axes-swapped"
    assert mistake_id(NA, na("LN"), shape="1x64x1x1", count="960") == "norm.bn-ln-axes-swapped"
    assert mistake_id(NA, na("BN"), shape="8x64x1x1", count="120") == "norm.in-bn-confused"
    assert mistake_id(NA, na("IN"), shape="8x1x1x1", count="7680") == "norm.in-ln-confused"
    assert mistake_id(NA, na("GN"), shape="8x16x1x1", count="480") == "norm.gn-group-size-confused"


def test_norm_axes_gn_needs_dividing_groups():
    with pytest.raises(InvalidParams):
        get_family(NA).instantiate(na("GN", C=16, groups=32))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["BN", "LN", "IN", "GN"]),
    st.integers(2, 16),
    st.sampled_from([16, 32, 64, 96, 128, 256]),
    st.integers(4, 64),
    st.integers(4, 64),
    st.sampled_from([2, 4, 8, 16, 32]),
)
def test_norm_axes_match_loop_spec(norm, n, c, h, w, g):
    assume(norm != "GN" or (c % g == 0 and g < c))
    v = get_family(NA).instantiate(na(norm, n, c, h, w, g))

    # which (sample, channel) pairs share one statistic, counted by loops over the index space
    def key(i, ch):
        if norm == "BN":
            return (0, ch)
        if norm == "LN":
            return (i, 0)
        return (i, ch) if norm == "IN" else (i, ch // (c // g))

    keys = {}
    for i in range(n):
        for ch in range(c):
            keys[key(i, ch)] = keys.get(key(i, ch), 0) + h * w
    rows = len({k[0] for k in keys})
    cols = len({k[1] for k in keys})
    assert v.answers["shape"] == (rows, cols, 1, 1)
    assert set(keys.values()) == {v.answers["count"]}
