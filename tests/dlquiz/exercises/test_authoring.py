"""The editors' "check this card" (exercise_card_verify) against graders that are wrong on purpose: each
kind of failure the check exists to find is reported (a check that could not fail would be no check)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import engine
from dlquiz.exercises.authoring import exercise_card_verify
from dlquiz.exercises.services import variant_draw
from tests.factories import make_deck

pytestmark = pytest.mark.django_db

FAMILY = "conv2d_output_size"


@pytest.fixture
def card():
    return make_deck(1, kind="exercise", family=FAMILY).cards.get()


def _n_mistakes(card) -> int:
    """How many named mistakes the 8 checked variants list (from the draws themselves, not the report)."""
    return sum(len(variant_draw(card=card, seed=s).mistakes) for s in range(1, 9))


def test_the_real_grader_passes(card):
    report = exercise_card_verify(card=card)
    assert report.ok, report.failures
    assert (report.variants, report.own_answers, report.random_inputs) == (8, 8, 100)
    assert report.mistakes == _n_mistakes(card) > 0


def test_a_grader_that_accepts_anything_is_caught(card, monkeypatch):
    monkeypatch.setattr(
        engine, "grade", lambda v, answers: SimpleNamespace(correct=True, mistake=None, mistakes=[])
    )
    report = exercise_card_verify(card=card)
    assert not report.ok
    graded_correct = [f for f in report.failures if "is graded correct" in f]
    accepted = [f for f in report.failures if "is accepted" in f]
    assert len(graded_correct) == _n_mistakes(card) and len(accepted) == 100
    assert "failed" in report.summary()


def test_a_grader_that_refuses_everything_unnamed_is_caught(card, monkeypatch):
    monkeypatch.setattr(
        engine, "grade", lambda v, answers: SimpleNamespace(correct=False, mistake=None, mistakes=[])
    )
    report = exercise_card_verify(card=card)
    assert len([f for f in report.failures if "its own answer" in f]) == 8
    assert len([f for f in report.failures if "graded wrong but not named" in f]) == _n_mistakes(card)


def test_a_grader_that_names_the_wrong_mistake_is_caught(card, monkeypatch):
    other = SimpleNamespace(id="not.this.one", values={"out": "-12345"})
    monkeypatch.setattr(
        engine, "grade", lambda v, answers: SimpleNamespace(correct=False, mistake=other, mistakes=[other])
    )
    report = exercise_card_verify(card=card)
    named = [f for f in report.failures if "is named not.this.one" in f]
    assert len(named) == _n_mistakes(card)


def test_a_crashing_grader_is_reported_not_raised(card, monkeypatch):
    def crash(v, answers):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(engine, "grade", crash)
    report = exercise_card_verify(card=card)
    crashes = [f for f in report.failures if "crashes the grader (ZeroDivisionError: boom)" in f]
    assert len(crashes) == 8 + _n_mistakes(card) + 100
