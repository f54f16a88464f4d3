"""Writes of offline sync: a batch of reviews made offline on one device.

The merge rule (``study/merge.py``): a card's state is the replay of its whole review log in
``(reviewed_at, id)`` order. A review that lands after every stored review of its card is applied to the
card's state as ``review_submit`` applies one; one that lands before stored reviews makes the card's whole
log replay from NEW with the learner's settings in force (as an Anki import and a reschedule replay it: the
stored rows' states may come from FSRS parameters since replaced by an optimisation run), so whatever order
two devices' batches arrive in (and however often they are retried), every card ends in the state one
serial replay of all its reviews gives.

One transaction per batch. The learner's card states are locked in id order (the order every batch takes,
so two batches never deadlock), then the log is written: the order every write of a card uses.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max

from dlquiz.study import review_sql, scheduling, siblings
from dlquiz.study.merge import REPLAY_ORDER, log_replay, replay_key
from dlquiz.study.models import CardState, ReviewLog, StudySettings
from dlquiz.study.scheduling import MemoryState, scheduler_for
from dlquiz.study.selectors import settings_get, study_day_bounds
from dlquiz.study.services import EARLIEST_REVIEW, MAX_CLOCK_SKEW, is_leech_lapse

__all__ = ["CLOCK_TOLERANCE", "MAX_BATCH", "ItemOutcome", "OfflineReview", "SyncResult", "reviews_sync"]

MAX_BATCH = 1000
#: A device clock closer to the server's than this is taken as right: the measured offset is then mostly
#: the request's own travel time, and moving every review by it would only add noise.
CLOCK_TOLERANCE = dt.timedelta(seconds=2)
_ATTEMPTS = 3

Outcome = Literal["created", "duplicate", "rejected"]
Reason = Literal["future", "too_early", "not_found", "conflict"]


@dataclass(frozen=True)
class OfflineReview:
    """One review as the device recorded it (``reviewed_at`` by the device's clock)."""

    client_review_id: str
    card_id: int
    rating: int
    reviewed_at: dt.datetime
    duration_ms: int | None = None


@dataclass(frozen=True)
class ItemOutcome:
    client_review_id: str
    card_id: int
    outcome: Outcome
    reason: Reason | None = None
    reviewed_at: dt.datetime | None = None  # as stored, on the server's clock (created and duplicate items)


@dataclass
class SyncResult:
    items: list[ItemOutcome]  # one per review of the batch, in its order
    states: list[CardState]  # the learner's card states the batch names, after it
    clock_offset: dt.timedelta  # what was added to the device's times (zero within CLOCK_TOLERANCE)
    replayed: int  # cards whose later rows were replayed because a review landed before them


def reviews_sync(
    *, user: User, reviews: Sequence[OfflineReview], device_time: dt.datetime, now: dt.datetime
) -> SyncResult:
    """Record a batch (at most :data:`MAX_BATCH`) of one device's offline reviews, each idempotent on its
    ``client_review_id``: an id already stored (or earlier in the batch) for the same card and rating is a
    duplicate and writes nothing; for another card or rating it is rejected as a conflict. Times are moved by
    the device's clock offset (``now - device_time``); a review then more than five minutes in the server's
    future, or before 2000, is rejected with its reason, and the rest of the batch is kept. A card that is
    not the learner's is rejected as not found. Reviews of suspended cards are kept: they happened."""
    if len(reviews) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} reviews per batch")
    offset = now - device_time
    if abs(offset) < CLOCK_TOLERANCE:
        offset = dt.timedelta(0)
    outcomes: dict[int, ItemOutcome] = {}
    candidates: list[tuple[int, OfflineReview]] = []
    first_of: dict[str, int] = {}
    repeats: dict[int, int] = {}  # a repeated id in the batch -> the index of its first item
    for i, r in enumerate(reviews):
        at = r.reviewed_at + offset
        if at > now + MAX_CLOCK_SKEW:
            outcomes[i] = ItemOutcome(r.client_review_id, r.card_id, "rejected", "future")
        elif at < EARLIEST_REVIEW:
            outcomes[i] = ItemOutcome(r.client_review_id, r.card_id, "rejected", "too_early")
        elif (j := first_of.get(r.client_review_id)) is not None:
            if (reviews[j].card_id, reviews[j].rating) == (r.card_id, r.rating):
                repeats[i] = j
            else:
                outcomes[i] = ItemOutcome(r.client_review_id, r.card_id, "rejected", "conflict")
        else:
            first_of[r.client_review_id] = i
            candidates.append((i, OfflineReview(r.client_review_id, r.card_id, r.rating, at, r.duration_ms)))
    prefs = settings_get(user=user)
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                states, decided, replayed = _sync(user=user, prefs=prefs, candidates=candidates, now=now)
            break
        except IntegrityError:  # a concurrent request stored one of the ids after the check: check again
            if attempt == _ATTEMPTS - 1:
                raise
    outcomes.update(decided)
    for i, j in repeats.items():
        first = outcomes[j]
        outcomes[i] = (
            first
            if first.outcome == "rejected"
            else ItemOutcome(first.client_review_id, first.card_id, "duplicate", None, first.reviewed_at)
        )
    named = {r.card_id for r in reviews}
    return SyncResult(
        items=[outcomes[i] for i in range(len(reviews))],
        states=[s for s in states if s.card_id in named],
        clock_offset=offset,
        replayed=replayed,
    )


