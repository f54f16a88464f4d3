"""Fair grading over every family and seeds 1..300 (issue #10): typed as a learner would round them,
no listed mistake is graded correct and each is named, the right answer rounded as the prompt asks is
always accepted, one digit coarser is "imprecise" (or still right), and every prompt states the precision
its parts are graded at. ``bench/grading_audit.py`` counts the same over seeds 1..1000."""

from __future__ import annotations

import pytest

from bench.grading_audit import audit_variant
from engine import all_families, get_family, grade, grade_batch
from engine.formatting import precision_statement
from engine.values import NUMERIC_KINDS, Mistake, Part, Precision, Variant

FAMILIES = [f.id for f in all_families()]
SEEDS = range(1, 301)


@pytest.mark.parametrize("family_id", FAMILIES)
def test_listed_mistakes_are_never_graded_correct_and_rounded_answers_always_are(family_id):
    family = get_family(family_id)
    failures = []
    for seed in SEEDS:
        v = family.generate(seed)
        assert v.indistinct == (), (family_id, seed)
        counts = audit_variant(v)
        # a coarser right answer that is exactly a listed mistake's value names that mistake: allowed
        counts.pop("coarser answer equal to a listed mistake's value", None)
        if counts:
            failures.append((seed, dict(counts)))
    assert failures == []


@pytest.mark.parametrize("family_id", FAMILIES)
def test_every_prompt_states_the_precision_its_parts_are_graded_at(family_id):
    family = get_family(family_id)
    first = family.generate(1)
    for seed in range(1, 41):
        v = family.generate(seed)
        statement = precision_statement(v.parts)
        assert v.prompt.endswith(statement), (family_id, seed)
        # stated wherever a part is a number (shapes, indices and choices are exact by their kind)
        assert bool(statement) == any(p.kind in (*NUMERIC_KINDS, "int") for p in v.parts)
        for p in v.parts:
            if p.kind in NUMERIC_KINDS:
                assert p.precision.describe() in statement
            # the batch grader reads the precision of one variant for all: it must not vary by draw
            assert p.precision == first.part(p.name).precision, (family_id, seed, p.name)


def _variant(part: Part, *mistakes: Mistake) -> Variant:
    return Variant("f", 1, None, {}, "", (part,), "", tuple(mistakes))


def test_tolerance_is_one_unit_of_the_last_asked_digit():
    part = Part("x", "x", "real", 0.123456)  # four significant digits: 0.1235, one unit 1e-4
    v = _variant(part)
    for ok in ("0.1235", "0.1234", "0.12346", "1.235e-1", "12.35e-2", "0.12355"):
        assert grade(v, {"x": ok}).correct, ok
    for wrong in ("0.1237", "0.1233", "0.1236"):  # 0.1236 is 1.4e-4 from the exact value
        assert grade(v, {"x": wrong}).parts[0].status == "wrong", wrong
    dec = _variant(Part("x", "x", "real", 2.71828, precision=Precision.dec(2)))
    assert grade(dec, {"x": "2.72"}).correct and grade(dec, {"x": "2.71"}).correct
    assert grade(dec, {"x": "2.70"}).parts[0].status == "wrong"


def test_coarser_answer_is_imprecise_and_no_verdict():
    v = _variant(Part("x", "x", "real", 0.123456))
    for coarse in ("0.123", "0.12", "0.1", "1.2e-1"):
        r = grade(v, {"x": coarse})
        assert r.parts[0].status == "imprecise", coarse
        assert not r.readable and r.score == 0 and r.mistakes == []
        assert "4 位有效数字" in r.parts[0].feedback
    # coarse but not right to the digits given: wrong
    assert grade(v, {"x": "0.13"}).parts[0].status == "wrong"
    # judged at the last digit typed: "1" and "1200" are 1.05 and 1234.5 rounded there, "0.9" is not
    assert grade(_variant(Part("x", "x", "real", 1.05)), {"x": "1"}).parts[0].status == "imprecise"
    assert grade(_variant(Part("x", "x", "real", 1.05)), {"x": "0.9"}).parts[0].status == "wrong"
    assert grade(_variant(Part("x", "x", "real", 1234.5)), {"x": "1200"}).parts[0].status == "imprecise"
    # a fraction is exact: 1/8 = 0.125 is simply wrong here
    assert grade(v, {"x": "1/8"}).parts[0].status == "wrong"
    # unless it is exactly what a listed mistake gives: then it is that mistake
    m = Mistake("m", "mistake", {"x": 0.12})
    v = _variant(Part("x", "x", "real", 0.123456), m)
    for typed in ("0.12", "0.1200"):
        r = grade(v, {"x": typed})
        assert r.readable and r.mistake == m, typed
    # a mistake that is only close to the typed value leaves it imprecise (at four digits it is not it)
    near = _variant(Part("x", "x", "real", 0.123456), Mistake("m", "mistake", {"x": 0.1203}))
    assert grade(near, {"x": "0.12"}).parts[0].status == "imprecise"


