"""The one grading path of exercise answers, shared by the study loop and practice."""

from __future__ import annotations

import pytest

import engine
from dlquiz.errors import ServiceError
from dlquiz.exercises.services import MAX_ANSWER_BYTES, answers_grade, answers_size_check, variant_rebuild
from tests.engine.helpers import answers_of

FAMILY = "conv2d_output_size"


@pytest.fixture
def variant() -> engine.Variant:
    return engine.get_family(FAMILY).generate(seed=7)


@pytest.mark.parametrize("suggest, right, wrong", [(True, 3, 1), (False, None, None)])
def test_a_readable_grade_shows_the_solution_and_suggests_a_rating_only_in_the_study_loop(
    variant, suggest, right, wrong
):
    ok = answers_grade(variant=variant, answers=answers_of(variant), suggest_rating=suggest)
    assert ok["correct"] is True and ok["readable"] is True and ok["solution"]
    assert ok["suggested_rating"] == right
    bad = answers_grade(
        variant=variant,
        answers=answers_of(variant, out=str(variant.parts[0].answer + 1)),
        suggest_rating=suggest,
    )
    assert bad["correct"] is False and bad["solution"] and bad["suggested_rating"] == wrong


@pytest.mark.parametrize("suggest", [True, False])
def test_an_unreadable_answer_shows_no_solution_and_suggests_nothing(variant, suggest):
    result = answers_grade(variant=variant, answers={"out": "abc"}, suggest_rating=suggest)
    assert result["readable"] is False and result["solution"] == "" and result["suggested_rating"] is None


def test_answers_to_unknown_parts_are_refused(variant):
    with pytest.raises(ServiceError) as exc:
        answers_grade(variant=variant, answers={"out": "1", "nope": "2", "also": "3"}, suggest_rating=True)
    assert exc.value.fields == {"answers": ["unknown part 'also'", "unknown part 'nope'"]}


def test_answers_longer_than_the_engine_reads_are_refused_with_413():
    answers_size_check({"out": "1" * (MAX_ANSWER_BYTES - 3)})
    with pytest.raises(ServiceError) as exc:
        answers_size_check({"out": "1" * (MAX_ANSWER_BYTES - 2)})
    assert exc.value.status_code == 413 and exc.value.code == "too_long"


def test_a_variant_is_rebuilt_only_at_the_version_it_was_drawn_with(variant):
    same = variant_rebuild(family=FAMILY, version=variant.version, params=variant.params)
    assert same is not None and same.params == variant.params and same.prompt == variant.prompt
    assert variant_rebuild(family=FAMILY, version=variant.version + 1, params=variant.params) is None


def _three_counts() -> engine.Variant:
    parts = tuple(engine.Part(n, n, "int", a) for n, a in (("a", 1), ("b", 2), ("c", 3)))
    return engine.Variant("f", 1, None, {}, "", parts, "the solution")


def test_a_near_miss_suggests_hard_and_a_wrong_answer_again():
    v = _three_counts()
    near = answers_grade(variant=v, answers={"a": "1", "b": "2", "c": "4"}, suggest_rating=True)
    assert near["correct"] is False and near["near_miss"] is True and near["suggested_rating"] == 2
    wrong = answers_grade(variant=v, answers={"a": "1", "b": "5", "c": "4"}, suggest_rating=True)
    assert wrong["near_miss"] is False and wrong["suggested_rating"] == 1
    assert (
        answers_grade(variant=v, answers={"a": "1", "b": "2", "c": "4"}, suggest_rating=False)[
            "suggested_rating"
        ]
        is None
    )


@pytest.mark.parametrize("suggest", [True, False])
def test_an_imprecise_answer_is_treated_like_an_unreadable_one(suggest):
    # sigmoid(0.5) = 1/(1 + e^-0.5) = 0.622459; the prompt asks five significant digits
    v = engine.get_family("activation_values").instantiate(
        {"fn": "sigmoid", "x": 0.5, "slope": 0.1, "alpha": 1.0}
    )
    grad = 0.622459 * (1 - 0.622459)
    result = answers_grade(
        variant=v, answers={"value": "0.622", "grad": f"{grad:.5g}"}, suggest_rating=suggest
    )
    assert [p["status"] for p in result["parts"]] == ["imprecise", "correct"]
    assert result["readable"] is False and result["solution"] == "" and result["suggested_rating"] is None
    assert "5 位有效数字" in result["parts"][0]["feedback"]
    ok = answers_grade(variant=v, answers={"value": "0.62246", "grad": f"{grad:.5g}"}, suggest_rating=suggest)
    assert ok["correct"] is True
