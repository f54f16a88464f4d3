"""Helpers of the optimizer and LR-schedule tests: full parameters around the ones a test names,
the mistake a typed answer is named as, and the strategies of the property tests."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st

from engine import get_family, grade

SETTINGS = settings(max_examples=200, deadline=None)


def params(family_id: str, traj=None, **kw):
    """Full parameters: the given ones, every other schema entry at a neutral value. ``traj``: a property
    test's draw ``(steps, grad_mode, curv, theta0, gradients)`` as the trajectory parameters."""
    if traj is not None:
        kw = _drawn(*traj) | kw
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


def variant(family_id: str, **kw):
    return get_family(family_id).instantiate(params(family_id, **kw))


def _typed(v) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(repr(float(x)) for x in v)
    return repr(float(v))


def named(variant, **typed) -> str | None:
    answers = {p.name: _typed(p.answer) for p in variant.parts}
    answers.update({k: _typed(v) for k, v in typed.items()})
    result = grade(variant, answers)
    assert not result.correct
    return result.mistake.id if result.mistake else None


# -- strategies and the gradient rule of the property tests -------------------------------------

grad = st.integers(-20, 20).map(lambda k: k / 10)
steps = st.integers(1, 3)
mode = st.sampled_from(["fixed", "quadratic"])
curv = st.integers(5, 20).map(lambda k: k / 10)


def _drawn(k, mode_, a, th0, gs):
    """A property test's draw as the trajectory parameters: a scalar start and 3 gradients, or a
    2-vector start and 3 rows of 2."""
    out = {"steps": k, "grad_mode": mode_, "curv": a}
    if isinstance(th0, list):
        out |= {f"theta0_{i + 1}": x for i, x in enumerate(th0)}
        out |= {f"g{t + 1}_{i + 1}": g for t, row in enumerate(gs) for i, g in enumerate(row)}
    else:
        out |= {"theta0": th0} | {f"g{t + 1}": g for t, g in enumerate(gs)}
    return out


def spec_grad(mode_, a, gs, t, th):
    return a * th if mode_ == "quadratic" else gs[t]
