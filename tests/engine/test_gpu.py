"""grade_batch accepts every reference answer, on the CPU and on CUDA (``pytest -m gpu`` on a GPU machine)."""

from __future__ import annotations

import pytest
import torch

from engine import all_families, get_family, grade_batch

DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=[
            pytest.mark.gpu,
            pytest.mark.skipif(
                not torch.cuda.is_available(), reason="needs CUDA: run `pytest -m gpu` on a GPU machine"
            ),
        ],
    ),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("family_id", [f.id for f in all_families()])
def test_grade_batch_on_device_matches_reference_answers(family_id, device):
    family = get_family(family_id)
    variants = [family.generate(s) for s in range(200)]
    from tests.engine.test_families_agree import _typed

    right = [{p.name: _typed(p, p.answer) for p in v.parts} for v in variants]
    results = grade_batch(family, [v.params for v in variants], right, device=torch.device(device))
    assert [r["score"] for r in results] == [1.0] * len(variants)
