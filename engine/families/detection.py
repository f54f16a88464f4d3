"""Object detection arithmetic: IoU, NMS, YOLO targets and confidences.

torch has no IoU or NMS op (torchvision is not a dependency), so ``solve`` is a slow plain-Python
reference; the closed forms are vectorised torch code. Box data is derived from a ``data_seed``
parameter with integer hash arithmetic (:func:`engine.families._support.draw_int`) that runs the same
on Python ints (``build``/``solve``) and on int64 tensors (``closed_form``, a whole column at once), so
the prompt shows exactly the numbers used and ``instantiate(params)`` rebuilds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import torch

from engine.device import get_device
from engine.families._support import M31, draw_bits, draw_int, mix31
from engine.family import Family, TypedParams, register
from engine.formatting import fmt
from engine.ops import box_inter_union, nms
from engine.values import Mistake, Param, Part

__all__ = [
    "Iou",
    "Nms",
    "TaskAlignedMetric",
    "YoloConfidence",
    "YoloTarget",
    "iou_boxes",
    "iou_xyxy",
    "nms_data",
    "nms_reference",
]

Box = tuple[float, float, float, float]
T = TypeVar("T", int, torch.Tensor)
F64 = torch.float64


def _at_least(x: T, floor: T) -> T:
    """``max(x, floor)`` for ints or tensors."""
    if isinstance(x, torch.Tensor):
        return torch.maximum(x, floor) if isinstance(floor, torch.Tensor) else x.clamp(min=floor)
    return max(x, floor)


def iou_xyxy(a: Box, b: Box, plus_one: float = 0.0) -> tuple[float, float, float]:
    """Intersection, union and IoU of two corner-format boxes (:func:`box_inter_union` on plain numbers).

    ``plus_one=1`` is the old pixel-inclusive convention (width = x2 − x1 + 1).
    """
    inter, union = box_inter_union(a, b, plus_one=plus_one)
    return inter, union, inter / union


# -- IoU -------------------------------------------------------------------------------------------


def _iou_units(seed: T, scale: T) -> tuple[T, ...]:
    """The two boxes of an IoU exercise as integers in units of ``1/scale``: ``(cx, cy, w, h)`` twice,
    with ``cx, cy`` the centre. Box B is A's size times 0.6-1.5, its centre moved by up to 0.6 of the
    two half-widths, now and then (1 in 10) up to 1.3 so that the boxes may not meet."""

    def uniform(i: int, lo: T | int, hi: T | int) -> T:
        return lo + draw_bits(seed, i, 80) % (hi - lo + 1)

    w1, h1 = uniform(0, 10 * scale, 60 * scale), uniform(1, 10 * scale, 60 * scale)
    cx1, cy1 = uniform(2, scale, 25 * scale) + w1 // 2, uniform(3, scale, 25 * scale) + h1 // 2
    w2, h2 = w1 * uniform(4, 60, 150) // 100, h1 * uniform(5, 60, 150) // 100
    reach = 60 + 70 * (uniform(6, 0, 9) == 0)  # percent of the half-widths' sum
    dx = (w1 + w2) * (uniform(7, 0, 2000) - 1000) * reach // 200_000
    dy = (h1 + h2) * (uniform(8, 0, 2000) - 1000) * reach // 200_000
    cx2 = _at_least(cx1 + dx, w2 // 2 + scale)
    cy2 = _at_least(cy1 + dy, h2 // 2 + scale)
    return cx1, cy1, w1, h1, cx2, cy2, w2, h2


def iou_boxes(box_fmt: str, decimals: int, seed: int) -> tuple[Box, Box]:
    """The two boxes of an IoU exercise, as shown (xyxy corners, or xywh with (x, y) the centre), on a
    grid of ``10**-decimals``."""
    scale = 10**decimals
    cx1, cy1, w1, h1, cx2, cy2, w2, h2 = _iou_units(seed, scale)
    if box_fmt == "xywh":
        a, b = (cx1, cy1, w1, h1), (cx2, cy2, w2, h2)
    else:
        x1, y1, x2, y2 = cx1 - w1 // 2, cy1 - h1 // 2, cx2 - w2 // 2, cy2 - h2 // 2
        a, b = (x1, y1, x1 + w1, y1 + h1), (x2, y2, x2 + w2, y2 + h2)
    return tuple(v / scale for v in a), tuple(v / scale for v in b)  # type: ignore[return-value]


def _corners(box: Box, box_fmt: str) -> Box:
    if box_fmt == "xyxy":
        return box
    cx, cy, w, h = box
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _box_text(box: Box) -> str:
    return "(" + ", ".join(fmt(v) for v in box) + ")"


@dataclass(frozen=True)
class _IouParams(TypedParams):
    """Iou's parameters, typed."""

    box_format: Literal["xyxy", "xywh"]
    decimals: int
    data_seed: int


