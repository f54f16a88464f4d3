"""The merge rule of a card's review log: its state is the replay of the whole log in ``(reviewed_at, id)``
order (a review's time, then the order in which reviews of the same instant arrived).

A review that lands before stored reviews of its card (an offline device's, synced late) or the undo of a
review that stored ones follow makes those later rows replay from the state just before: :func:`log_replay`
rewrites each row's ``state_before``/``state_after``/``prior_state`` so the log keeps telling the truth
(undo restores ``state_before``; the history shows both), and gives the card's final state. Pure
computation on rows the caller has locked (``dlquiz.sync.services``, ``study.services.review_undo``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fsrs import Scheduler

from dlquiz.study import scheduling
from dlquiz.study.models import ReviewLog
from dlquiz.study.scheduling import MemoryState, review_seed

__all__ = ["REPLAY_ORDER", "Replayed", "log_replay", "replay_key"]

#: The order of a card's log in a replay (``QuerySet.order_by``).
REPLAY_ORDER = ("reviewed_at", "id")


def replay_key(log: ReviewLog) -> tuple[dt.datetime, bool, int]:
    """:data:`REPLAY_ORDER` of stored rows and of new, unsaved ones (which will be inserted after every stored
    row, so they follow those of the same instant; a stable sort keeps the new ones in their given order)."""
    return (log.reviewed_at, log.pk is None, log.pk or 0)


@dataclass
class Replayed:
    state: MemoryState  # the card's state after the last row
    rewritten: list[ReviewLog] = field(default_factory=list)  # stored rows whose states changed
    leech: bool = False  # a new row made the card a leech (``is_leech``)
    leech_logs: list[ReviewLog] = field(default_factory=list)  # the new rows that did, in replay order


def log_replay(
    *,
    user_id: int,
    card_id: int,
    start: MemoryState,
    logs: Sequence[ReviewLog],
    scheduler: Scheduler,
    is_leech: Callable[[MemoryState, MemoryState], bool] | None = None,
) -> Replayed:
    """Replay ``logs`` (in :func:`replay_key` order) from ``start``, setting each row's states. New rows
    (no id yet) get theirs; stored rows whose states change are listed in ``rewritten``. The fuzz of each
    review is seeded by its review number (:func:`scheduling.review_seed`), as when it was first made.
    ``is_leech(before, after)``: the learner's leech rule, asked of the new rows."""
    m = start
    out = Replayed(start)
    for log in logs:
        before = m
        if log.kind == ReviewLog.Kind.RESET:
            m = MemoryState()
        else:
            seed = review_seed(user_id=user_id, card_id=card_id, reps=m.reps)
            m = scheduling.review(m, rating=log.rating, now=log.reviewed_at, scheduler=scheduler, seed=seed)
        b, a = before.to_json(), m.to_json()
        if log.pk is None:
            if is_leech is not None and is_leech(before, m):
                out.leech = True
                out.leech_logs.append(log)
        elif log.state_before == b and log.state_after == a:
            continue
        else:
            out.rewritten.append(log)
        log.state_before, log.state_after, log.prior_state = b, a, before.state
    out.state = m
    return out
