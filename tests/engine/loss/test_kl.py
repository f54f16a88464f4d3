"""KL divergence (kl_divergence): a hand-computed example, mistake detectors, and a property against a
plain-loop specification (data read back from the prompt)."""

from __future__ import annotations

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import get_family
from tests.engine.helpers import mistake_id, shown_vector
from tests.engine.loss.helpers import close

KL = "kl_divergence"


def test_kl_example_and_mistakes():
    p = {"K": 3, "direction": "PQ", "data_seed": 1}
    v = get_family(KL).instantiate(p)
    assert shown_vector(v.prompt, "P") == [0.6, 0.25, 0.15] and shown_vector(v.prompt, "Q") == [
        0.5,
        0.35,
        0.15,
    ]
    kl = 0.6 * math.log(0.6 / 0.5) + 0.25 * math.log(0.25 / 0.35)  # third term is 0: 0.025275
    assert close(v.answers["kl"], kl)
    assert v.answers["call"] == "F.kl_div(Q.log(), P, reduction='sum')"
    rev = 0.5 * math.log(0.5 / 0.6) + 0.35 * math.log(0.35 / 0.25)
    assert mistake_id(KL, p, kl=repr(rev)) == "kl.reversed"
    assert mistake_id(KL, p, call="F.kl_div(P.log(), Q, reduction='sum')") == "kl.kl-div-args-swapped"
    assert mistake_id(KL, p, call="C") == "kl.input-not-log"
    assert mistake_id(KL, p, kl=repr(kl / math.log(2))) == "kl.log2"


def test_kl_other_direction_swaps_the_call():
    v = get_family(KL).instantiate({"K": 3, "direction": "QP", "data_seed": 1})
    assert v.answers["call"] == "F.kl_div(P.log(), Q, reduction='sum')"
    assert close(v.answers["kl"], 0.5 * math.log(0.5 / 0.6) + 0.35 * math.log(0.35 / 0.25))


@settings(max_examples=200, deadline=None)
@given(st.integers(3, 4), st.sampled_from(["PQ", "QP"]), st.integers(0, 10**6))
def test_kl_matches_loop_spec(k, direction, seed):
    params = {"K": k, "direction": direction, "data_seed": seed}
    fam = get_family(KL)
    assume(fam.constraint(params) is None)
    v = fam.instantiate(params)
    P, Q = shown_vector(v.prompt, "P"), shown_vector(v.prompt, "Q")
    a, b = (P, Q) if direction == "PQ" else (Q, P)
    kl = 0.0
    for x, y in zip(a, b, strict=True):
        kl += x * math.log(x / y)
    assert close(v.answers["kl"], kl) and kl >= 0
