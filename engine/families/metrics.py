"""Evaluation metrics: confusion-matrix ratios, ROC points, AP (all-point and VOC 11-point), COCO mAP
and ROC AUC.

torch has none of these, so ``solve`` is a slow plain-Python reference (loops, exact fractions where
that helps); the closed forms are vectorised torch code. Score lists and detection rankings are
derived from a ``data_seed`` parameter with :class:`random.Random`, so the prompt shows exactly the
numbers used and ``instantiate(params)`` rebuilds them.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import torch

from engine.core import Family, Mistake, Param, Part, Variant, fmt, register
from engine.families._support import clean_mistakes

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


def _pct(x: float) -> str:
    return fmt(x, 4)


# -- confusion matrix ------------------------------------------------------------------------------


@register
class ConfusionMetrics(Family):
    id = "confusion_metrics"
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

    def build(self, p: dict[str, Any]) -> Variant:
        tp, fp, fn, tn = p["tp"], p["fp"], p["fn"], p["tn"]
        a = self.solve(p)
        prompt = (
            "一个二分类器在测试集上的混淆矩阵为：\n\n"
            "| | 预测为正 | 预测为负 |\n|---|---|---|\n"
            f"| 真实为正 | TP = {tp} | FN = {fn} |\n| 真实为负 | FP = {fp} | TN = {tn} |\n\n"
            "求 accuracy、precision、recall 和 F1（可以写小数或百分数）。"
        )
        solution = (
            f"$$\\text{{Accuracy}}=\\frac{{TP+TN}}{{TP+FP+FN+TN}}=\\frac{{{tp}+{tn}}}{{{tp + fp + fn + tn}}}"
            f"={_pct(a['accuracy'])}$$\n\n"
            f"$$P=\\frac{{TP}}{{TP+FP}}=\\frac{{{tp}}}{{{tp + fp}}}={_pct(a['precision'])},\\quad "
            f"R=\\frac{{TP}}{{TP+FN}}=\\frac{{{tp}}}{{{tp + fn}}}={_pct(a['recall'])}$$\n\n"
            f"$$F_1=\\frac{{2PR}}{{P+R}}=\\frac{{2TP}}{{2TP+FP+FN}}=\\frac{{{2 * tp}}}{{{2 * tp + fp + fn}}}"
            f"={_pct(a['f1'])}$$"
        )
        prec, rec = a["precision"], a["recall"]
        wrong = [
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
        parts = tuple(
            Part(k, k.capitalize() if k != "f1" else "F1", "real", a[k], ratio=True)
            for k in ("accuracy", "precision", "recall", "f1")
        )
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))


# -- ROC points ------------------------------------------------------------------------------------

MAX_SAMPLES = 12


def _labels(rng: random.Random, n: int) -> list[int]:
    labels = [int(rng.random() < 0.5) for _ in range(n)]
    if len(set(labels)) == 1:
        labels[rng.randrange(n)] ^= 1
    return labels


def roc_data(n: int, seed: int) -> tuple[list[float], list[int], float]:
    """Scores (2 decimals), labels (both classes present) and a threshold, often equal to a score."""
    rng = random.Random(f"roc:{n}:{seed}")
    labels = _labels(rng, n)
    scores = [rng.randint(30, 99) / 100 if y else rng.randint(1, 70) / 100 for y in labels]
    thr = rng.choice(scores) if rng.random() < 0.5 else rng.randint(20, 80) / 100
    return scores, labels, thr


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


@register
class RocPoints(Family):
    id = "roc_points"
    title = "给定阈值下的 TPR 与 FPR"
    topics = ("003-0182",)
    schema = {"n": Param("int", 6, MAX_SAMPLES), "data_seed": Param("int", 0, 10**6)}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        scores, labels, thr = roc_data(p["n"], p["data_seed"])
        c = _rates(scores, labels, thr)
        return {"tpr": c["tp"] / (c["tp"] + c["fn"]), "fpr": c["fp"] / (c["fp"] + c["tn"])}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        rows = [
            roc_data(int(n), int(s)) for n, s in zip(c["n"].tolist(), c["data_seed"].tolist(), strict=False)
        ]
        dev = c["n"].device
        scores = torch.full((len(rows), MAX_SAMPLES), -1.0, dtype=torch.float64)
        labels = torch.full((len(rows), MAX_SAMPLES), -1.0, dtype=torch.float64)  # -1: padding
        for r, (sc, lb, _) in enumerate(rows):
            scores[r, : len(sc)] = torch.tensor(sc, dtype=torch.float64)
            labels[r, : len(lb)] = torch.tensor(lb, dtype=torch.float64)
        scores, labels = scores.to(dev), labels.to(dev)
        thr = torch.tensor([r[2] for r in rows], dtype=torch.float64, device=dev)[:, None]
        pred = scores >= thr
        pos, neg = labels == 1, labels == 0
        return {"tpr": (pred & pos).sum(1) / pos.sum(1), "fpr": (pred & neg).sum(1) / neg.sum(1)}

    def build(self, p: dict[str, Any]) -> Variant:
        scores, labels, thr = roc_data(p["n"], p["data_seed"])
        a = self.solve(p)
        c = _rates(scores, labels, thr)
        prompt = (
            f"{p['n']} 个样本的预测得分与真实标签（1 为正类）如下：\n\n{_samples_table(scores, labels)}\n\n"
            f"以阈值 {fmt(thr)} 判定：score ≥ {fmt(thr)} 的样本预测为正类。求这一点在 ROC 曲线上的 TPR 和 FPR。"
        )
        solution = (
            f"score ≥ {fmt(thr)} 判为正：TP = {c['tp']}，FN = {c['fn']}，FP = {c['fp']}，TN = {c['tn']}。\n\n"
            f"$$TPR=\\frac{{TP}}{{TP+FN}}=\\frac{{{c['tp']}}}{{{c['tp'] + c['fn']}}}={_pct(a['tpr'])},\\quad "
            f"FPR=\\frac{{FP}}{{FP+TN}}=\\frac{{{c['fp']}}}{{{c['fp'] + c['tn']}}}={_pct(a['fpr'])}$$"
        )
        s = _rates(scores, labels, thr, strict=True)
        wrong = [
            Mistake(
                "roc.strict-threshold",
                "用了 score > 阈值（等于阈值的样本也应判为正）",
                {"tpr": s["tp"] / (s["tp"] + s["fn"]), "fpr": s["fp"] / (s["fp"] + s["tn"])},
            ),
            Mistake("roc.tpr-fpr-swapped", "TPR 与 FPR 弄反了", {"tpr": a["fpr"], "fpr": a["tpr"]}),
        ]
        if c["tp"] + c["fp"]:
            wrong.append(
                Mistake(
                    "roc.fpr-as-fdr",
                    "FPR 用了 FP/(TP+FP)（那是 1 − precision）",
                    {"fpr": c["fp"] / (c["tp"] + c["fp"])},
                )
            )
        parts = (
            Part("tpr", "TPR", "real", a["tpr"], ratio=True, atol=1e-9),
            Part("fpr", "FPR", "real", a["fpr"], ratio=True, atol=1e-9),
        )
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))


# -- average precision -----------------------------------------------------------------------------

MAX_DETS = 10


def ap_data(n: int, seed: int) -> tuple[list[float], list[int]]:
    """A ranked list of ``n`` detections: distinct descending scores and TP (1) / FP (0) flags, at
    least one TP, hits more likely near the top."""
    rng = random.Random(f"ap:{n}:{seed}")
    scores = [s / 100 for s in sorted(rng.sample(range(10, 100), n), reverse=True)]
    flags = [int(rng.random() < 0.75 - 0.05 * i) for i in range(n)]
    if not any(flags):
        flags[rng.randrange(n)] = 1
    return scores, flags


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


@register
class AveragePrecision(Family):
    id = "average_precision"
    title = "AP：全点插值与 VOC 11 点"
    topics = ("003-0169",)
    schema = {
        "n": Param("int", 5, MAX_DETS),
        "extra_gt": Param("int", 0, 3),
        "data_seed": Param("int", 0, 10**6),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        _, flags = ap_data(p["n"], p["data_seed"])
        ref = ap_reference(flags, sum(flags) + p["extra_gt"])
        return {"ap_all": float(ref["ap_all"]), "ap_11": float(ref["ap_11"])}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        dev = c["n"].device
        rows = [
            ap_data(int(n), int(s))[1] for n, s in zip(c["n"].tolist(), c["data_seed"].tolist(), strict=False)
        ]
        flags = torch.zeros(len(rows), MAX_DETS, dtype=torch.float64)
        valid = torch.zeros(len(rows), MAX_DETS, dtype=torch.bool)
        for r, f in enumerate(rows):
            flags[r, : len(f)] = torch.tensor(f, dtype=torch.float64)
            valid[r, : len(f)] = True
        flags, valid = flags.to(dev), valid.to(dev)
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

    def build(self, p: dict[str, Any]) -> Variant:
        scores, flags = ap_data(p["n"], p["data_seed"])
        n_tp = sum(flags)
        n_gt = n_tp + p["extra_gt"]
        ref = ap_reference(flags, n_gt)
        a = self.solve(p)
        table = "| 排名 | score | 匹配结果 |\n|---|---|---|\n" + "\n".join(
            f"| {i + 1} | {fmt(s)} | {'TP' if f else 'FP'} |"
            for i, (s, f) in enumerate(zip(scores, flags, strict=False))
        )
        prompt = (
            f"某类别共有 {n_gt} 个真实框。检测器对该类别输出 {p['n']} 个检测框，按得分从高到低排序并与真实框匹配的结果如下：\n\n"
            f"{table}\n\n求该类别的 AP：\n\n"
            "1. 全点插值 AP（VOC2010 起 / COCO 所用的精度包络：每个召回率处的精度取其右侧的最大精度，再对召回率积分）；\n"
            "2. VOC2007 的 11 点插值 AP（$r\\in\\{0, 0.1, \\dots, 1\\}$，每点取召回率 $\\ge r$ 处的最大精度，无则为 0，再取平均）。"
        )
        rows = "\n".join(
            f"| {i + 1} | {'TP' if f else 'FP'} | {fmt(float(pr), 4)} | {fmt(float(rc), 4)} | {fmt(float(env), 4)} |"
            for i, (f, pr, rc, env) in enumerate(
                zip(flags, ref["prec"], ref["rec"], ref["envelope"], strict=False)
            )
        )
        env_terms = " + ".join(
            fmt(float(env), 4) for f, env in zip(flags, ref["envelope"], strict=False) if f
        )
        solution = (
            "逐个排名累计 TP，精度 $P=TP/k$，召回 $R=TP/"
            + str(n_gt)
            + "$，包络 $\\hat P$ 为该处及其后精度的最大值：\n\n"
            "| 排名 | 结果 | P | R | $\\hat P$ |\n|---|---|---|---|---|\n"
            + rows
            + f"\n\n召回率只在 TP 处增加 $1/{n_gt}$，所以\n\n"
            f"$$AP_{{all}}=\\frac{{1}}{{{n_gt}}}({env_terms})={_pct(a['ap_all'])}$$\n\n"
            "11 点："
            + "，".join(f"$r={fmt(k / 10)}$: {fmt(float(v), 4)}" for k, v in enumerate(ref["points"]))
            + f"\n\n$$AP_{{11}}=\\frac{{1}}{{11}}\\sum_r \\hat P(r)={_pct(a['ap_11'])}$$"
        )
        raw_all, raw_11 = _ap_raw(flags, n_gt)
        wrong = [
            Mistake(
                "ap.11-point-vs-all-point",
                "全点插值 AP 与 11 点 AP 弄混了",
                {"ap_all": a["ap_11"], "ap_11": a["ap_all"]},
            ),
            Mistake(
                "ap.no-interpolation",
                "没有做精度包络（直接用每个 TP 处的精度）",
                {"ap_all": raw_all, "ap_11": raw_11},
            ),
        ]
        if p["extra_gt"]:
            miss = ap_reference(flags, n_tp)
            wrong.append(
                Mistake(
                    "ap.missed-gt-ignored",
                    "召回率的分母用了检出的 TP 数（漏检的真实框也要算进去）",
                    {"ap_all": float(miss["ap_all"]), "ap_11": float(miss["ap_11"])},
                )
            )
        parts = (
            Part("ap_all", "全点插值 AP", "real", a["ap_all"], ratio=True),
            Part("ap_11", "VOC2007 11 点 AP", "real", a["ap_11"], ratio=True),
        )
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))


# -- COCO mAP --------------------------------------------------------------------------------------

IOU_THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))
MAX_CLASSES = 3


def map_data(n_classes: int, seed: int) -> list[list[float]]:
    """Per class, the AP at IoU 0.50, 0.55, ..., 0.95 (2 decimals, not increasing)."""
    rng = random.Random(f"map:{n_classes}:{seed}")
    table = []
    for _ in range(n_classes):
        ap = rng.randint(45, 95)
        row = []
        for _ in IOU_THRESHOLDS:
            row.append(ap / 100)
            ap = max(0, ap - rng.randint(1, 9))
        table.append(row)
    return table


@register
class MapCoco(Family):
    id = "map_coco"
    title = "mAP@.5 与 mAP@.5:.95"
    topics = ("003-0171", "003-0179")
    schema = {"n_classes": Param("int", 2, MAX_CLASSES), "data_seed": Param("int", 0, 10**6)}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        table = map_data(p["n_classes"], p["data_seed"])
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
        aps = torch.zeros(len(c["n_classes"]), MAX_CLASSES, len(IOU_THRESHOLDS), dtype=torch.float64)
        for r, (k, s) in enumerate(zip(c["n_classes"].tolist(), c["data_seed"].tolist(), strict=False)):
            aps[r, : int(k)] = torch.tensor(map_data(int(k), int(s)), dtype=torch.float64)
        aps = aps.to(dev)
        k = c["n_classes"]
        return {"map50": aps[:, :, 0].sum(1) / k, "map5095": aps.sum((1, 2)) / (k * len(IOU_THRESHOLDS))}

    def build(self, p: dict[str, Any]) -> Variant:
        table = map_data(p["n_classes"], p["data_seed"])
        k = len(table)
        a = self.solve(p)
        head = "| 类别 | " + " | ".join(f"{t:.2f}" for t in IOU_THRESHOLDS) + " |"
        body = "\n".join(
            f"| {j + 1} | " + " | ".join(fmt(v) for v in row) + " |" for j, row in enumerate(table)
        )
        prompt = (
            f"某检测器在 {k} 个类别上、不同 IoU 阈值下的 AP 如下：\n\n{head}\n{'|---' * 11}|\n{body}\n\n"
            "求 mAP@.5 和 COCO 的 mAP@.5:.95。"
        )
        means = [sum(row) / len(row) for row in table]
        solution = (
            f"$$\\text{{mAP@.5}}=\\frac{{1}}{{{k}}}({' + '.join(fmt(r[0]) for r in table)})={_pct(a['map50'])}$$\n\n"
            "mAP@.5:.95 对 10 个阈值 0.50, 0.55, …, 0.95 与所有类别取平均。各类别 10 个阈值的平均 AP："
            + "，".join(f"类别 {j + 1}: {fmt(m, 5)}" for j, m in enumerate(means))
            + f"\n\n$$\\text{{mAP@.5:.95}}=\\frac{{1}}{{{k}}}({' + '.join(fmt(m, 5) for m in means)})={_pct(a['map5095'])}$$"
        )
        wrong = [
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
        parts = (
            Part("map50", "mAP@.5", "real", a["map50"], ratio=True),
            Part("map5095", "mAP@.5:.95", "real", a["map5095"], ratio=True),
        )
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))


# -- ROC AUC ---------------------------------------------------------------------------------------

MAX_AUC = 10


def auc_data(n: int, seed: int) -> tuple[list[float], list[int]]:
    """Scores on a 1-decimal grid (ties between classes are common) and labels, both classes present."""
    rng = random.Random(f"auc:{n}:{seed}")
    labels = _labels(rng, n)
    return [rng.randint(3, 9) / 10 if y else rng.randint(1, 7) / 10 for y in labels], labels


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


@register
class RocAuc(Family):
    id = "roc_auc"
    title = "ROC AUC（含并列得分）"
    topics = ("003-0182",)
    schema = {"n": Param("int", 5, MAX_AUC), "data_seed": Param("int", 0, 10**6)}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        scores, labels = auc_data(p["n"], p["data_seed"])
        return {"auc": float(auc_pairs(scores, labels))}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        dev = c["n"].device
        rows = [
            auc_data(int(n), int(s)) for n, s in zip(c["n"].tolist(), c["data_seed"].tolist(), strict=False)
        ]
        scores = torch.zeros(len(rows), MAX_AUC, dtype=torch.float64)
        labels = torch.zeros(len(rows), MAX_AUC, dtype=torch.float64)
        valid = torch.zeros(len(rows), MAX_AUC, dtype=torch.bool)
        for r, (sc, lb) in enumerate(rows):
            scores[r, : len(sc)] = torch.tensor(sc, dtype=torch.float64)
            labels[r, : len(lb)] = torch.tensor(lb, dtype=torch.float64)
            valid[r, : len(sc)] = True
        scores, labels, valid = scores.to(dev), labels.to(dev), valid.to(dev)
        # Mann–Whitney: mid-ranks (ties share the average rank) among the valid samples
        other = valid[:, None, :]
        below = ((scores[:, None, :] < scores[:, :, None]) & other).sum(2)
        equal = ((scores[:, None, :] == scores[:, :, None]) & other).sum(2)
        rank = below + (equal + 1) / 2
        pos = labels * valid
        n_pos = pos.sum(1)
        n_neg = valid.sum(1) - n_pos
        return {"auc": ((rank * pos).sum(1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)}

    def build(self, p: dict[str, Any]) -> Variant:
        scores, labels = auc_data(p["n"], p["data_seed"])
        a = self.solve(p)
        pos = [s for s, y in zip(scores, labels, strict=False) if y]
        neg = [s for s, y in zip(scores, labels, strict=False) if not y]
        wins = sum(1 for sp in pos for sn in neg if sp > sn)
        ties = sum(1 for sp in pos for sn in neg if sp == sn)
        prompt = (
            f"{p['n']} 个样本的预测得分与真实标签（1 为正类）如下：\n\n{_samples_table(scores, labels)}\n\n"
            "求 ROC 曲线下的面积 AUC（得分相同的正负样本对记 ½）。"
        )
        solution = (
            "AUC 等于随机取一个正样本和一个负样本、正样本得分更高的概率（Mann–Whitney U）。"
            f"正样本 {len(pos)} 个、负样本 {len(neg)} 个，共 {len(pos) * len(neg)} 对；"
            f"正样本得分更高的 {wins} 对，相等的 {ties} 对：\n\n"
            f"$$\\text{{AUC}}=\\frac{{{wins}+\\tfrac12\\times{ties}}}{{{len(pos)}\\times{len(neg)}}}={_pct(a['auc'])}$$\n\n"
            "注意：AUC 是 ROC 曲线（FPR–TPR）下的面积，不是 PR 曲线下的面积。"
        )
        wrong = [
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
        parts = (Part("auc", "AUC", "real", a["auc"], ratio=True),)
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))
