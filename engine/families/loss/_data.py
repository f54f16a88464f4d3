"""Helpers the loss families share (no family is registered here): the float64 tensors they compute
on, predictions/targets drawn from a ``data_seed``, and the column form of the probability draws."""

from __future__ import annotations

import math
from enum import StrEnum

import torch

from engine.families._support import draw_grid, draw_int

__all__ = ["F64", "LN10", "LN2", "Given", "cuts_cols", "pairs", "pairs_cols", "tensor"]

F64 = torch.float64


class Given(StrEnum):
    """What a classifier's output is given as (the ``given`` parameter stores the value)."""

    LOGITS = "logits"
    PROBS = "probs"


LN2, LN10 = math.log(2), math.log(10)


def tensor(values: list[float]) -> torch.Tensor:
    return torch.tensor(values, dtype=F64)


def pairs(seed: int, n: int, salt: int, lo: int = -20, hi: int = 30) -> tuple[list[float], list[float]]:
    """Predictions and targets: ``n`` values each on a 0.1 grid in [lo/10, hi/10]."""
    pred = [draw_grid(seed, j, salt, lo, hi, 10) for j in range(n)]
    target = [draw_grid(seed, j, salt + 1, lo, hi, 10) for j in range(n)]
    return pred, target


def pairs_cols(
    c: dict[str, torch.Tensor], nmax: int, salt: int, lo: int = -20, hi: int = 30
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Column form of :func:`pairs`: ``(pred, target, mask)``, each ``(B, nmax)``."""
    seed = c["data_seed"].to(torch.int64)
    j = torch.arange(nmax, device=seed.device)[None, :]
    pred = draw_grid(seed[:, None], j, salt, lo, hi, 10)
    target = draw_grid(seed[:, None], j, salt + 1, lo, hi, 10)
    return pred, target, (j < c["n"][:, None]).to(F64)


def cuts_cols(seed: torch.Tensor, salt: int, k: torch.Tensor, kmax: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The cut points :func:`simplex_units` draws, per row: ``(sorted cuts, padded with 20; distinct)``,
    where ``distinct`` is False exactly where :func:`simplex_units` gives ``None``."""
    j = torch.arange(kmax - 1, device=seed.device)
    cuts = draw_int(seed[:, None], j[None, :], salt, 1, 19)
    valid = j[None, :] < (k[:, None] - 1)
    pair = valid[:, :, None] & valid[:, None, :] & (j[:, None] < j[None, :])
    clash = (pair & (cuts[:, :, None] == cuts[:, None, :])).flatten(1).any(1)
    padded = torch.where(valid, cuts, torch.full_like(cuts, 20)).sort(dim=1).values
    return padded, ~clash
