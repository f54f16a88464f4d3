"""Object detection arithmetic: IoU, NMS, YOLO targets and confidences.

torch has no IoU or NMS op (torchvision is not a dependency), so ``solve`` is a slow plain-Python
reference; the closed forms are vectorised torch code. Box data is derived from a ``data_seed``
parameter with :class:`random.Random`, so the prompt shows exactly the numbers used and
``instantiate(params)`` rebuilds them.
"""

from __future__ import annotations

import math
import random
from typing import Any

import torch

from engine.core import Family, Mistake, Param, Part, Variant, fmt, register
from engine.families._support import clean_mistakes

__all__ = ["Iou", "Nms", "YoloConfidence", "YoloTarget", "iou_boxes", "iou_xyxy", "nms_data", "nms_reference"]

Box = tuple[float, float, float, float]


def iou_xyxy(a: Box, b: Box, plus_one: float = 0.0) -> tuple[float, float, float]:
    """Intersection, union and IoU of two corner-format boxes (plain Python).

    ``plus_one=1`` is the old pixel-inclusive convention (width = x2 − x1 + 1).
    """
    iw = min(a[2], b[2]) - max(a[0], b[0]) + plus_one
    ih = min(a[3], b[3]) - max(a[1], b[1]) + plus_one
    inter = max(0.0, iw) * max(0.0, ih)
    area_a = (a[2] - a[0] + plus_one) * (a[3] - a[1] + plus_one)
    area_b = (b[2] - b[0] + plus_one) * (b[3] - b[1] + plus_one)
    union = area_a + area_b - inter
    return inter, union, inter / union


# -- IoU -------------------------------------------------------------------------------------------


def iou_boxes(box_fmt: str, decimals: int, seed: int) -> tuple[Box, Box]:
    """The two boxes of an IoU exercise, as shown (xyxy corners, or xywh with (x, y) the centre)."""
    rng = random.Random(f"iou:{seed}")

    def q(x: float) -> float:
        return float(round(x, decimals))

    w1, h1 = rng.uniform(10, 60), rng.uniform(10, 60)
    cx1, cy1 = rng.uniform(1, 25) + w1 / 2, rng.uniform(1, 25) + h1 / 2
    w2, h2 = w1 * rng.uniform(0.6, 1.5), h1 * rng.uniform(0.6, 1.5)
    reach = 1.3 if rng.random() < 0.1 else 0.6  # now and then two boxes that do not meet
    cx2 = max(cx1 + rng.uniform(-reach, reach) * (w1 + w2) / 2, w2 / 2 + 1)
    cy2 = max(cy1 + rng.uniform(-reach, reach) * (h1 + h2) / 2, h2 / 2 + 1)
    if box_fmt == "xywh":
        return (q(cx1), q(cy1), q(w1), q(h1)), (q(cx2), q(cy2), q(w2), q(h2))
    return (
        (q(cx1 - w1 / 2), q(cy1 - h1 / 2), q(cx1 + w1 / 2), q(cy1 + h1 / 2)),
        (q(cx2 - w2 / 2), q(cy2 - h2 / 2), q(cx2 + w2 / 2), q(cy2 + h2 / 2)),
    )


def _corners(box: Box, box_fmt: str) -> Box:
    if box_fmt == "xyxy":
        return box
    cx, cy, w, h = box
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _box_text(box: Box) -> str:
    return "(" + ", ".join(fmt(v) for v in box) + ")"


