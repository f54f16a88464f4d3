"""NMS step by step: random detections around a few objects, and greedy non-maximum suppression shown
one step at a time: the highest-scoring remaining box is kept, every remaining box whose IoU with it is
strictly greater than the threshold is suppressed.

The semantics are the engine's (:func:`engine.ops.nms`, the ``nms`` exercise family): xyxy boxes, no
+1 pixel, suppression when IoU > threshold, equal scores visited in index order. The run checks that its
steps keep exactly what :func:`engine.ops.nms` keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from engine import Param
from engine.demos.base import Demo, Figure, Output, Question, Setting, register, rounded
from engine.ops import box_iou, nms

__all__ = ["NmsSteps", "count_buckets", "detections"]

IMAGE = 100.0


def detections(n: int, objects: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n`` boxes (xyxy, one decimal, inside a 100×100 image) jittered around ``objects`` objects,
    their scores (two decimals, ties possible) and the object each one belongs to."""
    centre = 25 + 50 * torch.rand(objects, 2)
    size = 15 + 25 * torch.rand(objects, 2)
    owner = torch.randint(0, objects, (n,))
    owner[: min(n, objects)] = torch.arange(min(n, objects))  # every object gets a box
    c = centre[owner] + (torch.rand(n, 2) - 0.5) * 0.3 * size[owner]
    wh = size[owner] * (0.8 + 0.4 * torch.rand(n, 2))
    boxes = torch.cat([c - wh / 2, c + wh / 2], 1).clamp(0, IMAGE)
    boxes = torch.round(boxes * 10) / 10
    scores = torch.round((0.3 + 0.7 * torch.rand(n)) * 100) / 100
    perm = torch.randperm(n)
    return boxes[perm].double(), scores[perm].double(), owner[perm]


def count_buckets(n: int) -> tuple[tuple[int, int], ...]:
    """The answer ranges of the prediction question for ``n`` boxes.

    Example:
        >>> count_buckets(12)
        ((1, 3), (4, 6), (7, 12))
    """
    a, b = max(1, n // 4), max(2, n // 2)
    return ((1, a), (a + 1, b), (b + 1, n))


@register
class NmsSteps(Demo):
    id = "nms_steps"
    title = "非极大值抑制（NMS）逐步演示"
    title_en = "Non-maximum suppression (NMS) step by step"
    summary = "随机检测框上的贪心 NMS：每一步保留哪个框、按 IoU 阈值抑制哪些框。"
    topics = ("001-1657",)
    schema = {
        "boxes": Setting(Param("int", 4, 30), 12, "检测框数"),
        "objects": Setting(Param("int", 1, 6), 3, "物体数"),
        "iou_threshold": Setting(Param("real", 0.05, 0.95), 0.5, "IoU 阈值"),
    }

    def question(self, p: Mapping[str, Any]) -> Question:
        return Question(
            f"IoU 阈值 {p['iou_threshold']:g} 时，{p['boxes']} 个框经过 NMS 最终保留几个？",
            tuple(f"{lo}–{hi} 个" for lo, hi in count_buckets(p["boxes"])),
        )

    def compute(
        self, p: Mapping[str, Any], *, device: torch.device, report: Callable[[float], None]
    ) -> Output:
        thr = p["iou_threshold"]
        boxes, scores, owner = detections(p["boxes"], p["objects"])
        boxes, scores = boxes.to(device), scores.to(device)
        iou = box_iou(boxes, boxes).cpu()
        report(0.2)
        order = torch.sort(scores, descending=True, stable=True).indices.cpu().tolist()
        remaining = list(order)
        steps = []
        while remaining:
            keep, rest = remaining[0], remaining[1:]
            hit = [j for j in rest if float(iou[keep, j]) > thr]
            steps.append(
                {
                    "keep": keep,
                    "suppressed": hit,
                    "suppressed_iou": rounded([float(iou[keep, j]) for j in hit], 4),
                    "remaining": [j for j in rest if j not in hit],
                }
            )
            remaining = [j for j in rest if j not in hit]
        kept = [s["keep"] for s in steps]
        engine_kept = nms(boxes, scores, thr).cpu().tolist()
        if kept != engine_kept:  # one semantics for NMS: the steps must agree with engine.ops.nms
            raise RuntimeError(f"NMS steps keep {kept}, engine.ops.nms keeps {engine_kept}")
        report(0.9)
        buckets = count_buckets(p["boxes"])
        answer = next(i for i, (lo, hi) in enumerate(buckets) if lo <= len(kept) <= hi)
        first = steps[0]
        best_iou = max((v for s in steps for v in s["suppressed_iou"] if v is not None), default=0.0)
        near = sorted(
            {(round(float(iou[a, b]), 3)) for a in kept for b in kept if a < b and float(iou[a, b]) > 0}
        )
        explanation = (
            f"{p['boxes']} 个检测框、{p['objects']} 个物体，IoU 阈值 {thr:g}：按分数从高到低，第 1 步保留分数最高的"
            f"框 {first['keep']}（{float(scores[first['keep']]):.2f}），抑制了与它 IoU > {thr:g} 的 "
            f"{len(first['suppressed'])} 个框。共 {len(steps)} 步，保留 {len(kept)} 个框：{kept}。"
            f"被抑制的框与保留框的最大 IoU 为 {best_iou:.3g}。"
        )
        if near:
            explanation += f"保留下来的框之间仍有重叠（最大 IoU {near[-1]:.3g} ≤ 阈值），阈值越高保留越多。"
        else:
            explanation += "保留下来的框互不重叠。"
        figures = [
            Figure("kept", "保留的框数", len(kept)),
            Figure("suppressed", "被抑制的框数", p["boxes"] - len(kept)),
            Figure("steps", "步数", len(steps)),
        ]
        return Output(
            series={
                "image": [IMAGE, IMAGE],
                "boxes": [rounded(b, 5) for b in boxes.cpu()],
                "scores": rounded(scores, 3),
                "object": owner.tolist(),
                "steps": steps,
                "kept": kept,
            },
            figures=figures,
            explanation=explanation,
            answer=answer,
            why=f"NMS 共 {len(steps)} 步，保留 {len(kept)} 个框（{kept}）。",
        )
