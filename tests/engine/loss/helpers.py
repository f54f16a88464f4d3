"""Plain-Python specs the loss tests compare against."""

from __future__ import annotations

import math


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def log_softmax(z: list[float]) -> list[float]:
    m = max(z)
    lse = m + math.log(sum(math.exp(v - m) for v in z))
    return [v - lse for v in z]
