"""Evaluation metrics: confusion-matrix ratios, ROC points, AP (all-point and VOC 11-point), COCO mAP
and ROC AUC.

torch has none of these, so ``solve`` is a slow plain-Python reference (loops, exact fractions where
that helps); the closed forms are vectorised torch code. Score lists and detection rankings are
derived from a ``data_seed`` parameter with integer hash arithmetic
(:func:`engine.families._support.draw_int`) that runs the same on Python ints (``build``/``solve``) and
on int64 tensors (``closed_form``, a whole column at once), so the prompt shows exactly the numbers
used and ``instantiate(params)`` rebuilds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

import torch

from engine.families._support import draw_bits
from engine.family import Family, TypedParams, register
from engine.formatting import fmt
from engine.values import Mistake, Param, Part

__all__ = [
    "AveragePrecision",
    "ConfusionMetrics",
    "MapCoco",
    "RocAuc",
    "RocPoints",
    "ap_data",
    "ap_reference",
    "auc_data",
    "auc_pairs",
    "map_data",
    "pr_area",
    "roc_data",
]


T = TypeVar("T", int, torch.Tensor)
F64 = torch.float64


def _pct(x: float) -> str:
    return fmt(x, 4)


def _ratio(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    return num.to(F64) / den.to(F64)


# -- confusion matrix ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ConfusionMetricsParams(TypedParams):
    """ConfusionMetrics's parameters, typed."""

    tp: int
    fp: int
    fn: int
    tn: int


