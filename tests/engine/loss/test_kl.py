"""KL divergence (kl_divergence): a hand-computed example, mistake detectors, and a property against a
plain-loop specification (data read back from the prompt)."""

from __future__ import annotations

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import get_family, grade
from engine.families._support import simplex_units
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
    # a mistake is named only when it explains every part answered: the right divergence with the
    # log-less call is the call's slip alone; with the divergence that call computes, the whole mistake
    no_log = 0.6 * (math.log(0.6) - 0.5) + 0.25 * (math.log(0.25) - 0.35) + 0.15 * (math.log(0.15) - 0.15)
    assert mistake_id(KL, p, call="C") == "kl.call-input-not-log"
    assert mistake_id(KL, p, call="C", kl=repr(no_log)) == "kl.input-not-log"
    # the call as a Python user types it: either quotes, any spacing
    v = get_family(KL).instantiate(p)
    for typed in ('F.kl_div(Q.log(), P, reduction="sum")', "F.kl_div(Q.log(),P,reduction='sum')"):
        assert grade(v, {"kl": repr(kl), "call": typed}).correct, typed
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


def test_kl_never_draws_q_as_a_permutation_of_p():
    fam = get_family(KL)
    seen_permutation = False
    for seed in range(3000):  # over raw draws, some are permutations: the constraint refuses exactly those
        params = {"K": 3 + seed % 2, "direction": "PQ", "data_seed": seed}
        a, b = simplex_units(seed, 40, params["K"]), simplex_units(seed, 41, params["K"])
        if a is None or b is None:
            continue
        permutation = sorted(a) == sorted(b)
        seen_permutation |= permutation
        assert (fam.constraint(params) is not None) == permutation
    assert seen_permutation
    for seed in range(200):
        v = fam.generate(seed)
        P, Q = shown_vector(v.prompt, "P"), shown_vector(v.prompt, "Q")
        assert sorted(P) != sorted(Q), seed
