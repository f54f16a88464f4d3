"""Vectorised detection primitives on tensors (any device): the IoU matrix and greedy NMS.

Both follow torchvision.ops semantics (xyxy boxes, no +1 pixel, suppression when IoU > threshold,
ties in score kept in index order) so ``bench/engine.py`` can compare them with torchvision on a GPU.
"""

from __future__ import annotations

import torch

__all__ = ["box_iou", "nms"]


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of every box in ``a`` (N, 4) with every box in ``b`` (M, 4), xyxy: an (N, M) matrix.

    Example:
        >>> box_iou(torch.tensor([[0., 0., 2., 2.]]), torch.tensor([[1., 1., 3., 3.], [0., 0., 2., 2.]]))
        tensor([[0.1429, 1.0000]])
    """
    area_a = (a[:, 2] - a[:, 0]).clamp(min=0) * (a[:, 3] - a[:, 1]).clamp(min=0)
    area_b = (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area_a[:, None] + area_b[None, :] - inter
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
