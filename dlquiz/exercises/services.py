"""Exercise cards in the study loop: one stored variant per review, graded once.

The variant is drawn with a fresh random seed when the learner opens the card for a review and stored
(family, version, seed, params) so exactly that variant is graded. An unreadable answer is explained and
costs nothing: the attempt stays open. A graded attempt answers every later submission with its first
result. The grade implies a rating (wrong → Again, right → Good) that the learner may change before
submitting the review through the study loop.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

import engine
from dlquiz.decks.models import Card
from dlquiz.errors import NotFound, ServiceError
from dlquiz.exercises.models import ExerciseAttempt
from dlquiz.study.models import CardState

MAX_ANSWER_BYTES = engine.MAX_INPUT_CHARS


def _exercise_state(*, user: User, card_id: int, lock: bool = False) -> CardState:
    qs = CardState.objects.select_related("card")
    if lock:
        qs = qs.select_for_update()
    try:
        cs = qs.get(user=user, card_id=card_id)
    except CardState.DoesNotExist:
        raise NotFound("卡片不存在 / card not found") from None
    if cs.card.kind != Card.Kind.EXERCISE:
        raise ServiceError("这不是练习卡 / not an exercise card", code="not_exercise")
    return cs


def _fits(params: Mapping[str, Any], narrow: Mapping[str, Any]) -> bool:
    for name, rule in narrow.items():
        value = params.get(name)
        if isinstance(rule, list) and len(rule) == 2 and all(isinstance(x, (int, float)) for x in rule):
            if not (isinstance(value, (int, float)) and rule[0] <= value <= rule[1]):
                return False
        elif isinstance(rule, list):
            if value not in rule:
                return False
        elif value != rule:
            return False
    return True


def variant_draw(*, card: Card, seed: int) -> engine.Variant:
    """A variant of the card's family from ``seed``, within the card's narrowed parameter ranges."""
    family = engine.get_family(card.family)
    rng = random.Random(seed)
    first = None
    for _ in range(200):
        v = family.generate(rng.randrange(2**31))
        first = first or v
        if _fits(v.params, card.params or {}):
            return v
    assert first is not None
    return first


def attempt_variant(attempt: ExerciseAttempt) -> engine.Variant:
    return engine.get_family(attempt.family).instantiate(attempt.params)


def exercise_current(*, user: User, card_id: int) -> ExerciseAttempt:
    """The attempt of the card's current review, drawn now if the learner has none yet."""
    cs = _exercise_state(user=user, card_id=card_id)
    existing = ExerciseAttempt.objects.filter(user=user, card_id=card_id, review_number=cs.reps).first()
    if existing is not None:
        return existing
    seed = secrets.randbits(62)
    v = variant_draw(card=cs.card, seed=seed)
    try:
        with transaction.atomic():
            return ExerciseAttempt.objects.create(
                user=user,
                card_id=card_id,
                review_number=cs.reps,
                family=v.family,
                family_version=v.version,
                seed=v.seed if v.seed is not None else seed,
                params=dict(v.params),
            )
    except IntegrityError:  # a concurrent request drew first: use its variant
        return ExerciseAttempt.objects.get(user=user, card_id=card_id, review_number=cs.reps)


def exercise_answer(
    *, user: User, card_id: int, attempt_id: int, answers: Mapping[str, str]
) -> tuple[ExerciseAttempt, dict[str, Any]]:
    """Grade the answers of an open attempt (once). Returns the attempt and the result dict."""
    if sum(len(str(k)) + len(str(v)) for k, v in answers.items()) > MAX_ANSWER_BYTES:
        raise ServiceError(
            f"答案过长（上限 {MAX_ANSWER_BYTES} 字符）/ answer too long", code="too_long", status_code=413
        )
    with transaction.atomic():
        _exercise_state(user=user, card_id=card_id)
        try:
            attempt = ExerciseAttempt.objects.select_for_update().get(
                pk=attempt_id, user=user, card_id=card_id
            )
        except ExerciseAttempt.DoesNotExist:
            raise NotFound("练习不存在 / attempt not found") from None
        if attempt.result is not None:
            return attempt, attempt.result
        variant = attempt_variant(attempt)
        unknown = set(answers) - {p.name for p in variant.parts}
        if unknown:
            raise ServiceError(
                "未知的答案项 / unknown answer parts",
                fields={"answers": [f"unknown part {n!r}" for n in sorted(unknown)]},
            )
        result = engine.grade(variant, answers).to_dict()
        result["suggested_rating"] = (3 if result["correct"] else 1) if result["readable"] else None
        if not result["readable"]:
            result["solution"] = ""  # no peeking: the learner corrects the input and tries again
            return attempt, result
        attempt.answers = dict(answers)
        attempt.result = result
        attempt.suggested_rating = result["suggested_rating"]
        attempt.graded_at = timezone.now()
        attempt.save(update_fields=["answers", "result", "suggested_rating", "graded_at"])
        return attempt, result
