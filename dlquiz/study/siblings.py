"""Siblings: the cards of one note (the two directions of a ``basic+reverse`` card, the clozes of one note)
are never shown on the same study day. A card's note is its uid up to the first ``~`` (the content loader
names a reverse ``<id>~r``; a note's further cards follow the same rule); answering one buries the others
until the learner's next study day starts. Exercise cards draw a new variant each time: they have none."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection
from django.utils import timezone

from dlquiz.decks.models import Card
from dlquiz.study.models import CardState

__all__ = ["note_key", "siblings_bury"]


def note_key(uid: str) -> str:
    """The note a card belongs to: its uid up to the first ``~``."""
    return uid.split("~", 1)[0]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def siblings_bury(*, user_id: int, card_id: int, until: dt.datetime) -> int:
    """Bury the learner's other cards of ``card_id``'s note until ``until`` (a later bury is kept). Two
    prepared statements inside the review's transaction; returns the card states changed."""
    select, update = _statements()
    with connection.cursor() as cur:
        cur.execute(select, [card_id])
        row = cur.fetchone()
        if row is None or row[2] == Card.Kind.EXERCISE:
            return 0
        uid, deck_id = row[0], row[1]
        key = note_key(uid)
        until_db = connection.ops.adapt_datetimefield_value(until)
        changed_db = connection.ops.adapt_datetimefield_value(timezone.now())  # sync/changes sends them
        cur.execute(
            update, [until_db, changed_db, user_id, deck_id, card_id, key, _like_escape(key) + "~%", until_db]
        )
        return int(cur.rowcount)


@functools.cache
def _statements() -> tuple[str, str]:
    qn = connection.ops.quote_name
    card, cs = qn(Card._meta.db_table), qn(CardState._meta.db_table)
    select = f"SELECT {qn('uid')}, {qn('deck_id')}, {qn('kind')} FROM {card} WHERE {qn('id')} = %s"
    update = (
        f"UPDATE {cs} SET {qn('buried_until')} = %s, {qn('changed_at')} = %s "
        f"WHERE {qn('user_id')} = %s AND {qn('card_id')} IN "
        f"(SELECT {qn('id')} FROM {card} WHERE {qn('deck_id')} = %s AND {qn('id')} <> %s "
        f"AND ({qn('uid')} = %s OR {qn('uid')} LIKE %s ESCAPE '\\')) "
        f"AND ({qn('buried_until')} IS NULL OR {qn('buried_until')} < %s)"
    )
    return select, update