def _sync(
    *, user: User, prefs: StudySettings, candidates: list[tuple[int, OfflineReview]], now: dt.datetime
) -> tuple[list[CardState], dict[int, ItemOutcome], int]:
    decided: dict[int, ItemOutcome] = {}
    card_ids = sorted({r.card_id for _, r in candidates})
    states = list(
        CardState.objects.select_for_update(of=("self",))
        .filter(user=user, card_id__in=card_ids)
        .order_by("id")
    )
    by_card = {s.card_id: s for s in states}
    stored = {
        cid: (card, rating, at)
        for cid, card, rating, at in ReviewLog.objects.filter(
            user=user, client_review_id__in=[r.client_review_id for _, r in candidates]
        ).values_list("client_review_id", "card_id", "rating", "reviewed_at")
    }
    new: dict[int, list[ReviewLog]] = defaultdict(list)
    for i, r in candidates:
        if (got := stored.get(r.client_review_id)) is not None:
            same = got[:2] == (r.card_id, r.rating)
            decided[i] = (
                ItemOutcome(r.client_review_id, r.card_id, "duplicate", None, got[2])
                if same
                else ItemOutcome(r.client_review_id, r.card_id, "rejected", "conflict")
            )
        elif r.card_id not in by_card:
            decided[i] = ItemOutcome(r.client_review_id, r.card_id, "rejected", "not_found")
        else:
            decided[i] = ItemOutcome(r.client_review_id, r.card_id, "created", None, r.reviewed_at)
            new[r.card_id].append(
                ReviewLog(
                    user_id=user.pk,
                    card_id=r.card_id,
                    kind=ReviewLog.Kind.REVIEW,
                    rating=r.rating,
                    reviewed_at=r.reviewed_at,
                    duration_ms=r.duration_ms,
                    client_review_id=r.client_review_id,
                    created_at=now,
                )
            )
    if not new:
        return states, decided, 0
    stored_logs = _stored_logs(user=user, new=new)
    scheduler = scheduler_for(prefs)
    inserts: list[ReviewLog] = []
    rewritten: list[ReviewLog] = []
    leeches: list[int] = []
    for card_id, logs in new.items():
        cs = by_card[card_id]
        stored_log = stored_logs.get(card_id, [])
        # a review before stored ones: the whole log again, from NEW; else on from the card's state
        start = MemoryState() if stored_log else scheduling.memory_of(cs)
        ordered = sorted([*stored_log, *logs], key=replay_key)
        result = log_replay(
            user_id=user.pk,
            card_id=card_id,
            start=start,
            logs=ordered,
            scheduler=scheduler,
            is_leech=functools.partial(is_leech_lapse, threshold=prefs.leech_threshold),
        )
        inserts += [log for log in ordered if log.pk is None]  # by card, in replay order: ids ascend with it
        rewritten += result.rewritten
        for name, value in result.state.fields().items():
            setattr(cs, name, value)
        cs.buried_until = None  # a review ends a bury, as review_submit's does
        cs.changed_at = now
        if result.leech:
            for log in result.leech_logs:  # the flags before each, for undo (ReviewLog.effects)
                log.effects = {"leech": cs.leech, "suspended": cs.suspended}
                cs.leech = cs.suspended = True
            leeches.append(cs.pk)
    _siblings_bury(user=user, prefs=prefs, new=new, by_card=by_card, now=now)
    review_sql.logs_insert(inserts)
    review_sql.log_states_write(rewritten)
    review_sql.card_states_write(
        [(by_card[c].pk, scheduling.memory_of(by_card[c])) for c in new], changed_at=now
    )
    if leeches:  # rare: tagged and suspended as review_submit does
        CardState.objects.filter(pk__in=leeches).update(leech=True, suspended=True, changed_at=now)
    return states, decided, len(stored_logs)


def _siblings_bury(
    *,
    user: User,
    prefs: StudySettings,
    new: dict[int, list[ReviewLog]],
    by_card: dict[int, CardState],
    now: dt.datetime,
) -> None:
    """The sibling rule for offline reviews, as review_submit applies it online: a card whose latest review
    (of its whole log) is new in this batch and falls on the learner's current study day buries the other
    cards of its note until that day ends. The bury is recorded in that review's ``effects`` so undo lifts
    it. Runs before the batch's card states are written: those end any bury, so a sibling reviewed in the
    same batch is not buried."""
    day_start, day_end = study_day_bounds(prefs=prefs, now=now)
    for card_id in sorted(new):
        latest = max(new[card_id], key=replay_key)
        cs = by_card[card_id]
        if not day_start <= latest.reviewed_at < day_end or (
            cs.last_review is not None and cs.last_review > latest.reviewed_at
        ):
            continue
        buried = siblings.siblings_bury(user_id=user.pk, card_id=card_id, until=day_end)
        if buried:
            latest.effects = {
                **(latest.effects or {}),
                "bury_until": day_end.isoformat(),
                "buried": {str(pk): None if b is None else b.isoformat() for pk, b in buried.items()},
            }


def _stored_logs(*, user: User, new: dict[int, list[ReviewLog]]) -> dict[int, list[ReviewLog]]:
    """For each card where a new review lands before a stored one, its whole stored log (in replay order);
    cards where every new review comes last are absent."""
    earliest = {c: min(log.reviewed_at for log in logs) for c, logs in new.items()}
    last = (
        ReviewLog.objects.filter(user=user, card_id__in=list(new))
        .values("card_id")
        .annotate(last=Max("reviewed_at"))
        .values_list("card_id", "last")
    )
    late = {c for c, at in last if earliest[c] < at}
    logs: dict[int, list[ReviewLog]] = defaultdict(list)
    if late:
        for log in ReviewLog.objects.filter(user=user, card_id__in=late).order_by(*REPLAY_ORDER):
            logs[log.card_id].append(log)
    return logs
