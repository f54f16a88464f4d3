"""Writes of FSRS optimisation: importing an Anki review log, the optimisation run (fit, evaluate, adopt,
reschedule), rescheduling a learner's cards, and the triggers (button, monthly beat, lost runs)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from dlquiz.decks.models import Card, Deck
from dlquiz.decks.services import deck_enroll
from dlquiz.errors import Conflict, ServiceError
from dlquiz.scheduler import fitting
from dlquiz.scheduler.models import OptimizeRun
from dlquiz.study import merge, scheduling
from dlquiz.study.models import CardState, ReviewLog, StudySettings
from dlquiz.study.scheduling import MEMORY_FIELDS, State
from dlquiz.study.selectors import settings_get

__all__ = [
    "ReviewLogImportError",
    "cards_reschedule",
    "optimize_dispatch",
    "optimize_execute",
    "optimize_recover",
    "optimize_request",
    "reschedule_request",
    "review_log_import",
]

log = logging.getLogger(__name__)

BUTTON_INTERVAL = dt.timedelta(days=1)
ANKI_COLUMNS = ("card_id", "review_rating", "review_time", "review_duration")
ANKI_DECK_NAME = "Anki 导入 / Anki import"
MAX_IMPORT_ROWS = 1_000_000


# -- importing an Anki review log ----------------------------------------------------------------------------


class ReviewLogImportError(ServiceError):
    """The log has errors (``FILE:line: message`` each); nothing was written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(
            "复习记录有错误，未导入任何内容 / the review log has errors, nothing was imported",
            fields={"file": errors[:50]},
        )
        self.errors = errors


@dataclass
class ReviewLogImportResult:
    deck: Deck | None
    rows: int
    imported: int
    already: int  # rows imported before (same card and time): skipped
    cards_created: int
    cards: int
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    anki_id: int
    rating: int
    at: dt.datetime
    duration_ms: int | None


