"""Overfitting: the three runs differ only by their regulariser."""

from __future__ import annotations

import pytest

from engine.demos import get_demo

DEMO = get_demo("overfitting")


def test_with_both_regularisers_off_the_three_runs_are_identical():
    """Same starting weights, same data, same full-batch steps: with λ = 0 and p = 0 the three curves must
    coincide, so any difference in a normal run comes from the regulariser alone."""
    runs = DEMO.run({"weight_decay": 0.0, "dropout": 0.0, "epochs": 60, "train_size": 40}, seed=2).series[
        "runs"
    ]
    assert runs["none"] == runs["weight_decay"] == runs["dropout"]


def test_regularisers_change_the_run():
    runs = DEMO.run({"epochs": 60, "train_size": 40}, seed=2).series["runs"]
    assert runs["none"]["train_loss"] != runs["weight_decay"]["train_loss"]
    assert runs["none"]["train_loss"] != runs["dropout"]["train_loss"]


def test_accuracies_are_fractions_of_the_sets_and_the_answer_is_the_widest_gap():
    result = DEMO.run({"epochs": 100, "train_size": 50}, seed=3)
    runs = result.series["runs"]
    gaps = {}
    for name, run in runs.items():
        assert run["epoch"][-1] == 100 and len(run["epoch"]) == 100
        for acc in run["train_accuracy"]:
            assert (acc * 50) == pytest.approx(round(acc * 50), abs=1e-6)  # k correct out of 50
        for acc in run["val_accuracy"]:
            assert (acc * 1000) == pytest.approx(round(acc * 1000), abs=1e-3)
        gaps[name] = run["train_accuracy"][-1] - run["val_accuracy"][-1]
    labels = {"none": "不正则化", "weight_decay": "权值衰减", "dropout": "Dropout"}
    assert result.question.choices[result.answer] == labels[max(gaps, key=lambda n: gaps[n])]


def test_an_unregularised_net_memorises_a_small_training_set():
    # 64×64 hidden units, 40 points in 4-D: enough capacity to fit every training label, flipped ones too
    runs = DEMO.run({"train_size": 40, "epochs": 300, "weight_decay": 0.0}, seed=0).series["runs"]
    assert runs["none"]["train_accuracy"][-1] == 1.0
    assert runs["none"]["val_accuracy"][-1] < 0.95
