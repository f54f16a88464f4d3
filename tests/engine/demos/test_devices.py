"""Every demonstration runs on the asked device (``pytest -m gpu`` on a GPU machine for CUDA)."""

from __future__ import annotations

import json

import pytest
import torch

from engine.demos import get_demo
from tests.engine.demos.conftest import SMALL

CUDA = pytest.param(
    "cuda",
    marks=[
        pytest.mark.gpu,
        pytest.mark.skipif(
            not torch.cuda.is_available(), reason="needs CUDA: run `pytest -m gpu` on a GPU machine"
        ),
    ],
)


@pytest.mark.parametrize("device", ["cpu", CUDA])
@pytest.mark.parametrize("demo_id", sorted(SMALL))
def test_runs_on_the_device_with_the_same_shape_of_result(demo_id, device):
    demo = get_demo(demo_id)
    calls: list[int] = []
    result = demo.run(SMALL[demo_id], seed=3, progress=calls.append, device=device)
    assert result.device.startswith(device) and calls[-1] == 100
    reference = demo.run(SMALL[demo_id], seed=3).to_dict()
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert payload["series"].keys() == reference["series"].keys()
    assert [f["key"] for f in payload["figures"]] == [f["key"] for f in reference["figures"]]


@pytest.mark.parametrize("device", ["cpu", CUDA])
def test_exact_demonstrations_agree_with_the_cpu(device):
    """Random data is drawn on the CPU, so the device changes only the arithmetic: NMS keeps the same
    boxes, the float64 optimizer paths agree to rounding, the gradient support has the analytic size."""
    nms = get_demo("nms_steps")
    assert (
        nms.run(SMALL["nms_steps"], seed=4, device=device).series["kept"]
        == (nms.run(SMALL["nms_steps"], seed=4).series["kept"])
    )
    opt = get_demo("optimizer_paths")
    on_device = opt.run(SMALL["optimizer_paths"], seed=4, device=device).series["paths"]
    on_cpu = opt.run(SMALL["optimizer_paths"], seed=4).series["paths"]
    for name, path in on_cpu.items():
        for coord in ("x", "y", "loss"):
            assert on_device[name][coord] == pytest.approx(path[coord], rel=1e-5, abs=1e-9), name
    rf = get_demo("receptive_field").run(SMALL["receptive_field"], seed=4, device=device)
    assert {f.key: f.value for f in rf.figures}["support"] == 7


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_asking_for_cuda_without_it_fails_before_any_work():
    calls: list[int] = []
    with pytest.raises(RuntimeError, match="CUDA"):
        get_demo("nms_steps").run(SMALL["nms_steps"], seed=0, progress=calls.append, device="cuda")
    assert not calls