def _rows(name: str, text: str, *, now: dt.datetime) -> tuple[list[_Row], list[str]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != list(ANKI_COLUMNS):
        return [], [f"{name}:1: the header must be {','.join(ANKI_COLUMNS)}"]
    rows: list[_Row] = []
    errors: list[str] = []
    seen: dict[tuple[int, dt.datetime], int] = {}
    for values in reader:
        line = reader.line_num
        if not values or values == [""]:
            continue
        if len(rows) + len(errors) >= MAX_IMPORT_ROWS:
            errors.append(f"{name}:{line}: more than {MAX_IMPORT_ROWS} rows")
            break
        if len(values) != len(ANKI_COLUMNS):
            errors.append(f"{name}:{line}: {len(values)} columns, expected {len(ANKI_COLUMNS)}")
            continue
        card_s, rating_s, time_s, duration_s = (v.strip() for v in values)
        problems = []
        card_id = int(card_s) if card_s.isdigit() and len(card_s) <= 18 else None
        if card_id is None:
            problems.append(f"card_id {card_s!r} is not a whole number")
        rating = int(rating_s) if rating_s in ("1", "2", "3", "4") else None
        if rating is None:
            problems.append(f"review_rating {rating_s!r} is not 1, 2, 3 or 4")
        try:
            at: dt.datetime | None = dt.datetime.fromisoformat(time_s)
        except ValueError:
            at = None
            problems.append(f"review_time {time_s!r} is not an ISO 8601 time")
        if at is not None:
            if at.tzinfo is None:
                problems.append(f"review_time {time_s!r} has no UTC offset")
                at = None
            elif not (scheduling_earliest() <= at <= now):
                problems.append(f"review_time {time_s!r} is before 2000 or in the future")
                at = None
        duration: int | None = None
        if duration_s:
            if duration_s.isdigit() and int(duration_s) <= 86_400_000:
                duration = int(duration_s)
            else:
                problems.append(f"review_duration {duration_s!r} is not milliseconds (0..86400000)")
        if problems:
            errors.append(f"{name}:{line}: " + "; ".join(problems))
            continue
        assert card_id is not None and rating is not None and at is not None
        at = at.astimezone(dt.UTC)
        first = seen.setdefault((card_id, at), line)
        if first != line:
            errors.append(f"{name}:{line}: the same review as line {first} (card {card_id} at {time_s})")
            continue
        rows.append(_Row(line, card_id, rating, at, duration))
    return rows, errors


def scheduling_earliest() -> dt.datetime:
    from dlquiz.study.services import EARLIEST_REVIEW

    return EARLIEST_REVIEW


def _client_id(anki_id: int, at: dt.datetime) -> str:
    return f"anki:{anki_id}:{int(at.timestamp() * 1000)}"


def review_log_import(*, user: User, name: str, data: bytes, now: dt.datetime) -> ReviewLogImportResult:
    """Import an Anki-style review log (``card_id,review_rating,review_time,review_duration``) into the
    learner's own deck ``Anki import``: one draft card per Anki card id not seen before, the reviews appended
    to each card's log in time order, and each card's state rebuilt by replaying its log with the learner's
    scheduler. Rows imported before (same card and time) are skipped, so importing a file again adds nothing.

    Any bad row raises :class:`ReviewLogImportError` with ``name:line: message`` per row and writes nothing;
    so does a review older than the card's last review here (its log could not be replayed in order)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReviewLogImportError([f"{name}:1: not UTF-8 text"]) from None
    rows, errors = _rows(name, text, now=now)
    if errors:
        raise ReviewLogImportError(errors)
    if not rows:
        raise ReviewLogImportError([f"{name}:2: no reviews"])
    by_card: dict[int, list[_Row]] = {}
    for r in sorted(rows, key=lambda r: (r.at, r.line)):
        by_card.setdefault(r.anki_id, []).append(r)
    prefs = settings_get(user=user)
    scheduler = scheduling.scheduler_for(prefs)
    with transaction.atomic():
        deck = Deck.objects.filter(owner=user, name=ANKI_DECK_NAME).first()
        uid_of = {a: f"u{user.pk}:anki:{a}" for a in by_card}
        cards = {c.uid: c for c in Card.objects.filter(uid__in=uid_of.values())}
        foreign = [uid for uid, c in cards.items() if deck is None or c.deck_id != deck.pk]
        if foreign:
            raise ReviewLogImportError([f"{name}:1: card {foreign[0]} belongs to another deck"])
        if deck is None:
            deck = Deck.objects.create(
                slug=f"u{user.pk}-anki-import", name=ANKI_DECK_NAME, owner=user, source=name[:200]
            )
        top = max(Card.objects.filter(deck=deck).values_list("position", flat=True), default=-1)
        new_cards = []
        for a, uid in uid_of.items():
            if uid not in cards:
                top += 1
                new_cards.append(
                    Card(
                        uid=uid,
                        deck=deck,
                        kind=Card.Kind.BASIC,
                        front=f"Anki card {a}",
                        back="",
                        position=top,
                        draft=True,
                    )
                )
        Card.objects.bulk_create(new_cards, batch_size=500)
        cards.update({c.uid: c for c in Card.objects.filter(uid__in=[c.uid for c in new_cards])})
        deck_enroll(user=user, deck=deck)
        card_ids = [cards[uid_of[a]].pk for a in by_card]
        states = {
            s.card_id: s
            for s in CardState.objects.select_for_update(of=("self",)).filter(user=user, card_id__in=card_ids)
        }
        known = set(
            ReviewLog.objects.filter(user=user, client_review_id__startswith="anki:").values_list(
                "client_review_id", flat=True
            )
        )
        logs: list[ReviewLog] = []
        changed: list[CardState] = []
        already = 0
        for a, card_rows in by_card.items():
            card = cards[uid_of[a]]
            cs = states[card.pk]
            m = scheduling.memory_of(cs)
            fresh = [r for r in card_rows if _client_id(a, r.at) not in known]
            already += len(card_rows) - len(fresh)
            for r in fresh:
                if m.last_review and r.at < m.last_review:
                    errors.append(
                        f"{name}:{r.line}: card {a}: this review is older than its last review here"
                    )
                    break
                seed = scheduling.review_seed(user_id=user.pk, card_id=card.pk, reps=m.reps)
                after = scheduling.review(m, rating=r.rating, now=r.at, scheduler=scheduler, seed=seed)
                logs.append(
                    ReviewLog(
                        user=user,
                        card=card,
                        kind=ReviewLog.Kind.REVIEW,
                        rating=r.rating,
                        reviewed_at=r.at,
                        duration_ms=r.duration_ms,
                        client_review_id=_client_id(a, r.at),
                        state_before=m.to_json(),
                        state_after=after.to_json(),
                        prior_state=m.state,
                    )
                )
                m = after
            if fresh:
                for k, v in m.fields().items():
                    setattr(cs, k, v)
                changed.append(cs)
        if errors:
            transaction.set_rollback(True)
            raise ReviewLogImportError(errors)
        ReviewLog.objects.bulk_create(logs, batch_size=1000)
        _states_write(changed)
    return ReviewLogImportResult(deck, len(rows), len(logs), already, len(new_cards), len(by_card))


# -- rescheduling ------------------------------------------------------------------------------------------


def cards_reschedule(
    *,
    user: User,
    parameters: list[float] | tuple[float, ...] | None = None,
    card_ids: Iterable[int] | None = None,
    batch_size: int | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Set each card of the learner that has a review log to the replay of its log (``merge.REPLAY_ORDER``, as
    ``card_state_replay``) with ``parameters``
    (default: the learner's in force), ``batch_size`` cards per transaction so reviews wait at most one
    batch. Idempotent: the replay is deterministic, so a second run changes nothing. Returns cards changed;
    ``on_batch(done, total)`` after each batch."""
    batch_size = batch_size or settings.OPTIMIZE_RESCHEDULE_BATCH
    scheduler = scheduling.scheduler_for(settings_get(user=user), parameters=parameters)
    if card_ids is None:
        card_ids = ReviewLog.objects.filter(user=user).values_list("card_id", flat=True).distinct()
    ids = sorted(set(card_ids))
    changed = 0
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        with transaction.atomic():
            states = list(
                CardState.objects.select_for_update(of=("self",))
                .filter(user=user, card_id__in=batch)
                .order_by("id")
            )
            events: dict[int, list[scheduling.ReplayEvent]] = {}
            rows = ReviewLog.objects.filter(user=user, card_id__in=batch).order_by(*merge.REPLAY_ORDER)
            for card_id, kind, rating, at in rows.values_list("card_id", "kind", "rating", "reviewed_at"):
                events.setdefault(card_id, []).append(
                    scheduling.ReplayEvent(0 if kind == ReviewLog.Kind.RESET else rating, at)
                )
            update = []
            for cs in states:
                m = scheduling.replay(
                    events.get(cs.card_id, []), scheduler=scheduler, user_id=user.pk, card_id=cs.card_id
                )
                if m != scheduling.memory_of(cs):
                    for k, v in m.fields().items():
                        setattr(cs, k, v)
                    update.append(cs)
            _states_write(update)
            changed += len(update)
        if on_batch is not None:
            on_batch(min(start + batch_size, len(ids)), len(ids))
    return changed


def reschedule_request(*, user: User) -> None:
    """Queue a reschedule of the learner's cards with their settings as they are now (offered after the
    desired retention changes, as Anki's "reschedule cards on change"); idempotent, so a repeat is harmless."""
    from dlquiz.scheduler.tasks import reschedule_task

    transaction.on_commit(lambda: reschedule_task.delay(user.pk))


def _states_write(states: list[CardState]) -> None:
    """Write the memory fields of these card states: one prepared UPDATE run for many rows (``executemany``,
    pipelined by psycopg), instead of ``bulk_update``'s CASE expressions, which cost seconds of Python per
    thousand rows. A reschedule leaves any bury as it is."""
    if not states:
        return
    qn = connection.ops.quote_name
    by_name = {f.name: f for f in CardState._meta.concrete_fields}
    columns = [by_name[name].column for name in MEMORY_FIELDS]
    sql = (
        f"UPDATE {qn(str(CardState._meta.db_table))} SET {', '.join(f'{qn(c)} = %s' for c in columns)}, "
        f"{qn('changed_at')} = %s WHERE {qn('id')} = %s"
    )
    adapt = connection.ops.adapt_datetimefield_value
    changed = adapt(timezone.now())  # the states changed: sync/changes sends them to the learner's devices

    def db(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return adapt(value)
        return int(value) if isinstance(value, State) else value

    rows = [[db(v) for v in scheduling.memory_of(cs).fields().values()] + [changed, cs.pk] for cs in states]
    with connection.cursor() as cur:
        cur.executemany(sql, rows)


# -- the optimisation run ----------------------------------------------------------------------------------


def _active(user: User) -> OptimizeRun | None:
    """The learner's queued or running run whose heartbeat is fresh (a stale one lost its worker)."""
    fresh = timezone.now() - dt.timedelta(seconds=settings.OPTIMIZE_STALE_SECONDS)
    return (
        OptimizeRun.objects.filter(
            user=user,
            status__in=(OptimizeRun.Status.QUEUED, OptimizeRun.Status.RUNNING),
            updated_at__gte=fresh,
        )
        .order_by("-id")
        .first()
    )


def optimize_request(*, user: User, trigger: str, now: dt.datetime) -> OptimizeRun:
    """Queue an optimisation run of the learner's parameters on the ``optimize`` queue. A run already queued
    or running is returned instead (duplicates share the work); the settings button may start one a day
    (failed runs do not count)."""
    from dlquiz.scheduler.tasks import optimize_task

    with transaction.atomic():
        StudySettings.objects.select_for_update().filter(
            user=user
        ).first()  # one request per learner at a time
        active = _active(user)
        if active is not None:
            return active
        if trigger == OptimizeRun.Trigger.BUTTON:
            recent = (
                OptimizeRun.objects.filter(
                    user=user, trigger=OptimizeRun.Trigger.BUTTON, created_at__gt=now - BUTTON_INTERVAL
                )
                .exclude(status=OptimizeRun.Status.FAILED)
                .order_by("-id")
                .first()
            )
            if recent is not None:
                raise Conflict(
                    "今天已经优化过 / parameters were already optimised today",
                    code="too_soon",
                    fields={"next_at": [(recent.created_at + BUTTON_INTERVAL).isoformat()]},
                )
        run = OptimizeRun.objects.create(user=user, trigger=trigger)
        transaction.on_commit(lambda: optimize_task.delay(run.pk))
    return run


def _progress(run: OptimizeRun, stage: str, done: int = 0, total: int = 0) -> None:
    run.stage, run.progress_done, run.progress_total = stage, done, total
    run.save(update_fields=["stage", "progress_done", "progress_total", "updated_at"])


def _reviews(user: User) -> tuple[list[fitting.Review], int]:
    """The learner's reviews for fitting (a card restarts after each reset) and the newest log id."""
    out = []
    segment: dict[int, int] = {}
    last = 0
    rows = ReviewLog.objects.filter(user=user).order_by(*merge.REPLAY_ORDER)
    for pk, card_id, kind, rating, at, ms in rows.values_list(
        "id", "card_id", "kind", "rating", "reviewed_at", "duration_ms"
    ).iterator(chunk_size=5000):
        last = max(last, pk)
        if kind == ReviewLog.Kind.RESET:
            segment[card_id] = segment.get(card_id, 0) + 1
            continue
        out.append(fitting.Review(card_id * 1000 + segment.get(card_id, 0), rating, at, ms))
    return out, last


def optimize_execute(*, run_id: int) -> OptimizeRun:
    """Run one optimisation (the ``optimize`` task's body). Idempotent: a finished run is returned as it is;
    a run whose worker died is started over.

    1. Read the learner's log. No new reviews since the last finished run: nothing to do (recorded).
    2. Fit on the earlier 80% of the reviews (by time); compare the parameters in force with the fitted ones
       on the later 20% (log loss, RMSE(bins), AUC). Adopt only if the log loss improves.
    3. Adopting: refit on the whole log, reschedule every card from its log with the new parameters in
       batches, then in one transaction set the parameters in force (and replay once more the cards reviewed
       while rescheduling). A worker that dies before that transaction leaves the old parameters in force;
       the cards it had rescheduled are replayed with those when the run is started over.
    """
    run = OptimizeRun.objects.select_related("user").get(pk=run_id)
    if run.status in (OptimizeRun.Status.DONE, OptimizeRun.Status.FAILED):
        return run
    user = run.user
    started = time.perf_counter()
    interrupted = run.stage == OptimizeRun.Stage.RESCHEDULING  # a worker died while rescheduling
    run.status, run.started_at, run.error = OptimizeRun.Status.RUNNING, timezone.now(), ""
    run.save(update_fields=["status", "started_at", "error", "updated_at"])
    try:
        if interrupted:
            # the cards it rescheduled follow parameters it never put in force: back to the replay of their
            # log with the parameters in force, whatever this run then decides
            _progress(run, OptimizeRun.Stage.RESCHEDULING)
            cards_reschedule(user=user)
        _optimize(run, user)
    except Exception as exc:
        log.exception("optimisation run %s failed", run.pk)
        run.status, run.error = OptimizeRun.Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        run.reason = run.reason or "the run failed; the parameters in force were kept"
        run.reason_code, run.reason_args = OptimizeRun.Reason.FAILED, {}
    else:
        run.status = OptimizeRun.Status.DONE
    run.stage = OptimizeRun.Stage.FINISHED
    run.finished_at = timezone.now()
    run.duration_s = time.perf_counter() - started
    run.save()
    return run


def _optimize(run: OptimizeRun, user: User) -> None:
    _progress(run, OptimizeRun.Stage.LOADING)
    reviews, last_id = _reviews(user)
    prefs = settings_get(user=user)
    before = list(scheduling.parameters_of(prefs))
    run.parameters_before, run.reviews_used, run.last_log_id = before, len(reviews), last_id
    previous = (
        OptimizeRun.objects.filter(user=user, status=OptimizeRun.Status.DONE)
        .exclude(pk=run.pk)
        .order_by("-id")
        .first()
    )
    if previous is not None and (previous.last_log_id, previous.reviews_used) == (last_id, len(reviews)):
        run.reason = f"no new reviews since run {previous.pk}: nothing to do"
        run.reason_code, run.reason_args = OptimizeRun.Reason.NO_NEW_REVIEWS, {"run": previous.pk}
        return
    train_split = fitting.split_time(reviews) if reviews else None
    train = [r for r in reviews if train_split is not None and r.at < train_split]
    scored = fitting.trainable_reviews(train)
    if scored < fitting.MIN_REVIEWS:
        run.reason = (
            f"too few reviews to fit: the earlier 80% has {scored} reviews made on a "
            f"later day than the card's previous one, {fitting.MIN_REVIEWS} are needed"
        )
        run.reason_code = OptimizeRun.Reason.TOO_FEW_REVIEWS
        run.reason_args = {"scored": scored, "needed": fitting.MIN_REVIEWS}
        return
    run.split_at = train_split
    _progress(run, OptimizeRun.Stage.FITTING, 0, fitting.EPOCHS)
    fitted = fitting.fit(
        train, on_epoch=lambda k: _progress(run, OptimizeRun.Stage.FITTING, k, fitting.EPOCHS)
    )
    run.parameters_fitted = fitted
    _progress(run, OptimizeRun.Stage.EVALUATING)
    old = fitting.evaluate(fitting.predictions(reviews, before, since=train_split))
    new = fitting.evaluate(fitting.predictions(reviews, fitted, since=train_split))
    run.metrics_before, run.metrics_after = old.to_json(), new.to_json()
    losses = {"reviews": new.reviews, "before": f"{old.log_loss:.4f}", "after": f"{new.log_loss:.4f}"}
    if not new.log_loss < old.log_loss:
        run.reason_code, run.reason_args = OptimizeRun.Reason.NOT_ADOPTED, losses
        run.reason = (
            f"not adopted: on the later 20% ({new.reviews} reviews) the fitted parameters' log loss "
            f"{new.log_loss:.4f} is not below {old.log_loss:.4f} of those in force"
        )
        return
    _progress(run, OptimizeRun.Stage.REFITTING, 0, fitting.EPOCHS)
    after = fitting.fit(
        reviews, on_epoch=lambda k: _progress(run, OptimizeRun.Stage.REFITTING, k, fitting.EPOCHS)
    )
    run.parameters_after = after
    _progress(run, OptimizeRun.Stage.RESCHEDULING)
    run.cards_rescheduled = cards_reschedule(
        user=user,
        parameters=after,
        on_batch=lambda done, total: _progress(run, OptimizeRun.Stage.RESCHEDULING, done, total),
    )
    with transaction.atomic():
        prefs = StudySettings.objects.select_for_update().get(user=user)
        prefs.fsrs_parameters = after
        prefs.save(update_fields=["fsrs_parameters"])
        # cards reviewed while the others were rescheduled: replayed again, now under the settings row's lock
        late = ReviewLog.objects.filter(user=user, id__gt=last_id).values_list("card_id", flat=True)
        run.cards_rescheduled += cards_reschedule(user=user, parameters=after, card_ids=set(late))
        run.adopted = True
        run.reason_code = OptimizeRun.Reason.ADOPTED
        run.reason_args = {**losses, "total": len(reviews)}
        run.reason = (
            f"adopted: on the later 20% ({new.reviews} reviews) log loss {old.log_loss:.4f} -> "
            f"{new.log_loss:.4f}; refitted on all {len(reviews)} reviews"
        )
        run.save()


def optimize_dispatch(*, now: dt.datetime) -> list[int]:
    """Beat, monthly: queue a run for each learner with at least ``OPTIMIZE_MIN_NEW_REVIEWS`` reviews since
    their last finished run. Returns the runs' ids."""
    last_ids = dict(
        OptimizeRun.objects.filter(status=OptimizeRun.Status.DONE)
        .values("user_id")
        .annotate(last=Max("last_log_id"))
        .values_list("user_id", "last")
    )
    counts = ReviewLog.objects.values("user_id").annotate(n=Count("id"), top=Max("id"))
    runs = []
    for row in counts:
        uid = row["user_id"]
        new = row["n"] if uid not in last_ids else None
        if new is None:
            new = ReviewLog.objects.filter(user_id=uid, id__gt=last_ids[uid]).count()
        if new >= settings.OPTIMIZE_MIN_NEW_REVIEWS:
            user = User.objects.get(pk=uid)
            runs.append(optimize_request(user=user, trigger=OptimizeRun.Trigger.BEAT, now=now).pk)
    return runs


def optimize_recover(*, now: dt.datetime) -> list[int]:
    """Beat: queue again each queued or running run whose heartbeat is older than ``OPTIMIZE_STALE_SECONDS``
    (its worker died: the run's task is acknowledged on receipt, so nothing else brings it back)."""
    from dlquiz.scheduler.tasks import optimize_task

    stale = now - dt.timedelta(seconds=settings.OPTIMIZE_STALE_SECONDS)
    ids = list(
        OptimizeRun.objects.filter(
            Q(status=OptimizeRun.Status.QUEUED) | Q(status=OptimizeRun.Status.RUNNING), updated_at__lt=stale
        ).values_list("id", flat=True)
    )
    for pk in ids:
        OptimizeRun.objects.filter(pk=pk).update(status=OptimizeRun.Status.QUEUED, updated_at=now)
        optimize_task.delay(pk)
    return ids
