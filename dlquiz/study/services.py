"""Writes of the study loop. Each service owns its transaction and row locks."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.utils.dateparse import parse_datetime

from dlquiz.api.errors import Conflict, NotFound, ServiceError
from dlquiz.study import scheduling
from dlquiz.study.models import CardState, ReviewLog, StudySettings
from dlquiz.study.selectors import review_seed, scheduler_for, settings_get, study_day_bounds

MAX_CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass
class ReviewOutcome:
    log: ReviewLog
    created: bool


def _locked_state(*, user: User, card_id: int) -> CardState:
    try:
        return CardState.objects.select_for_update().select_related("card").get(user=user, card_id=card_id)
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
    This is the hottest write of the product: its three statements are prepared SQL (``_sql``), not
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
    prefs = settings_get(user=user)
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(_sql().lock, [user.pk, card_id])
            row = cur.fetchone()
            if row is None:
                raise NotFound("卡片不存在 / card not found")
            state_id, suspended, before = row[0], row[1], _memory_from_row(row[2:])
            if suspended:
                raise Conflict("卡片已暂停 / card is suspended")
            last = scheduling.parse_time(before["last_review"])
            if last and when < last:
                raise Conflict("reviewed_at 早于上次复习 / reviewed_at is before the last review")
            seed = review_seed(user_id=user.pk, card_id=card_id, reps=before["reps"])
            after = scheduling.review(
                before, rating=rating, now=when, scheduler=scheduler_for(prefs), seed=seed
            )
            ops = connection.ops
            f = scheduling.state_fields(after)
            update_args: list[Any] = [
                f["state"],
                f["step"],
                f["stability"],
                f["difficulty"],
                ops.adapt_datetimefield_value(f["due"]),
                ops.adapt_datetimefield_value(f["last_review"]),
                f["reps"],
                f["lapses"],
                state_id,
            ]
            insert_args: list[Any] = [
                user.pk,
                card_id,
                ReviewLog.Kind.REVIEW,
                rating,
                ops.adapt_datetimefield_value(when),
                duration_ms,
                client_review_id,
                ops.adapt_json_value(before, None),
                ops.adapt_json_value(after, None),
                before["state"],
                ops.adapt_datetimefield_value(now),
            ]
            statements = _sql()
            if statements.update_and_insert:  # PostgreSQL: one round trip for both writes
                cur.execute(statements.update_and_insert, update_args + insert_args)
                log_id = cur.fetchone()[0]
            else:
                cur.execute(statements.insert_log, insert_args)
                log_id = cur.fetchone()[0]
                cur.execute(statements.update_state, update_args)
        log = ReviewLog(
            id=log_id,
            user_id=user.pk,
            card_id=card_id,
            kind=ReviewLog.Kind.REVIEW,
            rating=rating,
            reviewed_at=when,
            duration_ms=duration_ms,
            client_review_id=client_review_id,
            state_before=before,
            state_after=after,
            prior_state=before["state"],
            created_at=now,
        )
        return ReviewOutcome(log, True)
    except (IntegrityError, Conflict, NotFound):
        existing = ReviewLog.objects.filter(user=user, client_review_id=client_review_id).first()
        if existing is None:
            raise
        return _same_request(existing, card_id, rating)


_MEMORY_COLUMNS = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses")


@dataclass(frozen=True)
class _Statements:
    lock: str
    insert_log: str
    update_state: str
    update_and_insert: str  # empty where the database has no data-modifying CTEs


@functools.cache
def _sql() -> _Statements:
    """The review's statements, built once from the models' table and column names."""
    qn = connection.ops.quote_name
    cs, log = qn(CardState._meta.db_table), qn(ReviewLog._meta.db_table)
    lock = (
        f"SELECT {qn('id')}, {qn('suspended')}, {', '.join(qn(c) for c in _MEMORY_COLUMNS)} FROM {cs} "
        f"WHERE {qn('user_id')} = %s AND {qn('card_id')} = %s"
    )
    if connection.features.has_select_for_update:
        lock += " FOR UPDATE"
    log_cols = (
        "user_id",
        "card_id",
        "kind",
        "rating",
        "reviewed_at",
        "duration_ms",
        "client_review_id",
        "state_before",
        "state_after",
        "prior_state",
        "created_at",
    )
    insert = (
        f"INSERT INTO {log} ({', '.join(qn(c) for c in log_cols)}) VALUES ({', '.join(['%s'] * len(log_cols))}) "
        f"RETURNING {qn('id')}"
    )
    update = (
        f"UPDATE {cs} SET {', '.join(f'{qn(c)} = %s' for c in _MEMORY_COLUMNS)}, {qn('buried_until')} = NULL "
        f"WHERE {qn('id')} = %s"
    )
    both = ""
    if connection.vendor == "postgresql":
        both = (
            f"WITH upd AS ({update} RETURNING 1) INSERT INTO {log} ({', '.join(qn(c) for c in log_cols)}) "
            f"SELECT {', '.join(['%s'] * len(log_cols))} FROM upd RETURNING {qn('id')}"
        )
    return _Statements(lock, insert, update, both)


def _memory_from_row(row: tuple[Any, ...]) -> scheduling.MemoryState:
    state, step, stability, difficulty, due, last_review, reps, lapses = row
    return {
        "state": int(state),
        "step": step,
        "stability": stability,
        "difficulty": difficulty,
        "due": _iso_db(due),
        "last_review": _iso_db(last_review),
        "reps": reps,
        "lapses": lapses,
    }


def _iso_db(value: Any) -> str | None:
    """A datetime column read by a raw cursor (SQLite gives text, PostgreSQL an aware datetime) as ISO UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def _same_request(log: ReviewLog, card_id: int, rating: int) -> ReviewOutcome:
    if log.card_id != card_id or log.rating != rating:
        raise Conflict("client_review_id 已用于另一次复习 / client_review_id was used for a different review")
    return ReviewOutcome(log, False)


