"""Writes of the study loop. Each service owns its transaction and row locks."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from dlquiz.errors import Conflict, NotFound, ServiceError
from dlquiz.study import merge, review_sql, scheduling, siblings
from dlquiz.study.models import CardState, ReviewLog, StudySettings
from dlquiz.study.scheduling import MemoryState, review_seed, scheduler_for
from dlquiz.study.selectors import settings_get, study_day_bounds
from dlquiz.study.zones import zone_get

MAX_CLOCK_SKEW = dt.timedelta(minutes=5)
#: The earliest ``reviewed_at`` an offline client may send: nothing was studied in this app before it.
EARLIEST_REVIEW = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass
class ReviewOutcome:
    log: ReviewLog
    created: bool
    leech: bool = False  # this review's lapse made the card a leech: tagged and suspended


def is_leech_lapse(before: MemoryState, after: MemoryState, *, threshold: int) -> bool:
    """The review lapsed the card (a review card rated Again) and its lapses reached ``threshold``."""
    return after.lapses > before.lapses and after.lapses >= threshold


def _locked_state(*, user: User, card_id: int) -> CardState:
    try:
        return (
            CardState.objects.select_for_update(of=("self",))
            .select_related("card")
            .get(user=user, card_id=card_id)
        )
    except CardState.DoesNotExist:
        raise NotFound("卡片不存在 / card not found") from None


def review_submit(
    *,
    user: User,
    card_id: int,
    rating: int,
    client_review_id: str,
    now: dt.datetime,
    reviewed_at: dt.datetime | None = None,
    duration_ms: int | None = None,
) -> ReviewOutcome:
    """Record one review. Idempotent on ``client_review_id``: a repeat returns the first result and
    writes nothing. ``reviewed_at`` (an offline client's clock) may not be in the future nor before the
    card's last review.

    The unique (user, client_review_id) index is the idempotency check: the insert of a repeated id fails,
    the transaction rolls back whole, and the first review is returned. Concurrent reviews of one card
    queue on the card state's row lock, so each starts from the state the previous one left.
    This is the hottest write of the product: its statements are prepared SQL (``review_sql``), not
    ORM queries compiled on every request.
    """
    if rating not in (1, 2, 3, 4):
        raise ServiceError(
            "rating 必须是 1-4 / rating must be 1-4", fields={"rating": ["must be 1, 2, 3 or 4"]}
        )
    when = reviewed_at or now
    if when > now + MAX_CLOCK_SKEW:
        raise ServiceError(
            "reviewed_at 在未来 / reviewed_at is in the future", fields={"reviewed_at": ["in the future"]}
        )
    if when < EARLIEST_REVIEW:
        raise ServiceError(
            "reviewed_at 太早 / reviewed_at is too early", fields={"reviewed_at": ["before 2000-01-01"]}
        )
    prefs = settings_get(user=user)
    try:
        with transaction.atomic():
            locked = review_sql.card_state_lock(user_id=user.pk, card_id=card_id)
            if locked is None:
                raise NotFound("卡片不存在 / card not found")
            if locked.suspended:
                raise Conflict("卡片已暂停 / card is suspended")
            before = locked.memory
            if before.last_review and when < before.last_review:
                raise Conflict("reviewed_at 早于上次复习 / reviewed_at is before the last review")
            seed = review_seed(user_id=user.pk, card_id=card_id, reps=before.reps)
            after = scheduling.review(
                before, rating=rating, now=when, scheduler=scheduler_for(prefs), seed=seed
            )
            leech = is_leech_lapse(before, after, threshold=prefs.leech_threshold)
            until = study_day_bounds(prefs=prefs, now=when)[1]
            buried = siblings.siblings_bury(user_id=user.pk, card_id=card_id, until=until)
            log = ReviewLog(
                user_id=user.pk,
                card_id=card_id,
                kind=ReviewLog.Kind.REVIEW,
                rating=rating,
                reviewed_at=when,
                duration_ms=duration_ms,
                client_review_id=client_review_id,
                state_before=before.to_json(),
                state_after=after.to_json(),
                prior_state=before.state,
                created_at=now,
                effects=_effects(locked, buried=buried, until=until, leech=leech),
            )
            review_sql.review_write(state_id=locked.id, memory=after, log=log)
            if leech:  # rare: not worth a place in the prepared statements
                CardState.objects.filter(pk=locked.id).update(leech=True, suspended=True)
        return ReviewOutcome(log, True, leech)
    except (IntegrityError, Conflict, NotFound):
        existing = ReviewLog.objects.filter(user=user, client_review_id=client_review_id).first()
        if existing is None:
            raise
        return _same_request(existing, card_id, rating)


def _effects(
    locked: review_sql.LockedState, *, buried: dict[int, dt.datetime | None], until: dt.datetime, leech: bool
) -> dict[str, Any]:
    """``ReviewLog.effects``: what the review changes besides the memory state, as undo needs it."""
    out: dict[str, Any] = {}
    if buried:
        out["bury_until"] = until.isoformat()
        out["buried"] = {str(pk): None if b is None else b.isoformat() for pk, b in buried.items()}
    if locked.buried_until is not None:  # the review ends the card's own bury
        out["buried_until"] = locked.buried_until.isoformat()
    if leech:
        out["leech"] = locked.leech
    return out


def _effects_undo(*, user: User, cs: CardState, effects: dict[str, Any]) -> list[str]:
    """Undo the effects of a review on ``cs`` (locked; the caller saves the fields named) and its siblings."""
    fields = []
    if "buried_until" in effects:
        cs.buried_until = dt.datetime.fromisoformat(effects["buried_until"])
        fields.append("buried_until")
    if "leech" in effects:  # the review made it a leech (online it was not suspended: it was answered)
        cs.leech, cs.suspended = bool(effects["leech"]), bool(effects.get("suspended", False))
        fields += ["leech", "suspended"]
    if effects.get("buried"):
        siblings.siblings_unbury(
            user_id=user.pk,
            buried={
                int(pk): None if b is None else dt.datetime.fromisoformat(b)
                for pk, b in effects["buried"].items()
            },
            until=dt.datetime.fromisoformat(effects["bury_until"]),
        )
    return fields


def _same_request(log: ReviewLog, card_id: int, rating: int) -> ReviewOutcome:
    if log.card_id != card_id or log.rating != rating:
        raise Conflict("client_review_id 已用于另一次复习 / client_review_id was used for a different review")
    return ReviewOutcome(log, False, "leech" in (log.effects or {}))


def _apply(cs: CardState, m: MemoryState, extra: list[str] | None = None) -> None:
    fields = m.fields()
    for k, v in fields.items():
        setattr(cs, k, v)
    cs.changed_at = timezone.now()
    cs.save(update_fields=[*fields, "changed_at", *(extra or [])])


UNDO_ATTEMPTS = 20


def review_undo(*, user: User) -> ReviewLog:
    """Undo the learner's last review (or reset): restore the exact previous state, delete the log row; what
    else the review changed (``ReviewLog.effects``: the leech tag and suspension, siblings buried, the card's
    own bury) is restored too.

    Locks in the order every write of a card does (``review_submit``, ``card_reset``): the card state row
    first, then the log. The last log row names the card; once that card's state is locked no other write
    can add or remove that card's log rows, so the last row is read again and, if a review of another card
    came in meanwhile, the attempt rolls back (releasing the lock) and starts over.
    """
    for _ in range(UNDO_ATTEMPTS):
        with transaction.atomic():
            card_id = (
                ReviewLog.objects.filter(user=user).order_by("-id").values_list("card_id", flat=True).first()
            )
            if card_id is None:
                raise NotFound("没有可撤销的复习 / nothing to undo")
            cs = _locked_state(user=user, card_id=card_id)
            log = ReviewLog.objects.select_for_update().filter(user=user).order_by("-id").first()
            if log is not None and log.card_id == card_id:
                ReviewLog.objects.filter(pk=log.pk).delete()  # by query: the returned row keeps its id
                extra = _effects_undo(user=user, cs=cs, effects=log.effects or {})
                _apply(cs, _state_without(user=user, log=log), extra)
                return log
    raise Conflict("复习正在进行，请重试 / reviews are in progress, try again")


def _state_without(*, user: User, log: ReviewLog) -> MemoryState:
    """The card's state once ``log`` (deleted) is gone: its ``state_before``, with the card's rows that come
    after it in replay order (an offline review synced after it but made earlier) replayed from there."""
    start = MemoryState.from_json(log.state_before)
    later = list(
        ReviewLog.objects.filter(user=user, card_id=log.card_id, reviewed_at__gt=log.reviewed_at).order_by(
            *merge.REPLAY_ORDER
        )
    )
    if not later:
        return start
    result = merge.log_replay(
        user_id=user.pk,
        card_id=log.card_id,
        start=start,
        logs=later,
        scheduler=scheduler_for(settings_get(user=user)),
    )
    review_sql.log_states_write(result.rewritten)
    return result.state


@transaction.atomic
def card_suspend(*, user: User, card_id: int, suspended: bool = True) -> CardState:
    cs = _locked_state(user=user, card_id=card_id)
    cs.suspended = suspended
    cs.changed_at = timezone.now()
    cs.save(update_fields=["suspended", "changed_at"])
    return cs


@transaction.atomic
def card_bury(*, user: User, card_id: int, now: dt.datetime) -> CardState:
    """Hide the card until the learner's next study day starts."""
    cs = _locked_state(user=user, card_id=card_id)
    _, day_end = study_day_bounds(prefs=settings_get(user=user), now=now)
    cs.buried_until = day_end
    cs.changed_at = timezone.now()
    cs.save(update_fields=["buried_until", "changed_at"])
    return cs


@transaction.atomic
def card_unbury(*, user: User, card_id: int) -> CardState:
    """Undo a bury: the card can be studied again at once."""
    cs = _locked_state(user=user, card_id=card_id)
    cs.buried_until = None
    cs.changed_at = timezone.now()
    cs.save(update_fields=["buried_until", "changed_at"])
    return cs


@transaction.atomic
def card_reset(*, user: User, card_id: int, now: dt.datetime, client_review_id: str) -> CardState:
    """Forget the card: back to NEW. Logged (kind=reset) so replay and undo stay exact."""
    cs = _locked_state(user=user, card_id=card_id)
    before = scheduling.memory_of(cs)
    after = MemoryState()
    try:
        with transaction.atomic():
            ReviewLog.objects.create(
                user=user,
                card_id=card_id,
                kind=ReviewLog.Kind.RESET,
                rating=0,
                reviewed_at=now,
                client_review_id=client_review_id,
                state_before=before.to_json(),
                state_after=after.to_json(),
                prior_state=before.state,
            )
    except IntegrityError:
        raise Conflict("client_review_id 已被使用 / client_review_id already used") from None
    _apply(cs, after)
    return cs


def card_state_replay(
    *, user: User, card_id: int, parameters: list[float] | tuple[float, ...] | None = None
) -> MemoryState:
    """Rebuild a card's memory state from its review log alone, with the learner's current settings and FSRS
    parameters (or ``parameters``, as an optimisation run reschedules with)."""
    scheduler = scheduler_for(settings_get(user=user), parameters=parameters)
    rows = ReviewLog.objects.filter(user=user, card_id=card_id).order_by(*merge.REPLAY_ORDER)
    events = [
        scheduling.ReplayEvent(0 if kind == ReviewLog.Kind.RESET else rating, at)
        for kind, rating, at in rows.values_list("kind", "rating", "reviewed_at")
    ]
    return scheduling.replay(events, scheduler=scheduler, user_id=user.pk, card_id=card_id)


SETTINGS_FIELDS = (
    "desired_retention",
    "new_per_day",
    "max_reviews_per_day",
    "learning_steps",
    "relearning_steps",
    "timezone",
    "day_start_hour",
    "reminder_time",
    "email_reminders",
    "language",
    "leech_threshold",
    "learn_ahead_minutes",
    "new_card_order",
    "deck_new_limits",
    "deck_review_limits",
)


@transaction.atomic
def settings_update(*, user: User, **changes: Any) -> StudySettings:
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ServiceError(f"unknown settings: {', '.join(sorted(unknown))}")
    errors: dict[str, list[str]] = {}
    if "timezone" in changes and zone_get(changes["timezone"]) is None:
        errors["timezone"] = ["unknown time zone"]
    if "desired_retention" in changes and not math.isfinite(changes["desired_retention"]):
        errors["desired_retention"] = ["must be a finite number"]
    for name in ("learning_steps", "relearning_steps"):
        if name in changes:
            steps = changes[name]
            if (
                not isinstance(steps, list)
                or len(steps) > 10
                or not all(isinstance(m, int) and 1 <= m <= 1440 * 7 for m in steps)
            ):
                errors[name] = ["a list of up to 10 whole minutes, each 1..10080"]
    if errors:
        raise ServiceError("设置无效 / invalid settings", fields=errors)
    prefs, _ = StudySettings.objects.select_for_update().get_or_create(user=user)
    for k, v in changes.items():
        setattr(prefs, k, v)
    prefs.full_clean()
    prefs.save(update_fields=list(changes) or None)
    return prefs
