"""Receptive field: the gradient's support equals the analytic size, written here as the backward
recursion r_{L} = 1, r_{l-1} = s_l (r_l − 1) + d_l (k_l − 1) + 1 (Araujo et al., "Computing Receptive
Fields of Convolutional Neural Networks", 2019)."""

from __future__ import annotations

import itertools

import pytest

from engine.demos import InvalidDemoParams, get_demo

DEMO = get_demo("receptive_field")


def analytic(layers, k, s, d):
    r = 1
    for _ in range(layers):
        r = s * (r - 1) + d * (k - 1) + 1
    return r


@pytest.mark.parametrize(
    ("layers", "kernel", "stride", "dilation"),
    [c for c in itertools.product((1, 2, 4), (3, 5), (1, 2), (1, 2)) if analytic(*c) <= 129],
)
def test_gradient_support_equals_the_analytic_receptive_field(layers, kernel, stride, dilation):
    p = {"layers": layers, "kernel": kernel, "stride": stride, "dilation": dilation, "samples": 8}
    result = DEMO.run(p, seed=layers * 100 + kernel)
    fig = {f.key: f.value for f in result.figures}
    r = analytic(layers, kernel, stride, dilation)
    assert fig["analytic_rf"] == r
    assert fig["support"] == r
    top, bottom = result.series["field"]
    assert bottom - top == r
    assert fig["effective_side"] <= r


def test_effective_field_is_smaller_than_the_analytic_one_for_a_deep_stack():
    # 8 layers of 3×3: r = 17; the gradient mass concentrates near the centre (roughly Gaussian with
    # std ∝ √layers), so 90% of it sits well inside the 17×17 square
    result = DEMO.run({"layers": 8, "kernel": 3, "activation": "none", "samples": 8}, seed=0)
    fig = {f.key: f.value for f in result.figures}
    assert fig["analytic_rf"] == 17
    assert fig["effective_side"] < 17
    assert result.answer in (1, 2)


def test_a_field_wider_than_the_plot_is_refused():
    assert analytic(10, 7, 2, 1) > 129
    with pytest.raises(InvalidDemoParams, match="receptive field of this stack is 6139 pixels"):
        DEMO.canonical({"layers": 10, "kernel": 7, "stride": 2})
