"""NMS step by step: the kept boxes equal engine.ops.nms and a plain-Python greedy NMS written here."""

from __future__ import annotations

import pytest
import torch

from engine.demos import get_demo
from engine.ops import nms

DEMO = get_demo("nms_steps")


def iou(a, b):
    """xyxy, continuous coordinates (no +1 pixel)."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def greedy(boxes, scores, thr):
    """Visit by descending score (ties: lower index first); keep unless a kept box has IoU > thr."""
    kept = []
    for i in sorted(range(len(boxes)), key=lambda i: (-scores[i], i)):
        if all(iou(boxes[i], boxes[k]) <= thr for k in kept):
            kept.append(i)
    return kept


@pytest.mark.parametrize("thr", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_steps_keep_what_engine_nms_and_a_plain_greedy_nms_keep(thr, seed):
    result = DEMO.run({"boxes": 20, "objects": 3, "iou_threshold": thr}, seed=seed)
    s = result.series
    boxes, scores = s["boxes"], s["scores"]
    kept = [step["keep"] for step in s["steps"]]
    assert kept == s["kept"]
    assert kept == greedy(boxes, scores, thr)
    engine = nms(torch.tensor(boxes, dtype=torch.float64), torch.tensor(scores, dtype=torch.float64), thr)
    assert kept == engine.tolist()


@pytest.mark.parametrize("seed", [4, 5])
def test_each_step_suppresses_exactly_the_boxes_over_the_threshold(seed):
    thr = 0.4
    result = DEMO.run({"boxes": 16, "objects": 2, "iou_threshold": thr}, seed=seed)
    s = result.series
    boxes, scores = s["boxes"], s["scores"]
    seen = []
    for step in s["steps"]:
        k = step["keep"]
        before = [k, *step["suppressed"], *step["remaining"]]
        assert all(scores[k] >= scores[j] for j in before)  # the best remaining box is kept
        for j, shown in zip(step["suppressed"], step["suppressed_iou"]):
            assert iou(boxes[k], boxes[j]) > thr
            assert shown == pytest.approx(iou(boxes[k], boxes[j]), abs=1e-3)
        assert all(iou(boxes[k], boxes[j]) <= thr for j in step["remaining"])
        seen += [k, *step["suppressed"]]
    assert sorted(seen) == list(range(16))  # every box is decided exactly once


def test_boxes_lie_in_the_image_with_scores_in_range():
    s = DEMO.run({"boxes": 30, "objects": 6}, seed=8).series
    for x1, y1, x2, y2 in s["boxes"]:
        assert 0 <= x1 < x2 <= 100 and 0 <= y1 < y2 <= 100
    assert all(0.3 <= v <= 1.0 for v in s["scores"])
    assert set(s["object"]) == set(range(6))


@pytest.mark.parametrize("seed", [0, 6])
def test_prediction_is_the_bucket_of_the_kept_count(seed):
    result = DEMO.run({"boxes": 12}, seed=seed)
    n = len(result.series["kept"])
    lo, hi = (int(v) for v in result.question.choices[result.answer].rstrip(" 个").split("–"))
    assert lo <= n <= hi
