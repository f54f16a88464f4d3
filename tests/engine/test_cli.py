"""``python -m engine``: JSON on stdout for every command, exit status 2 and a JSON error on bad input.

The main paths run the real command in a subprocess; the long matrix of bad inputs calls the same
``main()`` in-process (each subprocess pays ~2 s importing torch).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.__main__ import main
from engine.parsing import MAX_INPUT_CHARS

ROOT = Path(__file__).resolve().parents[2]
CONV = {"size": 32, "kernel": 3, "padding": 1, "stride": 2, "dilation": 1}  # (32 + 2 - 3)//2 + 1 = 16


def cli(*args: str) -> tuple[int, dict]:
    proc = subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, cwd=ROOT, timeout=120)
    out = proc.stdout.decode("utf-8")
    assert out.count("\n") == 1, out  # exactly one JSON document per call
    return proc.returncode, json.loads(out)


def call(args: list[str], capsys) -> tuple[int, dict]:
    """The same command in-process (``main`` prints exactly what the subprocess would)."""
    rc = main(args)
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return rc, json.loads(out)


def test_list_names_every_family_with_its_schema():
    rc, out = cli("list")
    assert rc == 0
    ids = [f["id"] for f in out["families"]]
    assert "conv2d_output_size" in ids and "receptive_field" in ids and ids == sorted(ids)
    conv = next(f for f in out["families"] if f["id"] == "conv2d_output_size")
    assert conv["params"]["size"] == {"kind": "int", "low": 5, "high": 224}
    assert conv["topics"] and conv["title"]


def test_show_by_seed_is_deterministic_and_hides_answers(capsys):
    rc, a = call(["show", "conv2d_output_size", "--seed", "7"], capsys)
    _, b = call(["show", "conv2d_output_size", "--seed", "7"], capsys)
    assert rc == 0 and a == b
    assert a["seed"] == 7 and a["family"] == "conv2d_output_size"
    assert "answers" not in a and "solution" not in a
    assert a["parts"][0]["name"] == "out" and a["prompt"]


def test_show_with_params_and_answers():
    rc, out = cli("show", "conv2d_output_size", "--params", json.dumps(CONV), "--answers")
    assert rc == 0
    assert out["answers"] == {"out": 16}
    assert out["params"] == CONV and out["seed"] is None
    assert "\\frac" in out["solution"]
    assert {m["id"] for m in out["mistakes"]} >= {"conv.forgot-plus-one"}
    assert "输出" in out["prompt"]  # Chinese text comes through as UTF-8


def test_grade_right_wrong_and_named_mistake(capsys):
    rc, out = cli("grade", "conv2d_output_size", "--params", json.dumps(CONV), "--answer", "out=16")
    assert rc == 0 and out["correct"] is True and out["score"] == 1.0
    assert out["params"] == CONV and "solution" in out
    rc, out = call(
        ["grade", "conv2d_output_size", "--params", json.dumps(CONV), "--answer", "out=15"], capsys
    )
    assert rc == 0 and out["correct"] is False
    # 15 is both "no padding at all" and "no +1" here: both are named, in the catalogue's order
    assert [m["id"] for m in out["mistakes"]] == ["conv.forgot-padding", "conv.forgot-plus-one"]
    assert out["parts"][0]["status"] == "wrong" and out["parts"][0]["expected"] == 16


def test_grade_multi_part_and_full_width_input(capsys):
    params = {"size": 7, "kernel": 3, "stride": 2}
    rc, out = call(
        [
            "grade",
            "conv_tf_padding",
            "--params",
            json.dumps(params),
            "--answer",
            "out_same=４",
            "--answer",
            "out_valid=3",
            "--answer",
            "pad_total=2",
            "--answer",
            "pad_top=1",
        ],
        capsys,
    )
    assert rc == 0 and out["correct"] is True


def test_grade_unreadable_and_missing_parts_are_not_errors(capsys):
    rc, out = call(["grade", "conv_tf_padding", "--seed", "3", "--answer", "out_same=abc"], capsys)
    assert rc == 0
    status = {p["name"]: p["status"] for p in out["parts"]}
    assert status["out_same"] == "unreadable" and status["pad_top"] == "missing"
    assert out["readable"] is False


def test_grade_by_seed_matches_show(capsys):
    _, shown = call(["show", "conv_params", "--seed", "11", "--answers"], capsys)
    answer = shown["answers"]["params"]
    rc, out = call(["grade", "conv_params", "--seed", "11", "--answer", f"params={answer}"], capsys)
    assert rc == 0 and out["correct"] is True and out["params"] == shown["params"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["show", "no_such_family", "--seed", "1"], "unknown_family"),
        (["grade", "no_such_family", "--seed", "1", "--answer", "out=1"], "unknown_family"),
        (["show", "conv2d_output_size", "--params", "{size: 32"], "bad_json"),
        (["show", "conv2d_output_size", "--params", "[1, 2]"], "invalid_params"),
        (["show", "conv2d_output_size", "--params", json.dumps(dict(CONV, size=1000))], "invalid_params"),
        (["show", "conv2d_output_size", "--params", json.dumps(dict(CONV, extra=1))], "invalid_params"),
        (["show", "conv2d_output_size", "--params", json.dumps({"size": 32})], "invalid_params"),
        (
            ["show", "conv2d_output_size", "--params", json.dumps(dict(CONV, size=5, kernel=7, padding=0))],
            "invalid_params",
        ),
        (["show", "conv2d_output_size", "--seed", "-1"], "invalid_seed"),
        (["show", "conv2d_output_size"], "usage"),
        (["show", "conv2d_output_size", "--seed", "1", "--params", "{}"], "usage"),
        (["show", "conv2d_output_size", "--seed", "x"], "usage"),
        (["frobnicate"], "usage"),
        ([], "usage"),
        (["grade", "conv2d_output_size", "--seed", "1", "--answer", "out"], "bad_answer"),
        (["grade", "conv2d_output_size", "--seed", "1", "--answer", "nope=3"], "unknown_part"),
        (
            ["grade", "conv2d_output_size", "--seed", "1", "--answer", "out=1", "--answer", "out=2"],
            "bad_answer",
        ),
        (
            ["grade", "conv2d_output_size", "--seed", "1", "--answer", "out=" + "1" * (MAX_INPUT_CHARS + 1)],
            "answer_too_long",
        ),
    ],
)
def test_bad_input_is_a_json_error_with_exit_status_2(args, code, capsys):
    rc, out = call(args, capsys)
    assert rc == 2
    assert out["error"]["code"] == code and out["error"]["message"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["show", "no_such_family", "--seed", "1"], "unknown_family"),
        (
            ["grade", "conv2d_output_size", "--seed", "1", "--answer", "out=" + "1" * (MAX_INPUT_CHARS + 1)],
            "answer_too_long",
        ),
    ],
)
def test_bad_input_from_the_command_line(args, code):
    rc, out = cli(*args)
    assert rc == 2
    assert out["error"]["code"] == code


def test_answer_of_exactly_the_limit_is_graded_not_rejected(capsys):
    rc, out = call(
        ["grade", "conv2d_output_size", "--seed", "1", "--answer", "out=" + "1" * MAX_INPUT_CHARS], capsys
    )
    assert rc == 0 and out["parts"][0]["status"] in ("wrong", "unreadable")
