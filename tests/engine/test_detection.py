"""Detection families (IoU, NMS, YOLO target and confidence): hand-worked examples, one test per
mistake detector, and hypothesis properties against plain-loop specs written here."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import get_family, grade
from engine.families.detection import iou_boxes, iou_xyxy, nms_data
from tests.engine.helpers import closed_answers

SETTINGS = settings(max_examples=200, deadline=None)


def _typed(v) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(str(int(x)) for x in v)
    return repr(float(v))


def _named(variant, **typed) -> str | None:
    answers = {p.name: _typed(p.answer) for p in variant.parts}
    answers.update({k: _typed(v) for k, v in typed.items()})
    result = grade(variant, answers)
    assert not result.correct
    return result.mistake.id if result.mistake else None


# -- IoU -------------------------------------------------------------------------------------------


def test_iou_of_simple_boxes():
    # two 10×10 squares overlapping in a 5×5 corner: 25 / (100 + 100 - 25) = 1/7
    assert iou_xyxy((0, 0, 10, 10), (5, 5, 15, 15)) == (25, 175, pytest.approx(1 / 7))
    assert iou_xyxy((0, 0, 10, 10), (20, 20, 30, 30))[2] == 0


IOU_XYXY = {"box_format": "xyxy", "decimals": 0, "data_seed": 2}
IOU_XYWH = {"box_format": "xywh", "decimals": 0, "data_seed": 150}


def test_iou_xyxy_example():
    assert iou_boxes("xyxy", 0, 2) == ((19, 9, 40, 26), (3, 1, 30, 19))
    # w∩ = min(40,30) - max(19,3) = 11, h∩ = min(26,19) - max(9,1) = 10: 110
    # |A| = 21·17 = 357, |B| = 27·18 = 486, union 733
    v = get_family("iou").instantiate(IOU_XYXY)
    assert v.answers == {"inter": 110, "union": 733, "iou": pytest.approx(110 / 733)}
    assert grade(v, {"inter": "110", "union": "733", "iou": "15.007%"}).correct


def test_iou_xywh_example():
    assert iou_boxes("xywh", 0, 150) == ((35, 37, 50, 38), (22, 25, 42, 42))
    # A: x 10..60, y 18..56; B: x 1..43, y 4..46 → 33 × 28 = 924
    # |A| = 50·38 = 1900, |B| = 42·42 = 1764, union 2740
    v = get_family("iou").instantiate(IOU_XYWH)
    assert v.answers == {"inter": 924, "union": 2740, "iou": pytest.approx(924 / 2740)}


def test_iou_one_decimal_boxes_sit_on_a_tenth_grid():
    a, b = iou_boxes("xyxy", 1, 0)
    assert all(abs(x * 10 - round(x * 10)) < 1e-9 for x in a + b)
    assert any(abs(x - round(x)) > 1e-9 for x in a + b)


def test_iou_mistakes():
    v = get_family("iou").instantiate(IOU_XYXY)
    # +1 convention: 12·11 = 132; |A| = 22·18 = 396, |B| = 28·19 = 532; union 796
    assert _named(v, inter=132, union=796, iou=132 / 796) == "iou.plus-one-pixel"
    assert _named(v, iou=110 / 357) == "iou.over-smaller-box"
    assert _named(v, union=843, iou=110 / 843) == "iou.union-not-subtracted"
    w = get_family("iou").instantiate(IOU_XYWH)
    # read as corners: A (35,37)-(50,38) 15×1 = 15, B (22,25)-(42,42) 20×17 = 340; ∩ 7×1 = 7
    assert _named(w, inter=7, union=348, iou=7 / 348) == "iou.xywh-as-xyxy"


def _cells(lo: float, hi: float, lo2: float, hi2: float, scale: int = 20) -> int:
    """Length of the overlap of two intervals, counted as grid cells of size 1/scale (a plain loop)."""
    a0, a1, b0, b1 = (round(x * scale) for x in (lo, hi, lo2, hi2))
    return sum(1 for i in range(min(a0, b0), max(a1, b1)) if a0 <= i < a1 and b0 <= i < b1)


@SETTINGS
@given(
    box_format=st.sampled_from(["xyxy", "xywh"]), decimals=st.sampled_from([0, 1]), seed=st.integers(0, 10**6)
)
def test_iou_matches_cell_count(box_format, decimals, seed):
    a, b = iou_boxes(box_format, decimals, seed)
    if box_format == "xywh":
        a, b = ((x - w / 2, y - h / 2, x + w / 2, y + h / 2) for x, y, w, h in (a, b))
    inter = _cells(a[0], a[2], b[0], b[2]) * _cells(a[1], a[3], b[1], b[3]) / 400
    area = [_cells(x[0], x[2], x[0], x[2]) * _cells(x[1], x[3], x[1], x[3]) / 400 for x in (a, b)]
    union = area[0] + area[1] - inter
    p = {"box_format": box_format, "decimals": decimals, "data_seed": seed}
    got = get_family("iou").solve(p)
    assert got["inter"] == pytest.approx(inter, abs=1e-9)
    assert got["union"] == pytest.approx(union, abs=1e-9)
    assert got["iou"] == pytest.approx(inter / union, abs=1e-12)
    assert closed_answers("iou", p)["iou"][0] == pytest.approx(inter / union, abs=1e-12)


# -- NMS -------------------------------------------------------------------------------------------

NMS = {"n": 5, "threshold": 0.5, "data_seed": 30, "classes": 1}


def test_nms_example_with_an_iou_exactly_at_the_threshold():
    boxes, scores = nms_data(5, 0.5, 30)
    assert boxes == [(23, 29, 29, 48), (37, 62, 76, 78), (43, 64, 65, 87), (41, 55, 68, 92), (25, 29, 31, 48)]
    assert scores == [0.83, 0.2, 0.81, 0.83, 0.11]
    # order 0, 3 (tie with 0: lower index first), 2, 1, 4.  0 and 3 do not meet: both kept.
    # 2 lies inside 3: IoU 22·23 / (27·37) = 506/999 > 0.5, suppressed. IoU(1, 3) = 27·16 / (624 + 999 - 432)
    # = 432/1191: 1 kept. IoU(4, 0) = 4·19 / (114 + 114 - 76) = 0.5, not above: 4 kept.
    v = get_family("nms").instantiate(NMS)
    assert v.answers["keep"] == [0, 3, 1, 4]
    assert grade(v, {"keep": "0, 3, 1, 4"}).correct
    assert not grade(v, {"keep": "0, 1, 3, 4"}).correct


def test_nms_mistakes():
    v = get_family("nms").instantiate(NMS)
    assert _named(v, keep=[0, 3, 1]) == "nms.suppress-on-equal"
    # index order: 0; 1 (does not meet 0); 2 (IoU 308/822 with 1); 3 suppressed by 2; 4 (IoU 0.5 with 0)
    assert _named(v, keep=[0, 1, 2, 4]) == "nms.no-score-sort"
    assert _named(v, keep=[0, 1, 3, 4]) == "nms.index-order"
    # seed 26: order 2 (.71), 4, 0, 1, 3. Box 2 suppresses 4 (800/1558); box 1 (.51) overlaps the kept
    # boxes 2 and 0 by only 704/1514 and 165/1325 and is kept, though the suppressed box 4 overlaps it
    # by 825/1015
    w = get_family("nms").instantiate({"n": 5, "threshold": 0.5, "data_seed": 26, "classes": 1})
    assert nms_data(5, 0.5, 26) == (
        [(54, 44, 86, 64), (44, 21, 69, 55), (28, 23, 66, 59), (40, 31, 59, 56), (41, 22, 71, 55)],
        [0.54, 0.51, 0.71, 0.12, 0.59],
    )
    assert w.answers["keep"] == [2, 0, 1, 3]
    assert _named(w, keep=[2, 0, 3]) == "nms.suppressed-still-suppress"


def _nms_spec(boxes, scores, thr):
    """NMS as 'take the best remaining box, drop everything overlapping it more than thr, repeat',
    with IoU as exact fractions."""

    def iou(a, b):
        iw = max(Fraction(0), Fraction(min(a[2], b[2])) - Fraction(max(a[0], b[0])))
        ih = max(Fraction(0), Fraction(min(a[3], b[3])) - Fraction(max(a[1], b[1])))
        union = (
            (Fraction(a[2]) - Fraction(a[0])) * (Fraction(a[3]) - Fraction(a[1]))
            + (Fraction(b[2]) - Fraction(b[0])) * (Fraction(b[3]) - Fraction(b[1]))
            - iw * ih
        )
        return iw * ih / union

    left = list(range(len(boxes)))
    kept = []
    while left:
        best = min(left, key=lambda i: (-scores[i], i))
        kept.append(best)
        left = [i for i in left if i != best and iou(boxes[i], boxes[best]) <= Fraction(str(thr))]
    return kept


def test_nms_per_class_example_and_across_classes_mistake():
    # two classes (cat 猫, dog 狗): 1 cat (22,60,59,84) .98; 4 dog (38,63,55,79) .39; 3 cat (46,53,67,82)
    # .34; 2 dog (31,67,50,84) .33; 0 dog (32,60,64,83) .10. Box 0 overlaps the cat 1 by
    # 27·23 / (888 + 736 - 621) = 621/1003 > 0.5, but a cat never suppresses a dog; against the dogs
    # 4 and 2 it has 272/736 and 288/771: kept. Ignoring the classes, 1 suppresses 0.
    p = {"n": 5, "threshold": 0.5, "data_seed": 3, "classes": 2}
    boxes, scores = nms_data(5, 0.5, 3)
    assert boxes[0] == (32, 60, 64, 83) and boxes[1] == (22, 60, 59, 84) and scores[:2] == [0.1, 0.98]
    v = get_family("nms").instantiate(p)
    assert "| 0 | 狗 |" in v.prompt and "| 1 | 猫 |" in v.prompt and "按类别分别" in v.prompt
    assert v.answers["keep"] == [1, 4, 3, 2, 0]
    assert _named(v, keep=[1, 4, 3, 2]) == "nms.across-classes"
    assert closed_answers("nms", p)["keep"] == [1, 4, 3, 2, 0, -1, -1, -1]


@SETTINGS
@given(
    n=st.integers(4, 8),
    thr=st.sampled_from([0.3, 0.4, 0.5, 0.6, 0.7]),
    seed=st.integers(0, 10**6),
    classes=st.sampled_from([1, 2]),
)
def test_nms_matches_repeat_until_empty_spec(n, thr, seed, classes):
    boxes, scores = nms_data(n, thr, seed)
    p = {"n": n, "threshold": thr, "data_seed": seed, "classes": classes}
    labels = [int(f"| {i} | 狗 |" in get_family("nms").instantiate(p).prompt) for i in range(n)]
    # per class: the spec run on each class's boxes alone, then merged by score (ties: lower index)
    want = []
    for c in set(labels):
        idx = [i for i in range(n) if labels[i] == c]
        want += [idx[k] for k in _nms_spec([boxes[i] for i in idx], [scores[i] for i in idx], thr)]
    want.sort(key=lambda i: (-scores[i], i))
    assert get_family("nms").solve(p)["keep"] == want
    assert get_family("nms").instantiate(p).answers["keep"] == want
    padded = want + [-1] * (8 - len(want))
    assert closed_answers("nms", p)["keep"] == padded


# -- YOLO ------------------------------------------------------------------------------------------

YOLO = {"width": 448, "height": 448, "S": 7, "B": 2, "C": 20, "x1": 100, "y1": 250, "bw": 120, "bh": 80}


def test_yolo_target_example():
    # centre (160, 290), cells of 64 px: col ⌊2.5⌋ = 2, x = 0.5; row ⌊4.53125⌋ = 4, y = 0.53125
    v = get_family("yolo_target").instantiate(YOLO)
    assert v.answers == {
        "row": 4,
        "col": 2,
        "x": 0.5,
        "y": 0.53125,
        "w": pytest.approx(120 / 448),
        "h": pytest.approx(80 / 448),
        "size": 7 * 7 * 30,
    }


def test_yolo_target_note_example():
    # the note's 448×448 image with a 3×3 grid: the target (0.48, 0.28, 0.50, 0.32) in the middle cell
    # is a box of 224×143.36 px centred at (1.48, 1.28)·448/3; an integer box close to it: centre (221, 191)
    v = get_family("yolo_target").instantiate(
        {"width": 448, "height": 448, "S": 3, "B": 2, "C": 3, "x1": 109, "y1": 119, "bw": 224, "bh": 144}
    )
    assert (v.answers["row"], v.answers["col"], v.answers["size"]) == (1, 1, 117)
    assert v.answers["x"] == pytest.approx(221 * 3 / 448 - 1)
    assert v.answers["w"] == 0.5


def test_yolo_target_mistakes():
    v = get_family("yolo_target").instantiate(YOLO)
    assert _named(v, row=2, col=4) == "yolo.row-col-swapped"
    assert _named(v, x=160 / 448, y=290 / 448) == "yolo.xy-normalised-by-image"
    assert _named(v, w=120 / 64, h=80 / 64) == "yolo.wh-normalised-by-cell"
    assert _named(v, size=7 * 7 * 2 * 25) == "yolo.classes-per-box"


@SETTINGS
@given(
    W=st.sampled_from([448, 416, 640]),
    H=st.sampled_from([448, 416, 480]),
    S=st.sampled_from([3, 7, 13]),
    x1=st.integers(0, 600),
    y1=st.integers(0, 460),
    bw=st.integers(8, 400),
    bh=st.integers(8, 400),
)
def test_yolo_target_matches_cell_search(W, H, S, x1, y1, bw, bh):
    assume(x1 + bw <= W and y1 + bh <= H)
    p = {"width": W, "height": H, "S": S, "B": 2, "C": 20, "x1": x1, "y1": y1, "bw": bw, "bh": bh}
    cx, cy = Fraction(2 * x1 + bw, 2), Fraction(2 * y1 + bh, 2)
    cells = [
        (r, c)
        for r in range(S)
        for c in range(S)
        if c * Fraction(W, S) <= cx < (c + 1) * Fraction(W, S)
        and r * Fraction(H, S) <= cy < (r + 1) * Fraction(H, S)
    ]
    assert len(cells) == 1
    row, col = cells[0]
    for got in (
        get_family("yolo_target").solve(p),
        {k: v[0] for k, v in closed_answers("yolo_target", p).items()},
    ):
        assert (got["row"], got["col"]) == (row, col)
        assert got["x"] == pytest.approx(float(cx - col * Fraction(W, S)) / (W / S), abs=1e-12)
        assert got["y"] == pytest.approx(float(cy - row * Fraction(H, S)) / (H / S), abs=1e-12)
        assert got["size"] == S * S * 30


def test_yolo_confidence_example_and_mistakes():
    v = get_family("yolo_confidence").instantiate({"p_obj": 0.8, "iou": 0.5, "p_cls": 0.7})
    # 0.8·0.5 = 0.4; ·0.7 = 0.28
    assert v.answers == pytest.approx({"box_conf": 0.4, "class_conf": 0.28})
    assert [p.name for p in v.parts] == ["box_conf", "class_conf"]  # one idea: no TaskAligned part
    assert _named(v, class_conf=0.56) == "yolo.conf-without-iou"
    assert _named(v, box_conf=0.8) == "yolo.box-conf-is-objectness"


@SETTINGS
@given(po=st.integers(50, 100), u=st.integers(30, 95), s=st.integers(20, 99))
def test_yolo_confidence_properties(po, u, s):
    p = {"p_obj": po / 100, "iou": u / 100, "p_cls": s / 100}
    got = get_family("yolo_confidence").solve(p)
    assert got["class_conf"] <= got["box_conf"] <= p["p_obj"]
    assert got["class_conf"] == pytest.approx(float(Fraction(po, 100) * Fraction(u, 100) * Fraction(s, 100)))
    closed = closed_answers("yolo_confidence", p)
    assert closed["class_conf"][0] == pytest.approx(got["class_conf"], rel=1e-12)


def test_task_aligned_metric_example_and_mistakes():
    v = get_family("task_aligned_metric").instantiate({"score": 0.7, "iou": 0.5, "alpha": 1.0, "beta": 6.0})
    # t = 0.7·0.5⁶ = 0.7/64
    assert v.answers == pytest.approx({"align": 0.7 / 64})
    assert _named(v, align=0.7**6 * 0.5) == "tal.alpha-beta-swapped"
    assert _named(v, align=0.35) == "tal.no-exponents"


@SETTINGS
@given(
    u=st.integers(30, 95),
    s=st.integers(20, 99),
    al=st.sampled_from([1.0, 0.5]),
    be=st.sampled_from([6.0, 4.0]),
)
def test_task_aligned_metric_properties(u, s, al, be):
    p = {"score": s / 100, "iou": u / 100, "alpha": al, "beta": be}
    got = get_family("task_aligned_metric").solve(p)
    t = 1.0
    for _ in range(int(be)):
        t *= p["iou"]
    t *= p["score"] if al == 1.0 else p["score"] ** 0.5
    assert got["align"] == pytest.approx(t, rel=1e-12)
    assert closed_answers("task_aligned_metric", p)["align"][0] == pytest.approx(t, rel=1e-9)


def test_yolo_batch_sampling_keeps_boxes_inside_with_the_conditioned_distribution():
    # uniform over the (width, x1, bw) triples with x1 + bw <= width: the mean x1, by enumeration
    fam = get_family("yolo_target")
    total = weighted = 0
    for w in (448, 416, 640):
        for bw in range(8, 401):
            last = min(600, w - bw)  # x1 in 0..last
            if last >= 0:
                total += last + 1
                weighted += last * (last + 1) / 2
    cols = fam.sample_columns(200_000, generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    widths = torch.tensor([448.0, 416.0, 640.0])[cols["width"]]
    heights = torch.tensor([448.0, 416.0, 480.0])[cols["height"]]
    assert bool((cols["x1"] + cols["bw"] <= widths).all()) and bool(
        (cols["y1"] + cols["bh"] <= heights).all()
    )
    assert abs(float(cols["x1"].mean()) - weighted / total) < 1.5  # a few standard errors (0.3)
    assert sorted(set(cols["S"].tolist())) == [0, 1, 2]


def test_iou_unclamped_overlap_is_named():
    # A (21,16,40,42), B (11,49,26,81) do not meet: overlap width 26 - 21 = 5, height 42 - 49 = -7.
    # Without max(0, ·): "intersection" -35, union 494 + 480 + 35 = 1009, IoU -35/1009
    v = get_family("iou").instantiate({"box_format": "xyxy", "decimals": 0, "data_seed": 27})
    assert v.answers == {"inter": 0.0, "union": 974.0, "iou": 0.0}
    assert _named(v, inter=-35, union=1009, iou=-35 / 1009) == "iou.no-clamp"
