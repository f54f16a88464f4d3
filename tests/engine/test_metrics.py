"""Metric families (confusion ratios, ROC points, AP, COCO mAP, ROC AUC): hand-worked examples, one
test per mistake detector, and hypothesis properties against plain-loop specs written here."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import get_family, grade
from engine.families.metrics import ap_data, ap_reference, auc_data, map_data, roc_data
from tests.engine.helpers import closed_answers

SETTINGS = settings(max_examples=200, deadline=None)


def _named(variant, **typed) -> str | None:
    answers = {p.name: repr(float(p.answer)) for p in variant.parts}
    answers.update({k: repr(float(v)) for k, v in typed.items()})
    result = grade(variant, answers)
    assert not result.correct
    return result.mistake.id if result.mistake else None


# -- confusion matrix ------------------------------------------------------------------------------

CM = {"tp": 40, "fp": 10, "fn": 20, "tn": 30}


def test_confusion_example():
    v = get_family("confusion_metrics").instantiate(CM)
    # acc 70/100, P 40/50, R 40/60, F1 = 80/110
    assert v.answers == pytest.approx({"accuracy": 0.7, "precision": 0.8, "recall": 2 / 3, "f1": 8 / 11})
    assert grade(v, {"accuracy": "70%", "precision": "0.8", "recall": "66.67%", "f1": "8/11"}).correct


def test_confusion_mistakes():
    v = get_family("confusion_metrics").instantiate(CM)
    assert _named(v, precision=2 / 3, recall=0.8) == "metrics.precision-recall-swapped"
    assert _named(v, f1=(0.8 + 2 / 3) / 2) == "metrics.f1-arithmetic-mean"
    assert _named(v, accuracy=0.4) == "metrics.accuracy-without-tn"


@SETTINGS
@given(tp=st.integers(1, 200), fp=st.integers(0, 100), fn=st.integers(0, 100), tn=st.integers(0, 300))
def test_confusion_matches_sample_loop(tp, fp, fn, tn):
    # rebuild the samples and count them one by one
    samples = [(1, 1)] * tp + [(0, 1)] * fp + [(1, 0)] * fn + [(0, 0)] * tn  # (label, prediction)
    right = sum(1 for y, h in samples if y == h)
    pred_pos = [y for y, h in samples if h == 1]
    real_pos = [h for y, h in samples if y == 1]
    prec, rec = Fraction(sum(pred_pos), len(pred_pos)), Fraction(sum(real_pos), len(real_pos))
    want = {
        "accuracy": right / len(samples),
        "precision": float(prec),
        "recall": float(rec),
        "f1": float(2 / (1 / prec + 1 / rec)) if prec and rec else 0.0,
    }
    p = {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
    assert get_family("confusion_metrics").solve(p) == pytest.approx(want, rel=1e-12)
    assert {k: v[0] for k, v in closed_answers("confusion_metrics", p).items()} == pytest.approx(
        want, rel=1e-12
    )


# -- ROC points ------------------------------------------------------------------------------------

ROC = {"n": 6, "data_seed": 211}


def test_roc_points_example_threshold_equal_to_a_score():
    assert roc_data(6, 211) == ([0.85, 0.25, 0.44, 0.5, 0.59, 0.7], [1, 0, 1, 0, 1, 1], 0.5)
    # ≥ 0.5: samples 0, 4, 5 (positives, of 4) and 3 (a negative, of 2, exactly at the threshold)
    v = get_family("roc_points").instantiate(ROC)
    assert v.answers == {"tpr": 0.75, "fpr": 0.5}


def test_roc_points_mistakes():
    v = get_family("roc_points").instantiate(ROC)
    assert _named(v, fpr=0.0) == "roc.strict-threshold"
    assert _named(v, tpr=0.5, fpr=0.75) == "roc.tpr-fpr-swapped"
    assert _named(v, fpr=0.25) == "roc.fpr-as-fdr"


@SETTINGS
@given(n=st.integers(6, 12), seed=st.integers(0, 10**6))
def test_roc_points_match_sorted_sweep(n, seed):
    scores, labels, thr = roc_data(n, seed)
    # sweep the samples from the highest score down, stopping below the threshold
    tp = fp = 0
    for s, y in sorted(zip(scores, labels, strict=False), reverse=True):
        if s < thr:
            break
        tp += y
        fp += 1 - y
    want = {"tpr": tp / sum(labels), "fpr": fp / (n - sum(labels))}
    p = {"n": n, "data_seed": seed}
    assert get_family("roc_points").solve(p) == pytest.approx(want)
    assert {k: v[0] for k, v in closed_answers("roc_points", p).items()} == pytest.approx(want)


# -- AP --------------------------------------------------------------------------------------------

AP = {"n": 5, "extra_gt": 1, "data_seed": 12}


def test_ap_reference_by_hand():
    # TP FP TP TP FP, 4 ground truths: P = 1, .5, .667, .75, .6; R = .25, .25, .5, .75, .75
    ref = ap_reference([1, 0, 1, 1, 0], 4)
    # envelope at the TPs: 1, .75, .75 → (1 + .75 + .75)/4
    assert ref["ap_all"] == Fraction(5, 8)
    # 11 points: r = 0, .1, .2 → 1; .3 ... .7 → .75; .8, .9, 1 → 0: (3 + 5·.75)/11
    assert ref["ap_11"] == Fraction(27, 44)


def test_ap_family_example_and_mistakes():
    assert ap_data(5, 12) == ([0.93, 0.88, 0.8, 0.79, 0.74], [1, 0, 1, 1, 0])
    v = get_family("average_precision").instantiate(AP)
    assert v.answers == pytest.approx({"ap_all": 0.625, "ap_11": 27 / 44})
    assert _named(v, ap_all=27 / 44, ap_11=0.625) == "ap.11-point-vs-all-point"
    # no envelope: (1 + 2/3 + 3/4)/4; 11 points read at the first rank reaching r:
    # r ≤ .2 → 1, r = .3 … .5 → 2/3, r = .6, .7 → 3/4, r ≥ .8 → 0
    assert (
        _named(v, ap_all=(1 + 2 / 3 + 0.75) / 4, ap_11=(3 + 3 * 2 / 3 + 2 * 0.75) / 11)
        == "ap.no-interpolation"
    )
    # recall over the 3 detected TPs: envelope (1 + .75 + .75)/3; 11 points: r ≤ .3 → 1, .4 ... 1 → .75
    assert _named(v, ap_all=2.5 / 3, ap_11=(4 + 7 * 0.75) / 11) == "ap.missed-gt-ignored"


def _ap_spec(flags, n_gt):
    """AP by definition: all-point = Σ over recall steps of (max precision at recall ≥ r), written as
    a double loop; 11-point = average over r of the max precision at recall ≥ r."""
    prec = [Fraction(sum(flags[: i + 1]), i + 1) for i in range(len(flags))]
    rec = [Fraction(sum(flags[: i + 1]), n_gt) for i in range(len(flags))]
    ap_all = Fraction(0)
    for i, f in enumerate(flags):
        if f:
            ap_all += Fraction(1, n_gt) * max(prec[j] for j in range(len(flags)) if rec[j] >= rec[i])
    ap11 = (
        sum(
            (
                max([p for p, r in zip(prec, rec, strict=False) if r >= Fraction(k, 10)], default=Fraction(0))
                for k in range(11)
            ),
            Fraction(0),
        )
        / 11
    )
    return float(ap_all), float(ap11)


@SETTINGS
@given(n=st.integers(5, 10), extra=st.integers(0, 3), seed=st.integers(0, 10**6))
def test_ap_matches_definition(n, extra, seed):
    flags = ap_data(n, seed)[1]
    ap_all, ap11 = _ap_spec(flags, sum(flags) + extra)
    p = {"n": n, "extra_gt": extra, "data_seed": seed}
    assert get_family("average_precision").solve(p) == pytest.approx(
        {"ap_all": ap_all, "ap_11": ap11}, rel=1e-12
    )
    cf = closed_answers("average_precision", p)
    assert (cf["ap_all"][0], cf["ap_11"][0]) == pytest.approx((ap_all, ap11), rel=1e-9)


# -- mAP -------------------------------------------------------------------------------------------

MAP = {"n_classes": 2, "data_seed": 1}


def test_map_example_and_mistakes():
    assert map_data(2, 1) == [
        [0.84, 0.76, 0.74, 0.72, 0.68, 0.59, 0.56, 0.51, 0.49, 0.46],
        [0.76, 0.71, 0.66, 0.62, 0.61, 0.59, 0.58, 0.52, 0.51, 0.49],
    ]
    v = get_family("map_coco").instantiate(MAP)
    # mAP@.5 = (0.84 + 0.76)/2; class means 6.35/10 = 0.635 and 6.05/10 = 0.605
    assert v.answers == pytest.approx({"map50": 0.8, "map5095": 0.62})
    assert _named(v, map5095=(5.89 / 9 + 5.56 / 9) / 2) == "map.nine-thresholds"
    assert _named(v, map5095=(0.65 + 0.625) / 2) == "map.endpoints-only"
    assert _named(v, map5095=0.59) == "map.ap75-instead"


def test_map_rows_never_rise_nor_go_below_zero():
    for seed in range(300):
        for row in map_data(3, seed):
            assert 0.45 <= row[0] <= 0.95
            assert all(0 <= b <= a and a - b <= 0.09 + 1e-9 for a, b in zip(row, row[1:], strict=False))


@SETTINGS
@given(k=st.integers(2, 3), seed=st.integers(0, 10**6))
def test_map_matches_threshold_loop(k, seed):
    table = map_data(k, seed)
    total, count = 0.0, 0
    for t in range(10):  # IoU 0.50 + 0.05·t
        for c in range(k):
            total += table[c][t]
            count += 1
    p = {"n_classes": k, "data_seed": seed}
    want = {"map50": sum(r[0] for r in table) / k, "map5095": total / count}
    assert get_family("map_coco").solve(p) == pytest.approx(want, rel=1e-12)
    assert {n: v[0] for n, v in closed_answers("map_coco", p).items()} == pytest.approx(want, rel=1e-12)


# -- ROC AUC ---------------------------------------------------------------------------------------

AUC = {"n": 6, "data_seed": 39}


def test_auc_example_with_ties_and_mistakes():
    assert auc_data(6, 39) == ([0.6, 0.6, 0.3, 0.6, 0.2, 0.3], [0, 1, 0, 1, 0, 1])
    # positives .6 .6 .3, negatives .6 .3 .2: each .6 beats .3 and .2 and ties .6; the .3 beats .2,
    # ties .3 and loses to .6 → 5 wins, 3 ties, 1 loss → (5 + 3/2)/9
    v = get_family("roc_auc").instantiate(AUC)
    assert v.answers["auc"] == pytest.approx(6.5 / 9)
    # PR step area: threshold .6 → 3 predicted, 2 TP: R 2/3, P 2/3; .3 → 5 predicted, 3 TP: R 1, P 3/5;
    # .2 → R stays 1: 2/3·2/3 + 1/3·3/5
    assert _named(v, auc=4 / 9 + 1 / 5) == "auc.pr-area"
    assert _named(v, auc=5 / 9) == "auc.ties-as-zero"
    assert _named(v, auc=8 / 9) == "auc.ties-as-one"


def _trapezoid_auc(scores, labels):
    """Area under the ROC polyline (trapezoids), one vertex per distinct threshold."""
    n_pos, n_neg = sum(labels), len(labels) - sum(labels)
    pts = [(Fraction(0), Fraction(0))]
    for thr in sorted(set(scores), reverse=True):
        tp = sum(1 for s, y in zip(scores, labels, strict=False) if s >= thr and y)
        fp = sum(1 for s, y in zip(scores, labels, strict=False) if s >= thr and not y)
        pts.append((Fraction(fp, n_neg), Fraction(tp, n_pos)))
    return float(
        sum(
            ((x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False)), Fraction(0)
        )
    )


@SETTINGS
@given(n=st.integers(5, 10), seed=st.integers(0, 10**6))
def test_auc_equals_trapezoid_area_under_roc(n, seed):
    want = _trapezoid_auc(*auc_data(n, seed))
    p = {"n": n, "data_seed": seed}
    assert get_family("roc_auc").solve(p)["auc"] == pytest.approx(want, rel=1e-12)
    assert closed_answers("roc_auc", p)["auc"][0] == pytest.approx(want, rel=1e-9)


def test_score_lists_keep_both_classes_and_their_ranges():
    at_a_score = 0
    for seed in range(400):
        for n in (5, 6, 12):
            scores, labels, thr = roc_data(max(n, 6), seed)
            assert 0 < sum(labels) < len(labels)
            assert all(
                (0.3 <= s <= 0.99) if y else (0.01 <= s <= 0.7) for s, y in zip(scores, labels, strict=True)
            )
            assert abs(thr * 100 - round(thr * 100)) < 1e-9 and 0.01 <= thr <= 0.99
            at_a_score += thr in scores
            scores, labels = auc_data(min(n, 10), seed)
            assert 0 < sum(labels) < len(labels)
            assert all(
                (0.3 <= s <= 0.9) if y else (0.1 <= s <= 0.7) for s, y in zip(scores, labels, strict=True)
            )
    assert 0.4 < at_a_score / 1200 < 0.75  # half of the thresholds are picked among the scores
    for seed in range(200):
        scores, flags = ap_data(10, seed)
        assert scores == sorted(scores, reverse=True) and len(set(scores)) == 10 and scores[-1] > 0
        assert any(flags)
