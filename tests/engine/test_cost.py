"""Cost families (parameters, MACs/FLOPs, memory): hand-computed examples, a test per mistake
detector, and hypothesis properties against plain-loop counts written here."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import get_family, grade
from tests.engine.helpers import mistake_id


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return abs(a - b) <= rel * abs(b)


# -- conv_params ---------------------------------------------------------------------------------------


def test_conv_params_examples():
    f = get_family("conv_params")
    # 3*3*3*64 + 64 = 1792 (VGG conv1_1)
    assert f.instantiate({"cin": 3, "cout": 64, "kernel": 3, "bias": True}).answers == {"params": 1792}
    assert f.instantiate({"cin": 3, "cout": 64, "kernel": 3, "bias": False}).answers == {"params": 1728}
    # 1x1, 256 -> 64: 16384
    assert f.instantiate({"cin": 256, "cout": 64, "kernel": 1, "bias": False}).answers == {"params": 16384}


def test_conv_params_mistakes():
    p = {"cin": 16, "cout": 32, "kernel": 3, "bias": False}  # 4608
    assert mistake_id("conv_params", p, params="4640") == "cost.bias-counted"
    assert mistake_id("conv_params", p, params="288") == "cost.forgot-input-channels"
    assert mistake_id("conv_params", p, params="1536") == "cost.kernel-not-squared"
    assert mistake_id("conv_params", dict(p, bias=True), params="4608") == "cost.bias-forgotten"


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 512), st.integers(1, 512), st.integers(1, 7), st.booleans())
def test_conv_params_match_a_weight_count(cin, cout, kernel, bias):
    count = 0
    for _o in range(cout):  # one filter per output channel: a k x k slice per input channel
        count += sum(kernel * kernel for _i in range(cin)) + (1 if bias else 0)
    v = get_family("conv_params").instantiate({"cin": cin, "cout": cout, "kernel": kernel, "bias": bias})
    assert v.answers == {"params": count}


# -- conv_flops ----------------------------------------------------------------------------------------


def flops_params(size, cin, cout, kernel, stride, padding):
    return {"size": size, "cin": cin, "cout": cout, "kernel": kernel, "stride": stride, "padding": padding}


def test_conv_flops_examples():
    f = get_family("conv_flops")
    # 32x32x16 outputs, each 3*3*3 = 27 MACs: 442368 MACs
    assert f.instantiate(flops_params(32, 3, 16, 3, 1, 1)).answers == {
        "out": 32,
        "macs": 442368.0,
        "flops": 884736.0,
    }
    # ResNet-50 stem: 112*112*64 outputs * 7*7*3 = 118013952 MACs (the well-known ~118M)
    a = f.instantiate(flops_params(224, 3, 64, 7, 2, 3)).answers
    assert a == {"out": 112, "macs": 118013952.0, "flops": 236027904.0}


def test_conv_flops_mistakes():
    p = flops_params(32, 3, 16, 3, 2, 1)  # out 16: 16*16*16*27 = 110592 MACs
    assert get_family("conv_flops").instantiate(p).answers["macs"] == 110592.0
    assert mistake_id("conv_flops", p, macs="221184", flops="110592") == "cost.flops-vs-macs"
    # the right MACs with FLOPs = MACs: the ×2 forgotten, not the two swapped
    assert mistake_id("conv_flops", p, flops="110592") == "cost.flops-not-doubled"
    assert mistake_id("conv_flops", p, macs="36864", flops="73728") == "cost.forgot-input-channels"
    assert mistake_id("conv_flops", p, macs="442368", flops="884736") == "cost.used-input-size"
    p5 = flops_params(32, 4, 16, 5, 1, 2)  # 32*32*16*100 = 1638400; with k not squared: 327680
    assert mistake_id("conv_flops", p5, macs="327680", flops="655360") == "cost.kernel-not-squared"


def test_conv_flops_accepts_scientific_notation_within_tolerance():
    v = get_family("conv_flops").instantiate(flops_params(224, 3, 64, 7, 2, 3))
    assert grade(v, {"out": "112", "macs": "1.1801e8", "flops": "2.3603e8"}).correct


@settings(max_examples=200, deadline=None)
@given(
    st.integers(7, 24),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 7),
    st.integers(1, 2),
    st.integers(0, 3),
)
def test_conv_flops_match_a_sliding_window_count(size, cin, cout, kernel, stride, padding):
    assume(kernel <= size + 2 * padding)
    macs = 0
    out = 0
    for _y in range(0, size + 2 * padding - kernel + 1, stride):
        out += 1
        for _x in range(0, size + 2 * padding - kernel + 1, stride):
            macs += cout * kernel * kernel * cin  # every output channel reads a k x k x cin window
    v = get_family("conv_flops").instantiate(flops_params(size, cin, cout, kernel, stride, padding))
    assert v.answers == {"out": out, "macs": float(macs), "flops": 2.0 * macs}


# -- depthwise_separable_cost ----------------------------------------------------------------------------


def test_depthwise_separable_example():
    v = get_family("depthwise_separable_cost").instantiate({"size": 14, "cin": 32, "cout": 64, "kernel": 3})
    a = v.answers
    assert a["params_std"] == 9 * 32 * 64 == 18432
    assert a["params_dws"] == 9 * 32 + 32 * 64 == 2336
    assert a["macs_dws"] == 14 * 14 * 2336
    assert close(a["ratio"], 1 / 64 + 1 / 9)
    assert grade(
        v, {"params_std": "18432", "params_dws": "2336", "macs_dws": "457856", "ratio": "12.674%"}
    ).correct


def test_depthwise_separable_mistakes():
    p = {"size": 14, "cin": 32, "cout": 64, "kernel": 3}
    fid = "depthwise_separable_cost"
    full = 9 * 32 * 32 + 32 * 64
    std = 9 * 32 * 64  # 18432
    # a mistake is named when it explains every part answered: counts and the ratio they give
    assert (
        mistake_id(fid, p, params_dws=str(full), macs_dws=str(196 * full), ratio=repr(full / std))
        == "cost.depthwise-groups-ignored"
    )
    assert mistake_id(fid, p, params_dws=str(full), macs_dws=str(196 * full)) is None  # a right ratio
    assert (
        mistake_id(fid, p, params_dws="288", macs_dws=str(196 * 288), ratio=repr(288 / std))
        == "cost.forgot-pointwise"
    )
    assert mistake_id(fid, p, ratio=repr(18432 / 2336)) == "cost.ratio-inverted"
    assert mistake_id(fid, p, macs_dws=str(2 * 196 * 2336)) == "cost.flops-vs-macs"


@settings(max_examples=200, deadline=None)
@given(st.integers(7, 112), st.integers(8, 512), st.integers(8, 512), st.sampled_from([3, 5]))
def test_depthwise_separable_matches_per_layer_sums(size, cin, cout, kernel):
    dw = sum(kernel * kernel for _c in range(cin))  # one k x k filter per input channel
    pw = sum(cin for _o in range(cout))  # one 1 x 1 x cin filter per output channel
    std = sum(kernel * kernel * cin for _o in range(cout))
    v = get_family("depthwise_separable_cost").instantiate(
        {"size": size, "cin": cin, "cout": cout, "kernel": kernel}
    )
    a = v.answers
    assert (a["params_std"], a["params_dws"], a["macs_dws"]) == (std, dw + pw, float(size * size * (dw + pw)))
    assert close(a["ratio"], (dw + pw) / std)


# -- grouped_conv_cost ------------------------------------------------------------------------------------


def test_grouped_conv_example_and_mistakes():
    p = {"size": 8, "cin": 64, "cout": 128, "groups": 4, "kernel": 3}
    assert get_family("grouped_conv_cost").instantiate(p).answers == {"params": 18432, "macs": 64.0 * 18432}
    assert mistake_id("grouped_conv_cost", p, params="73728", macs=str(64 * 73728)) == "cost.groups-ignored"
    # one group of 4: 18432 / 4 = 4608 parameters, 64 positions each
    assert (
        mistake_id("grouped_conv_cost", p, params="4608", macs=str(64 * 4608)) == "cost.groups-one-group-only"
    )
    assert mistake_id("grouped_conv_cost", p, params="4608") is None  # right MACs contradict it
    assert mistake_id("grouped_conv_cost", p, macs=str(2 * 64 * 18432)) == "cost.flops-vs-macs"


def test_grouped_conv_rejects_groups_outside_the_schema():
    from engine import InvalidParams

    with pytest.raises(InvalidParams):
        get_family("grouped_conv_cost").instantiate(
            {"size": 8, "cin": 96, "cout": 128, "groups": 3, "kernel": 3}
        )


@settings(max_examples=200, deadline=None)
@given(
    st.integers(7, 56),
    st.sampled_from([32, 64, 96, 128, 192, 256, 384, 512]),
    st.sampled_from([32, 64, 96, 128, 192, 256, 384, 512]),
    st.sampled_from([2, 4, 8, 16, 32]),
    st.sampled_from([1, 3, 5]),
)
def test_grouped_conv_matches_a_per_group_count(size, cin, cout, groups, kernel):
    assume(cin % groups == 0 and cout % groups == 0)
    params = 0
    for _g in range(groups):
        params += (cout // groups) * (cin // groups) * kernel * kernel
    v = get_family("grouped_conv_cost").instantiate(
        {"size": size, "cin": cin, "cout": cout, "groups": groups, "kernel": kernel}
    )
    assert v.answers == {"params": params, "macs": float(size * size * params)}


# -- bottleneck_cost -------------------------------------------------------------------------------------


def test_bottleneck_example_and_mistakes():
    p = {"channels": 256, "reduction": 4}
    a = get_family("bottleneck_cost").instantiate(p).answers
    # ResNet: 256*64 + 9*64*64 + 64*256 = 69632 vs 9*256*256 = 589824
    assert a["params_bottleneck"] == 69632 and a["params_plain"] == 589824
    assert close(a["ratio"], 69632 / 589824)
    assert (
        mistake_id("bottleneck_cost", p, params_bottleneck=str(16384 + 36864), ratio=repr(53248 / 589824))
        == "cost.bottleneck-forgot-expand"
    )
    assert (
        mistake_id(
            "bottleneck_cost",
            p,
            params_bottleneck=str(16384 + 3 * 4096 + 16384),
            params_plain=str(3 * 65536),
            ratio=repr((16384 + 3 * 4096 + 16384) / (3 * 65536)),
        )
        == "cost.kernel-not-squared"
    )
    assert mistake_id("bottleneck_cost", p, ratio=repr(589824 / 69632)) == "cost.ratio-inverted"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([64, 128, 192, 256, 384, 512, 1024, 2048]), st.sampled_from([2, 4, 8]))
def test_bottleneck_matches_layer_list(channels, reduction):
    m = channels // reduction
    layers = [(channels, m, 1), (m, m, 3), (m, channels, 1)]
    nb = sum(ci * co * k * k for ci, co, k in layers)
    a = get_family("bottleneck_cost").instantiate({"channels": channels, "reduction": reduction}).answers
    assert (a["params_bottleneck"], a["params_plain"]) == (nb, channels * channels * 9)


# -- fc_params_flops -------------------------------------------------------------------------------------


def fc(channels, spatial, out, batch, bias):
    return {"channels": channels, "spatial": spatial, "out": out, "batch": batch, "bias": bias}


def test_fc_examples():
    # VGG fc6: 512*7*7 = 25088 inputs -> 4096: 102,764,544 parameters
    a = get_family("fc_params_flops").instantiate(fc(512, 7, 4096, 1, True)).answers
    assert a == {"params": 102764544, "flops": 2.0 * 25088 * 4096}
    a = get_family("fc_params_flops").instantiate(fc(10, 2, 5, 8, False)).answers
    assert a == {"params": 200, "flops": 2.0 * 8 * 40 * 5}


def test_fc_mistakes():
    p = fc(64, 3, 10, 16, True)  # in 576: params 5770, FLOPs 2*16*576*10 = 184320
    fid = "fc_params_flops"
    assert mistake_id(fid, p, params="5760") == "cost.bias-forgotten"
    assert mistake_id(fid, dict(p, bias=False), params="5770") == "cost.bias-counted"
    assert mistake_id(fid, p, flops="92160") == "cost.flops-vs-macs"
    assert mistake_id(fid, p, flops="11520") == "cost.forgot-batch"
    assert mistake_id(fid, p, params="650", flops=str(2 * 16 * 64 * 10)) == "cost.fc-forgot-spatial"


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 64), st.integers(1, 7), st.integers(1, 64), st.integers(1, 8), st.booleans())
def test_fc_matches_a_dot_product_count(channels, spatial, out, batch, bias):
    n_in = channels * spatial * spatial
    mults = adds = 0
    for _b in range(batch):
        for _o in range(out):
            mults += n_in
            adds += n_in  # accumulate each product (the bias add is not counted)
    v = get_family("fc_params_flops").instantiate(fc(channels, spatial, out, batch, bias))
    assert v.answers == {"params": n_in * out + (out if bias else 0), "flops": float(mults + adds)}


# -- param_memory ----------------------------------------------------------------------------------------


def test_param_memory_examples():
    # ResNet-50's 25,557,032 parameters in fp32
    a = get_family("param_memory").instantiate({"n_params": 25_557_032, "dtype": "float32"}).answers
    assert a["bytes"] == 102_228_128
    assert close(a["mib"], 102_228_128 / 1048576)  # 97.49 MiB
    a = get_family("param_memory").instantiate({"n_params": 7_000_000, "dtype": "bfloat16"}).answers
    assert a["bytes"] == 14_000_000 and close(a["mib"], 14_000_000 / 1048576)


def test_param_memory_mistakes():
    p = {"n_params": 1_000_000, "dtype": "float16"}  # 2,000,000 bytes, 1.9073 MiB
    fid = "param_memory"
    assert mistake_id(fid, p, mib="2") == "cost.mb-1000-vs-1024"
    assert mistake_id(fid, p, bytes="16000000", mib=repr(16e6 / 1048576)) == "cost.bits-vs-bytes"
    assert mistake_id(fid, p, bytes="4000000", mib=repr(4e6 / 1048576)) == "cost.assumed-fp32"
    assert mistake_id(fid, p, mib="1953.125") == "cost.divided-by-1024-once"


def test_param_memory_tolerance_separates_mib_from_mb():
    v = get_family("param_memory").instantiate({"n_params": 1_000_000, "dtype": "float16"})
    assert grade(v, {"bytes": "2000000", "mib": "1.907"}).correct
    assert not grade(v, {"bytes": "2000000", "mib": "2.0"}).correct


@settings(max_examples=200, deadline=None)
@given(st.integers(1000, 500_000_000), st.sampled_from(["float32", "float16", "bfloat16", "float64", "int8"]))
def test_param_memory_matches_a_byte_table(n, dtype):
    size = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1}[dtype]
    a = get_family("param_memory").instantiate({"n_params": n, "dtype": dtype}).answers
    assert a["bytes"] == n * size and close(a["mib"], n * size / 1024 / 1024)


# -- stacked_small_kernels --------------------------------------------------------------------------------


def test_stacked_small_kernels_example_and_mistakes():
    p = {"n": 3, "channels": 64}
    # three 3x3 see 7x7; 3*9*64^2 = 110592 vs 49*64^2 = 200704 (VGG's argument)
    assert get_family("stacked_small_kernels").instantiate(p).answers == {
        "rf": 7,
        "params_stack": 110592,
        "params_big": 200704,
    }
    fid = "stacked_small_kernels"
    assert mistake_id(fid, p, rf="9") == "rf.sum-of-kernels"
    assert mistake_id(fid, p, params_stack="36864") == "cost.stack-counted-one-layer"
    assert mistake_id(fid, p, params_stack="1728", params_big="3136") == "cost.forgot-input-channels"
    assert (
        mistake_id(fid, {"n": 2, "channels": 64}, params_stack=str(6 * 4096), params_big=str(5 * 4096))
        == "cost.kernel-not-squared"
    )


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 4), st.integers(16, 512))
def test_stacked_small_kernels_match_a_layer_loop(n, channels):
    rf = 1
    for _ in range(n):
        rf += 3 - 1
    a = get_family("stacked_small_kernels").instantiate({"n": n, "channels": channels}).answers
    assert a == {"rf": rf, "params_stack": n * 9 * channels**2, "params_big": rf * rf * channels**2}
