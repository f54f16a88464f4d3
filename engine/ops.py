"""Detection primitives: the intersection and union of boxes (tensors on any device, or one exercise's
boxes as plain numbers), the IoU matrix and greedy NMS.

Both follow torchvision.ops semantics (xyxy boxes, no +1 pixel, suppression when IoU > threshold,
ties in score kept in index order) so ``bench/engine.py`` can compare them with torchvision on a GPU.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, overload

import torch

__all__ = ["box_inter_union", "box_iou", "nms"]


Coords = Sequence[float] | torch.Tensor


@overload
def box_inter_union(
    a: torch.Tensor, b: torch.Tensor, *, plus_one: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]: ...
@overload
def box_inter_union(
    a: Sequence[float], b: Sequence[float], *, plus_one: float = 0.0
) -> tuple[float, float]: ...
def box_inter_union(a: Coords, b: Coords, *, plus_one: float = 0.0) -> tuple[Any, Any]:
    """Intersection and union areas of xyxy boxes ``a`` and ``b``: tensors ``(..., 4)`` broadcast together,
    or two boxes as four plain numbers each.

    Plain numbers take plain-Python arithmetic, the same operations in the same order: one exercise's
    handful of boxes costs microseconds instead of a few dozen tiny tensor operations.
    ``plus_one=1`` is the old pixel-inclusive convention (width = x2 - x1 + 1), for the mistake that
    uses it; torchvision's convention is 0.

    Example:
        >>> box_inter_union(torch.tensor([0., 0., 4., 4.]), torch.tensor([2., 2., 6., 6.]))
        (tensor(4.), tensor(28.))
        >>> box_inter_union((0.0, 0.0, 4.0, 4.0), (2.0, 2.0, 6.0, 6.0))
        (4.0, 28.0)
    """
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        ta, tb = torch.as_tensor(a), torch.as_tensor(b)
        cap = (
            *torch.maximum(ta[..., :2], tb[..., :2]).unbind(-1),
            *torch.minimum(ta[..., 2:], tb[..., 2:]).unbind(-1),
        )
        return _inter_union(ta.unbind(-1), tb.unbind(-1), cap, plus_one, _clamp_tensor)
    cap_f = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return _inter_union(a, b, cap_f, plus_one, _clamp_float)


def _clamp_tensor(x: torch.Tensor) -> torch.Tensor:
    return x.clamp(min=0)


def _clamp_float(x: float) -> float:
    return max(0.0, x)


def _inter_union(a: Any, b: Any, cap: Any, plus_one: float, pos: Callable[[Any], Any]) -> tuple[Any, Any]:
    """The arithmetic itself, on numbers or on tensors: ``cap`` is the intersection's corners."""
    area_a = pos(a[2] - a[0] + plus_one) * pos(a[3] - a[1] + plus_one)
    area_b = pos(b[2] - b[0] + plus_one) * pos(b[3] - b[1] + plus_one)
    inter = pos(cap[2] - cap[0] + plus_one) * pos(cap[3] - cap[1] + plus_one)
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
