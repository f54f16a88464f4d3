"""Optimizer paths: the first steps against a hand calculation of each update rule.

On the ellipse f(x, y) = x²/20 + y² the gradient is (x/10, 2y); from (-7, 2) it is g0 = (-0.7, 4). The
learning rates are the documented ones (docs/demos.md): SGD 0.95, Momentum 0.1, Nesterov 0.1, AdaGrad 1.5,
RMSprop 0.15, Adam 0.3, AdamW 0.3.
"""

from __future__ import annotations

import math

import pytest

from engine.demos import get_demo

DEMO = get_demo("optimizer_paths")


@pytest.fixture(scope="module")
def ellipse():
    return DEMO.run({"function": "ellipse", "steps": 5}, seed=0).series["paths"]


def point(paths, name, t):
    return paths[name]["x"][t], paths[name]["y"][t]


def close(actual, expected, rel=1e-5):
    assert actual == pytest.approx(expected, rel=rel, abs=1e-9)


def test_sgd_two_steps_by_hand(ellipse):
    # x1 = -7 - 0.95 * (-0.7) = -6.335, y1 = 2 - 0.95 * 4 = -1.8
    close(point(ellipse, "SGD", 1), (-6.335, -1.8))
    # g1 = (-0.6335, -3.6): x2 = -6.335 + 0.95 * 0.6335 = -5.733175, y2 = -1.8 + 0.95 * 3.6 = 1.62
    close(point(ellipse, "SGD", 2), (-5.733175, 1.62))


def test_momentum_two_steps_by_hand(ellipse):
    # v1 = g0 = (-0.7, 4); p1 = p0 - 0.1 v1 = (-6.93, 1.6)
    close(point(ellipse, "Momentum", 1), (-6.93, 1.6))
    # g1 = (-0.693, 3.2); v2 = 0.9 v1 + g1 = (-1.323, 6.8); p2 = (-6.93 + 0.1323, 1.6 - 0.68)
    close(point(ellipse, "Momentum", 2), (-6.7977, 0.92))


def test_nesterov_first_step_by_hand(ellipse):
    # buf = g0; update = g0 + 0.9 buf = 1.9 g0; p1 = p0 - 0.1 * 1.9 * g0 = (-6.867, 1.24)
    close(point(ellipse, "Nesterov", 1), (-6.867, 1.24))


def test_adagrad_first_step_by_hand(ellipse):
    # h = g0²; p1 = p0 - 1.5 g0 / sqrt(h) = p0 - 1.5 sign(g0) = (-5.5, 0.5)
    close(point(ellipse, "AdaGrad", 1), (-5.5, 0.5))
    # h = g0² + g1², g1 = (-0.55, 1): x2 = -5.5 + 1.5 * 0.55 / sqrt(0.49 + 0.3025)
    x2 = -5.5 + 1.5 * 0.55 / math.sqrt(0.7**2 + 0.55**2)
    y2 = 0.5 - 1.5 * 1 / math.sqrt(4**2 + 1**2)
    close(point(ellipse, "AdaGrad", 2), (x2, y2))


def test_rmsprop_first_step_by_hand(ellipse):
    # v = (1 - 0.9) g0²; p1 = p0 - 0.15 g0 / sqrt(0.1 g0²) = p0 - 0.15 / sqrt(0.1) sign(g0)
    s = 0.15 / math.sqrt(0.1)
    close(point(ellipse, "RMSprop", 1), (-7 + s, 2 - s))


def test_adam_and_adamw_first_step_by_hand(ellipse):
    # bias-corrected m̂ = g0, v̂ = g0²: the first Adam step is lr·sign(g0) = 0.3 per coordinate
    close(point(ellipse, "Adam", 1), (-6.7, 1.7))
    # AdamW first shrinks the weights by (1 - lr·0.01) = 0.997, then takes the same step
    close(point(ellipse, "AdamW", 1), (-7 * 0.997 + 0.3, 2 * 0.997 - 0.3))


def test_losses_are_f_at_the_points(ellipse):
    for name, path in ellipse.items():
        for x, y, loss in zip(path["x"], path["y"], path["loss"]):
            close(loss, x**2 / 20 + y**2, rel=1e-4)
        assert len(path["x"]) == len(path["loss"]) == 6, name


def test_start_values_of_the_other_functions():
    rosen = DEMO.run({"function": "rosenbrock", "steps": 5}, seed=0).series["paths"]["SGD"]
    close(rosen["loss"][0], (1 + 1.5) ** 2 + 10 * (2 - 1.5**2) ** 2)  # 6.875
    # SGD lr 0.01: ∂f/∂x = -2(1-x) - 40x(y-x²) = -5 - 15 = -20 at (-1.5, 2); ∂f/∂y = 20(y-x²) = -5
    close((rosen["x"][1], rosen["y"][1]), (-1.5 + 0.2, 2 + 0.05))
    saddle = DEMO.run({"function": "saddle", "steps": 5}, seed=0).series["paths"]["SGD"]
    close(saddle["loss"][0], 1.5**2 - 0.01**2 + 0.01**4 / 4)
    # SGD lr 0.05: gradient (2x, -2y + y³) = (-3, -0.02 + 1e-6)
    close((saddle["x"][1], saddle["y"][1]), (-1.5 + 0.15, 0.01 + 0.05 * (0.02 - 1e-6)))


def test_lr_scale_multiplies_every_learning_rate():
    paths = DEMO.run({"steps": 5, "lr_scale": 0.5}, seed=0).series["paths"]
    assert paths["SGD"]["lr"] == pytest.approx(0.475)
    close(point(paths, "SGD", 1), (-7 + 0.475 * 0.7, 2 - 0.475 * 4))


def test_a_diverging_optimizer_is_marked_and_never_wins():
    # SGD on the ellipse diverges once lr > 2 / 2 = 1 along y (curvature 2): lr 0.95 × 3 = 2.85
    result = DEMO.run({"steps": 300, "lr_scale": 3.0}, seed=0)
    sgd = result.series["paths"]["SGD"]
    assert sgd["diverged"] is True and len(sgd["x"]) < 301
    finals = {n: (math.inf if p["diverged"] else p["loss"][-1]) for n, p in result.series["paths"].items()}
    assert result.question.choices[result.answer] == min(finals, key=lambda n: finals[n])
