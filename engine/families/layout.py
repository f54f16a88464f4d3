"""Memory layout of a 4-D tensor: element offsets and strides in NCHW / NHWC / CHWN."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch

from engine.device import get_device
from engine.family import Family, TypedParams, register
from engine.values import Mistake, Param, Part

__all__ = ["TensorLayoutOffset"]

LAYOUTS = ("NCHW", "NHWC", "CHWN")
DIMS = "NCHW"


def _strides(sizes: dict[str, int], layout: str, *, own: bool = False, reverse: bool = False) -> list[int]:
    """Strides in logical N, C, H, W order for a dense layout (the textbook rule, or a mistaken one:
    ``own`` multiplies a dimension's own size in, ``reverse`` makes the first dimension fastest)."""
    order = layout[::-1] if reverse else layout
    out = {}
    for i, d in enumerate(order):
        rest = order[i:] if own else order[i + 1 :]
        out[d] = math.prod(sizes[x] for x in rest)
    return [out[d] for d in DIMS]


def _offset(index: dict[str, int], strides: list[int]) -> int:
    return sum(index[d] * s for d, s in zip(DIMS, strides, strict=True))


@dataclass(frozen=True)
class _TensorLayoutOffsetParams(TypedParams):
    """TensorLayoutOffset's parameters, typed."""

    N: int
    C: int
    H: int
    W: int
    n: int
    c: int
    h: int
    w: int
    layout: Literal["NCHW", "NHWC", "CHWN"]


@register
class TensorLayoutOffset(Family):
    id = "tensor_layout_offset"
    title = "张量内存布局：偏移与 stride"
    topics = ("001-0716", "001-0727", "001-0739", "001-0745", "001-0751")
    schema = {
        "N": Param("int", 1, 4),
        "C": Param("int", 1, 32),
        "H": Param("int", 1, 16),
        "W": Param("int", 1, 16),
        "n": Param("int", 0, 3),
        "c": Param("int", 0, 31),
        "h": Param("int", 0, 15),
        "w": Param("int", 0, 15),
        "layout": Param("choice", choices=LAYOUTS),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        for d in DIMS:
            if p[d.lower()] >= p[d]:
                return f"index {d.lower()}={p[d.lower()]} is outside a dimension of size {p[d]}"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        return (c["n"] < c["N"]) & (c["c"] < c["C"]) & (c["h"] < c["H"]) & (c["w"] < c["W"])

    def sample_columns(
        self, n: int, *, generator: torch.Generator, device: torch.device | None = None
    ) -> dict[str, torch.Tensor]:
        """The distribution of :meth:`sample` conditioned on the constraint, drawn directly instead of by
        rejection (which keeps only about 9% of the draws): each (size, index) pair is uniform over the
        pairs with index < size, i.e. a size ``D`` with probability proportional to ``D``, then an
        index uniform in ``[0, D)``; the layout is uniform."""
        cols: dict[str, torch.Tensor] = {}
        for d in DIMS:
            size, index = self.schema[d], self.schema[d.lower()]
            assert size.low == 1 and index.low == 0 and index.high == size.high - 1  # i < D never binds above
            sizes = torch.arange(1, int(size.high) + 1, dtype=torch.float64)
            dim = torch.multinomial(sizes, n, replacement=True, generator=generator).to(torch.float64) + 1
            u = torch.rand(n, generator=generator, dtype=torch.float64)
            cols[d] = dim
            cols[d.lower()] = torch.floor(u * dim).clamp(max=dim - 1)
        cols["layout"] = torch.randint(0, len(LAYOUTS), (n,), generator=generator)
        device = device or get_device()
        return {k: cols[k].to(device) for k in self.schema}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        q = _TensorLayoutOffsetParams.of(p)
        layout = q.layout
        sizes = [p[d] for d in layout]
        # The memory, in storage order: element i of the buffer holds the value i.
        memory = torch.arange(math.prod(sizes)).reshape(sizes)
        # The same buffer seen with the logical N, C, H, W axes.
        logical = memory.permute(*[layout.index(d) for d in DIMS])
        offset = int(logical[q.n, q.c, q.h, q.w])
        # Its strides, as seen through N, C, H, W. (Not ``.contiguous()`` of a permuted NCHW tensor:
        # torch leaves a size-1 dimension's stride as it was, since it never moves through memory.)
        return {"offset": offset, "strides": list(logical.stride())}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        n, ch, h, w = c["N"], c["C"], c["H"], c["W"]
        nchw = torch.stack([ch * h * w, h * w, w, torch.ones_like(w)], dim=1)
        nhwc = torch.stack([h * w * ch, torch.ones_like(w), w * ch, ch], dim=1)
        chwn = torch.stack([torch.ones_like(w), h * w * n, w * n, n], dim=1)
        table = torch.stack([nchw, nhwc, chwn], dim=0)  # layout x batch x 4
        strides = table[c["layout"], torch.arange(len(n), device=n.device)]
        index = torch.stack([c["n"], c["c"], c["h"], c["w"]], dim=1)
        return {"offset": (strides * index).sum(dim=1), "strides": strides}

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _TensorLayoutOffsetParams.of(p)
        layout = q.layout
        extra = {
            "NCHW": "（PyTorch 默认的 contiguous）",
            "NHWC": "（即 PyTorch 的 `channels_last`）",
            "CHWN": "",
        }[layout]
        return (
            f"一个逻辑形状为 $(N,C,H,W)=({q.N},{q.C},{q.H},{q.W})$ 的张量，以 **{layout}** 布局"
            f"{extra}连续存放在内存中。下标都从 0 开始。\n\n"
            f"1. 元素 $[n,c,h,w]=[{q.n},{q.c},{q.h},{q.w}]$ 距离起始位置多少个元素（偏移）？\n"
            "2. 按 N, C, H, W 的顺序写出各维的 stride（以元素个数计）。"
        )

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        strides, offset = w["strides"], w["offset"]
        return (
            Part("offset", "偏移（元素个数）", "int", offset),
            Part("strides", "stride（按 N, C, H, W）", "list", strides),
        )

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        q = _TensorLayoutOffsetParams.of(p)
        layout = q.layout
        sizes = {d: p[d] for d in DIMS}
        index = {d: p[d.lower()] for d in DIMS}
        strides, offset = w["strides"], w["offset"]
        steps = []
        for i, d in enumerate(layout):
            rest = layout[i + 1 :]
            value = strides[DIMS.index(d)]
            prod = "\\times".join(str(sizes[x]) for x in rest)
            steps.append(f"s_{d}={prod}={value}" if len(rest) > 1 else f"s_{d}={value}")
        terms = "+".join(f"{index[d]}\\times{strides[DIMS.index(d)]}" for d in layout)
        return (
            f"{layout} 中越靠右的维变化越快，每一维的 stride 是它右边各维大小之积：\n\n"
            "$$" + ",\\quad ".join(steps) + "$$\n\n"
            f"$$\\text{{offset}}={terms}={offset}$$"
        )

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> list[Mistake]:
        q = _TensorLayoutOffsetParams.of(p)
        layout = q.layout
        sizes = {d: p[d] for d in DIMS}
        index = {d: p[d.lower()] for d in DIMS}
        as_nchw = _strides(sizes, "NCHW")
        column = _strides(sizes, layout, reverse=True)
        own = _strides(sizes, layout, own=True)
        return [
            Mistake(
                "layout.assumed-nchw",
                "按 NCHW 计算了（没有看布局）",
                {"offset": _offset(index, as_nchw), "strides": as_nchw},
            ),
            Mistake(
                "layout.column-major",
                "把最左边的维当成了变化最快的维（列主序）",
                {"offset": _offset(index, column), "strides": column},
            ),
            Mistake(
                "layout.stride-includes-own-size",
                "stride 把这一维自己的大小也乘进去了",
                {"offset": _offset(index, own), "strides": own},
            ),
        ]