@register
class Iou(Family):
    id = "iou"
    title = "两个框的 IoU"
    topics = ("003-0177", "001-1615")
    schema = {
        "box_format": Param("choice", choices=("xyxy", "xywh")),
        "decimals": Param("choice", choices=(0, 1)),
        "data_seed": Param("int", 0, 10**6),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        a, b = (
            _corners(x, p["box_format"]) for x in iou_boxes(p["box_format"], p["decimals"], p["data_seed"])
        )
        # slow reference: the overlap of the two x intervals times that of the two y intervals
        overlap = []
        for lo_a, hi_a, lo_b, hi_b in ((a[0], a[2], b[0], b[2]), (a[1], a[3], b[1], b[3])):
            lo = lo_a if lo_a > lo_b else lo_b
            hi = hi_a if hi_a < hi_b else hi_b
            overlap.append(hi - lo if hi > lo else 0.0)
        inter = overlap[0] * overlap[1]
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return {"inter": inter, "union": union, "iou": inter / union}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        fmts = self.schema["box_format"].choices
        decs = self.schema["decimals"].choices
        rows = [
            iou_boxes(fmts[f], decs[d], int(s))
            for f, d, s in zip(
                c["box_format"].tolist(), c["decimals"].tolist(), c["data_seed"].tolist(), strict=False
            )
        ]
        dev = c["data_seed"].device
        a = torch.tensor([r[0] for r in rows], dtype=torch.float64, device=dev)
        b = torch.tensor([r[1] for r in rows], dtype=torch.float64, device=dev)
        centre = (c["box_format"] == fmts.index("xywh"))[:, None]

        def xyxy(t: torch.Tensor) -> torch.Tensor:
            half = t[:, 2:] / 2
            return torch.where(centre, torch.cat([t[:, :2] - half, t[:, :2] + half], dim=1), t)

        a, b = xyxy(a), xyxy(b)
        lt = torch.maximum(a[:, :2], b[:, :2])
        rb = torch.minimum(a[:, 2:], b[:, 2:])
        inter = (rb - lt).clamp(min=0).prod(dim=1)
        union = (a[:, 2:] - a[:, :2]).prod(dim=1) + (b[:, 2:] - b[:, :2]).prod(dim=1) - inter
        return {"inter": inter, "union": union, "iou": inter / union}

    def build(self, p: dict[str, Any]) -> Variant:
        box_fmt = p["box_format"]
        ba, bb = iou_boxes(box_fmt, p["decimals"], p["data_seed"])
        a, b = _corners(ba, box_fmt), _corners(bb, box_fmt)
        ans = self.solve(p)
        desc = (
            "$(x_1, y_1, x_2, y_2)$（左上角与右下角）"
            if box_fmt == "xyxy"
            else "$(x, y, w, h)$，其中 $(x, y)$ 是框的中心，$w, h$ 是宽和高"
        )
        prompt = (
            f"两个框的格式为 {desc}，坐标为连续值（不使用 +1 像素的旧约定）：\n\n"
            f"- 框 A：${_box_text(ba)}$\n- 框 B：${_box_text(bb)}$\n\n"
            "求它们的交集面积、并集面积和 IoU。"
        )
        iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        area_a, area_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
        conv = ""
        if box_fmt == "xywh":
            conv = (
                f"先换成角点：$A=({fmt(a[0])}, {fmt(a[1])}, {fmt(a[2])}, {fmt(a[3])})$，"
                f"$B=({fmt(b[0])}, {fmt(b[1])}, {fmt(b[2])}, {fmt(b[3])})$（$x\\pm w/2,\\ y\\pm h/2$）。\n\n"
            )
        solution = (
            conv
            + f"$$w_\\cap=\\max(0,\\ \\min({fmt(a[2])},{fmt(b[2])})-\\max({fmt(a[0])},{fmt(b[0])}))={fmt(iw)},\\quad "
            f"h_\\cap=\\max(0,\\ \\min({fmt(a[3])},{fmt(b[3])})-\\max({fmt(a[1])},{fmt(b[1])}))={fmt(ih)}$$\n\n"
            f"$$|A\\cap B|={fmt(iw)}\\times{fmt(ih)}={fmt(ans['inter'])},\\quad |A|={fmt(area_a)},\\quad |B|={fmt(area_b)}$$\n\n"
            f"$$|A\\cup B|=|A|+|B|-|A\\cap B|={fmt(ans['union'])},\\quad "
            f"\\mathrm{{IoU}}=\\frac{{{fmt(ans['inter'])}}}{{{fmt(ans['union'])}}}={fmt(ans['iou'], 4)}$$"
        )
        wrong: list[Mistake] = []
        if box_fmt == "xyxy" and p["decimals"] == 0:
            i1, u1, r1 = iou_xyxy(a, b, plus_one=1.0)
            wrong.append(
                Mistake(
                    "iou.plus-one-pixel",
                    "用了 +1 像素的旧约定（宽 = x2 − x1 + 1）",
                    {"inter": i1, "union": u1, "iou": r1},
                )
            )
        if box_fmt == "xywh" and all(box[2] > box[0] and box[3] > box[1] for box in (ba, bb)):
            i2, u2, r2 = iou_xyxy(ba, bb)
            wrong.append(
                Mistake(
                    "iou.xywh-as-xyxy",
                    "把 (x, y, w, h) 当成了 (x1, y1, x2, y2)",
                    {"inter": i2, "union": u2, "iou": r2},
                )
            )
        if ans["inter"] > 0:
            wrong.append(
                Mistake(
                    "iou.over-smaller-box",
                    "交集除以了较小框的面积（那是 IoMin，不是 IoU）",
                    {"iou": ans["inter"] / min(area_a, area_b)},
                )
            )
            wrong.append(
                Mistake(
                    "iou.union-not-subtracted",
                    "并集没有减去交集（|A|+|B|）",
                    {"union": area_a + area_b, "iou": ans["inter"] / (area_a + area_b)},
                )
            )
        parts = (
            Part("inter", "交集面积", "real", ans["inter"], atol=1e-6),
            Part("union", "并集面积", "real", ans["union"], atol=1e-6),
            Part("iou", "IoU", "real", ans["iou"], atol=1e-6, ratio=True),
        )
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))


