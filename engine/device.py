"""Where the engine runs its tensors: CUDA when present, CPU otherwise, ``ENGINE_DEVICE`` to force one."""

from __future__ import annotations

import os
from functools import lru_cache

import torch

__all__ = ["get_device"]


@lru_cache(maxsize=1)
def get_device() -> torch.device:
    """The engine's device.

    ``ENGINE_DEVICE=cpu`` or ``ENGINE_DEVICE=cuda`` forces one; asking for CUDA on a machine without it
    is an error rather than a silent fallback.

    Example:
        >>> get_device().type in ("cpu", "cuda")
        True
    """
    forced = os.environ.get("ENGINE_DEVICE", "").strip().lower()
    if forced:
        device = torch.device(forced)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("ENGINE_DEVICE asks for CUDA but torch.cuda.is_available() is False")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
