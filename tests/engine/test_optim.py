"""Optimizer and LR-schedule families: hand-worked examples, one test per mistake detector, and
hypothesis properties against plain-loop specs written here."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import get_family, grade
from tests.engine.helpers import closed_answers

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

SETTINGS = settings(max_examples=200, deadline=None)


def _params(family_id: str, **kw):
    """Full parameters: the given ones, every other schema entry at a neutral value."""
    fam = get_family(family_id)
    out = {}
    for name, spec in fam.schema.items():
        if spec.kind == "choice":
            out[name] = spec.choices[0]
        elif spec.kind == "int":
            out[name] = int(spec.low)
        else:
            out[name] = 0.0 if spec.low <= 0 <= spec.high else spec.low
    out.update(kw)
    return out


def _variant(family_id: str, **kw):
    return get_family(family_id).instantiate(_params(family_id, **kw))


def _typed(v) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(repr(float(x)) for x in v)
    return repr(float(v))


def _named(variant, **typed) -> str | None:
    answers = {p.name: _typed(p.answer) for p in variant.parts}
    answers.update({k: _typed(v) for k, v in typed.items()})
    result = grade(variant, answers)
    assert not result.correct
    return result.mistake.id if result.mistake else None


# -- hand-worked examples --------------------------------------------------------------------------


def test_sgd_two_fixed_steps_without_and_with_weight_decay():
    kw = dict(
        steps=2,
        grad_mode="fixed",
        theta0_1=1.0,
        theta0_2=-2.0,
        g1_1=0.5,
        g1_2=-1.0,
        g2_1=1.0,
        g2_2=2.0,
        lr=0.1,
    )
    # θ1 = (1, -2) - 0.1(0.5, -1) = (0.95, -1.9); θ2 = θ1 - 0.1(1, 2) = (0.85, -2.1)
    assert _variant("sgd_step", **kw, weight_decay=0.0).answers["theta"] == pytest.approx([0.85, -2.1])
    # with λ=0.1: d1 = (0.6, -1.2), θ1 = (0.94, -1.88); d2 = (1.094, 1.812), θ2 = (0.8306, -2.0612)
    v = _variant("sgd_step", **kw, weight_decay=0.1)
    assert v.answers["theta"] == pytest.approx([0.8306, -2.0612])
    assert grade(v, {"theta": "0.8306, -2.0612"}).correct


def test_sgd_on_a_quadratic_shrinks_by_one_minus_lr_a():
    # ∇ = 2θ, lr 0.1: θ ← 0.8θ each step; 3 steps: 0.512θ0
    v = _variant("sgd_step", steps=3, grad_mode="quadratic", curv=2.0, theta0_1=1.0, theta0_2=-0.5, lr=0.1)
    assert v.answers["theta"] == pytest.approx([0.512, -0.256])


def test_momentum_both_conventions_same_theta_different_velocity():
    kw = dict(steps=2, grad_mode="fixed", theta0=1.0, g1=1.0, g2=1.0, lr=0.1, momentum=0.9)
    # PyTorch: v1 = 1, θ1 = 0.9; v2 = 1.9, θ2 = 0.71.  Book: v1 = -0.1, v2 = -0.19, θ2 = 0.71
    vp = _variant("momentum_step", **kw, convention="pytorch")
    vb = _variant("momentum_step", **kw, convention="book")
    assert vp.answers["theta"] == pytest.approx(0.71) and vb.answers["theta"] == pytest.approx(0.71)
    assert vp.answers["velocity"] == pytest.approx(1.9)
    assert vb.answers["velocity"] == pytest.approx(-0.19)


def test_nesterov_two_steps():
    # b1 = 1, d1 = 1 + 0.9 = 1.9, θ1 = 0.81; b2 = 1.9, d2 = 1 + 1.71 = 2.71, θ2 = 0.539
    v = _variant(
        "nesterov_step", steps=2, grad_mode="fixed", theta0=1.0, g1=1.0, g2=1.0, lr=0.1, momentum=0.9
    )
    assert v.answers["theta"] == pytest.approx(0.539)
    assert v.answers["buffer"] == pytest.approx(1.9)


def test_adagrad_two_steps():
    # G1 = (1, 4): θ1 = (0.9, 0.9); G2 = (2, 4): θ2 = (0.9 - 0.1/√2, 0.9)
    v = _variant(
        "adagrad_step",
        steps=2,
        grad_mode="fixed",
        theta0_1=1.0,
        theta0_2=1.0,
        g1_1=1.0,
        g1_2=2.0,
        g2_1=1.0,
        g2_2=0.0,
        lr=0.1,
    )
    assert v.answers["theta"] == pytest.approx([0.9 - 0.1 / math.sqrt(2), 0.9], rel=1e-9)
    assert v.answers["accum"] == pytest.approx([2.0, 4.0])


def test_rmsprop_one_step():
    # v = 0.1·g² = (0.1, 0.4); θ = 1 - 0.01/√0.1, -1 + 0.02/√0.4  (both a step of 0.0316228)
    v = _variant(
        "rmsprop_step",
        steps=1,
        grad_mode="fixed",
        theta0_1=1.0,
        theta0_2=-1.0,
        g1_1=1.0,
        g1_2=-2.0,
        lr=0.01,
        alpha=0.9,
        eps=1e-8,
    )
    assert v.answers["square_avg"] == pytest.approx([0.1, 0.4])
    assert v.answers["theta"] == pytest.approx([0.9683772, -0.9683772], rel=1e-6)


def test_adam_first_steps_move_by_lr():
    # m1 = 0.05, v1 = 0.00025, m̂ = 0.5, v̂ = 0.25: θ1 = 1 - 0.1·0.5/0.5 = 0.9; same again: θ2 = 0.8
    v = _variant(
        "adam_step", steps=2, grad_mode="fixed", theta0=1.0, g1=0.5, g2=0.5, lr=0.1, beta1=0.9, beta2=0.999
    )
    assert v.answers["theta"] == pytest.approx(0.8, rel=1e-6)
    assert v.answers["m"] == pytest.approx(0.095)
    assert v.answers["v"] == pytest.approx(0.00049975)


def test_adamw_vs_adam_l2_one_step():
    # AdamW: θ ← 1·(1 - 0.1·0.5) = 0.95, then -0.1·sign(0.5): 0.85.  Adam+L2: g = 0.5 + 0.5·1 = 1: 0.9
    v = _variant("adamw_vs_l2", steps=1, grad_mode="fixed", theta0=1.0, g1=0.5, lr=0.1, weight_decay=0.5)
    assert v.answers["adamw"] == pytest.approx(0.85, rel=1e-6)
    assert v.answers["adam_l2"] == pytest.approx(0.9, rel=1e-6)


@pytest.mark.parametrize(
    "kw, expected",
    [
        (dict(kind="step", base_lr=0.1, step_size=10, gamma=0.1, t=25), 0.001),
        (dict(kind="exponential", base_lr=1.0, gamma=0.9, t=3), 0.729),
        (dict(kind="exp_staircase", base_lr=0.1, step_size=10, gamma=0.5, t=25), 0.025),
        (dict(kind="piecewise", base_lr=0.1, m1=10, m2=40, gamma=0.1, t=40), 0.001),
        (dict(kind="piecewise", base_lr=0.1, m1=10, m2=40, gamma=0.1, t=39), 0.01),
        (dict(kind="polynomial", base_lr=0.1, total=50, power=2.0, t=25), 0.025),
        (dict(kind="polynomial", base_lr=0.1, total=20, power=2.0, t=20), 0.0),
        (dict(kind="inverse_time", base_lr=0.1, step_size=10, gamma=0.5, t=20), 0.05),
        (dict(kind="cosine", base_lr=0.1, total=20, eta_min=0.0, t=10), 0.05),
        (dict(kind="cosine", base_lr=0.1, total=20, eta_min=0.001, t=10), 0.0505),
        # T_0=10, T_mult=2: cycles [0,10), [10,30): t=17 → T_cur=7, T_i=20
        (
            dict(kind="cosine_restarts", base_lr=0.1, step_size=10, t_mult=2, eta_min=0.0, t=17),
            0.05 * (1 + math.cos(0.35 * math.pi)),
        ),
        (
            dict(kind="cosine_restarts", base_lr=0.1, step_size=10, t_mult=1, eta_min=0.0, t=17),
            0.05 * (1 + math.cos(0.7 * math.pi)),
        ),
    ],
)
def test_lr_schedule_examples(kw, expected):
    v = _variant("lr_schedule", **kw)
    assert v.answers["lr"] == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert closed_answers("lr_schedule", dict(v.params))["lr"][0] == pytest.approx(
        expected, rel=1e-9, abs=1e-15
    )


# -- one test per mistake detector ----------------------------------------------------------------

SGD_WD = dict(
    steps=2,
    grad_mode="fixed",
    theta0_1=1.0,
    theta0_2=-2.0,
    g1_1=0.5,
    g1_2=-1.0,
    g2_1=1.0,
    g2_2=2.0,
    lr=0.1,
    weight_decay=0.1,
)


def test_sgd_mistakes():
    v = _variant("sgd_step", **SGD_WD)
    assert _named(v, theta=[0.85, -2.1]) == "optim.wd-ignored"
    # λθ not scaled by lr: θ1 = (1 - 0.05 - 0.1, -2 + 0.1 + 0.2) = (0.85, -1.7);
    # θ2 = (0.85 - 0.1 - 0.085, -1.7 - 0.2 + 0.17) = (0.665, -1.73)
    assert _named(v, theta=[0.665, -1.73]) == "optim.wd-not-scaled-by-lr"
    q = _variant("sgd_step", steps=2, grad_mode="quadratic", curv=2.0, theta0_1=1.0, theta0_2=-0.5, lr=0.1)
    # the gradient at θ0 used twice: θ2 = θ0 - 2·0.1·2θ0 = 0.6θ0
    assert _named(q, theta=[0.6, -0.3]) == "optim.stale-gradient"


MOM = dict(steps=2, grad_mode="fixed", theta0=1.0, g1=1.0, g2=1.0, lr=0.1, momentum=0.9, convention="pytorch")


def test_momentum_mistakes():
    v = _variant("momentum_step", **MOM)
    assert _named(v, theta=0.71, velocity=-0.19) == "momentum.convention-swapped"
    # EMA form: v1 = 0.1, θ1 = 0.99; v2 = 0.19, θ2 = 0.971
    assert _named(v, theta=0.971, velocity=0.19) == "momentum.ema-form"
    # plain SGD: θ2 = 0.8, "velocity" = g2 = 1
    assert _named(v, theta=0.8, velocity=1.0) == "momentum.ignored"


def test_nesterov_mistakes():
    v = _variant(
        "nesterov_step", steps=2, grad_mode="fixed", theta0=1.0, g1=1.0, g2=1.0, lr=0.1, momentum=0.9
    )
    assert _named(v, theta=0.71) == "nesterov.plain-momentum"
    q = _variant("nesterov_step", steps=2, grad_mode="quadratic", curv=1.0, theta0=1.0, lr=0.5, momentum=0.5)
    # Sutskever: v1 = -0.5·1 = -0.5, θ1 = 0.5; v2 = 0.5·(-0.5) - 0.5·(0.5 - 0.25) = -0.375, θ2 = 0.125
    assert _named(q, theta=0.125) == "nesterov.sutskever-lookahead"


def test_adagrad_mistakes():
    v = _variant(
        "adagrad_step",
        steps=2,
        grad_mode="fixed",
        theta0_1=1.0,
        theta0_2=1.0,
        g1_1=1.0,
        g1_2=2.0,
        g2_1=1.0,
        g2_2=0.0,
        lr=0.1,
    )
    # dividing by G: θ1 = (0.9, 0.95); θ2 = (0.9 - 0.1/2, 0.95) = (0.85, 0.95)
    assert _named(v, theta=[0.85, 0.95]) == "adagrad.no-sqrt"
    # only g²: each step moves lr·sign(g): θ2 = (0.8, 0.9), G = (1, 0)
    assert _named(v, theta=[0.8, 0.9], accum=[1.0, 0.0]) == "adagrad.last-grad-only"


def test_rmsprop_mistakes():
    v = _variant(
        "rmsprop_step",
        steps=1,
        grad_mode="fixed",
        theta0_1=1.0,
        theta0_2=-1.0,
        g1_1=0.1,
        g1_2=-0.2,
        lr=0.01,
        alpha=0.9,
        eps=0.01,
    )
    # v = 0.1·g² = (0.001, 0.004); ε inside the root: 1 - 0.001/√0.011, -1 + 0.002/√0.014
    assert (
        _named(v, theta=[1 - 0.001 / math.sqrt(0.011), -1 + 0.002 / math.sqrt(0.014)])
        == "rmsprop.eps-inside-sqrt"
    )
    # v = 0.9·g² = (0.009, 0.036)
    assert (
        _named(
            v,
            theta=[1 - 0.001 / (math.sqrt(0.009) + 0.01), -1 + 0.002 / (math.sqrt(0.036) + 0.01)],
            square_avg=[0.009, 0.036],
        )
        == "rmsprop.alpha-swapped"
    )
    # with α = 0.5 (where swapping α and 1−α changes nothing): bias-corrected v̂ = g², a step of lr·g/(|g|+ε)
    w = _variant(
        "rmsprop_step",
        steps=1,
        grad_mode="fixed",
        theta0_1=1.0,
        theta0_2=-1.0,
        g1_1=0.1,
        g1_2=-0.2,
        lr=0.01,
        alpha=0.5,
        eps=0.01,
    )
    assert _named(w, theta=[1 - 0.001 / 0.11, -1 + 0.002 / 0.21]) == "rmsprop.bias-correction"


def test_adam_mistakes():
    v = _variant("adam_step", steps=1, grad_mode="fixed", theta0=1.0, g1=0.5, lr=0.1, beta1=0.9, beta2=0.999)
    # no bias correction: 1 - 0.1·0.05/√0.00025 = 1 - 0.316228
    assert _named(v, theta=1 - 0.1 * 0.05 / math.sqrt(0.00025)) == "optim.adam-no-bias-correction"
    assert _named(v, m=0.5, v=0.25) == "adam.state-bias-corrected"
    # swapped weights: m = 0.9·0.5 = 0.45, v = 0.999·0.25 = 0.24975
    assert _named(v, m=0.45, v=0.24975) == "adam.betas-swapped"


def test_adamw_mistakes():
    # g = -0.2 at θ0 = 1, λ = 0.5, lr = 0.1 (one Adam step moves lr·sign(gradient)):
    # AdamW 1·0.95 + 0.1 = 1.05; Adam+L2: g = -0.2 + 0.5 = 0.3 > 0, so 0.9; no decay at all: 1.1
    v = _variant("adamw_vs_l2", steps=1, grad_mode="fixed", theta0=1.0, g1=-0.2, lr=0.1, weight_decay=0.5)
    assert v.answers["adamw"] == pytest.approx(1.05) and v.answers["adam_l2"] == pytest.approx(0.9)
    assert _named(v, adamw=0.9, adam_l2=1.05) == "adamw.swapped"
    # decay θ(1 - λ) = 0.5, then +0.1
    assert _named(v, adamw=0.6) == "adamw.decay-not-scaled-by-lr"
    assert _named(v, adamw=1.1, adam_l2=1.1) == "adamw.decay-ignored"


@pytest.mark.parametrize(
    "kw, wrong, mid",
    [
        (dict(kind="exponential", base_lr=1.0, gamma=0.9, t=3), 0.81, "lr.off-by-one"),
        (
            dict(kind="exp_staircase", base_lr=0.1, step_size=10, gamma=0.5, t=25),
            0.1 * 0.5**2.5,
            "lr.staircase-ignored",
        ),
        (
            dict(kind="piecewise", base_lr=0.1, m1=10, m2=40, gamma=0.1, t=40),
            0.01,
            "lr.milestone-not-yet-applied",
        ),
        (dict(kind="polynomial", base_lr=0.1, total=50, power=2.0, t=25), 0.05, "lr.poly-power-ignored"),
        (
            dict(kind="inverse_time", base_lr=0.1, step_size=10, gamma=0.5, t=20),
            0.1 / 11,
            "lr.inverse-time-no-decay-steps",
        ),
        (dict(kind="cosine", base_lr=0.1, total=20, eta_min=0.001, t=10), 0.05, "lr.cosine-eta-min-ignored"),
        (
            dict(kind="cosine_restarts", base_lr=0.1, step_size=10, t_mult=2, eta_min=0.0, t=17),
            0.05 * (1 + math.cos(0.7 * math.pi)),
            "lr.restart-period-not-multiplied",
        ),
        (
            dict(kind="cosine_restarts", base_lr=0.1, step_size=10, t_mult=2, eta_min=0.0, t=17),
            0.05 * (1 + math.cos(1.7 * math.pi)),
            "lr.no-restart",
        ),
    ],
)
def test_lr_schedule_mistakes(kw, wrong, mid):
    assert _named(_variant("lr_schedule", **kw), lr=wrong) == mid


# -- properties against plain-loop specs ----------------------------------------------------------

grad = st.integers(-20, 20).map(lambda k: k / 10)
steps = st.integers(1, 3)
mode = st.sampled_from(["fixed", "quadratic"])
curv = st.integers(5, 20).map(lambda k: k / 10)


def _spec_grad(mode_, a, gs, t, th):
    return a * th if mode_ == "quadratic" else gs[t]


@SETTINGS
@given(
    k=steps,
    mode_=mode,
    a=curv,
    th0=grad,
    gs=st.lists(grad, min_size=3, max_size=3),
    lr=st.sampled_from([0.001, 0.01, 0.1, 0.5]),
    b1=st.sampled_from([0.5, 0.8, 0.9]),
    b2=st.sampled_from([0.9, 0.99, 0.999]),
)
def test_adam_matches_loop_spec(k, mode_, a, th0, gs, lr, b1, b2):
    p = _params(
        "adam_step",
        steps=k,
        grad_mode=mode_,
        curv=a,
        theta0=th0,
        g1=gs[0],
        g2=gs[1],
        g3=gs[2],
        lr=lr,
        beta1=b1,
        beta2=b2,
    )
    th, m, v = th0, 0.0, 0.0
    for t in range(k):
        g = _spec_grad(mode_, a, gs, t, th)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        th -= lr * (m / (1 - b1 ** (t + 1))) / (math.sqrt(v / (1 - b2 ** (t + 1))) + 1e-8)
    ans = get_family("adam_step").solve(p)
    assert ans["theta"] == pytest.approx(th, rel=1e-9, abs=1e-12)
    assert ans["m"] == pytest.approx(m, rel=1e-9, abs=1e-12)
    assert ans["v"] == pytest.approx(v, rel=1e-9, abs=1e-12)


@SETTINGS
@given(
    k=steps,
    mode_=mode,
    a=curv,
    th0=grad,
    gs=st.lists(grad, min_size=3, max_size=3),
    lr=st.sampled_from([0.01, 0.1, 0.2, 0.5]),
    mu=st.sampled_from([0.5, 0.8, 0.9]),
    conv=st.sampled_from(["pytorch", "book"]),
)
def test_momentum_and_nesterov_match_loop_spec(k, mode_, a, th0, gs, lr, mu, conv):
    common = dict(
        steps=k, grad_mode=mode_, curv=a, theta0=th0, g1=gs[0], g2=gs[1], g3=gs[2], lr=lr, momentum=mu
    )
    th, v = th0, 0.0  # book form, then the PyTorch velocity is -v/lr
    for t in range(k):
        v = mu * v - lr * _spec_grad(mode_, a, gs, t, th)
        th += v
    ans = get_family("momentum_step").solve(_params("momentum_step", **common, convention=conv))
    assert ans["theta"] == pytest.approx(th, rel=1e-9, abs=1e-12)
    assert ans["velocity"] == pytest.approx(v if conv == "book" else -v / lr, rel=1e-9, abs=1e-12)
    th, b = th0, 0.0
    for t in range(k):
        g = _spec_grad(mode_, a, gs, t, th)
        b = mu * b + g
        th -= lr * (g + mu * b)
    nes = get_family("nesterov_step").solve(_params("nesterov_step", **common))
    assert nes["theta"] == pytest.approx(th, rel=1e-9, abs=1e-12)
    assert nes["buffer"] == pytest.approx(b, rel=1e-9, abs=1e-12)


@SETTINGS
@given(
    k=steps,
    mode_=mode,
    a=curv,
    th0=st.lists(grad, min_size=2, max_size=2),
    gs=st.lists(st.lists(grad, min_size=2, max_size=2), min_size=3, max_size=3),
    lr=st.sampled_from([0.01, 0.1, 0.5, 1.0]),
    lr_r=st.sampled_from([0.001, 0.01, 0.1]),
    alpha=st.sampled_from([0.5, 0.9, 0.99]),
    eps=st.sampled_from([1e-8, 1e-6, 0.01]),
)
def test_adagrad_and_rmsprop_match_loop_spec(k, mode_, a, th0, gs, lr, lr_r, alpha, eps):
    flat = {f"g{t + 1}_{i + 1}": gs[t][i] for t in range(3) for i in range(2)}
    common = dict(steps=k, grad_mode=mode_, curv=a, theta0_1=th0[0], theta0_2=th0[1], **flat)
    for i in range(2):
        th, acc, th_r, sq = th0[i], 0.0, th0[i], 0.0
        col = [row[i] for row in gs]
        for t in range(k):
            g = _spec_grad(mode_, a, col, t, th)
            acc += g * g
            th -= lr * g / (math.sqrt(acc) + 1e-10)
            g = _spec_grad(mode_, a, col, t, th_r)
            sq = alpha * sq + (1 - alpha) * g * g
            th_r -= lr_r * g / (math.sqrt(sq) + eps)
        ada = get_family("adagrad_step").solve(_params("adagrad_step", **common, lr=lr))
        assert ada["theta"][i] == pytest.approx(th, rel=1e-9, abs=1e-12)
        assert ada["accum"][i] == pytest.approx(acc, rel=1e-9, abs=1e-12)
        rms = get_family("rmsprop_step").solve(
            _params("rmsprop_step", **common, lr=lr_r, alpha=alpha, eps=eps)
        )
        assert rms["theta"][i] == pytest.approx(th_r, rel=1e-9, abs=1e-12)
        assert rms["square_avg"][i] == pytest.approx(sq, rel=1e-9, abs=1e-12)


@SETTINGS
@given(
    k=steps,
    mode_=mode,
    a=curv,
    th0=grad,
    gs=st.lists(grad, min_size=3, max_size=3),
    lr=st.sampled_from([0.01, 0.1, 0.2]),
    wd=st.sampled_from([0.1, 0.5, 1.0]),
)
def test_adamw_and_l2_match_loop_spec(k, mode_, a, th0, gs, lr, wd):
    p = _params(
        "adamw_vs_l2",
        steps=k,
        grad_mode=mode_,
        curv=a,
        theta0=th0,
        g1=gs[0],
        g2=gs[1],
        g3=gs[2],
        lr=lr,
        weight_decay=wd,
    )

    def adam(decoupled: bool) -> float:
        th, m, v = th0, 0.0, 0.0
        for t in range(1, k + 1):
            g = _spec_grad(mode_, a, gs, t - 1, th)
            if decoupled:
                th -= lr * wd * th
            else:
                g += wd * th
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            th -= lr * (m / (1 - 0.9**t)) / (math.sqrt(v / (1 - 0.999**t)) + 1e-8)
        return th

    ans = get_family("adamw_vs_l2").solve(p)
    assert ans["adamw"] == pytest.approx(adam(True), rel=1e-9, abs=1e-12)
    assert ans["adam_l2"] == pytest.approx(adam(False), rel=1e-9, abs=1e-12)


@SETTINGS
@given(
    k=steps,
    mode_=mode,
    a=curv,
    th0=st.lists(grad, min_size=2, max_size=2),
    gs=st.lists(st.lists(grad, min_size=2, max_size=2), min_size=3, max_size=3),
    lr=st.sampled_from([0.01, 0.05, 0.1, 0.2, 0.5]),
    wd=st.sampled_from([0.0, 0.01, 0.1, 0.5]),
)
def test_sgd_closed_form_and_torch_match_loop_spec(k, mode_, a, th0, gs, lr, wd):
    flat = {f"g{t + 1}_{i + 1}": gs[t][i] for t in range(3) for i in range(2)}
    p = _params(
        "sgd_step",
        steps=k,
        grad_mode=mode_,
        curv=a,
        theta0_1=th0[0],
        theta0_2=th0[1],
        lr=lr,
        weight_decay=wd,
        **flat,
    )
    want = []
    for i in range(2):
        th = th0[i]
        for t in range(k):
            th -= lr * (_spec_grad(mode_, a, [row[i] for row in gs], t, th) + wd * th)
        want.append(th)
    assert get_family("sgd_step").solve(p)["theta"] == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert closed_answers("sgd_step", p)["theta"] == pytest.approx(want, rel=1e-9, abs=1e-12)


def _lr_spec(p: dict) -> float:
    """The LR after t steps, replaying each schedule's rule one step at a time (no closed forms)."""
    kind, lr = p["kind"], p["base_lr"]
    t_cur, t_i = 0, p["step_size"]
    for e in range(1, p["t"] + 1):
        if kind == "step" and e % p["step_size"] == 0:
            lr *= p["gamma"]
        elif kind == "exponential":
            lr *= p["gamma"]
        elif kind == "exp_staircase" and e % p["step_size"] == 0:
            lr *= p["gamma"]
        elif kind == "piecewise" and e in (p["m1"], p["m2"]):
            lr *= p["gamma"]
        elif kind == "cosine_restarts":
            t_cur += 1
            if t_cur == t_i:
                t_cur, t_i = 0, t_i * p["t_mult"]
    t = p["t"]
    if kind == "polynomial":
        lr = p["base_lr"] * max(0.0, 1 - t / p["total"]) ** p["power"]
    elif kind == "inverse_time":
        lr = p["base_lr"] / (1 + p["gamma"] * t / p["step_size"])
    elif kind in ("cosine", "cosine_restarts"):
        frac = t / p["total"] if kind == "cosine" else t_cur / t_i
        lr = p["eta_min"] + (p["base_lr"] - p["eta_min"]) * (1 + math.cos(math.pi * frac)) / 2
    return lr


@SETTINGS
@given(seed=st.integers(0, 10**6))
def test_lr_schedule_matches_step_by_step_spec(seed):
    fam = get_family("lr_schedule")
    v = fam.generate(seed)
    want = _lr_spec(dict(v.params))
    assert v.answers["lr"] == pytest.approx(want, rel=1e-9, abs=1e-15)
    assert closed_answers("lr_schedule", dict(v.params))["lr"][0] == pytest.approx(want, rel=1e-9, abs=1e-15)
