"""Vectorised detection primitives on tensors (any device): the IoU matrix and greedy NMS.

Both follow torchvision.ops semantics (xyxy boxes, no +1 pixel, suppression when IoU > threshold,
ties in score kept in index order) so ``bench/engine.py`` can compare them with torchvision on a GPU.
"""

from __future__ import annotations

import torch

__all__ = ["box_inter_union", "box_iou", "nms"]


def box_inter_union(
    a: torch.Tensor, b: torch.Tensor, *, plus_one: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Intersection and union areas of xyxy boxes ``a`` (..., 4) and ``b`` (..., 4), broadcast together.

    ``plus_one=1`` is the old pixel-inclusive convention (width = x2 - x1 + 1), for the mistake that
    uses it; torchvision's convention is 0.

    Example:
        >>> box_inter_union(torch.tensor([0., 0., 4., 4.]), torch.tensor([2., 2., 6., 6.]))
        (tensor(4.), tensor(28.))
    """
    area_a = (a[..., 2] - a[..., 0] + plus_one).clamp(min=0) * (a[..., 3] - a[..., 1] + plus_one).clamp(min=0)
    area_b = (b[..., 2] - b[..., 0] + plus_one).clamp(min=0) * (b[..., 3] - b[..., 1] + plus_one).clamp(min=0)
    lt = torch.maximum(a[..., :2], b[..., :2])
    rb = torch.minimum(a[..., 2:], b[..., 2:])
    wh = (rb - lt + plus_one).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area_a + area_b - inter


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of every box in ``a`` (N, 4) with every box in ``b`` (M, 4), xyxy: an (N, M) matrix.

    Example:
        >>> box_iou(torch.tensor([[0., 0., 2., 2.]]), torch.tensor([[1., 1., 3., 3.], [0., 0., 2., 2.]]))
        tensor([[0.1429, 1.0000]])
    """
    inter, union = box_inter_union(a[:, None, :], b[None, :, :])
    return torch.where(
        union > 0, inter / union.clamp(min=torch.finfo(inter.dtype).tiny), torch.zeros_like(inter)
    )


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy NMS: indices of the kept boxes in decreasing score order (stable for equal scores).

    A box is suppressed by a kept, higher-ranked box when their IoU is strictly greater than the threshold.

    Example:
        >>> b = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.], [20., 20., 30., 30.]])
        >>> nms(b, torch.tensor([0.9, 0.8, 0.7]), 0.5).tolist()
        [0, 2]
    """
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.int64, device=boxes.device)
    order = torch.sort(scores, descending=True, stable=True).indices
    over = (box_iou(boxes[order], boxes[order]) > iou_threshold).cpu()  # the greedy pass is sequential
    removed = torch.zeros(order.numel(), dtype=torch.bool)
    keep_rank = []
    for i in range(order.numel()):
        if not removed[i]:
            keep_rank.append(i)
            removed |= over[i]
    return order[torch.tensor(keep_rank, dtype=torch.int64, device=boxes.device)]
