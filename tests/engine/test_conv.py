"""Convolution and pooling geometry families: hand-computed examples, mistake detectors, and
hypothesis properties against plain-loop specifications written here."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import get_family, grade
from tests.engine.helpers import mistake_id

# -- conv2d_output_size (the worked example) ---------------------------------------------------------


def test_conv2d_output_size_examples():
    f = get_family("conv2d_output_size")
    # ResNet stem: (224 + 6 - 7) // 2 + 1 = 112
    assert f.instantiate({"size": 224, "kernel": 7, "padding": 3, "stride": 2, "dilation": 1}).answers == {
        "out": 112
    }
    # dilated 3x3 (effective 5): (32 + 4 - 5) // 1 + 1 = 32
    assert f.instantiate({"size": 32, "kernel": 3, "padding": 2, "stride": 1, "dilation": 2}).answers == {
        "out": 32
    }


# -- conv_tf_padding ------------------------------------------------------------------------------------

TF = "conv_tf_padding"


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "expected"),
    [
        # SAME = ceil(7/2) = 4; VALID = ceil(5/2) = 3; P = 3*2 + 3 - 7 = 2, top 1
        (7, 3, 2, {"out_same": 4, "out_valid": 3, "pad_total": 2, "pad_top": 1}),
        # SAME = 4; VALID = ceil(6/2) = 3; P = 3*2 + 3 - 8 = 1: the odd row goes to the bottom
        (8, 3, 2, {"out_same": 4, "out_valid": 3, "pad_total": 1, "pad_top": 0}),
        # stride 1, k = 5: P = k - 1 = 4, split 2/2; VALID = 32 - 5 + 1 = 28
        (32, 5, 1, {"out_same": 32, "out_valid": 28, "pad_total": 4, "pad_top": 2}),
        # 1x1 stride 4 never needs padding: SAME = VALID = ceil(10/4) = 3
        (10, 1, 4, {"out_same": 3, "out_valid": 3, "pad_total": 0, "pad_top": 0}),
    ],
)
def test_tf_padding_examples(size, kernel, stride, expected):
    assert get_family(TF).instantiate({"size": size, "kernel": kernel, "stride": stride}).answers == expected


def test_tf_padding_mistakes():
    p = {"size": 8, "kernel": 3, "stride": 2}  # SAME 4, VALID 3, P 1, top 0
    assert mistake_id(TF, {"size": 7, "kernel": 3, "stride": 2}, out_same="3") == "tfpad.same-floor"
    assert (
        mistake_id(TF, {"size": 9, "kernel": 3, "stride": 2}, out_valid="3") == "tfpad.valid-dropped-plus-one"
    )
    assert mistake_id(TF, p, pad_top="1") == "tfpad.extra-pad-on-top"
    # 11, k=5, s=4: SAME 3, P = 2*4 + 5 - 11 = 2 (top 1); "always k-1" says 4 (top 2)
    assert (
        mistake_id(TF, {"size": 11, "kernel": 5, "stride": 4}, pad_total="4", pad_top="2")
        == "tfpad.same-is-k-minus-1"
    )
    # 8, k=5, s=2: P = 3 (top 1). "Always k-1" says P = 4, top 2; putting the odd row on top says
    # top 2 with P = 3. Each is named only where it explains every part answered.
    q = {"size": 8, "kernel": 5, "stride": 2}
    assert mistake_id(TF, q, pad_total="4", pad_top="2") == "tfpad.same-is-k-minus-1"
    assert mistake_id(TF, q, pad_top="2") == "tfpad.extra-pad-on-top"


def _tf_spec(h: int, k: int, s: int) -> dict[str, int]:
    """TF semantics by brute force: SAME keeps one output per s-th input position and adds the least
    total padding that lets that many windows fit; VALID counts windows inside the input."""
    out_same = len([i for i in range(h) if i % s == 0])
    total = 0
    while len([j for j in range(0, h + total, s) if j + k <= h + total]) < out_same:
        total += 1
    valid = len([j for j in range(0, h, s) if j + k <= h])
    return {"out_same": out_same, "out_valid": valid, "pad_total": total, "pad_top": total // 2}


@settings(max_examples=200, deadline=None)
@given(st.integers(5, 128), st.integers(1, 7), st.integers(1, 4))
def test_tf_padding_matches_brute_force(size, kernel, stride):
    assume(kernel <= size)
    assert get_family(TF).instantiate({"size": size, "kernel": kernel, "stride": stride}).answers == _tf_spec(
        size, kernel, stride
    )


# -- conv_transpose2d_output_size -----------------------------------------------------------------------

CT = "conv_transpose2d_output_size"


def ct(size, kernel, stride, padding, output_padding, dilation):
    return {
        "size": size,
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
    }


def test_conv_transpose_examples():
    f = get_family(CT)
    # (5-1)*2 - 2 + 2 + 1 + 1 = 10: the classic "exactly doubles" configuration
    assert f.instantiate(ct(5, 3, 2, 1, 1, 1)).answers == {"out": 10}
    # DCGAN: (4-1)*2 - 2 + 3 + 0 + 1 = 8
    assert f.instantiate(ct(4, 4, 2, 1, 0, 1)).answers == {"out": 8}
    # dilation 2: (6-1)*1 - 0 + 2*2 + 0 + 1 = 10
    assert f.instantiate(ct(6, 3, 1, 0, 0, 2)).answers == {"out": 10}


def test_conv_transpose_mistakes():
    p = ct(5, 3, 2, 1, 1, 1)  # 10
    assert mistake_id(CT, p, out="9") == "convT.forgot-output-padding"
    assert mistake_id(CT, p, out="11") == "convT.padding-once"
    # 12 is both H·s instead of (H−1)·s (10 + s) and no padding subtracted (10 + 2p): both are named
    v = get_family(CT).instantiate(p)
    assert [m.id for m in grade(v, {"out": "12"}).mistakes] == [
        "convT.forgot-padding",
        "convT.h-times-stride",
    ]
    # (5-1)·3 - 2 + 2 + 1 + 1 = 14; H·s gives 17, no padding 16
    assert mistake_id(CT, ct(5, 3, 3, 1, 1, 1), out="17") == "convT.h-times-stride"
    # (6-1)*1 + 3 - 1 + 1 with k instead of d(k-1)+1: 5 + 2 + 1 = 8
    assert mistake_id(CT, ct(6, 3, 1, 0, 0, 2), out="8") == "convT.ignored-dilation"


def _convt_spec(h, k, s, p, op, d):
    """Scatter each input position's window into an output line and measure the line: the
    transposed conv writes input i to positions i*s - p + t*d; output_padding extends the end."""
    written = [i * s + t * d for i in range(h) for t in range(k)]
    return max(written) + 1 - 2 * p + op


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 64),
    st.integers(1, 7),
    st.integers(1, 4),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(1, 2),
)
def test_conv_transpose_matches_scatter(size, kernel, stride, padding, output_padding, dilation):
    assume(output_padding < max(stride, dilation) and padding <= dilation * (kernel - 1))
    assume(_convt_spec(size, kernel, stride, padding, output_padding, dilation) >= 1)
    v = get_family(CT).instantiate(ct(size, kernel, stride, padding, output_padding, dilation))
    assert v.answers["out"] == _convt_spec(size, kernel, stride, padding, output_padding, dilation)


# -- pool_output_size ------------------------------------------------------------------------------------

POOL = "pool_output_size"


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "floor", "ceil"),
    [
        (6, 3, 2, 0, 2, 3),  # floor(3/2)+1 = 2; ceil(3/2)+1 = 3, the last window starts at 4 < 6
        (5, 2, 2, 1, 3, 3),  # ceil(5/2)+1 = 4, but window 4 starts at 6 >= 5+1: dropped
        (112, 3, 2, 1, 56, 57),  # ResNet max pool: 111/2 = 55.5; ceil 57, window 57 starts at 112 < 113
        (13, 3, 2, 0, 6, 6),  # AlexNet pool5 input
        (7, 2, 2, 0, 3, 4),  # GoogLeNet style ceil_mode: 3.5 rounds up
    ],
)
def test_pool_examples(size, kernel, stride, padding, floor, ceil):
    v = get_family(POOL).instantiate({"size": size, "kernel": kernel, "stride": stride, "padding": padding})
    assert v.answers == {"out_floor": floor, "out_ceil": ceil}


def test_pool_mistakes():
    assert (
        mistake_id(POOL, {"size": 5, "kernel": 2, "stride": 2, "padding": 1}, out_ceil="4")
        == "pool.ceil-mode-no-last-window-rule"
    )
    p = {"size": 6, "kernel": 3, "stride": 2, "padding": 0}  # 2 / 3
    assert mistake_id(POOL, p, out_ceil="2") == "pool.floor-in-ceil-mode"
    assert mistake_id(POOL, p, out_floor="3") == "pool.ceil-in-floor-mode"
    # 9, k=3, s=2, p=1: floor((9+2-3)/2)+1 = 5; padding once: floor((9+1-3)/2)+1 = 4
    assert (
        mistake_id(POOL, {"size": 9, "kernel": 3, "stride": 2, "padding": 1}, out_floor="4")
        == "pool.forgot-double-padding"
    )


def _pool_spec(h, k, s, p):
    """Windows on the padded line [0, h + 2p): floor mode keeps whole windows; ceil mode also keeps a
    partial one while the previous window has not reached the end, but only if it starts inside the
    input or the left padding (start < h + p)."""
    floor = ceil = 0
    i = 0
    while True:
        start = i * s
        whole = start + k <= h + 2 * p
        partial = (i == 0 or (i - 1) * s + k < h + 2 * p) and start < h + p
        if not whole and not partial:
            break
        floor += whole
        ceil += whole or partial
        i += 1
    return {"out_floor": floor, "out_ceil": ceil}


@settings(max_examples=200, deadline=None)
@given(st.integers(4, 128), st.integers(2, 5), st.integers(1, 5), st.integers(0, 2))
def test_pool_matches_window_loop(size, kernel, stride, padding):
    assume(padding <= kernel // 2 and kernel <= size + 2 * padding)
    v = get_family(POOL).instantiate({"size": size, "kernel": kernel, "stride": stride, "padding": padding})
    assert v.answers == _pool_spec(size, kernel, stride, padding)


# -- spp_bins ------------------------------------------------------------------------------------------

SPP = "spp_bins"


def test_spp_examples():
    # SPP-Net's own example: conv5 13x13, 3x3 level -> window ceil(13/3) = 5, stride floor(13/3) = 4
    v = get_family(SPP).instantiate({"size": 13, "levels": "3,2,1", "channels": 256})
    assert v.answers == {"window": 5, "stride": 4, "out": 3, "feat": 256 * (9 + 4 + 1)}
    # 10x10 at the 6x6 level: window 2, stride 1 -> MaxPool2d gives 9x9, not 6x6
    v = get_family(SPP).instantiate({"size": 10, "levels": "6,3,2,1", "channels": 512})
    assert v.answers == {"window": 2, "stride": 1, "out": 9, "feat": 512 * 50}


def test_spp_mistakes():
    p = {"size": 13, "levels": "3,2,1", "channels": 256}
    assert mistake_id(SPP, p, window="4") == "spp.window-floor"
    assert mistake_id(SPP, p, stride="5") == "spp.stride-ceil"
    assert mistake_id(SPP, p, feat="14") == "spp.forgot-channels"
    assert mistake_id(SPP, p, feat=str(256 * 6)) == "spp.levels-not-squared"
    assert (
        mistake_id(SPP, {"size": 10, "levels": "6,3,2,1", "channels": 512}, out="6") == "spp.assumed-n-bins"
    )


@settings(max_examples=200, deadline=None)
@given(
    st.integers(6, 60), st.sampled_from(["4,2,1", "3,2,1", "6,3,2,1", "5,3,1"]), st.sampled_from([256, 512])
)
def test_spp_matches_plain_windows(size, levels, channels):
    ns = [int(x) for x in levels.split(",")]
    assume(size >= ns[0])
    n = ns[0]
    window = -(-size // n)
    stride = size // n
    out = len([j for j in range(0, size, stride) if j + window <= size])
    v = get_family(SPP).instantiate({"size": size, "levels": levels, "channels": channels})
    assert v.answers == {
        "window": window,
        "stride": stride,
        "out": out,
        "feat": channels * sum(m * m for m in ns),
    }
    assert window * n >= size and stride * n <= size  # n windows cover the map; n strides fit in it


# -- receptive_field ------------------------------------------------------------------------------------

RF = "receptive_field"
FILLER = {"kind3": "conv", "k3": 1, "s3": 1, "d3": 1, "kind4": "conv", "k4": 1, "s4": 1, "d4": 1}


def stack(*layers):
    p = dict(FILLER, n_layers=len(layers))
    for i, (kind, k, s, d) in enumerate(layers, 1):
        p.update({f"kind{i}": kind, f"k{i}": k, f"s{i}": s, f"d{i}": d})
    return p


def test_rf_examples():
    f = get_family(RF)
    # conv3, conv3, pool2/2, conv3: r = 1+2+2+1 = 6, then +2*2 = 10; jump 2
    v = f.instantiate(stack(("conv", 3, 1, 1), ("conv", 3, 1, 1), ("pool", 2, 2, 1), ("conv", 3, 1, 1)))
    assert v.answers == {"rf": 10, "jump": 2}
    # dilated 3x3 with d=2 (eff. 5) then d=3 (eff. 7): 1 + 4 + 6 = 11
    assert f.instantiate(stack(("conv", 3, 1, 2), ("conv", 3, 1, 3))).answers == {"rf": 11, "jump": 1}
    # conv3/2 then conv3/1: 1 + 2 = 3, jump 2, 3 + 2*2 = 7
    assert f.instantiate(stack(("conv", 3, 2, 1), ("conv", 3, 1, 1))).answers == {"rf": 7, "jump": 2}
    # a pooling layer ignores its d parameter (MaxPool2d here has no dilation)
    assert f.instantiate(stack(("pool", 3, 2, 3), ("conv", 3, 1, 1))).answers == {"rf": 7, "jump": 2}


def test_rf_mistakes():
    assert mistake_id(RF, stack(("conv", 3, 1, 2), ("conv", 3, 1, 3)), rf="5") == "rf.ignored-dilation"
    p = stack(("conv", 3, 2, 1), ("conv", 3, 1, 1))  # 7
    assert mistake_id(RF, p, rf="5") == "rf.ignored-strides"
    assert mistake_id(RF, p, rf="9") == "rf.included-own-stride"


def _rf_spec(layers):
    """Back-project output units 0 and 1 through every layer as sets of input indices."""

    def footprint(unit):
        cells = {unit}
        for _kind, k, s, d in reversed(layers):
            cells = {o * s + t * d for o in cells for t in range(k)}
        return min(cells), max(cells)

    a, b = footprint(0), footprint(1)
    return {"rf": a[1] - a[0] + 1, "jump": b[0] - a[0]}


layer = st.tuples(st.sampled_from(["conv", "pool"]), st.integers(1, 5), st.integers(1, 3), st.integers(1, 3))


@settings(max_examples=200, deadline=None)
@given(st.lists(layer, min_size=2, max_size=4))
def test_rf_matches_back_projection(layers):
    assume(all(k >= 2 for kind, k, _, _ in layers if kind == "pool"))
    v = get_family(RF).instantiate(stack(*layers))
    spec_layers = [(kind, k, s, d if kind == "conv" else 1) for kind, k, s, d in layers]
    assert v.answers == _rf_spec(spec_layers)


def test_rf_closed_form_product_of_strides():
    # r = 1 + sum (k_eff - 1) * prod(previous strides), checked on one stack by hand
    layers = [("conv", 5, 2, 1), ("conv", 3, 3, 2), ("pool", 2, 2, 1)]
    r = 1 + 4 * 1 + 4 * 2 + 1 * 6
    assert get_family(RF).instantiate(stack(*layers)).answers == {"rf": r, "jump": math.prod([2, 3, 2])}


def test_forgetting_the_padding_entirely_is_named():
    conv = "conv2d_output_size"
    # 71, k=3, p=1, s=1: (71 + 2 - 3) + 1 = 71; no padding at all: (71 - 3) + 1 = 69; once: 70
    p = {"size": 71, "kernel": 3, "padding": 1, "stride": 1, "dilation": 1}
    assert mistake_id(conv, p, out="69") == "conv.forgot-padding"
    assert mistake_id(conv, p, out="70") == "conv.forgot-double-padding"
    # 224, k=7, p=3, s=2 (ResNet's stem): floor(223/2) + 1 = 112; no padding: floor(217/2) + 1 = 109
    stem = {"size": 224, "kernel": 7, "padding": 3, "stride": 2, "dilation": 1}
    assert mistake_id(conv, stem, out="109") == "conv.forgot-padding"
    # pooling, 7, k=3, s=2, p=1: floor 4, ceil 4; no padding: floor((7-3)/2)+1 = 3, ceil(4/2)+1 = 3
    pool = {"size": 7, "kernel": 3, "stride": 2, "padding": 1}
    assert mistake_id(POOL, pool, out_floor="3", out_ceil="3") == "pool.forgot-padding"
    # transposed, 5, k=3, s=2, p=1: (5-1)·2 - 2 + 2 + 0 + 1 = 9; no padding subtracted: 11; once: 10
    assert mistake_id(CT, ct(5, 3, 2, 1, 0, 1), out="11") == "convT.forgot-padding"
    assert mistake_id(CT, ct(5, 3, 2, 1, 0, 1), out="10") == "convT.padding-once"


def test_dilated_kernel_taken_as_d_times_k_is_named():
    # 32, k=3, d=3: effective size 3·2 + 1 = 7, out 26; d·k = 9 gives 24 (ignoring d: 30, no +1: 25)
    p = {"size": 32, "kernel": 3, "padding": 0, "stride": 1, "dilation": 3}
    assert get_family("conv2d_output_size").instantiate(p).answers == {"out": 26}
    assert mistake_id("conv2d_output_size", p, out="24") == "conv.dilation-times-k"
