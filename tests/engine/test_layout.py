"""tensor_layout_offset: hand-computed offsets and strides, mistake detectors, and a hypothesis
property against a plain enumeration of memory order."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import get_family, grade

FID = "tensor_layout_offset"


def params(layout, N=2, C=3, H=4, W=5, n=1, c=1, h=2, w=3):
    return {"N": N, "C": C, "H": H, "W": W, "n": n, "c": c, "h": h, "w": w, "layout": layout}


@pytest.mark.parametrize(
    ("layout", "offset", "strides"),
    [
        # NCHW: strides (C*H*W, H*W, W, 1) = (60, 20, 5, 1); 60 + 20 + 10 + 3 = 93
        ("NCHW", 93, [60, 20, 5, 1]),
        # NHWC: N 4*5*3 = 60, C 1, H 5*3 = 15, W 3; 60 + 1 + 30 + 9 = 100
        ("NHWC", 100, [60, 1, 15, 3]),
        # CHWN: N 1, C 4*5*2 = 40, H 5*2 = 10, W 2; 1 + 40 + 20 + 6 = 67
        ("CHWN", 67, [1, 40, 10, 2]),
    ],
)
def test_offsets_and_strides_by_hand(layout, offset, strides):
    assert get_family(FID).instantiate(params(layout)).answers == {"offset": offset, "strides": strides}


def test_size_one_dimension_still_gets_the_dense_stride():
    # N = 1 in NHWC: stride of N is H*W*C = 60 even though it is never stepped along
    v = get_family(FID).instantiate(params("NHWC", N=1, n=0))
    assert v.answers["strides"] == [60, 1, 15, 3]


def typed(v, offset=None, strides=None):
    return {
        "offset": str(v.answers["offset"] if offset is None else offset),
        "strides": ", ".join(map(str, v.answers["strides"] if strides is None else strides)),
    }


def test_mistake_detectors():
    v = get_family(FID).instantiate(params("NHWC"))
    r = grade(v, typed(v, 93, [60, 20, 5, 1]))
    assert r.mistake is not None and r.mistake.id == "layout.assumed-nchw"
    # column-major NHWC: N fastest (1), then H (2), W (2*4 = 8), C (8*5 = 40): 1 + 40 + 4 + 24 = 69
    r = grade(v, typed(v, 69, [1, 40, 2, 8]))
    assert r.mistake is not None and r.mistake.id == "layout.column-major"
    # own size included: N 120, H 60, W 15, C 3 -> 120 + 3 + 120 + 45 = 288
    r = grade(v, typed(v, 288, [120, 3, 60, 15]))
    assert r.mistake is not None and r.mistake.id == "layout.stride-includes-own-size"
    # a mistake is named only when it explains every part answered: right NHWC strides contradict
    # "assumed NCHW", whatever the offset
    r = grade(v, typed(v, offset=93))
    assert not r.correct and r.mistake is None


def test_strides_accept_brackets_and_full_width_commas():
    v = get_family(FID).instantiate(params("CHWN"))
    assert grade(v, {"offset": "67", "strides": "（1，40，10，2）"}).correct


def _spec(p):
    """Walk memory in order with nested loops (outermost = leftmost letter of the layout) and record
    where each logical index lands; strides are offset differences along each dimension."""
    layout = p["layout"]
    sizes = {d: p[d] for d in "NCHW"}
    where = {}
    pos = 0
    for idx in itertools.product(*[range(sizes[d]) for d in layout]):
        named = dict(zip(layout, idx, strict=True))
        where[(named["N"], named["C"], named["H"], named["W"])] = pos
        pos += 1
    offset = where[(p["n"], p["c"], p["h"], p["w"])]
    strides = []
    for d in "NCHW":
        # a size-1 dimension is never stepped; its dense stride is the count of the faster dims
        inner = layout[layout.index(d) + 1 :]
        count = 1
        for x in inner:
            count *= sizes[x]
        if sizes[d] > 1:
            base = (0, 0, 0, 0)
            step = tuple(1 if x == d else 0 for x in "NCHW")
            assert where[step] - where[base] == count
        strides.append(count)
    return {"offset": offset, "strides": strides}


@st.composite
def layout_params(draw):
    sizes = {d: draw(st.integers(1, 4 if d == "N" else 6)) for d in "NCHW"}
    idx = {d.lower(): draw(st.integers(0, sizes[d] - 1)) for d in "NCHW"}
    return {**sizes, **idx, "layout": draw(st.sampled_from(["NCHW", "NHWC", "CHWN"]))}


@settings(max_examples=200, deadline=None)
@given(layout_params())
def test_matches_memory_walk(p):
    assert get_family(FID).instantiate(p).answers == _spec(p)


def test_batch_sampling_draws_valid_indices_with_the_conditioned_distribution():
    # drawing sizes and indices independently and keeping index < size makes a size D come up with
    # probability D / (1 + 2 + ... + Dmax), and the index uniform below D
    import torch

    cols = get_family(FID).sample_columns(
        60_000, generator=torch.Generator().manual_seed(0), device=torch.device("cpu")
    )
    for dim, top in (("N", 4), ("H", 16)):
        sizes, index = cols[dim], cols[dim.lower()]
        assert bool((index < sizes).all()) and bool((index >= 0).all())
        total = top * (top + 1) / 2
        for d in (1, 2, top):
            assert abs(float((sizes == d).double().mean()) - d / total) < 0.01
        at_top = index[sizes == top]
        assert abs(float((at_top == 0).double().mean()) - 1 / top) < 0.02
    assert sorted(set(cols["layout"].tolist())) == [0, 1, 2]
