"""Shared fixtures of the demonstration tests."""

from __future__ import annotations

import pytest
import torch

# Cheap parameters per demonstration for the tests that run every one of them (determinism, progress,
# JSON): the same code paths as the defaults, with fewer steps.
SMALL: dict[str, dict[str, object]] = {
    "optimizer_paths": {"steps": 10},
    "init_activations": {"depth": 5, "width": 50, "samples": 250},
    "gradient_flow": {"depth": 5, "width": 32, "batch": 64},
    "batchnorm": {"stat_steps": 10, "train_steps": 20},
    "overfitting": {"train_size": 40, "epochs": 50},
    "learning_rate": {"steps": 10, "schedule_steps": 20},
    "nms_steps": {"boxes": 8},
    "receptive_field": {"layers": 3, "samples": 8},
}


@pytest.fixture(autouse=True)
def _one_thread():
    """The demonstrations' tensors are tiny: one intra-op thread is faster, and immune to a busy CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