def test_percent_answers_count_their_digits():
    v = _variant(Part("p", "p", "real", 0.123456, ratio=True))
    assert grade(v, {"p": "12.35%"}).correct
    assert grade(v, {"p": "12.3%"}).parts[0].status == "imprecise"
    assert "可写百分数" in v.part("p").precision.describe()


def test_vector_names_the_elements_that_are_off_and_mostly_right_is_a_near_miss():
    v = _variant(Part("v", "v", "vector", [0.1, 0.2, 0.3, 0.4]))
    r = grade(v, {"v": "0.1, 0.25, 0.3, 0.4"})
    assert r.parts[0].off == [1] and "第 2 个元素不对" in r.parts[0].feedback
    assert r.near_miss  # three of four elements right
    r = grade(v, {"v": "0.1, 0.25, 0.35, 0.45"})
    assert r.parts[0].off == [1, 2, 3] and not r.near_miss
    lst = _variant(Part("k", "k", "list", [3, 0, 2]))
    r = grade(lst, {"k": "3, 2, 0"})
    assert r.parts[0].off == [1, 2] and not r.near_miss


def test_near_miss_counts_parts():
    parts = (Part("a", "a", "int", 1), Part("b", "b", "int", 2), Part("c", "c", "int", 3))
    v = Variant("f", 1, None, {}, "", parts, "")
    assert grade(v, {"a": "1", "b": "2", "c": "4"}).near_miss
    assert not grade(v, {"a": "1", "b": "5", "c": "4"}).near_miss
    assert not grade(v, {"a": "1", "b": "2", "c": "3"}).near_miss  # right is no near miss


def test_two_mistakes_within_tolerance_of_each_other_are_both_named():
    # this variant's KL in log2 (0.146033) and its reversed KL (0.146077) are 0.03% apart: at four
    # significant digits one typed value fits both, and the feedback names both rather than guess
    v = get_family("kl_divergence").instantiate({"K": 3, "direction": "PQ", "data_seed": 1767})
    by_id = {m.id: m for m in v.mistakes}
    log2, rev = by_id["kl.log2"], by_id["kl.reversed"]
    for typed in ("0.1460", "0.1461"):
        r = grade(v, {"kl": typed, "call": v.answers["call"]})
        assert {m.id for m in r.mistakes} == {"kl.log2", "kl.reversed"}, typed
        assert "」或「" in r.parts[0].feedback
    # each is still a mistake of its own: a value within one's tolerance but not the other's names one
    assert abs(0.14596 - log2.values["kl"]) < 1e-4 < abs(0.14596 - rev.values["kl"])
    assert [m.id for m in grade(v, {"kl": "0.14596", "call": v.answers["call"]}).mistakes] == ["kl.log2"]
    assert [m.id for m in grade(v, {"kl": "0.14615", "call": v.answers["call"]}).mistakes] == ["kl.reversed"]


def test_batch_grading_applies_the_same_precision_and_imprecise_rule():
    # sigmoid(0.5) = 0.622459, tanh(0.5) = 0.462117: five significant digits asked
    fam = get_family("activation_values")
    params = [{"fn": f, "x": 0.5, "slope": 0.1, "alpha": 1.0} for f in ("sigmoid", "tanh", "tanh")]
    answers = [
        {"value": "0.62246", "grad": "0.23500"},  # right to five digits
        {"value": "0.462", "grad": "0.78645"},  # three digits, right to those: imprecise
        {"value": "0.46300", "grad": "0.78645"},  # five digits, off: wrong
    ]
    batch = grade_batch(fam, params, answers)
    assert [b["parts"]["value"] for b in batch] == ["correct", "imprecise", "wrong"]
    for v, a, b in zip((fam.instantiate(p) for p in params), answers, batch, strict=True):
        assert grade(v, a).parts[0].status == b["parts"]["value"]
