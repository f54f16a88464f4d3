"""Reads of offline sync: everything a device needs to keep an offline copy of the learner's study, as
changes since a cursor the server handed out.

A sync is a run of pages. The first request (no cursor) or a request with the cursor that ended the last
sync opens a window ``(since, until]`` with ``until`` = now; pages then walk, in ``(changed_at, id)`` order,

1. the learner's card states changed in the window (each with its card: a first sync is just this), then
2. cards edited in the window (new content, a new place, retired) whose state did not change, each with the
   learner's state of it,

and the last page adds the learner's settings and decks and a cursor for the next sync. A retired card is a
deletion. The next window starts ``OVERLAP`` before this one's end, so a write whose transaction committed
a little after its timestamp was read is sent then (applying an item twice is harmless: every item is the
whole record). Cursors are signed: a client cannot forge one or read another learner's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core import signing
from django.db.models import Q

from dlquiz.decks.models import Card, Deck
from dlquiz.errors import ServiceError
from dlquiz.study.models import CardState, StudySettings
from dlquiz.study.selectors import settings_get

__all__ = ["DEFAULT_PAGE", "MAX_PAGE", "OVERLAP", "Changes", "sync_changes"]

DEFAULT_PAGE = 1000
MAX_PAGE = 2000
#: How far the next sync's window reaches back before this one's end: longer than any write transaction.
OVERLAP = dt.timedelta(minutes=2)
_SALT = "dlquiz.sync.changes"


@dataclass(frozen=True)
class _Cursor:
    since: dt.datetime | None  # None: from nothing (a first sync)
    until: dt.datetime | None  # None: the window opens at the next request
    phase: int = 0  # 0: card states, 1: edited cards
    after: tuple[dt.datetime, int] | None = None  # the last (time, id) sent in this phase

    def dumps(self, user: User) -> str:
        iso = dt.datetime.isoformat
        return signing.dumps(
            {
                "u": user.pk,
                "s": self.since and iso(self.since),
                "t": self.until and iso(self.until),
                "p": self.phase,
                "a": self.after and [iso(self.after[0]), self.after[1]],
            },
            salt=_SALT,
            compress=True,
        )

    @classmethod
    def loads(cls, text: str, user: User) -> _Cursor:
        bad = ServiceError(
            "同步游标无效 / invalid sync cursor", code="bad_cursor", fields={"cursor": ["invalid cursor"]}
        )
        try:
            d = signing.loads(text, salt=_SALT)
            if d["u"] != user.pk:
                raise bad
            when = dt.datetime.fromisoformat
            return cls(
                since=d["s"] and when(d["s"]),
                until=d["t"] and when(d["t"]),
                phase=int(d["p"]),
                after=d["a"] and (when(d["a"][0]), int(d["a"][1])),
            )
        except (signing.BadSignature, KeyError, TypeError, ValueError, IndexError):
            raise bad from None


@dataclass
class Changes:
    cards: list[tuple[Card, CardState]]  # new or changed: the card and the learner's state of it
    deleted: list[int]  # ids of retired cards
    next_cursor: str
    has_more: bool
    settings: StudySettings | None  # on the last page only
    decks: list[Deck] | None  # the learner's decks, on the last page only


def sync_changes(*, user: User, cursor: str | None, limit: int, now: dt.datetime) -> Changes:
    """One page of the learner's changes since ``cursor`` (None: everything, as a first sync)."""
    c = _Cursor.loads(cursor, user) if cursor else _Cursor(since=None, until=None)
    if c.until is None:
        c = _Cursor(since=c.since, until=now)
    assert c.until is not None
    rows: list[tuple[Card, CardState]] = []
    after = c.after
    phase = c.phase
    more = False
    if phase == 0:
        page = _states(user=user, since=c.since, until=c.until, after=after, limit=limit + 1)
        more = len(page) > limit
        rows = [(s.card, s) for s in page[:limit]]
        if more:
            last = page[limit - 1]
            after = (last.changed_at, last.pk)
        elif c.since is not None:
            phase, after = 1, None
    if phase == 1 and not more:
        left = limit - len(rows)
        cards = _edited(user=user, since=c.since, until=c.until, after=after, limit=left + 1)
        more = len(cards) > left
        cards = cards[:left]
        if more:
            after = (cards[-1][0].updated_at, cards[-1][0].pk) if cards else after
        rows += cards
    if more:
        next_cursor = _Cursor(c.since, c.until, phase, after).dumps(user)
        return Changes(
            [r for r in rows if not r[0].retired],
            [r[0].pk for r in rows if r[0].retired],
            next_cursor,
            True,
            None,
            None,
        )
    decks = list(Deck.objects.filter(enrollments__user=user).order_by("position", "id"))
    return Changes(
        [r for r in rows if not r[0].retired],
        [r[0].pk for r in rows if r[0].retired],
        _Cursor(since=c.until - OVERLAP, until=None).dumps(user),
        False,
        settings_get(user=user),
        decks,
    )


def _keyset(field: str, after: tuple[dt.datetime, int] | None, id_field: str) -> Q:
    if after is None:
        return Q()
    at, pk = after
    return Q(**{f"{field}__gt": at}) | Q(**{field: at, f"{id_field}__gt": pk})


def _states(
    *,
    user: User,
    since: dt.datetime | None,
    until: dt.datetime,
    after: tuple[dt.datetime, int] | None,
    limit: int,
) -> list[CardState]:
    qs = CardState.objects.filter(user=user, changed_at__lte=until).select_related("card")
    if since is None:
        qs = qs.filter(card__retired=False)  # a device with nothing has nothing to delete
    else:
        qs = qs.filter(changed_at__gt=since)
    qs = qs.filter(_keyset("changed_at", after, "id")).order_by("changed_at", "id")
    return list(qs[:limit])


def _edited(
    *,
    user: User,
    since: dt.datetime | None,
    until: dt.datetime,
    after: tuple[dt.datetime, int] | None,
    limit: int,
) -> list[tuple[Card, CardState]]:
    """Cards edited in the window whose learner's state was not (those came with the states)."""
    if since is None or limit <= 0:
        return []
    states = CardState.objects.filter(
        user=user, card__updated_at__gt=since, card__updated_at__lte=until
    ).exclude(changed_at__gt=since, changed_at__lte=until)
    states = states.filter(_keyset("card__updated_at", after, "card_id")).select_related("card")
    return [(s.card, s) for s in states.order_by("card__updated_at", "card_id")[:limit]]
