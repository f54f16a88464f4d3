"""engine.ops against slow plain-Python references and hand examples."""

from __future__ import annotations

import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.ops import box_iou, nms


def iou_ref(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def nms_ref(boxes, scores, thr):
    order = sorted(range(len(boxes)), key=lambda i: (-scores[i], i))
    keep = []
    for i in order:
        if all(iou_ref(boxes[i], boxes[k]) <= thr for k in keep):
            keep.append(i)
    return keep


def test_iou_hand_example():
    # [0,0,4,4] and [2,2,6,6]: intersection 2*2 = 4, union 16 + 16 - 4 = 28
    got = box_iou(
        torch.tensor([[0.0, 0.0, 4.0, 4.0]], dtype=torch.float64),
        torch.tensor([[2.0, 2.0, 6.0, 6.0]], dtype=torch.float64),
    )
    assert got.item() == pytest.approx(4 / 28)


def test_nms_strict_threshold_and_ties():
    # boxes 0 and 1 overlap with IoU exactly 1/3 ([0,0,2,1] vs [1,0,3,1]: inter 1, union 3)
    boxes = torch.tensor(
        [[0.0, 0.0, 2.0, 1.0], [1.0, 0.0, 3.0, 1.0], [10.0, 10.0, 11.0, 11.0]], dtype=torch.float64
    )
    scores = torch.tensor([0.5, 0.5, 0.9], dtype=torch.float64)
    assert nms(boxes, scores, 1 / 3).tolist() == [2, 0, 1]  # IoU == threshold is not suppressed
    assert nms(boxes, scores, 0.3).tolist() == [2, 0]  # equal scores: the lower index ranks first


def _boxes(rng, n):
    out = []
    for _ in range(n):
        x, y = rng.randint(0, 40), rng.randint(0, 40)
        out.append([float(x), float(y), float(x + rng.randint(1, 20)), float(y + rng.randint(1, 20))])
    return out


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 25), thr=st.sampled_from([0.3, 0.5, 0.7]))
def test_nms_and_iou_match_plain_loops(seed, n, thr):
    rng = random.Random(seed)
    boxes = _boxes(rng, n)
    scores = [rng.choice([0.1, 0.5, 0.9, rng.random()]) for _ in range(n)]
    bt = torch.tensor(boxes, dtype=torch.float64)
    st_ = torch.tensor(scores, dtype=torch.float64)
    m = box_iou(bt, bt)
    for i in range(n):
        for j in range(n):
            assert m[i, j].item() == pytest.approx(iou_ref(boxes[i], boxes[j]), abs=1e-12)
    assert nms(bt, st_, thr).tolist() == nms_ref(boxes, scores, thr)
