"""The demonstration template: registry, schema, validation before any work, seeds, progress, JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine import InvalidParams
from engine.demos import Demo, InvalidDemoParams, all_demos, get_demo
from tests.engine.demos.conftest import SMALL

EIGHT = {
    "optimizer_paths",
    "init_activations",
    "gradient_flow",
    "batchnorm",
    "overfitting",
    "learning_rate",
    "nms_steps",
    "receptive_field",
}
IDS = sorted(EIGHT)


def test_the_eight_demonstrations_are_registered():
    assert {d.id for d in all_demos()} == EIGHT
    assert set(SMALL) == EIGHT


def test_unknown_demonstration_is_a_key_error_naming_the_known_ones():
    with pytest.raises(KeyError, match="optimizer_paths"):
        get_demo("nope")


def test_every_topic_exists_in_the_outline(outline):
    for demo in all_demos():
        assert demo.topics, demo.id
        missing = [t for t in demo.topics if t not in outline]
        assert not missing, f"{demo.id}: {missing}"


def test_description_is_json_with_defaults_inside_their_bounds():
    for demo in all_demos():
        desc = json.loads(json.dumps(demo.to_dict(), allow_nan=False))
        assert desc["id"] == demo.id and desc["version"] >= 1 and desc["title"]
        # the English interface shows title_en; the list shows the Chinese summary
        assert desc["title_en"].isascii() and len(desc["title_en"]) > 10, demo.id
        assert any("\u4e00" <= ch <= "\u9fff" for ch in desc["summary"]), demo.id
        for name, entry in desc["schema"].items():
            if entry["kind"] == "choice":
                assert entry["default"] in entry["choices"], (demo.id, name)
            else:
                assert entry["low"] <= entry["default"] <= entry["high"], (demo.id, name)
        assert demo.canonical({}) == demo.defaults()


def test_canonical_fills_defaults_and_normalises_numbers():
    demo = get_demo("optimizer_paths")
    assert demo.canonical({"lr_scale": 2}) == {"function": "ellipse", "steps": 50, "lr_scale": 2.0}
    assert isinstance(demo.canonical({"lr_scale": 2})["lr_scale"], float)
    assert demo.canonical({"steps": 12.0})["steps"] == 12
    assert isinstance(demo.canonical({"steps": 12.0})["steps"], int)
    assert demo.canonical({}) == demo.canonical(demo.defaults())


class _Spy:
    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, pct: int) -> None:
        self.calls.append(pct)


@pytest.mark.parametrize(
    ("demo_id", "params", "seed", "message"),
    [
        ("optimizer_paths", {"speed": 3}, 0, r"unknown parameter\(s\) \['speed'\]"),
        ("optimizer_paths", {"steps": 1000}, 0, r"steps must lie in \[5, 300\]"),
        ("optimizer_paths", {"steps": 7.5}, 0, "steps must be an integer"),
        ("optimizer_paths", {"steps": "10"}, 0, "steps must be a number"),
        ("optimizer_paths", {"steps": True}, 0, "steps must be a number"),
        ("optimizer_paths", {"function": "himmelblau"}, 0, "function must be one of"),
        ("nms_steps", {"iou_threshold": 1.5}, 0, r"iou_threshold must lie in"),
        ("init_activations", {"width": 64}, 0, r"width must be one of \[50, 100, 200\]"),
        ("receptive_field", {"layers": 10, "kernel": 7, "stride": 2}, 0, "receptive field of this stack"),
        ("optimizer_paths", {}, -1, "seed must be an integer"),
        ("optimizer_paths", {}, 2**31, "seed must be an integer"),
        ("optimizer_paths", {}, 1.0, "seed must be an integer"),
        ("optimizer_paths", {}, True, "seed must be an integer"),
    ],
)
def test_bad_parameters_are_refused_before_any_work(monkeypatch, demo_id, params, seed, message):
    demo = get_demo(demo_id)
    started: list[bool] = []

    def compute(self, p, *, device, report):
        started.append(True)
        raise AssertionError("compute must not run")

    monkeypatch.setattr(type(demo), "compute", compute)
    spy = _Spy()
    with pytest.raises(InvalidDemoParams, match=message):
        demo.run(params, seed=seed, progress=spy)
    assert not started and not spy.calls


def test_invalid_demo_params_is_an_engine_invalid_params():
    with pytest.raises(InvalidParams):
        get_demo("nms_steps").canonical({"boxes": 2})


def test_a_default_outside_its_range_is_refused_at_class_definition():
    from engine import Param
    from engine.demos import Setting

    with pytest.raises(InvalidParams):

        class Broken(Demo):  # defining it is the test
            id = "broken"
            schema = {"n": Setting(Param("int", 1, 3), 5, "n")}


@pytest.mark.parametrize("demo_id", IDS)
def test_run_is_deterministic_reports_progress_and_is_json(demo_id):
    demo = get_demo(demo_id)
    spy = _Spy()
    first = demo.run(SMALL[demo_id], seed=11, progress=spy)
    again = demo.run(SMALL[demo_id], seed=11)
    payload = first.to_dict()
    assert payload == again.to_dict()
    text = json.dumps(payload, allow_nan=False, ensure_ascii=False)
    assert json.loads(text) == payload
    # progress: several increasing integers, the last one 100
    assert len(spy.calls) >= 3, spy.calls
    assert spy.calls == sorted(set(spy.calls)) and spy.calls[-1] == 100
    assert all(isinstance(c, int) and 0 <= c <= 100 for c in spy.calls)
    # identity of the run, canonical parameters, a graded prediction
    assert payload["demo"] == demo_id and payload["seed"] == 11 and payload["version"] == demo.version
    assert payload["params"] == demo.canonical(SMALL[demo_id]) and payload["device"] == "cpu"
    pred = payload["prediction"]
    assert pred["question"] == demo.question(first.params).text
    assert 0 <= pred["answer"] < len(pred["choices"]) and pred["why"]
    assert first.is_right(pred["answer"]) and first.is_right(pred["choices"][pred["answer"]])
    wrong = (pred["answer"] + 1) % len(pred["choices"])
    assert not first.is_right(wrong) and not first.is_right(pred["choices"][wrong])
    assert payload["figures"] and payload["explanation"]


@pytest.mark.parametrize("demo_id", sorted(EIGHT - {"optimizer_paths"}))
def test_another_seed_gives_another_run_and_the_explanation_quotes_it(demo_id):
    """Every demonstration but the optimizer paths (a fixed function from a fixed start) draws random data
    or weights: another seed changes the numbers, and the explanation quotes the numbers of its run."""
    demo = get_demo(demo_id)
    a, b = demo.run(SMALL[demo_id], seed=1), demo.run(SMALL[demo_id], seed=2)
    assert a.to_dict()["series"] != b.to_dict()["series"]
    assert a.explanation != b.explanation


def test_run_leaves_the_global_torch_rng_alone():
    import torch

    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    get_demo("nms_steps").run(SMALL["nms_steps"], seed=9)
    assert torch.equal(torch.rand(3), expected)


def test_engine_demos_import_without_django():
    code = (
        "import sys, engine.demos as d; d.get_demo('nms_steps').run({'boxes': 5}, seed=1);"
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.') or m.startswith('dlquiz')];"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_warm_up_imports_what_the_first_optimizer_needs():
    code = "import sys, engine.demos as d; d.warm_up(); sys.exit(0 if 'torch._dynamo' in sys.modules else 1)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