@register
class ConfusionMetrics(Family):
    id = "confusion_metrics"
    version = 2  # v2: draws where a listed mistake cannot show are redrawn
    title = "由混淆矩阵求 accuracy / precision / recall / F1"
    topics = ("003-0149", "003-0161", "003-0163", "003-0165", "003-0167")
    schema = {
        "tp": Param("int", 1, 200),
        "fp": Param("int", 0, 100),
        "fn": Param("int", 0, 100),
        "tn": Param("int", 0, 300),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        tp, fp, fn, tn = (Fraction(p[k]) for k in ("tp", "fp", "fn", "tn"))
        prec, rec = tp / (tp + fp), tp / (tp + fn)
        return {
            "accuracy": float((tp + tn) / (tp + fp + fn + tn)),
            "precision": float(prec),
            "recall": float(rec),
            "f1": float(2 * prec * rec / (prec + rec)),
        }

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tp, fp, fn, tn = c["tp"], c["fp"], c["fn"], c["tn"]
        return {
            "accuracy": (tp + tn) / (tp + fp + fn + tn),
            "precision": tp / (tp + fp),
            "recall": tp / (tp + fn),
            "f1": 2 * tp / (2 * tp + fp + fn),
        }

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _ConfusionMetricsParams.of(p)
        tp, fp, fn, tn = q.tp, q.fp, q.fn, q.tn
        return (
            "一个二分类器在测试集上的混淆矩阵为：\n\n"
            "| | 预测为正 | 预测为负 |\n|---|---|---|\n"
            f"| 真实为正 | TP = {tp} | FN = {fn} |\n| 真实为负 | FP = {fp} | TN = {tn} |\n\n"
            "求 accuracy、precision、recall 和 F1（可以写小数或百分数）。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        return tuple(
            Part(k, k.capitalize() if k != "f1" else "F1", "real", w[k], ratio=True)
            for k in ("accuracy", "precision", "recall", "f1")
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _ConfusionMetricsParams.of(p)
        tp, fp, fn, tn = q.tp, q.fp, q.fn, q.tn
        return (
            f"$$\\text{{Accuracy}}=\\frac{{TP+TN}}{{TP+FP+FN+TN}}=\\frac{{{tp}+{tn}}}{{{tp + fp + fn + tn}}}"
            f"={_pct(w['accuracy'])}$$\n\n"
            f"$$P=\\frac{{TP}}{{TP+FP}}=\\frac{{{tp}}}{{{tp + fp}}}={_pct(w['precision'])},\\quad "
            f"R=\\frac{{TP}}{{TP+FN}}=\\frac{{{tp}}}{{{tp + fn}}}={_pct(w['recall'])}$$\n\n"
            f"$$F_1=\\frac{{2PR}}{{P+R}}=\\frac{{2TP}}{{2TP+FP+FN}}=\\frac{{{2 * tp}}}{{{2 * tp + fp + fn}}}"
            f"={_pct(w['f1'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _ConfusionMetricsParams.of(p)
        tp, fp, fn, tn = q.tp, q.fp, q.fn, q.tn
        prec, rec = w["precision"], w["recall"]
        return [
            Mistake(
                "metrics.precision-recall-swapped",
                "precision 与 recall 弄反了（P 的分母是 TP+FP，R 的是 TP+FN）",
                {"precision": rec, "recall": prec},
            ),
            Mistake(
                "metrics.f1-arithmetic-mean",
                "F1 用了算术平均 (P+R)/2（应为调和平均）",
                {"f1": (prec + rec) / 2},
            ),
            Mistake(
                "metrics.accuracy-without-tn",
                "accuracy 的分子漏了 TN",
                {"accuracy": tp / (tp + fp + fn + tn)},
            ),
        ]


# -- ROC points ------------------------------------------------------------------------------------

MAX_SAMPLES = 12


def _labels(seed: int, n: int, salt: int) -> tuple[list[int], list[int]]:
    """``n`` fair coin-flip labels, both classes present (when all agree, one is flipped), and each
    sample's remaining hashed bits (for its score)."""
    bits = [draw_bits(seed, j, salt) for j in range(n)]
    labels = [b & 1 for b in bits]
    if sum(labels) in (0, n):
        labels[draw_bits(seed, n, salt) % n] ^= 1
    return labels, [b >> 1 for b in bits]


def _labels_cols(
    seed: torch.Tensor, n: torch.Tensor, salt: int, width: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Column form of :func:`_labels`: ``(labels, bits, valid)``, each ``(B, width)``."""
    j = torch.arange(width, device=seed.device)[None, :]
    valid = j < n[:, None]
    bits = draw_bits(seed[:, None], j, salt)
    labels = bits & 1
    count = (labels * valid).sum(1)
    flip = ((count == 0) | (count == n))[:, None] & (j == (draw_bits(seed, n, salt) % n)[:, None])
    return labels ^ flip.to(torch.int64), bits >> 1, valid


def roc_data(n: int, seed: int) -> tuple[list[float], list[int], float]:
    """Scores (2 decimals: positives 0.30-0.99, negatives 0.01-0.70), labels (both classes present) and a
    threshold, half of the time equal to a score."""
    labels, rest = _labels(seed, n, 50)
    units = [1 + 29 * y + r % 70 for y, r in zip(labels, rest, strict=True)]
    u = draw_bits(seed, n + 1, 50)
    thr = units[(u >> 1) % n] if u & 1 else 20 + (u >> 1) % 61
    return [k / 100 for k in units], labels, thr / 100


def _samples_table(scores: list[float], labels: list[int]) -> str:
    head = "| 样本 | " + " | ".join(str(i) for i in range(len(scores))) + " |"
    sep = "|---" * (len(scores) + 1) + "|"
    return "\n".join(
        [
            head,
            sep,
            "| score | " + " | ".join(fmt(s) for s in scores) + " |",
            "| label | " + " | ".join(str(y) for y in labels) + " |",
        ]
    )


def _rates(scores: list[float], labels: list[int], thr: float, strict: bool = False) -> dict[str, int]:
    c = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for s, y in zip(scores, labels, strict=False):
        pos = s > thr if strict else s >= thr
        c[("tp" if y else "fp") if pos else ("fn" if y else "tn")] += 1
    return c


@dataclass(frozen=True)
class _RocPointsParams(TypedParams):
    """RocPoints's parameters, typed."""

    n: int
    data_seed: int


@register
class RocPoints(Family):
    id = "roc_points"
    title = "给定阈值下的 TPR 与 FPR"
    version = 2  # v2: data from integer hashing of data_seed (v1 used random.Random)
    topics = ("003-0182",)
    schema = {"n": Param("int", 6, MAX_SAMPLES), "data_seed": Param("int", 0, 10**6)}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _RocPointsParams.of(p)
        scores, labels, thr = roc_data(q.n, q.data_seed)
        c = _rates(scores, labels, thr)
        return {"tpr": c["tp"] / (c["tp"] + c["fn"]), "fpr": c["fp"] / (c["fp"] + c["tn"])}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seed, n = c["data_seed"].to(torch.int64), c["n"].to(torch.int64)
        labels, rest, valid = _labels_cols(seed, n, 50, MAX_SAMPLES)
        units = 1 + 29 * labels + rest % 70  # scores in hundredths (compared as integers)
        u = draw_bits(seed, n + 1, 50)
        picked = units.gather(1, ((u >> 1) % n)[:, None])[:, 0]
        thr = torch.where((u & 1) == 1, picked, 20 + (u >> 1) % 61)
        pred = units >= thr[:, None]
        pos, neg = valid & (labels == 1), valid & (labels == 0)
        return {
            "tpr": _ratio((pred & pos).sum(1), pos.sum(1)),
            "fpr": _ratio((pred & neg).sum(1), neg.sum(1)),
        }

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _RocPointsParams.of(p)
        scores, labels, thr = roc_data(q.n, q.data_seed)
        return (
            f"{q.n} 个样本的预测得分与真实标签（1 为正类）如下：\n\n{_samples_table(scores, labels)}\n\n"
            f"以阈值 {fmt(thr)} 判定：score ≥ {fmt(thr)} 的样本预测为正类。求这一点在 ROC 曲线上的 TPR 和 FPR。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        return (
            Part("tpr", "TPR", "real", w["tpr"], ratio=True),
            Part("fpr", "FPR", "real", w["fpr"], ratio=True),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _RocPointsParams.of(p)
        scores, labels, thr = roc_data(q.n, q.data_seed)
        c = _rates(scores, labels, thr)
        return (
            f"score ≥ {fmt(thr)} 判为正：TP = {c['tp']}，FN = {c['fn']}，FP = {c['fp']}，TN = {c['tn']}。\n\n"
            f"$$TPR=\\frac{{TP}}{{TP+FN}}=\\frac{{{c['tp']}}}{{{c['tp'] + c['fn']}}}={_pct(w['tpr'])},\\quad "
            f"FPR=\\frac{{FP}}{{FP+TN}}=\\frac{{{c['fp']}}}{{{c['fp'] + c['tn']}}}={_pct(w['fpr'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _RocPointsParams.of(p)
        scores, labels, thr = roc_data(q.n, q.data_seed)
        c = _rates(scores, labels, thr)
        s = _rates(scores, labels, thr, strict=True)
        wrong = [
            Mistake(
                "roc.strict-threshold",
                "用了 score > 阈值（等于阈值的样本也应判为正）",
                {"tpr": s["tp"] / (s["tp"] + s["fn"]), "fpr": s["fp"] / (s["fp"] + s["tn"])},
            ),
            Mistake("roc.tpr-fpr-swapped", "TPR 与 FPR 弄反了", {"tpr": w["fpr"], "fpr": w["tpr"]}),
        ]
        if c["tp"] + c["fp"]:
            wrong.append(
                Mistake(
                    "roc.fpr-as-fdr",
                    "FPR 用了 FP/(TP+FP)（那是 1 − precision）",
                    {"fpr": c["fp"] / (c["tp"] + c["fp"])},
                )
            )
        return wrong


# -- average precision -----------------------------------------------------------------------------

MAX_DETS = 10


def ap_data(n: int, seed: int) -> tuple[list[float], list[int]]:
    """A ranked list of ``n`` detections: distinct descending scores (2 decimals, steps of 0.01-0.08
    down from 0.92-0.99) and TP (1) / FP (0) flags, hit i with chance 75% - 5%·i, at least one TP."""
    bits = [draw_bits(seed, i, 60) for i in range(n)]
    score, scores = 100, []
    for b in bits:
        score -= 1 + b % 8
        scores.append(score / 100)
    flags = [int(b // 8 % 100 < 75 - 5 * i) for i, b in enumerate(bits)]
    if not any(flags):
        flags[draw_bits(seed, n, 60) % n] = 1
    return scores, flags


def _ap_flags_cols(seed: torch.Tensor, n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Column form of :func:`ap_data`'s flags: ``(flags, valid)``, each ``(B, MAX_DETS)``."""
    i = torch.arange(MAX_DETS, device=seed.device)[None, :]
    valid = i < n[:, None]
    flags = ((draw_bits(seed[:, None], i, 60) // 8 % 100 < 75 - 5 * i) & valid).to(torch.int64)
    none = flags.sum(1) == 0
    rescue = none[:, None] & (i == (draw_bits(seed, n, 60) % n)[:, None])
    return flags | rescue.to(torch.int64), valid


def ap_reference(flags: list[int], n_gt: int) -> dict[str, Any]:
    """AP the slow way (Python, exact fractions): the VOC2010+ all-point envelope and the VOC2007
    11-point rule, plus the per-rank precision and recall."""
    prec, rec, tp = [], [], 0
    for i, f in enumerate(flags):
        tp += f
        prec.append(Fraction(tp, i + 1))
        rec.append(Fraction(tp, n_gt))
    mrec = [Fraction(0), *rec, Fraction(1)]
    mpre = [Fraction(0), *prec, Fraction(0)]
    for i in range(len(mpre) - 2, -1, -1):  # precision envelope: the max to the right
        mpre[i] = max(mpre[i], mpre[i + 1])
    ap_all = sum(
        ((mrec[i + 1] - mrec[i]) * mpre[i + 1] for i in range(len(mrec) - 1) if mrec[i + 1] != mrec[i]),
        Fraction(0),
    )
    points = []
    for k in range(11):
        reached = [p for p, r in zip(prec, rec, strict=False) if r >= Fraction(k, 10)]
        points.append(max(reached) if reached else Fraction(0))
    return {
        "ap_all": ap_all,
        "ap_11": sum(points, Fraction(0)) / 11,
        "prec": prec,
        "rec": rec,
        "envelope": mpre[1:-1],
        "points": points,
    }


def _ap_raw(flags: list[int], n_gt: int) -> tuple[float, float]:
    """Without interpolation: Σ Δrecall·precision, and 11 points read at the first rank reaching r."""
    ref = ap_reference(flags, n_gt)
    prec, rec = ref["prec"], ref["rec"]
    all_point = sum((p for p, f in zip(prec, flags, strict=False) if f), Fraction(0)) / n_gt
    pts = []
    for k in range(11):
        first = next((p for p, r in zip(prec, rec, strict=False) if r >= Fraction(k, 10)), Fraction(0))
        pts.append(first)
    return float(all_point), float(sum(pts, Fraction(0)) / 11)


@dataclass(frozen=True)
class _AveragePrecisionParams(TypedParams):
    """AveragePrecision's parameters, typed."""

    n: int
    extra_gt: int
    data_seed: int


@register
class AveragePrecision(Family):
    id = "average_precision"
    title = "AP：全点插值与 VOC 11 点"
    version = 2  # v2: data from integer hashing of data_seed (v1 used random.Random)
    topics = ("003-0169",)
    schema = {
        "n": Param("int", 5, MAX_DETS),
        "extra_gt": Param("int", 0, 3),
        "data_seed": Param("int", 0, 10**6),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _AveragePrecisionParams.of(p)
        _, flags = ap_data(q.n, q.data_seed)
        ref = ap_reference(flags, sum(flags) + q.extra_gt)
        return {"ap_all": float(ref["ap_all"]), "ap_11": float(ref["ap_11"])}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        dev = c["n"].device
        flags, valid = _ap_flags_cols(c["data_seed"].to(torch.int64), c["n"].to(torch.int64))
        flags = flags.to(F64)
        tp = flags.cumsum(1)
        n_gt = (tp[:, -1] + c["extra_gt"])[:, None]
        rank = torch.arange(1, MAX_DETS + 1, dtype=torch.float64, device=dev)
        prec = torch.where(valid, tp / rank, torch.zeros_like(tp))
        envelope = prec.flip(1).cummax(1).values.flip(1)  # max precision at this rank or later
        ap_all = (envelope * flags).sum(1) / n_gt[:, 0]
        pts = []
        for k in range(11):
            reached = valid & (10 * tp >= k * n_gt)
            pts.append(torch.where(reached, prec, torch.zeros_like(prec)).amax(1))
        return {"ap_all": ap_all, "ap_11": torch.stack(pts, 1).mean(1)}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _AveragePrecisionParams.of(p)
        scores, flags = ap_data(q.n, q.data_seed)
        n_tp = sum(flags)
        n_gt = n_tp + q.extra_gt
        table = "| 排名 | score | 匹配结果 |\n|---|---|---|\n" + "\n".join(
            f"| {i + 1} | {fmt(s)} | {'TP' if f else 'FP'} |"
            for i, (s, f) in enumerate(zip(scores, flags, strict=False))
        )
        return (
            f"某类别共有 {n_gt} 个真实框。检测器对该类别输出 {q.n} 个检测框，按得分从高到低排序并与真实框匹配的结果如下：\n\n"
            f"{table}\n\n求该类别的 AP：\n\n"
            "1. 全点插值 AP（VOC2010 起 / COCO 所用的精度包络：每个召回率处的精度取其右侧的最大精度，再对召回率积分）；\n"
            "2. VOC2007 的 11 点插值 AP（$r\\in\\{0, 0.1, \\dots, 1\\}$，每点取召回率 $\\ge r$ 处的最大精度，无则为 0，再取平均）。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        return (
            Part("ap_all", "全点插值 AP", "real", w["ap_all"], ratio=True),
            Part("ap_11", "VOC2007 11 点 AP", "real", w["ap_11"], ratio=True),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _AveragePrecisionParams.of(p)
        scores, flags = ap_data(q.n, q.data_seed)
        n_tp = sum(flags)
        n_gt = n_tp + q.extra_gt
        ref = ap_reference(flags, n_gt)
        rows = "\n".join(
            f"| {i + 1} | {'TP' if f else 'FP'} | {fmt(float(pr), 4)} | {fmt(float(rc), 4)} | {fmt(float(env), 4)} |"
            for i, (f, pr, rc, env) in enumerate(
                zip(flags, ref["prec"], ref["rec"], ref["envelope"], strict=False)
            )
        )
        env_terms = " + ".join(
            fmt(float(env), 4) for f, env in zip(flags, ref["envelope"], strict=False) if f
        )
        return (
            "逐个排名累计 TP，精度 $P=TP/k$，召回 $R=TP/"
            + str(n_gt)
            + "$，包络 $\\hat P$ 为该处及其后精度的最大值：\n\n"
            "| 排名 | 结果 | P | R | $\\hat P$ |\n|---|---|---|---|---|\n"
            + rows
            + f"\n\n召回率只在 TP 处增加 $1/{n_gt}$，所以\n\n"
            f"$$AP_{{all}}=\\frac{{1}}{{{n_gt}}}({env_terms})={_pct(w['ap_all'])}$$\n\n"
            "11 点："
            + "，".join(f"$r={fmt(k / 10)}$: {fmt(float(v), 4)}" for k, v in enumerate(ref["points"]))
            + f"\n\n$$AP_{{11}}=\\frac{{1}}{{11}}\\sum_r \\hat P(r)={_pct(w['ap_11'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _AveragePrecisionParams.of(p)
        scores, flags = ap_data(q.n, q.data_seed)
        n_tp = sum(flags)
        n_gt = n_tp + q.extra_gt
        raw_all, raw_11 = _ap_raw(flags, n_gt)
        wrong = [
            Mistake(
                "ap.11-point-vs-all-point",
                "全点插值 AP 与 11 点 AP 弄混了",
                {"ap_all": w["ap_11"], "ap_11": w["ap_all"]},
            ),
            Mistake(
                "ap.no-interpolation",
                "没有做精度包络（直接用每个 TP 处的精度）",
                {"ap_all": raw_all, "ap_11": raw_11},
            ),
        ]
        if q.extra_gt:
            miss = ap_reference(flags, n_tp)
            wrong.append(
                Mistake(
                    "ap.missed-gt-ignored",
                    "召回率的分母用了检出的 TP 数（漏检的真实框也要算进去）",
                    {"ap_all": float(miss["ap_all"]), "ap_11": float(miss["ap_11"])},
                )
            )
        return wrong


# -- COCO mAP --------------------------------------------------------------------------------------

IOU_THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))
MAX_CLASSES = 3


def map_data(n_classes: int, seed: int) -> list[list[float]]:
    """Per class, the AP at IoU 0.50, 0.55, ..., 0.95 (2 decimals, not increasing): 0.45-0.95 at 0.50,
    then down by 0.01-0.09 per threshold, never below 0."""
    table = []
    for k in range(n_classes):
        a, b = draw_bits(seed, 2 * k, 70), draw_bits(seed, 2 * k + 1, 70)
        ap = 45 + a % 51
        steps = [1 + a // 51 // 9**t % 9 for t in range(4)] + [1 + b // 9**t % 9 for t in range(5)]
        row = [ap / 100]
        for d in steps:
            ap = max(0, ap - d)
            row.append(ap / 100)
        table.append(row)
    return table


_POW9 = tuple(9**t for t in range(5))


def _map_units_cols(seed: torch.Tensor) -> torch.Tensor:
    """Column form of :func:`map_data` for :data:`MAX_CLASSES` classes, in hundredths: ``(B, 3, 10)``."""
    dev = seed.device
    k = torch.arange(MAX_CLASSES, device=dev)[None, :]
    a, b = draw_bits(seed[:, None], 2 * k, 70), draw_bits(seed[:, None], 2 * k + 1, 70)
    pow9 = torch.tensor(_POW9, dtype=torch.int64, device=dev)
    steps = torch.cat([1 + (a // 51)[:, :, None] // pow9[:4] % 9, 1 + b[:, :, None] // pow9 % 9], dim=2)
    drop = torch.cat([torch.zeros_like(steps[:, :, :1]), steps.cumsum(2)], dim=2)
    return ((45 + a % 51)[:, :, None] - drop).clamp(min=0)  # a running max(0, ap - step) is this clamp


@dataclass(frozen=True)
class _MapCocoParams(TypedParams):
    """MapCoco's parameters, typed."""

    n_classes: int
    data_seed: int


@register
class MapCoco(Family):
    id = "map_coco"
    title = "mAP@.5 与 mAP@.5:.95"
    version = 2  # v2: data from integer hashing of data_seed (v1 used random.Random)
    topics = ("003-0171", "003-0179")
    schema = {"n_classes": Param("int", 2, MAX_CLASSES), "data_seed": Param("int", 0, 10**6)}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _MapCocoParams.of(p)
        table = map_data(q.n_classes, q.data_seed)
        per_class = []
        for row in table:
            total = Fraction(0)
            for ap in row:
                total += Fraction(str(ap))
            per_class.append(total / len(row))
        return {
            "map50": float(sum((Fraction(str(r[0])) for r in table), Fraction(0)) / len(table)),
            "map5095": float(sum(per_class, Fraction(0)) / len(per_class)),
        }

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        dev = c["n_classes"].device
        units = _map_units_cols(c["data_seed"].to(torch.int64))
        present = torch.arange(MAX_CLASSES, device=dev)[None, :] < c["n_classes"][:, None]
        aps = units.to(F64) / 100 * present[:, :, None]
        k = c["n_classes"]
        return {"map50": aps[:, :, 0].sum(1) / k, "map5095": aps.sum((1, 2)) / (k * len(IOU_THRESHOLDS))}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _MapCocoParams.of(p)
        table = map_data(q.n_classes, q.data_seed)
        k = len(table)
        head = "| 类别 | " + " | ".join(f"{t:.2f}" for t in IOU_THRESHOLDS) + " |"
        body = "\n".join(
            f"| {j + 1} | " + " | ".join(fmt(v) for v in row) + " |" for j, row in enumerate(table)
        )
        return (
            f"某检测器在 {k} 个类别上、不同 IoU 阈值下的 AP 如下：\n\n{head}\n{'|---' * 11}|\n{body}\n\n"
            "求 mAP@.5 和 COCO 的 mAP@.5:.95。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        return (
            Part("map50", "mAP@.5", "real", w["map50"], ratio=True),
            Part("map5095", "mAP@.5:.95", "real", w["map5095"], ratio=True),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _MapCocoParams.of(p)
        table = map_data(q.n_classes, q.data_seed)
        k = len(table)
        means = [sum(row) / len(row) for row in table]
        return (
            f"$$\\text{{mAP@.5}}=\\frac{{1}}{{{k}}}({' + '.join(fmt(r[0]) for r in table)})={_pct(w['map50'])}$$\n\n"
            "mAP@.5:.95 对 10 个阈值 0.50, 0.55, …, 0.95 与所有类别取平均。各类别 10 个阈值的平均 AP："
            + "，".join(f"类别 {j + 1}: {fmt(m, 5)}" for j, m in enumerate(means))
            + f"\n\n$$\\text{{mAP@.5:.95}}=\\frac{{1}}{{{k}}}({' + '.join(fmt(m, 5) for m in means)})={_pct(w['map5095'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _MapCocoParams.of(p)
        table = map_data(q.n_classes, q.data_seed)
        k = len(table)
        return [
            Mistake(
                "map.nine-thresholds",
                "漏了 0.95（只平均 0.50–0.90 九个阈值）",
                {"map5095": sum(sum(r[:9]) / 9 for r in table) / k},
            ),
            Mistake(
                "map.endpoints-only",
                "只平均了 0.5 和 0.95 两个阈值",
                {"map5095": sum((r[0] + r[9]) / 2 for r in table) / k},
            ),
            Mistake(
                "map.ap75-instead", "用了 mAP@.75 代替 mAP@.5:.95", {"map5095": sum(r[5] for r in table) / k}
            ),
        ]


# -- ROC AUC ---------------------------------------------------------------------------------------

MAX_AUC = 10


def auc_data(n: int, seed: int) -> tuple[list[float], list[int]]:
    """Scores on a 1-decimal grid (positives 0.3-0.9, negatives 0.1-0.7: ties between classes are
    common) and labels, both classes present."""
    labels, rest = _labels(seed, n, 80)
    return [(1 + 2 * y + r % 7) / 10 for y, r in zip(labels, rest, strict=True)], labels


def auc_pairs(scores: list[float], labels: list[int], tie: Fraction = Fraction(1, 2)) -> Fraction:
    """AUC the slow way: the share of (positive, negative) pairs ranked right, a tie counting ``tie``."""
    pos = [s for s, y in zip(scores, labels, strict=False) if y]
    neg = [s for s, y in zip(scores, labels, strict=False) if not y]
    won = Fraction(0)
    for sp in pos:
        for sn in neg:
            won += 1 if sp > sn else tie if sp == sn else 0
    return won / (len(pos) * len(neg))


def pr_area(scores: list[float], labels: list[int]) -> float:
    """Area under the precision–recall step curve (sklearn's average_precision_score): thresholds at
    each distinct score, Σ (R_k − R_{k−1}) P_k."""
    n_pos = sum(labels)
    area, prev_r = Fraction(0), Fraction(0)
    for thr in sorted(set(scores), reverse=True):
        tp = sum(1 for s, y in zip(scores, labels, strict=False) if s >= thr and y)
        k = sum(1 for s in scores if s >= thr)
        r = Fraction(tp, n_pos)
        area += (r - prev_r) * Fraction(tp, k)
        prev_r = r
    return float(area)


@dataclass(frozen=True)
class _RocAucParams(TypedParams):
    """RocAuc's parameters, typed."""

    n: int
    data_seed: int


@register
class RocAuc(Family):
    id = "roc_auc"
    title = "ROC AUC（含并列得分）"
    version = 2  # v2: data from integer hashing of data_seed (v1 used random.Random)
    topics = ("003-0182",)
    schema = {"n": Param("int", 5, MAX_AUC), "data_seed": Param("int", 0, 10**6)}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _RocAucParams.of(p)
        scores, labels = auc_data(q.n, q.data_seed)
        return {"auc": float(auc_pairs(scores, labels))}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        labels, rest, valid = _labels_cols(
            c["data_seed"].to(torch.int64), c["n"].to(torch.int64), 80, MAX_AUC
        )
        scores = 1 + 2 * labels + rest % 7  # in tenths (compared as integers)
        labels = labels.to(F64) * valid
        # Mann–Whitney: mid-ranks (ties share the average rank) among the valid samples
        other = valid[:, None, :]
        below = ((scores[:, None, :] < scores[:, :, None]) & other).sum(2)
        equal = ((scores[:, None, :] == scores[:, :, None]) & other).sum(2)
        rank = below.to(F64) + (equal.to(F64) + 1) / 2
        pos = labels * valid
        n_pos = pos.sum(1)
        n_neg = valid.sum(1) - n_pos
        return {"auc": ((rank * pos).sum(1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _RocAucParams.of(p)
        scores, labels = auc_data(q.n, q.data_seed)
        return (
            f"{q.n} 个样本的预测得分与真实标签（1 为正类）如下：\n\n{_samples_table(scores, labels)}\n\n"
            "求 ROC 曲线下的面积 AUC（得分相同的正负样本对记 ½）。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        return (Part("auc", "AUC", "real", w["auc"], ratio=True),)

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _RocAucParams.of(p)
        scores, labels = auc_data(q.n, q.data_seed)
        pos = [s for s, y in zip(scores, labels, strict=False) if y]
        neg = [s for s, y in zip(scores, labels, strict=False) if not y]
        wins = sum(1 for sp in pos for sn in neg if sp > sn)
        ties = sum(1 for sp in pos for sn in neg if sp == sn)
        return (
            "AUC 等于随机取一个正样本和一个负样本、正样本得分更高的概率（Mann–Whitney U）。"
            f"正样本 {len(pos)} 个、负样本 {len(neg)} 个，共 {len(pos) * len(neg)} 对；"
            f"正样本得分更高的 {wins} 对，相等的 {ties} 对：\n\n"
            f"$$\\text{{AUC}}=\\frac{{{wins}+\\tfrac12\\times{ties}}}{{{len(pos)}\\times{len(neg)}}}={_pct(w['auc'])}$$\n\n"
            "注意：AUC 是 ROC 曲线（FPR–TPR）下的面积，不是 PR 曲线下的面积。"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _RocAucParams.of(p)
        scores, labels = auc_data(q.n, q.data_seed)
        return [
            Mistake(
                "auc.pr-area",
                "算成了 PR 曲线下的面积（AUC 是 ROC 曲线下的面积）",
                {"auc": pr_area(scores, labels)},
            ),
            Mistake(
                "auc.ties-as-zero",
                "并列的正负样本对记为 0（应记 ½）",
                {"auc": float(auc_pairs(scores, labels, Fraction(0)))},
            ),
            Mistake(
                "auc.ties-as-one",
                "并列的正负样本对记为 1（应记 ½）",
                {"auc": float(auc_pairs(scores, labels, Fraction(1)))},
            ),
        ]
