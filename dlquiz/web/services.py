"""Practice exercises: a fresh variant of an exercise card, graded without touching the schedule.

Nothing is stored: the drawn variant travels to the client as a signed token (family, version and
parameters, bound to the learner and the card) and comes back with the answers.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core import signing

import engine
from dlquiz.decks.models import Card
from dlquiz.errors import ServiceError
from dlquiz.exercises.services import MAX_ANSWER_BYTES, variant_draw
from dlquiz.study.browse import card_state_get

TOKEN_SALT = "dlquiz.web.practice"
TOKEN_MAX_AGE = 24 * 3600


def practice_exercise_draw(*, user: User, card_id: int) -> tuple[str, engine.Variant]:
    """A new variant of one of the learner's exercise cards and the token that names it."""
    cs = card_state_get(user=user, card_id=card_id)
    if cs.card.kind != Card.Kind.EXERCISE:
        raise ServiceError("这不是练习卡 / not an exercise card", code="not_exercise")
    v = variant_draw(card=cs.card, seed=secrets.randbits(62))
    token = signing.dumps(
        {"u": user.pk, "c": card_id, "f": v.family, "v": v.version, "p": dict(v.params)},
        salt=TOKEN_SALT,
        compress=True,
    )
    return token, v


def practice_exercise_grade(*, user: User, token: str, answers: Mapping[str, str]) -> dict[str, Any]:
    """Grade answers to a practice variant. Returns the same result shape as a study-loop answer."""
    if sum(len(str(k)) + len(str(v)) for k, v in answers.items()) > MAX_ANSWER_BYTES:
        raise ServiceError(
            f"答案过长（上限 {MAX_ANSWER_BYTES} 字符）/ answer too long", code="too_long", status_code=413
        )
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise ServiceError(
            "练习已过期，请换一题 / practice exercise expired",
            code="bad_token",
            fields={"token": ["invalid or expired"]},
        ) from None
    if data.get("u") != user.pk:
        raise ServiceError(
            "练习已过期，请换一题 / practice exercise expired",
            code="bad_token",
            fields={"token": ["invalid or expired"]},
        )
    family = engine.get_family(data["f"])
    if family.version != data["v"]:
        raise ServiceError(
            "题目已更新，请换一题 / the exercise changed", code="stale_token", fields={"token": ["stale"]}
        )
    variant = family.instantiate(data["p"])
    unknown = set(answers) - {p.name for p in variant.parts}
    if unknown:
        raise ServiceError(
            "未知的答案项 / unknown answer parts",
            fields={"answers": [f"unknown part {n!r}" for n in sorted(unknown)]},
        )
    result = engine.grade(variant, answers).to_dict()
    result["suggested_rating"] = None
    if not result["readable"]:
        result["solution"] = ""
    return result