@register
class Iou(Family):
    id = "iou"
    title = "两个框的 IoU"
    version = 2  # v2: boxes from integer hashing of data_seed (v1 used random.Random)
    topics = ("003-0177", "001-1615")
    schema = {
        "box_format": Param("choice", choices=("xyxy", "xywh")),
        "decimals": Param("choice", choices=(0, 1)),
        "data_seed": Param("int", 0, 10**6),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        w = self.work(p)
        return {"inter": w["inter"], "union": w["union"], "iou": w["iou"]}

    def work(self, p: dict[str, Any]) -> dict[str, Any]:
        # the boxes once for every hook: as shown (``ba, bb``) and as corners (``a, b``)
        q = _IouParams.of(p)
        ba, bb = iou_boxes(q.box_format, q.decimals, q.data_seed)
        a, b = _corners(ba, q.box_format), _corners(bb, q.box_format)
        inter, union, iou = iou_xyxy(a, b)
        return {"inter": inter, "union": union, "iou": iou, "ba": ba, "bb": bb, "a": a, "b": b}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        fmts = self.schema["box_format"].choices
        decs = self.schema["decimals"].choices
        dev = c["data_seed"].device
        seed = c["data_seed"].to(torch.int64)
        scale = torch.tensor([10**d for d in decs], dtype=torch.int64, device=dev)[c["decimals"]]
        units = torch.stack(_iou_units(seed, scale), dim=1)  # (B, 8): cx, cy, w, h of A then B
        centre = (c["box_format"] == fmts.index("xywh"))[:, None]

        def xyxy(t: torch.Tensor) -> torch.Tensor:
            corner = t[:, :2] - t[:, 2:] // 2
            shown = torch.where(centre, t, torch.cat([corner, corner + t[:, 2:]], dim=1))
            shown = shown.to(torch.float64) / scale[:, None].to(torch.float64)  # the numbers in the prompt
            half = shown[:, 2:] / 2
            return torch.where(centre, torch.cat([shown[:, :2] - half, shown[:, :2] + half], dim=1), shown)

        inter, union = box_inter_union(xyxy(units[:, :4]), xyxy(units[:, 4:]))
        return {"inter": inter, "union": union, "iou": inter / union}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        box_fmt = _IouParams.of(p).box_format
        ba, bb = w["ba"], w["bb"]
        desc = (
            "$(x_1, y_1, x_2, y_2)$（左上角与右下角）"
            if box_fmt == "xyxy"
            else "$(x, y, w, h)$，其中 $(x, y)$ 是框的中心，$w, h$ 是宽和高"
        )
        return (
            f"两个框的格式为 {desc}，坐标为连续值（不使用 +1 像素的旧约定）：\n\n"
            f"- 框 A：${_box_text(ba)}$\n- 框 B：${_box_text(bb)}$\n\n"
            "求它们的交集面积、并集面积和 IoU。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        return (
            Part("inter", "交集面积", "real", w["inter"]),
            Part("union", "并集面积", "real", w["union"]),
            Part("iou", "IoU", "real", w["iou"], ratio=True),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        box_fmt = _IouParams.of(p).box_format
        a, b = w["a"], w["b"]
        iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        area_a, area_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
        conv = ""
        if box_fmt == "xywh":
            conv = (
                f"先换成角点：$A=({fmt(a[0])}, {fmt(a[1])}, {fmt(a[2])}, {fmt(a[3])})$，"
                f"$B=({fmt(b[0])}, {fmt(b[1])}, {fmt(b[2])}, {fmt(b[3])})$（$x\\pm w/2,\\ y\\pm h/2$）。\n\n"
            )
        return (
            conv
            + f"$$w_\\cap=\\max(0,\\ \\min({fmt(a[2])},{fmt(b[2])})-\\max({fmt(a[0])},{fmt(b[0])}))={fmt(iw)},\\quad "
            f"h_\\cap=\\max(0,\\ \\min({fmt(a[3])},{fmt(b[3])})-\\max({fmt(a[1])},{fmt(b[1])}))={fmt(ih)}$$\n\n"
            f"$$|A\\cap B|={fmt(iw)}\\times{fmt(ih)}={fmt(w['inter'])},\\quad |A|={fmt(area_a)},\\quad |B|={fmt(area_b)}$$\n\n"
            f"$$|A\\cup B|=|A|+|B|-|A\\cap B|={fmt(w['union'])},\\quad "
            f"\\mathrm{{IoU}}=\\frac{{{fmt(w['inter'])}}}{{{fmt(w['union'])}}}={fmt(w['iou'], 4)}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _IouParams.of(p)
        box_fmt = q.box_format
        ba, bb, a, b = w["ba"], w["bb"], w["a"], w["b"]
        area_a, area_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
        wrong: list[Mistake] = []
        if box_fmt == "xyxy" and q.decimals == 0:
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
        if w["inter"] > 0:
            wrong.append(
                Mistake(
                    "iou.over-smaller-box",
                    "交集除以了较小框的面积（那是 IoMin，不是 IoU）",
                    {"iou": w["inter"] / min(area_a, area_b)},
                )
            )
            wrong.append(
                Mistake(
                    "iou.union-not-subtracted",
                    "并集没有减去交集（|A|+|B|）",
                    {"union": area_a + area_b, "iou": w["inter"] / (area_a + area_b)},
                )
            )
        iw, ih = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
        if (iw < 0 or ih < 0) and area_a + area_b - iw * ih != 0:
            raw = iw * ih  # two negative overlaps multiply to a positive "intersection"
            wrong.append(
                Mistake(
                    "iou.no-clamp",
                    "交集的宽高没有截断到 0（不相交时应为 max(0, ·)）",
                    {"inter": raw, "union": area_a + area_b - raw, "iou": raw / (area_a + area_b - raw)},
                )
            )
        return wrong


# -- NMS -------------------------------------------------------------------------------------------

MAX_BOXES = 8
# (width, shift) ratios giving IoU exactly equal to the threshold for two equal boxes shifted sideways:
# (w - s) / (w + s) = thr
_EXACT = {0.3: (13, 7), 0.4: (7, 3), 0.5: (3, 1), 0.6: (4, 1), 0.7: (17, 3)}


def _slot_bits(row: T, j: T | int, salt: int) -> T:
    """31 hashed bits for slot ``j`` of a row whose own hash is ``row`` (one mixing round per slot)."""
    return mix31(row ^ (((j + 1) * 0x9E3779B1 + salt * 0x85EBCA6B) & M31))


def _scaled(bits: T, shift: int, width: int, span: T | int) -> T:
    """The ``width``-bit field of ``bits`` at ``shift``, scaled to ``[0, span)`` (multiply and shift: no
    division, so it is cheap on int64 tensors)."""
    return (((bits >> shift) & ((1 << width) - 1)) * span) >> width


def _nms_slot_boxes(
    row: T,
    j: T | int,
    n: T | int,
    wr: T | int,
    sr: T | int,
    ncent: T | int,
    centres: list[tuple[int, int]] | tuple[torch.Tensor, torch.Tensor],
) -> tuple[T, T, T, T]:
    """Box ``j`` before shuffling, as integer ``(x, y, w, h)`` inside [0, 100]. Slots ``2g, 2g+1`` hold,
    35% of the time, two equal boxes shifted sideways with IoU exactly the threshold (``wr, sr``: width
    and shift ratios); other slots hold a box jittered around one of the ``ncent`` object centres
    (``centres``: a list of int pairs, or a pair of ``(B, 3)`` tensors)."""
    r = _slot_bits(row, j, 1)
    pick = _scaled(r, 0, 6, ncent)
    w = 16 + _scaled(r, 6, 6, 25)
    h = 16 + _scaled(r, 12, 6, 25)
    dx = _scaled(r, 18, 6, 17) - 8
    dy = _scaled(r, 24, 6, 17) - 8
    if isinstance(pick, torch.Tensor):
        cx, cy = (t.gather(1, pick) for t in centres)  # type: ignore[union-attr]
        x = (cx - w // 2 + dx).clamp(min=0).minimum(100 - w)
        y = (cy - h // 2 + dy).clamp(min=0).minimum(100 - h)
    else:
        cx, cy = centres[pick]  # type: ignore[index]
        x = min(max(cx - w // 2 + dx, 0), 100 - w)
        y = min(max(cy - h // 2 + dy, 0), 100 - h)
    # the pair in slots 2g, 2g+1 (when both are present)
    q = _slot_bits(row, j // 2, 2)
    paired = (_scaled(q, 0, 7, 100) < 35) & (j // 2 * 2 + 1 < n)
    k = 1 + _scaled(q, 7, 5, 40 // wr)
    pw, ps = wr * k, sr * k
    ph = 10 + _scaled(q, 12, 6, 31)
    px = _scaled(q, 18, 7, 101 - pw - ps) + ps * (j % 2)
    py = _scaled(q, 25, 6, 101 - ph)
    if isinstance(paired, torch.Tensor):
        return (
            torch.where(paired, px, x),
            torch.where(paired, py, y),
            torch.where(paired, pw, w),
            torch.where(paired, ph, h),
        )
    return (px, py, pw, ph) if paired else (x, y, w, h)


def _nms_position_draw(row: T, i: T | int) -> tuple[T, T, T, T]:
    """Shown position ``i``'s draws: ``(shuffle key, own score in hundredths, tie?, earlier position)``.
    A tie (7 in 32, never at position 0) copies the own score of an earlier position."""
    z = _slot_bits(row, i, 3)
    key = z & 4095
    base = 10 + _scaled(z, 12, 8, 90)
    tie = (_scaled(z, 20, 5, 5) == 0) & (i > 0)
    src = _scaled(z, 25, 6, i)
    return key, base, tie, src


def _nms_row(seed: T) -> tuple[T, T, list[tuple[T, T]]]:
    """A row's own hash, its number of object centres (1-3) and the three centres."""
    row = draw_bits(seed, 0, 90)
    ncent = 1 + draw_bits(seed, 1, 90) % 3
    centres = []
    for c in range(3):
        r = draw_bits(seed, c + 2, 90)
        centres.append((30 + r % 41, 30 + r // 41 % 41))
    return row, ncent, centres


def nms_data(n: int, thr: float, seed: int) -> tuple[list[Box], list[float]]:
    """``n`` integer boxes (xyxy) clustered around 1-3 objects, and their scores (2 decimals, ties
    possible). Some pairs overlap with IoU exactly equal to ``thr``."""
    wr, sr = _EXACT[thr]
    row, ncent, centres = _nms_row(seed)
    slots = []
    for j in range(n):
        x, y, w, h = _nms_slot_boxes(row, j, n, wr, sr, ncent, centres)
        slots.append((float(x), float(y), float(x + w), float(y + h)))
    draws = [_nms_position_draw(row, i) for i in range(n)]
    order = sorted(range(n), key=lambda j: (draws[j][0], j))  # a shuffle
    boxes = [slots[j] for j in order]
    scores = [(draws[src][1] if tie else base) / 100 for _, base, tie, src in draws]
    return boxes, scores


def _nms_columns(
    n: torch.Tensor, thr_index: torch.Tensor, seed: torch.Tensor, thr_choices: tuple[float, ...]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Column form of :func:`nms_data`, as integers: boxes ``(4, B, MAX_BOXES)`` (x1, y1, x2, y2 planes) and
    scores in hundredths ``(B, MAX_BOXES)``, ``-1`` past each row's ``n``."""
    dev = seed.device
    pair = torch.tensor([_EXACT[t] for t in thr_choices], dtype=torch.int64, device=dev)[thr_index]
    row, ncent, centres = _nms_row(seed)
    r, nn_ = row[:, None], n[:, None]
    cxy = (torch.stack([c[0] for c in centres], 1), torch.stack([c[1] for c in centres], 1))
    j = torch.arange(MAX_BOXES, device=dev)[None, :]
    x, y, w, h = _nms_slot_boxes(r, j, nn_, pair[:, :1], pair[:, 1:], ncent[:, None], cxy)
    key, base, tie, src = _nms_position_draw(r, j)
    present = j < nn_
    shuffle = torch.sort(torch.where(present, key, 1 << 20), dim=1, stable=True).indices
    boxes = torch.stack([x, y, x + w, y + h]).gather(2, shuffle[None].expand(4, -1, -1))
    scores = torch.where(present, torch.where(tie, base.gather(1, src), base), -1)
    return boxes, scores


def _iou_matrix(boxes: list[Box]) -> list[list[float]]:
    """IoU of every pair of an exercise's boxes (a handful: plain numbers are cheaper than tensors)."""
    return [[iou_xyxy(a, b)[2] for b in boxes] for a in boxes]


def nms_reference(
    boxes: list[Box],
    scores: list[float],
    thr: float,
    *,
    suppress_equal: bool = False,
    sort: bool = True,
    greedy: bool = True,
    iou: list[list[float]] | None = None,
) -> list[int]:
    """Greedy NMS and its wrong readings, for the mistakes: visit boxes by descending score (ties: lower
    index first); keep a box unless a kept box overlaps it with IoU > ``thr`` (the defaults give
    :func:`engine.ops.nms`). Wrong readings: ``suppress_equal`` (≥), ``sort=False`` (visit in index
    order), ``greedy=False`` (suppressed boxes still suppress). ``iou``: the boxes' IoU matrix, when the
    caller has it."""
    order = sorted(range(len(boxes)), key=lambda i: (-scores[i], i)) if sort else list(range(len(boxes)))
    if iou is None:
        iou = _iou_matrix(boxes)
    kept: list[int] = []
    for pos, i in enumerate(order):
        rivals = kept if greedy else order[:pos]
        hit = False
        for j in rivals:
            r = iou[i][j]
            if r > thr or (suppress_equal and r == thr):
                hit = True
                break
        if not hit:
            kept.append(i)
    return kept


_CLASS_NAMES = ("猫", "狗")


@dataclass(frozen=True)
class _NmsParams(TypedParams):
    """Nms's parameters, typed."""

    n: int
    threshold: float
    data_seed: int
    classes: int

    def labels(self) -> list[int]:
        """Each shown box's class (all 0 with one class)."""
        return nms_labels(self.data_seed, self.n, self.classes)


def nms_labels(seed: Any, n: int, classes: Any) -> Any:
    """The class of each of ``n`` shown boxes: 0 or 1 with two classes, 0 with one (ints or columns)."""
    if isinstance(seed, torch.Tensor):
        j = torch.arange(n, device=seed.device)[None, :]
        two = torch.as_tensor(classes, device=seed.device)[:, None] == 2
        return torch.where(two, draw_int(seed[:, None], j, 91, 0, 1), 0)
    return [draw_int(seed, j, 91, 0, 1) if classes == 2 else 0 for j in range(n)]


def _same_class(iou: list[list[float]], labels: list[int]) -> list[list[float]]:
    """The IoU matrix per class: boxes of different classes never suppress each other (IoU taken as 0)."""
    return [[r if labels[i] == labels[j] else 0.0 for j, r in enumerate(row)] for i, row in enumerate(iou)]


@register
class Nms(Family):
    id = "nms"
    title = "非极大值抑制（NMS）保留的框"
    version = 3  # v2: boxes and scores from integer hashing of data_seed; v3: two classes, per-class NMS
    topics = ("001-1657",)
    schema = {
        "n": Param("int", 4, MAX_BOXES),
        "threshold": Param("choice", choices=(0.3, 0.4, 0.5, 0.6, 0.7)),
        "data_seed": Param("int", 0, 10**6),
        "classes": Param("choice", choices=(1, 2)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        # per class as torchvision.ops.batched_nms does it: each class's boxes shifted far from the others'
        # (coordinates lie in [0, 100]), so one plain NMS never lets two classes overlap
        q = _NmsParams.of(p)
        boxes, scores = nms_data(q.n, q.threshold, q.data_seed)
        shift = torch.tensor(q.labels(), dtype=F64)[:, None] * 1000.0
        b = torch.tensor(boxes, dtype=F64) + shift
        return {"keep": nms(b, torch.tensor(scores, dtype=F64), q.threshold).tolist()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        thr_choices = self.schema["threshold"].choices
        dev = c["n"].device
        boxes, scores = _nms_columns(
            c["n"].to(torch.int64), c["threshold"], c["data_seed"].to(torch.int64), thr_choices
        )
        order = torch.sort(-scores, dim=1, stable=True).indices  # ties: lower index first; padding last
        valid = scores.gather(1, order) >= 0
        # coordinates in visiting order; integers below 2**24, so float32 arithmetic is exact
        xyxy = boxes.gather(2, order[None].expand(4, -1, -1)).to(torch.float32).permute(1, 2, 0)  # (B, n, 4)
        inter, union = box_inter_union(xyxy[:, :, None, :], xyxy[:, None, :, :])
        # IoU > thr with thr = tenths/10, compared exactly: 10·inter > tenths·union
        tenths = torch.tensor([round(t * 10) for t in thr_choices], dtype=torch.float32, device=dev)[
            c["threshold"]
        ]
        over = inter.mul_(10) > union.mul_(tenths[:, None, None])
        classes = torch.tensor(self.schema["classes"].choices, device=dev)[c["classes"]]
        labels = nms_labels(c["data_seed"].to(torch.int64), MAX_BOXES, classes).gather(1, order)
        over &= labels[:, :, None] == labels[:, None, :]  # per class: other classes never suppress
        kept = torch.zeros_like(valid)
        for r in range(MAX_BOXES):  # greedy: a box survives unless a kept higher-ranked box overlaps it
            kept[:, r] = valid[:, r] & ~(kept[:, :r] & over[:, r, :r]).any(dim=1)
        rank = torch.arange(MAX_BOXES, device=dev)[None, :]
        first = torch.sort(torch.where(kept, rank, rank + MAX_BOXES), dim=1).indices  # kept ranks, in order
        return {"keep": torch.where(kept.gather(1, first), order.gather(1, first), -1)}

    def work(self, p: dict[str, Any]) -> dict[str, Any]:
        # the boxes and their IoU matrix once for every hook. The answer is the plain-Python greedy pass,
        # which keeps what solve's engine.ops.nms keeps (tests hold both to the closed form and a spec):
        # one variant's few boxes take microseconds as plain numbers, dozens of tiny tensor operations in torch
        q = _NmsParams.of(p)
        boxes, scores = nms_data(q.n, q.threshold, q.data_seed)
        labels = q.labels()
        iou_all = _iou_matrix(boxes)
        iou = _same_class(iou_all, labels)  # what suppresses: IoU within a class
        keep = nms_reference(boxes, scores, q.threshold, iou=iou)
        return {
            "keep": keep,
            "boxes": boxes,
            "scores": scores,
            "iou": iou,
            "iou_all": iou_all,
            "labels": labels,
        }

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _NmsParams.of(p)
        thr = q.threshold
        boxes, scores, labels = w["boxes"], w["scores"], w["labels"]
        two = q.classes == 2
        head = "| 下标 | 类别 " if two else "| 下标 "
        table = (
            head
            + "| $x_1$ | $y_1$ | $x_2$ | $y_2$ | score |\n|---|"
            + ("---|" if two else "")
            + "---|---|---|---|---|\n"
            + "\n".join(
                f"| {i} "
                + (f"| {_CLASS_NAMES[labels[i]]} " if two else "")
                + f"| {fmt(b[0])} | {fmt(b[1])} | {fmt(b[2])} | {fmt(b[3])} | {fmt(s)} |"
                for i, (b, s) in enumerate(zip(boxes, scores, strict=False))
            )
        )
        if not two:
            return (
                f"同一类别的 {q.n} 个检测框（xyxy 坐标，连续坐标不加 1）及其得分如下：\n\n{table}\n\n"
                f"用 IoU 阈值 {fmt(thr)} 做贪心 NMS：按得分从高到低处理（得分相同时下标小的先处理），"
                f"与已保留的框 IoU **严格大于** {fmt(thr)} 的框被抑制。\n\n"
                "按保留的先后顺序（即得分从高到低）写出保留框的下标。"
            )
        return (
            f"两个类别的 {q.n} 个检测框（xyxy 坐标，连续坐标不加 1）及其得分如下：\n\n{table}\n\n"
            f"用 IoU 阈值 {fmt(thr)} **按类别分别**做贪心 NMS（即 `torchvision.ops.batched_nms`：不同类别的框"
            "互不抑制）：按得分从高到低处理（得分相同时下标小的先处理），"
            f"与已保留的**同类**框 IoU **严格大于** {fmt(thr)} 的框被抑制。\n\n"
            "按保留的先后顺序（即得分从高到低，两类合在一起）写出保留框的下标。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        keep = w["keep"]
        return (Part("keep", "保留框的下标（按得分从高到低）", "list", keep),)

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _NmsParams.of(p)
        thr = q.threshold
        boxes, scores, iou, keep, labels = w["boxes"], w["scores"], w["iou"], w["keep"], w["labels"]
        order = sorted(range(len(boxes)), key=lambda i: (-scores[i], i))
        lines = []
        kept: list[int] = []
        for i in order:
            hits = [(j, iou[i][j]) for j in kept if labels[j] == labels[i]]  # only its own class
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
        return (
            "处理顺序："
            + ", ".join(str(i) for i in order)
            + "。\n\n"
            + "\n".join(lines)
            + "\n\n保留（按得分从高到低）："
            + ", ".join(str(i) for i in keep)
            + "。"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _NmsParams.of(p)
        thr = q.threshold
        boxes, scores, iou, keep = w["boxes"], w["scores"], w["iou"], w["keep"]
        return [
            Mistake(
                "nms.across-classes",
                "不同类别的框也互相抑制了（题目要求按类别分别做 NMS）",
                {"keep": nms_reference(boxes, scores, thr, iou=w["iou_all"])},
            ),
            Mistake(
                "nms.suppress-on-equal",
                "IoU 恰好等于阈值时也抑制了（应当严格大于才抑制）",
                {"keep": nms_reference(boxes, scores, thr, suppress_equal=True, iou=iou)},
            ),
            Mistake(
                "nms.suppressed-still-suppress",
                "已被抑制的框仍去抑制别的框（应只与已保留的框比较）",
                {"keep": nms_reference(boxes, scores, thr, greedy=False, iou=iou)},
            ),
            Mistake(
                "nms.no-score-sort",
                "没有按得分排序，按下标顺序做了 NMS",
                {"keep": nms_reference(boxes, scores, thr, sort=False, iou=iou)},
            ),
            Mistake("nms.index-order", "保留的框按下标而不是按得分排列", {"keep": sorted(keep)}),
        ]


# -- YOLO target -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _YoloTargetParams(TypedParams):
    """YoloTarget's parameters, typed."""

    width: int
    height: int
    S: int
    B: int
    C: int
    x1: int
    y1: int
    bw: int
    bh: int


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
        q = _YoloTargetParams.of(p)
        if q.x1 + q.bw > q.width or q.y1 + q.bh > q.height:
            return "the box leaves the image"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        dev = c["width"].device
        W = torch.tensor(self.schema["width"].choices, dtype=torch.float64, device=dev)[c["width"]]
        H = torch.tensor(self.schema["height"].choices, dtype=torch.float64, device=dev)[c["height"]]
        return (c["x1"] + c["bw"] <= W) & (c["y1"] + c["bh"] <= H)

    def _inside(
        self, extent: str, start: str, length: str, n: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(extent index, start, length)`` uniform over the triples with ``start + length <= extent``:
        an (extent, length) pair with probability proportional to its number of valid starts, then a
        start uniform among them."""
        ext = torch.tensor(self.schema[extent].choices, dtype=torch.float64)
        lo, hi = int(self.schema[length].low), int(self.schema[length].high)
        top = float(self.schema[start].high)
        lengths = torch.arange(lo, hi + 1, dtype=torch.float64)
        starts = (torch.minimum(ext[:, None] - lengths[None, :], torch.tensor(top)) + 1).clamp(min=0)
        pick = torch.multinomial(starts.flatten(), n, replacement=True, generator=generator)
        e, b = pick // len(lengths), lengths[pick % len(lengths)]
        count = starts.flatten()[pick]
        x = torch.floor(torch.rand(n, generator=generator, dtype=torch.float64) * count).clamp(max=count - 1)
        return e, x, b

    def sample_columns(
        self, n: int, *, generator: torch.Generator, device: torch.device | None = None
    ) -> dict[str, torch.Tensor]:
        """The distribution of :meth:`sample` conditioned on the box lying inside the image, drawn directly
        instead of by rejection (which keeps about a quarter of the draws)."""
        cols: dict[str, torch.Tensor] = {}
        cols["width"], cols["x1"], cols["bw"] = self._inside("width", "x1", "bw", n, generator)
        cols["height"], cols["y1"], cols["bh"] = self._inside("height", "y1", "bh", n, generator)
        for name in ("S", "B", "C"):
            cols[name] = torch.randint(0, len(self.schema[name].choices), (n,), generator=generator)
        device = device or get_device()
        return {k: cols[k].to(device) for k in self.schema}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _YoloTargetParams.of(p)
        from fractions import Fraction

        W, H, S = q.width, q.height, q.S
        cx = Fraction(2 * q.x1 + q.bw, 2)
        cy = Fraction(2 * q.y1 + q.bh, 2)
        cell_w, cell_h = Fraction(W, S), Fraction(H, S)
        col = next(j for j in range(S) if j * cell_w <= cx < (j + 1) * cell_w)
        row = next(i for i in range(S) if i * cell_h <= cy < (i + 1) * cell_h)
        return {
            "row": row,
            "col": col,
            "x": float(cx / cell_w - col),
            "y": float(cy / cell_h - row),
            "w": float(Fraction(q.bw, W)),
            "h": float(Fraction(q.bh, H)),
            "size": S * S * (q.B * 5 + q.C),
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

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _YoloTargetParams.of(p)
        W, H, S, B, C = q.width, q.height, q.S, q.B, q.C
        x1, y1, bw, bh = q.x1, q.y1, q.bw, q.bh
        return (
            f"YOLOv1 风格的检测头：输入图像 ${W}\\times{H}$（宽×高），划分为 ${S}\\times{S}$ 的网格，"
            f"每个网格预测 $B={B}$ 个框（每个框 5 个值：$x, y, w, h$, confidence）和 $C={C}$ 个类别概率。\n\n"
            f"一个真实框的左上角在像素 $({x1}, {y1})$，宽 {bw} 像素、高 {bh} 像素。\n\n"
            "1. 由哪个网格负责预测它？给出行号 row 和列号 col（从 0 开始，row 沿高度方向）。\n"
            "2. 该网格的目标 $x, y$（中心相对于该网格左上角的偏移，以网格边长为单位）和 $w, h$（除以整张图的宽、高）。\n"
            "3. 整个输出张量有多少个数（$S\\times S\\times(B\\cdot5+C)$）？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        return (
            Part("row", "负责网格的行号 row", "int", w["row"]),
            Part("col", "负责网格的列号 col", "int", w["col"]),
            Part("x", "$x$", "real", w["x"]),
            Part("y", "$y$", "real", w["y"]),
            Part("w", "$w$", "real", w["w"]),
            Part("h", "$h$", "real", w["h"]),
            Part("size", "输出张量的元素个数", "int", w["size"]),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _YoloTargetParams.of(p)
        W, H, S, B, C = q.width, q.height, q.S, q.B, q.C
        x1, y1, bw, bh = q.x1, q.y1, q.bw, q.bh
        cx, cy = x1 + bw / 2, y1 + bh / 2
        return (
            f"中心 $({fmt(cx)}, {fmt(cy)})$；网格边长 ${fmt(W / S)}\\times{fmt(H / S)}$ 像素。\n\n"
            f"$$\\text{{col}}=\\left\\lfloor\\frac{{{fmt(cx)}\\times{S}}}{{{W}}}\\right\\rfloor={w['col']},\\quad "
            f"\\text{{row}}=\\left\\lfloor\\frac{{{fmt(cy)}\\times{S}}}{{{H}}}\\right\\rfloor={w['row']}$$\n\n"
            f"$$x=\\frac{{{fmt(cx)}\\times{S}}}{{{W}}}-{w['col']}={fmt(w['x'], 4)},\\quad "
            f"y=\\frac{{{fmt(cy)}\\times{S}}}{{{H}}}-{w['row']}={fmt(w['y'], 4)}$$\n\n"
            f"$$w=\\frac{{{bw}}}{{{W}}}={fmt(w['w'], 4)},\\quad h=\\frac{{{bh}}}{{{H}}}={fmt(w['h'], 4)}$$\n\n"
            f"$$S\\times S\\times(B\\cdot5+C)={S}\\times{S}\\times({B}\\times5+{C})={w['size']}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _YoloTargetParams.of(p)
        W, H, S, B, C = q.width, q.height, q.S, q.B, q.C
        x1, y1, bw, bh = q.x1, q.y1, q.bw, q.bh
        cx, cy = x1 + bw / 2, y1 + bh / 2
        return [
            Mistake(
                "yolo.row-col-swapped",
                "行列弄反了（row 沿高度 y，col 沿宽度 x）",
                {"row": w["col"], "col": w["row"]},
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


# -- YOLO confidence ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _YoloConfidenceParams(TypedParams):
    """YoloConfidence's parameters, typed."""

    p_obj: float
    iou: float
    p_cls: float


@register
class YoloConfidence(Family):
    """YOLOv1's box confidence and class-specific confidence (one idea; the TaskAligned metric of TOOD /
    YOLOv8 is its own family, :class:`TaskAlignedMetric`)."""

    id = "yolo_confidence"
    title = "YOLO 的框置信度与类别置信度"
    topics = ("001-1631",)
    version = 2  # v1 also asked the TaskAligned metric
    schema = {
        "p_obj": Param("real", 0.5, 1.0, decimals=2),
        "iou": Param("real", 0.3, 0.95, decimals=2),
        "p_cls": Param("real", 0.2, 0.99, decimals=2),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _YoloConfidenceParams.of(p)
        box = q.p_obj * q.iou
        return {"box_conf": box, "class_conf": box * q.p_cls}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"box_conf": c["p_obj"] * c["iou"], "class_conf": c["p_obj"] * c["iou"] * c["p_cls"]}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _YoloConfidenceParams.of(p)
        return (
            f"YOLOv1 中某个预测框的 $\\Pr(\\text{{Object}})={fmt(q.p_obj)}$，它与真实框的 "
            f"$\\mathrm{{IoU}}^{{truth}}_{{pred}}={fmt(q.iou)}$，所在网格对某类别的条件概率 "
            f"$\\Pr(\\text{{Class}}_i\\mid\\text{{Object}})={fmt(q.p_cls)}$。\n\n"
            "1. 该框的 confidence（$\\Pr(\\text{Object})\\cdot\\mathrm{IoU}$）是多少？\n"
            "2. 测试时该类别的 class-specific confidence 是多少？"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        return (
            Part("box_conf", "框的 confidence", "real", w["box_conf"], ratio=True),
            Part("class_conf", "class-specific confidence", "real", w["class_conf"], ratio=True),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _YoloConfidenceParams.of(p)
        po, u, s = q.p_obj, q.iou, q.p_cls
        return (
            f"$$\\text{{conf}}=\\Pr(\\text{{Object}})\\cdot\\mathrm{{IoU}}={fmt(po)}\\times{fmt(u)}={fmt(w['box_conf'])}$$\n\n"
            f"$$\\Pr(\\text{{Class}}_i\\mid\\text{{Object}})\\cdot\\Pr(\\text{{Object}})\\cdot\\mathrm{{IoU}}"
            f"={fmt(s)}\\times{fmt(po)}\\times{fmt(u)}={fmt(w['class_conf'])}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _YoloConfidenceParams.of(p)
        po, s = q.p_obj, q.p_cls
        return [
            Mistake(
                "yolo.conf-without-iou",
                "类别置信度漏乘了 IoU（只用 Pr(Object)·Pr(Class|Object)）",
                {"class_conf": po * s},
            ),
            Mistake(
                "yolo.box-conf-is-objectness", "框的 confidence 只写了 Pr(Object)，漏乘 IoU", {"box_conf": po}
            ),
        ]


# -- TaskAligned metric (TOOD, YOLOv8) -------------------------------------------------------------


@dataclass(frozen=True)
class _TaskAlignedParams(TypedParams):
    """TaskAlignedMetric's parameters, typed."""

    score: float
    iou: float
    alpha: float
    beta: float


@register
class TaskAlignedMetric(Family):
    """The alignment metric t = s^α·u^β with which TOOD's and YOLOv8's TaskAlignedAssigner ranks anchors."""

    id = "task_aligned_metric"
    title = "TaskAligned 对齐指标 t = s^α·u^β"
    topics = ("001-1761",)
    schema = {
        "score": Param("real", 0.2, 0.99, decimals=2),
        "iou": Param("real", 0.3, 0.95, decimals=2),
        "alpha": Param("choice", choices=(1.0, 0.5)),
        "beta": Param("choice", choices=(6.0, 4.0)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _TaskAlignedParams.of(p)
        return {"align": q.score**q.alpha * q.iou**q.beta}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        def ch(name: str) -> torch.Tensor:
            table = torch.tensor(self.schema[name].choices, dtype=torch.float64, device=c[name].device)
            return table[c[name]]

        return {"align": torch.exp(ch("alpha") * torch.log(c["score"]) + ch("beta") * torch.log(c["iou"]))}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _TaskAlignedParams.of(p)
        return (
            "TOOD / YOLOv8 的 TaskAlignedAssigner 用 $t=s^{\\alpha}\\cdot u^{\\beta}$ 衡量一个预测的分类与定位是否对齐"
            f"（$\\alpha={fmt(q.alpha)}$，$\\beta={fmt(q.beta)}$）。某预测在 GT 类别上的分类得分 $s={fmt(q.score)}$，"
            f"预测框与 GT 的 IoU $u={fmt(q.iou)}$。求 $t$。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        return (Part("align", "TaskAligned 指标 $t$", "real", w["align"]),)

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _TaskAlignedParams.of(p)
        return (
            f"$$t=s^{{\\alpha}}u^{{\\beta}}={fmt(q.score)}^{{{fmt(q.alpha)}}}\\times{fmt(q.iou)}^{{{fmt(q.beta)}}}"
            f"={fmt(w['align'], 5)}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _TaskAlignedParams.of(p)
        s, u, al, be = q.score, q.iou, q.alpha, q.beta
        return [
            Mistake("tal.alpha-beta-swapped", "α 与 β 用反了（t = s^β·u^α）", {"align": s**be * u**al}),
            Mistake("tal.no-exponents", "忘了指数（t = s·u）", {"align": s * u}),
        ]
