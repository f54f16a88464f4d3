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

SETTINGS = settings(max_examples=200, deadline=None)


def _closed(family_id: str, params: dict) -> dict:
    fam = get_family(family_id)
    cols = fam.columns([params], torch.device("cpu"))
    return {k: v.reshape(1, -1)[0].tolist() for k, v in fam.closed_form(cols).items()}


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


IOU_XYXY = {"box_format": "xyxy", "decimals": 0, "data_seed": 0}
IOU_XYWH = {"box_format": "xywh", "decimals": 0, "data_seed": 16}


def test_iou_xyxy_example():
    assert iou_boxes("xyxy", 0, 0) == ((13, 19, 50, 37), (24, 21, 67, 38))
    # w∩ = min(50,67) - max(13,24) = 26, h∩ = min(37,38) - max(19,21) = 16: 416
    # |A| = 37·18 = 666, |B| = 43·17 = 731, union 981
    v = get_family("iou").instantiate(IOU_XYXY)
    assert v.answers == {"inter": 416, "union": 981, "iou": pytest.approx(416 / 981)}
    assert grade(v, {"inter": "416", "union": "981", "iou": "42.41%"}).correct


def test_iou_xywh_example():
    assert iou_boxes("xywh", 0, 16) == ((20, 27, 34, 51), (23, 25, 37, 48))
    # A: x 3..37, y 1.5..52.5; B: x 4.5..41.5, y 1..49 → 32.5 × 47.5 = 1543.75
    # |A| = 34·51 = 1734, |B| = 37·48 = 1776, union 1966.25
    v = get_family("iou").instantiate(IOU_XYWH)
    assert v.answers == {"inter": 1543.75, "union": 1966.25, "iou": pytest.approx(1543.75 / 1966.25)}


def test_iou_mistakes():
    v = get_family("iou").instantiate(IOU_XYXY)
    # +1 convention: 27·17 = 459; |A| = 38·19 = 722, |B| = 44·18 = 792; union 1055
    assert _named(v, inter=459, union=1055, iou=459 / 1055) == "iou.plus-one-pixel"
    assert _named(v, iou=416 / 666) == "iou.over-smaller-box"
    assert _named(v, union=1397, iou=416 / 1397) == "iou.union-not-subtracted"
    w = get_family("iou").instantiate(IOU_XYWH)
    # read as corners: A (20,27)-(34,51) 14×24 = 336, B (23,25)-(37,48) 14×23 = 322; ∩ 11×21 = 231
    assert _named(w, inter=231, union=427, iou=231 / 427) == "iou.xywh-as-xyxy"


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
    assert _closed("iou", p)["iou"][0] == pytest.approx(inter / union, abs=1e-12)


# -- NMS -------------------------------------------------------------------------------------------

NMS = {"n": 5, "threshold": 0.5, "data_seed": 3}


def test_nms_example_with_an_iou_exactly_at_the_threshold():
    boxes, scores = nms_data(5, 0.5, 3)
    assert boxes == [(46, 36, 85, 67), (1, 35, 22, 47), (51, 53, 86, 69), (60, 38, 83, 67), (8, 35, 29, 47)]
    assert scores == [0.19, 0.65, 0.65, 0.2, 0.95]
    # order 4, 1, 2 (tie with 1: lower index first), 3, 0.  IoU(1, 4) = 14·12 / (2·252 - 168) = 0.5: kept.
    # 2 and 3 overlap nothing kept with IoU > 0.5 (IoU(3, 2) = 322/905); IoU(0, 3) = 667/1209 > 0.5
    v = get_family("nms").instantiate(NMS)
    assert v.answers["keep"] == [4, 1, 2, 3]
    assert grade(v, {"keep": "4, 1, 2, 3"}).correct
    assert not grade(v, {"keep": "1, 2, 3, 4"}).correct


def test_nms_mistakes():
    v = get_family("nms").instantiate(NMS)
    assert _named(v, keep=[4, 2, 3]) == "nms.suppress-on-equal"
    assert _named(v, keep=[0, 1, 2, 4]) == "nms.no-score-sort"
    assert _named(v, keep=[1, 2, 3, 4]) == "nms.index-order"
    # seed 24: box 2 (score .41) is suppressed only by box 4, which box 3 already suppressed
    w = get_family("nms").instantiate({"n": 5, "threshold": 0.5, "data_seed": 24})
    assert w.answers["keep"] == [3, 2]
    assert _named(w, keep=[3]) == "nms.suppressed-still-suppress"


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


@SETTINGS
@given(n=st.integers(4, 8), thr=st.sampled_from([0.3, 0.4, 0.5, 0.6, 0.7]), seed=st.integers(0, 10**6))
def test_nms_matches_repeat_until_empty_spec(n, thr, seed):
    boxes, scores = nms_data(n, thr, seed)
    want = _nms_spec(boxes, scores, thr)
    p = {"n": n, "threshold": thr, "data_seed": seed}
    assert get_family("nms").solve(p)["keep"] == want
    padded = want + [-1] * (8 - len(want))
    assert _closed("nms", p)["keep"] == padded


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
    for got in (get_family("yolo_target").solve(p), {k: v[0] for k, v in _closed("yolo_target", p).items()}):
        assert (got["row"], got["col"]) == (row, col)
        assert got["x"] == pytest.approx(float(cx - col * Fraction(W, S)) / (W / S), abs=1e-12)
        assert got["y"] == pytest.approx(float(cy - row * Fraction(H, S)) / (H / S), abs=1e-12)
        assert got["size"] == S * S * 30


def test_yolo_confidence_example_and_mistakes():
    v = get_family("yolo_confidence").instantiate(
        {"p_obj": 0.8, "iou": 0.5, "p_cls": 0.7, "alpha": 1.0, "beta": 6.0}
    )
    # 0.8·0.5 = 0.4; ·0.7 = 0.28; t = 0.7·0.5⁶ = 0.7/64
    assert v.answers == pytest.approx({"box_conf": 0.4, "class_conf": 0.28, "align": 0.7 / 64})
    assert _named(v, class_conf=0.56) == "yolo.conf-without-iou"
    assert _named(v, align=0.7**6 * 0.5) == "tal.alpha-beta-swapped"
    assert _named(v, align=0.28 / 64) == "tal.confidence-as-score"


@SETTINGS
@given(
    po=st.integers(50, 100),
    u=st.integers(30, 95),
    s=st.integers(20, 99),
    al=st.sampled_from([1.0, 0.5]),
    be=st.sampled_from([6.0, 4.0]),
)
def test_yolo_confidence_properties(po, u, s, al, be):
    p = {"p_obj": po / 100, "iou": u / 100, "p_cls": s / 100, "alpha": al, "beta": be}
    got = get_family("yolo_confidence").solve(p)
    assert got["class_conf"] <= got["box_conf"] <= p["p_obj"]
    t = 1.0
    for _ in range(int(be)):
        t *= p["iou"]
    t *= p["p_cls"] if al == 1.0 else p["p_cls"] ** 0.5
    assert got["align"] == pytest.approx(t, rel=1e-12)
    assert _closed("yolo_confidence", p)["align"][0] == pytest.approx(t, rel=1e-9)