# -- NMS -------------------------------------------------------------------------------------------

MAX_BOXES = 8
# (width, shift) ratios giving IoU exactly equal to the threshold for two equal boxes shifted sideways:
# (w - s) / (w + s) = thr
_EXACT = {0.3: (13, 7), 0.4: (7, 3), 0.5: (3, 1), 0.6: (4, 1), 0.7: (17, 3)}


def nms_data(n: int, thr: float, seed: int) -> tuple[list[Box], list[float]]:
    """``n`` integer boxes (xyxy) clustered around 1-3 objects, and their scores (2 decimals, ties
    possible). Some pairs overlap with IoU exactly equal to ``thr``."""
    rng = random.Random(f"nms:{n}:{thr}:{seed}")
    centres = [(rng.randint(30, 70), rng.randint(30, 70)) for _ in range(rng.randint(1, 3))]
    boxes: list[Box] = []
    while len(boxes) < n:
        if len(boxes) <= n - 2 and rng.random() < 0.35:
            wr, sr = _EXACT[thr]
            k = rng.randint(1, max(1, 40 // wr))
            w, s, h = wr * k, sr * k, rng.randint(10, 40)
            x, y = rng.randint(0, 100 - w - s), rng.randint(0, 100 - h)
            pair = [(x, y, x + w, y + h), (x + s, y, x + s + w, y + h)]
            rng.shuffle(pair)
            boxes += pair
        else:
            cx, cy = rng.choice(centres)
            w, h = rng.randint(16, 40), rng.randint(16, 40)
            x = min(max(cx - w // 2 + rng.randint(-8, 8), 0), 100 - w)
            y = min(max(cy - h // 2 + rng.randint(-8, 8), 0), 100 - h)
            boxes.append((x, y, x + w, y + h))
    boxes = [tuple(float(v) for v in b) for b in boxes]  # type: ignore[misc]
    rng.shuffle(boxes)
    scores: list[float] = []
    for _ in range(n):
        if scores and rng.random() < 0.2:
            scores.append(rng.choice(scores))
        else:
            scores.append(rng.randint(10, 99) / 100)
    return boxes, scores


def nms_reference(
    boxes: list[Box],
    scores: list[float],
    thr: float,
    *,
    suppress_equal: bool = False,
    sort: bool = True,
    greedy: bool = True,
) -> list[int]:
    """Greedy NMS, plain Python: visit boxes by descending score (ties: lower index first); keep a box
    unless a kept box overlaps it with IoU > ``thr``. Wrong readings: ``suppress_equal`` (≥),
    ``sort=False`` (visit in index order), ``greedy=False`` (suppressed boxes still suppress)."""
    order = sorted(range(len(boxes)), key=lambda i: (-scores[i], i)) if sort else list(range(len(boxes)))
    kept: list[int] = []
    for pos, i in enumerate(order):
        rivals = kept if greedy else order[:pos]
        hit = False
        for j in rivals:
            r = iou_xyxy(boxes[i], boxes[j])[2]
            if r > thr or (suppress_equal and r == thr):
                hit = True
                break
        if not hit:
            kept.append(i)
    return kept


@register
class Nms(Family):
    id = "nms"
    title = "非极大值抑制（NMS）保留的框"
    topics = ("001-1657",)
    schema = {
        "n": Param("int", 4, MAX_BOXES),
        "threshold": Param("choice", choices=(0.3, 0.4, 0.5, 0.6, 0.7)),
        "data_seed": Param("int", 0, 10**6),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        boxes, scores = nms_data(p["n"], p["threshold"], p["data_seed"])
        return {"keep": nms_reference(boxes, scores, p["threshold"])}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        thr_choices = self.schema["threshold"].choices
        dev = c["n"].device
        rows = [
            nms_data(int(n), thr_choices[t], int(s))
            for n, t, s in zip(
                c["n"].tolist(), c["threshold"].tolist(), c["data_seed"].tolist(), strict=False
            )
        ]
        size = len(rows)
        boxes = torch.zeros(size, MAX_BOXES, 4, dtype=torch.float64)
        scores = torch.full((size, MAX_BOXES), -math.inf, dtype=torch.float64)
        for r, (bx, sc) in enumerate(rows):
            boxes[r, : len(bx)] = torch.tensor(bx, dtype=torch.float64)
            scores[r, : len(sc)] = torch.tensor(sc, dtype=torch.float64)
        boxes, scores = boxes.to(dev), scores.to(dev)
        valid = torch.isfinite(scores)
        thr = torch.tensor(thr_choices, dtype=torch.float64, device=dev)[c["threshold"]]
        # pairwise IoU (B, N, N)
        lt = torch.maximum(boxes[:, :, None, :2], boxes[:, None, :, :2])
        rb = torch.minimum(boxes[:, :, None, 2:], boxes[:, None, :, 2:])
        inter = (rb - lt).clamp(min=0).prod(dim=-1)
        area = (boxes[:, :, 2:] - boxes[:, :, :2]).prod(dim=-1)
        union = area[:, :, None] + area[:, None, :] - inter
        iou = torch.where(union > 0, inter / union.clamp(min=1e-300), torch.zeros_like(inter))
        order = torch.sort(-scores, dim=1, stable=True).indices  # ties: lower index first; padding last
        rows_idx = torch.arange(size, device=dev)
        suppressed = ~valid
        keep = torch.full((size, MAX_BOXES), -1, dtype=torch.int64, device=dev)
        count = torch.zeros(size, dtype=torch.int64, device=dev)
        for r in range(MAX_BOXES):
            i = order[:, r]
            alive = ~suppressed[rows_idx, i]
            slot = torch.where(alive, count, torch.full_like(count, MAX_BOXES - 1))
            keep[rows_idx, slot] = torch.where(alive, i, keep[rows_idx, slot])
            count = count + alive.long()
            suppressed = suppressed | (alive[:, None] & (iou[rows_idx, i] > thr[:, None]))
        return {"keep": keep}

    def build(self, p: dict[str, Any]) -> Variant:
        thr = p["threshold"]
        boxes, scores = nms_data(p["n"], thr, p["data_seed"])
        keep = self.solve(p)["keep"]
        table = "| 下标 | $x_1$ | $y_1$ | $x_2$ | $y_2$ | score |\n|---|---|---|---|---|---|\n" + "\n".join(
            f"| {i} | {fmt(b[0])} | {fmt(b[1])} | {fmt(b[2])} | {fmt(b[3])} | {fmt(s)} |"
            for i, (b, s) in enumerate(zip(boxes, scores, strict=False))
        )
        prompt = (
            f"同一类别的 {p['n']} 个检测框（xyxy 坐标，连续坐标不加 1）及其得分如下：\n\n{table}\n\n"
            f"用 IoU 阈值 {fmt(thr)} 做贪心 NMS：按得分从高到低处理（得分相同时下标小的先处理），"
            f"与已保留的框 IoU **严格大于** {fmt(thr)} 的框被抑制。\n\n"
            "按保留的先后顺序（即得分从高到低）写出保留框的下标。"
        )
        order = sorted(range(len(boxes)), key=lambda i: (-scores[i], i))
        lines = []
        kept: list[int] = []
        for i in order:
            hits = [(j, iou_xyxy(boxes[i], boxes[j])[2]) for j in kept]
            worst = max(hits, key=lambda h: h[1]) if hits else None
            if worst and worst[1] > thr:
                lines.append(
                    f"- 框 {i}（{fmt(scores[i])}）：与已保留的框 {worst[0]} 的 IoU = "
                    f"{fmt(worst[1], 4)} > {fmt(thr)}，抑制"
                )
            else:
                detail = f"与已保留框的最大 IoU = {fmt(worst[1], 4)} ≤ {fmt(thr)}，" if worst else ""
                lines.append(f"- 框 {i}（{fmt(scores[i])}）：{detail}保留")
                kept.append(i)
        solution = (
            "处理顺序："
            + ", ".join(str(i) for i in order)
            + "。\n\n"
            + "\n".join(lines)
            + "\n\n保留（按得分从高到低）："
            + ", ".join(str(i) for i in keep)
            + "。"
        )
        wrong = [
            Mistake(
                "nms.suppress-on-equal",
                "IoU 恰好等于阈值时也抑制了（应当严格大于才抑制）",
                {"keep": nms_reference(boxes, scores, thr, suppress_equal=True)},
            ),
            Mistake(
                "nms.suppressed-still-suppress",
                "已被抑制的框仍去抑制别的框（应只与已保留的框比较）",
                {"keep": nms_reference(boxes, scores, thr, greedy=False)},
            ),
            Mistake(
                "nms.no-score-sort",
                "没有按得分排序，按下标顺序做了 NMS",
                {"keep": nms_reference(boxes, scores, thr, sort=False)},
            ),
            Mistake("nms.index-order", "保留的框按下标而不是按得分排列", {"keep": sorted(keep)}),
        ]
        parts = (Part("keep", "保留框的下标（按得分从高到低）", "list", keep),)
        # an index list is compared exactly: the core's pruning (drop the right answer and repeats) suffices
        return Variant(self.id, self.version, None, p, prompt, parts, solution, tuple(wrong))


# -- YOLO target -----------------------------------------------------------------------------------


@register
class YoloTarget(Family):
    id = "yolo_target"
    title = "YOLO 的负责网格与归一化坐标"
    topics = ("001-1615", "001-1631")
    schema = {
        "width": Param("choice", choices=(448, 416, 640)),
        "height": Param("choice", choices=(448, 416, 480)),
        "S": Param("choice", choices=(3, 7, 13)),
        "B": Param("choice", choices=(1, 2, 3)),
        "C": Param("choice", choices=(3, 20, 80)),
        "x1": Param("int", 0, 600),
        "y1": Param("int", 0, 460),
        "bw": Param("int", 8, 400),
        "bh": Param("int", 8, 400),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        if p["x1"] + p["bw"] > p["width"] or p["y1"] + p["bh"] > p["height"]:
            return "the box leaves the image"
        return None

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        from fractions import Fraction

        W, H, S = p["width"], p["height"], p["S"]
        cx = Fraction(2 * p["x1"] + p["bw"], 2)
        cy = Fraction(2 * p["y1"] + p["bh"], 2)
        cell_w, cell_h = Fraction(W, S), Fraction(H, S)
        col = next(j for j in range(S) if j * cell_w <= cx < (j + 1) * cell_w)
        row = next(i for i in range(S) if i * cell_h <= cy < (i + 1) * cell_h)
        return {
            "row": row,
            "col": col,
            "x": float(cx / cell_w - col),
            "y": float(cy / cell_h - row),
            "w": float(Fraction(p["bw"], W)),
            "h": float(Fraction(p["bh"], H)),
            "size": S * S * (p["B"] * 5 + p["C"]),
        }

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        def ch(name: str) -> torch.Tensor:
            table = torch.tensor(self.schema[name].choices, dtype=torch.float64, device=c[name].device)
            return table[c[name]]

        W, H, S, B, C = ch("width"), ch("height"), ch("S"), ch("B"), ch("C")
        gx = (c["x1"] + c["bw"] / 2) * S / W
        gy = (c["y1"] + c["bh"] / 2) * S / H
        col, row = torch.floor(gx), torch.floor(gy)
        return {
            "row": row,
            "col": col,
            "x": gx - col,
            "y": gy - row,
            "w": c["bw"] / W,
            "h": c["bh"] / H,
            "size": S * S * (B * 5 + C),
        }

    def build(self, p: dict[str, Any]) -> Variant:
        W, H, S, B, C = p["width"], p["height"], p["S"], p["B"], p["C"]
        x1, y1, bw, bh = p["x1"], p["y1"], p["bw"], p["bh"]
        a = self.solve(p)
        cx, cy = x1 + bw / 2, y1 + bh / 2
        prompt = (
            f"YOLOv1 风格的检测头：输入图像 ${W}\\times{H}$（宽×高），划分为 ${S}\\times{S}$ 的网格，"
            f"每个网格预测 $B={B}$ 个框（每个框 5 个值：$x, y, w, h$, confidence）和 $C={C}$ 个类别概率。\n\n"
            f"一个真实框的左上角在像素 $({x1}, {y1})$，宽 {bw} 像素、高 {bh} 像素。\n\n"
            "1. 由哪个网格负责预测它？给出行号 row 和列号 col（从 0 开始，row 沿高度方向）。\n"
            "2. 该网格的目标 $x, y$（中心相对于该网格左上角的偏移，以网格边长为单位）和 $w, h$（除以整张图的宽、高）。\n"
            "3. 整个输出张量有多少个数（$S\\times S\\times(B\\cdot5+C)$）？"
        )
        solution = (
            f"中心 $({fmt(cx)}, {fmt(cy)})$；网格边长 ${fmt(W / S)}\\times{fmt(H / S)}$ 像素。\n\n"
            f"$$\\text{{col}}=\\left\\lfloor\\frac{{{fmt(cx)}\\times{S}}}{{{W}}}\\right\\rfloor={a['col']},\\quad "
            f"\\text{{row}}=\\left\\lfloor\\frac{{{fmt(cy)}\\times{S}}}{{{H}}}\\right\\rfloor={a['row']}$$\n\n"
            f"$$x=\\frac{{{fmt(cx)}\\times{S}}}{{{W}}}-{a['col']}={fmt(a['x'], 4)},\\quad "
            f"y=\\frac{{{fmt(cy)}\\times{S}}}{{{H}}}-{a['row']}={fmt(a['y'], 4)}$$\n\n"
            f"$$w=\\frac{{{bw}}}{{{W}}}={fmt(a['w'], 4)},\\quad h=\\frac{{{bh}}}{{{H}}}={fmt(a['h'], 4)}$$\n\n"
            f"$$S\\times S\\times(B\\cdot5+C)={S}\\times{S}\\times({B}\\times5+{C})={a['size']}$$"
        )
        wrong = [
            Mistake(
                "yolo.row-col-swapped",
                "行列弄反了（row 沿高度 y，col 沿宽度 x）",
                {"row": a["col"], "col": a["row"]},
            ),
            Mistake(
                "yolo.xy-normalised-by-image",
                "x, y 除以了整张图的宽高（应是相对所在网格的偏移）",
                {"x": cx / W, "y": cy / H},
            ),
            Mistake(
                "yolo.wh-normalised-by-cell",
                "w, h 除以了网格边长（应除以整张图的宽高）",
                {"w": bw * S / W, "h": bh * S / H},
            ),
            Mistake(
                "yolo.classes-per-box",
                "按每个框都有类别概率计算（S·S·B·(5+C)，那是 YOLOv2 的锚框形式）",
                {"size": S * S * B * (5 + C)},
            ),
        ]
        parts = (
            Part("row", "负责网格的行号 row", "int", a["row"]),
            Part("col", "负责网格的列号 col", "int", a["col"]),
            Part("x", "$x$", "real", a["x"], atol=1e-6),
            Part("y", "$y$", "real", a["y"], atol=1e-6),
            Part("w", "$w$", "real", a["w"], atol=1e-6),
            Part("h", "$h$", "real", a["h"], atol=1e-6),
            Part("size", "输出张量的元素个数", "int", a["size"]),
        )
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))


# -- YOLO confidence / task-aligned metric ---------------------------------------------------------


@register
class YoloConfidence(Family):
    id = "yolo_confidence"
    title = "YOLO 置信度与 TaskAligned 指标"
    topics = ("001-1631",)
    schema = {
        "p_obj": Param("real", 0.5, 1.0, decimals=2),
        "iou": Param("real", 0.3, 0.95, decimals=2),
        "p_cls": Param("real", 0.2, 0.99, decimals=2),
        "alpha": Param("choice", choices=(1.0, 0.5)),
        "beta": Param("choice", choices=(6.0, 4.0)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        box = p["p_obj"] * p["iou"]
        return {
            "box_conf": box,
            "class_conf": box * p["p_cls"],
            "align": p["p_cls"] ** p["alpha"] * p["iou"] ** p["beta"],
        }

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        def ch(name: str) -> torch.Tensor:
            table = torch.tensor(self.schema[name].choices, dtype=torch.float64, device=c[name].device)
            return table[c[name]]

        s, u = c["p_cls"], c["iou"]
        return {
            "box_conf": c["p_obj"] * u,
            "class_conf": c["p_obj"] * u * s,
            "align": torch.exp(ch("alpha") * torch.log(s) + ch("beta") * torch.log(u)),
        }

    def build(self, p: dict[str, Any]) -> Variant:
        po, u, s, al, be = p["p_obj"], p["iou"], p["p_cls"], p["alpha"], p["beta"]
        a = self.solve(p)
        prompt = (
            f"YOLOv1 中某个预测框的 $\\Pr(\\text{{Object}})={fmt(po)}$，它与真实框的 "
            f"$\\mathrm{{IoU}}^{{truth}}_{{pred}}={fmt(u)}$，所在网格对某类别的条件概率 "
            f"$\\Pr(\\text{{Class}}_i\\mid\\text{{Object}})={fmt(s)}$。\n\n"
            "1. 该框的 confidence（$\\Pr(\\text{Object})\\cdot\\mathrm{IoU}$）是多少？\n"
            "2. 测试时该类别的 class-specific confidence 是多少？\n"
            f"3. TOOD / YOLOv8 的 TaskAligned 分配器用 $t=s^{{\\alpha}}\\cdot u^{{\\beta}}$ 衡量对齐程度"
            f"（$\\alpha={fmt(al)}$，$\\beta={fmt(be)}$），取分类得分 $s={fmt(s)}$、$u$ 为上面的 IoU，求 $t$。"
        )
        solution = (
            f"$$\\text{{conf}}=\\Pr(\\text{{Object}})\\cdot\\mathrm{{IoU}}={fmt(po)}\\times{fmt(u)}={fmt(a['box_conf'])}$$\n\n"
            f"$$\\Pr(\\text{{Class}}_i\\mid\\text{{Object}})\\cdot\\Pr(\\text{{Object}})\\cdot\\mathrm{{IoU}}"
            f"={fmt(s)}\\times{fmt(po)}\\times{fmt(u)}={fmt(a['class_conf'])}$$\n\n"
            f"$$t=s^{{\\alpha}}u^{{\\beta}}={fmt(s)}^{{{fmt(al)}}}\\times{fmt(u)}^{{{fmt(be)}}}={fmt(a['align'], 5)}$$"
        )
        wrong = [
            Mistake(
                "yolo.conf-without-iou",
                "类别置信度漏乘了 IoU（只用 Pr(Object)·Pr(Class|Object)）",
                {"class_conf": po * s},
            ),
            Mistake("tal.alpha-beta-swapped", "α 与 β 用反了（t = s^β·u^α）", {"align": s**be * u**al}),
            Mistake(
                "tal.confidence-as-score",
                "TaskAligned 指标用了 confidence 代替分类得分 s",
                {"align": a["class_conf"] ** al * u**be},
            ),
        ]
        parts = (
            Part("box_conf", "框的 confidence", "real", a["box_conf"], ratio=True),
            Part("class_conf", "class-specific confidence", "real", a["class_conf"], ratio=True),
            Part("align", "TaskAligned 指标 $t$", "real", a["align"], atol=1e-9),
        )
        return Variant(self.id, self.version, None, p, prompt, parts, solution, clean_mistakes(parts, wrong))
