"""Exercise cards: a stored variant per study review, graded once; and practice variants, stored nowhere.

Study: the variant is drawn with a fresh random seed when the learner opens the card for a review and
stored (family, version, seed, params) so exactly that variant is graded. An unreadable answer, or one
given with fewer digits than the prompt asks for (imprecise), is explained and costs nothing: the
attempt stays open. A graded attempt answers every later submission with its first result. The grade
implies a rating (wrong → Again, mostly right → Hard, right → Good) that the learner may change before
submitting the review through the study loop.

Practice: a fresh variant of an exercise card, graded without touching the schedule. Nothing is stored:
the drawn variant travels to the client as a signed token (family, version and parameters, bound to the
learner and the card) and comes back with the answers.

Both paths grade with :func:`answers_grade` after :func:`answers_size_check`, so the rules (answer size,
unknown parts, no solution before a readable answer) are the same for both. A variant is only ever
rebuilt from its parameters with the family version it was drawn with (:func:`variant_rebuild`).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

import engine
from dlquiz.decks.models import Card
from dlquiz.errors import Conflict, NotFound, ServiceError
from dlquiz.exercises.models import ExerciseAttempt
from dlquiz.study.models import CardState

MAX_ANSWER_BYTES = engine.MAX_INPUT_CHARS
# The practice token's signing salt; its value predates the move from dlquiz.web (tokens in flight stay valid).
PRACTICE_TOKEN_SALT = "dlquiz.web.practice"
PRACTICE_TOKEN_MAX_AGE = 24 * 3600


def _exercise_state(*, user: User, card_id: int) -> CardState:
    """The learner's state of an exercise card (404 for another learner's card, 400 for a non-exercise)."""
    try:
        cs = CardState.objects.select_related("card").get(user=user, card_id=card_id)
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


def variant_rebuild(*, family: str, version: int, params: Mapping[str, Any]) -> engine.Variant | None:
    """The variant of ``family`` with ``params``, or None when the family is no longer at ``version``: a
    newer version may have other parameters, parts, answers or mistakes, so the variant the learner saw
    cannot be rebuilt."""
    fam = engine.get_family(family)
    if fam.version != version:
        return None
    return fam.instantiate(params)


def answers_size_check(answers: Mapping[str, str]) -> None:
    """Refuse (413) a submission longer than the engine reads, before any work is done for it."""
    if sum(len(str(k)) + len(str(v)) for k, v in answers.items()) > MAX_ANSWER_BYTES:
        raise ServiceError(
            f"答案过长（上限 {MAX_ANSWER_BYTES} 字符）/ answer too long", code="too_long", status_code=413
        )


def answers_grade(
    *, variant: engine.Variant, answers: Mapping[str, str], suggest_rating: bool
) -> dict[str, Any]:
    """Grade answers to a variant: the result shape of both the study and the practice paths.

    Answers to parts the variant does not have are refused. An answer with no verdict (a part unreadable,
    or *imprecise*: fewer digits than the prompt asks for, right to those) shows no solution: the learner
    corrects the input and tries again. With ``suggest_rating`` a readable result suggests the review's
    rating (right → Good, a near miss, mostly right → Hard, otherwise wrong → Again); otherwise
    ``suggested_rating`` is None.
    """
    unknown = set(answers) - {p.name for p in variant.parts}
    if unknown:
        raise ServiceError(
            "未知的答案项 / unknown answer parts",
            fields={"answers": [f"unknown part {n!r}" for n in sorted(unknown)]},
        )
    result = engine.grade(variant, answers).to_dict()
    readable = result["readable"]
    rating = 3 if result["correct"] else 2 if result["near_miss"] else 1
    result["suggested_rating"] = rating if suggest_rating and readable else None
    if not readable:
        result["solution"] = ""  # no peeking
    return result


def attempt_variant(attempt: ExerciseAttempt) -> engine.Variant:
    """The stored variant of an attempt. Refused (409) when its family has changed version since it was
    drawn: the variant cannot be rebuilt as the learner saw it."""
    v = variant_rebuild(family=attempt.family, version=attempt.family_version, params=attempt.params)
    if v is None:
        raise Conflict(
            "题目已更新，请重新打开 / the exercise changed since it was drawn: open the card again",
            code="stale_exercise",
        )
    return v


def _attempt_is_stale(attempt: ExerciseAttempt) -> bool:
    return engine.get_family(attempt.family).version != attempt.family_version


def exercise_current(*, user: User, card_id: int) -> ExerciseAttempt:
    """The attempt of the card's current review, drawn now if the learner has none yet.

    An unanswered attempt whose family has changed version since is drawn again (nothing is lost); a
    graded one is kept (its result stands) and :func:`attempt_variant` refuses to rebuild it.
    """
    cs = _exercise_state(user=user, card_id=card_id)
    existing = ExerciseAttempt.objects.filter(user=user, card_id=card_id, review_number=cs.reps).first()
    if existing is not None:
        if existing.result is not None or not _attempt_is_stale(existing):
            return existing
        ExerciseAttempt.objects.filter(pk=existing.pk, result__isnull=True).delete()
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
    answers_size_check(answers)
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
        result = answers_grade(variant=attempt_variant(attempt), answers=answers, suggest_rating=True)
        if not result["readable"]:  # unreadable or imprecise: costs nothing, the attempt stays open;
            # counted for the item statistics
            ExerciseAttempt.objects.filter(pk=attempt.pk).update(unreadable_count=F("unreadable_count") + 1)
            return attempt, result
        attempt.answers = dict(answers)
        attempt.result = result
        attempt.suggested_rating = result["suggested_rating"]
        attempt.graded_at = timezone.now()
        attempt.save(update_fields=["answers", "result", "suggested_rating", "graded_at"])
        return attempt, result


def practice_exercise_draw(*, user: User, card_id: int) -> tuple[str, engine.Variant]:
    """A new variant of one of the learner's exercise cards and the token that names it."""
    cs = _exercise_state(user=user, card_id=card_id)
    v = variant_draw(card=cs.card, seed=secrets.randbits(62))
    token = signing.dumps(
        {"u": user.pk, "c": card_id, "f": v.family, "v": v.version, "p": dict(v.params)},
        salt=PRACTICE_TOKEN_SALT,
        compress=True,
    )
    return token, v


def practice_exercise_grade(*, user: User, token: str, answers: Mapping[str, str]) -> dict[str, Any]:
    """Grade answers to a practice variant (as often as asked; nothing is recorded, no rating suggested)."""
    answers_size_check(answers)
    expired = ServiceError(
        "练习已过期，请换一题 / practice exercise expired",
        code="bad_token",
        fields={"token": ["invalid or expired"]},
    )
    try:
        data = signing.loads(token, salt=PRACTICE_TOKEN_SALT, max_age=PRACTICE_TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise expired from None
    if not isinstance(data, dict) or data.get("u") != user.pk:
        raise expired
    try:  # signed by this server, but perhaps with a leaked or development key: trust nothing inside
        variant = variant_rebuild(family=str(data["f"]), version=int(data["v"]), params=dict(data["p"]))
    except (KeyError, TypeError, ValueError):  # no such family, or parameters outside its schema
        raise expired from None
    if variant is None:
        raise ServiceError(
            "题目已更新，请换一题 / the exercise changed", code="stale_token", fields={"token": ["stale"]}
        )
    return answers_grade(variant=variant, answers=answers, suggest_rating=False)