def _apply(cs: CardState, m: scheduling.MemoryState, **extra: Any) -> None:
    fields = scheduling.state_fields(m) | extra
    for k, v in fields.items():
        setattr(cs, k, v)
    cs.save(update_fields=list(fields))


@transaction.atomic
def review_undo(*, user: User) -> ReviewLog:
    """Undo the learner's last review (or reset): restore the exact previous state, delete the log row."""
    log = ReviewLog.objects.select_for_update().filter(user=user).order_by("-id").first()
    if log is None:
        raise NotFound("没有可撤销的复习 / nothing to undo")
    cs = _locked_state(user=user, card_id=log.card_id)
    _apply(cs, log.state_before)
    log.delete()
    return log


@transaction.atomic
def card_suspend(*, user: User, card_id: int, suspended: bool = True) -> CardState:
    cs = _locked_state(user=user, card_id=card_id)
    cs.suspended = suspended
    cs.save(update_fields=["suspended"])
    return cs


@transaction.atomic
def card_bury(*, user: User, card_id: int, now: dt.datetime) -> CardState:
    """Hide the card until the learner's next study day starts."""
    cs = _locked_state(user=user, card_id=card_id)
    _, day_end = study_day_bounds(prefs=settings_get(user=user), now=now)
    cs.buried_until = day_end
    cs.save(update_fields=["buried_until"])
    return cs


@transaction.atomic
def card_reset(*, user: User, card_id: int, now: dt.datetime, client_review_id: str) -> CardState:
    """Forget the card: back to NEW. Logged (kind=reset) so replay and undo stay exact."""
    cs = _locked_state(user=user, card_id=card_id)
    before = scheduling.memory_of(cs)
    after = scheduling.new_state()
    try:
        with transaction.atomic():
            ReviewLog.objects.create(
                user=user,
                card_id=card_id,
                kind=ReviewLog.Kind.RESET,
                rating=0,
                reviewed_at=now,
                client_review_id=client_review_id,
                state_before=before,
                state_after=after,
                prior_state=before["state"],
            )
    except IntegrityError:
        raise Conflict("client_review_id 已被使用 / client_review_id already used") from None
    _apply(cs, after)
    return cs


def card_state_replay(*, user: User, card_id: int) -> scheduling.MemoryState:
    """Rebuild a card's memory state from its review log alone (with the learner's current settings)."""
    prefs = settings_get(user=user)
    scheduler = scheduler_for(prefs)
    m = scheduling.new_state()
    for log in ReviewLog.objects.filter(user=user, card_id=card_id).order_by("id"):
        if log.kind == ReviewLog.Kind.RESET:
            m = scheduling.new_state()
            continue
        seed = review_seed(user_id=user.pk, card_id=card_id, reps=m["reps"])
        m = scheduling.review(m, rating=log.rating, now=log.reviewed_at, scheduler=scheduler, seed=seed)
    return m


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
)


@transaction.atomic
def settings_update(*, user: User, **changes: Any) -> StudySettings:
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ServiceError(f"unknown settings: {', '.join(sorted(unknown))}")
    errors: dict[str, list[str]] = {}
    if "timezone" in changes:
        try:
            ZoneInfo(changes["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = ["unknown time zone"]
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
    prefs = StudySettings.objects.select_for_update().get(pk=settings_get(user=user).pk)
    for k, v in changes.items():
        setattr(prefs, k, v)
    prefs.full_clean()
    prefs.save(update_fields=list(changes) or None)
    return prefs
