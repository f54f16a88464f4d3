"""Siblings: the cards of one note (the two directions of a ``basic+reverse`` card, the clozes of one note)
are never shown on the same study day. A card's note is its uid up to the first ``~`` (the content loader
names a reverse ``<id>~r``; a note's further cards follow the same rule); answering one buries the others
until the learner's next study day starts. Exercise cards draw a new variant each time: they have none."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dlquiz.decks.models import Card
from dlquiz.study.models import CardState

__all__ = ["note_key", "siblings_bury", "siblings_unbury"]


def note_key(uid: str) -> str:
    """The note a card belongs to: its uid up to the first ``~``."""
    return uid.split("~", 1)[0]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def siblings_bury(*, user_id: int, card_id: int, until: dt.datetime) -> dict[int, dt.datetime | None]:
    """Bury the learner's other cards of ``card_id``'s note until ``until`` (a later bury is kept). Inside the
    review's transaction: the siblings to bury are read and locked, then buried (a card without siblings
    costs two statements). Returns each buried card state's id with its ``buried_until`` before, which the
    review keeps so that undo restores exactly those (:func:`siblings_unbury`)."""
    select, siblings, update = _statements()
    with connection.cursor() as cur:
        cur.execute(select, [card_id])
        row = cur.fetchone()
        if row is None or row[2] == Card.Kind.EXERCISE:
            return {}
        uid, deck_id = row[0], row[1]
        key = note_key(uid)
        until_db = connection.ops.adapt_datetimefield_value(until)
        cur.execute(siblings, [user_id, deck_id, card_id, key, _like_escape(key) + "~%", until_db])
        before = {int(pk): _aware(value) for pk, value in cur.fetchall()}
        if before:
            changed_db = connection.ops.adapt_datetimefield_value(timezone.now())  # sync/changes sends them
            cur.execute(update % ", ".join(["%s"] * len(before)), [until_db, changed_db, *before])
        return before


def siblings_unbury(*, user_id: int, buried: dict[int, dt.datetime | None], until: dt.datetime) -> None:
    """Undo of :func:`siblings_bury`: each card state in ``buried`` (id -> its bury before) that is still
    buried until ``until`` gets its bury back (one buried again since, later, is left as it is)."""
    for pk, previous in buried.items():
        CardState.objects.filter(pk=pk, user_id=user_id, buried_until=until).update(
            buried_until=previous, changed_at=timezone.now()
        )


def _aware(value: object) -> dt.datetime | None:
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value if isinstance(value, dt.datetime) else None


@functools.cache
def _statements() -> tuple[str, str, str]:
    qn = connection.ops.quote_name
    card, cs = qn(Card._meta.db_table), qn(CardState._meta.db_table)
    select = f"SELECT {qn('uid')}, {qn('deck_id')}, {qn('kind')} FROM {card} WHERE {qn('id')} = %s"
    siblings = (
        f"SELECT {qn('id')}, {qn('buried_until')} FROM {cs} "
        f"WHERE {qn('user_id')} = %s AND {qn('card_id')} IN "
        f"(SELECT {qn('id')} FROM {card} WHERE {qn('deck_id')} = %s AND {qn('id')} <> %s "
        f"AND ({qn('uid')} = %s OR {qn('uid')} LIKE %s ESCAPE '\\')) "
        f"AND ({qn('buried_until')} IS NULL OR {qn('buried_until')} < %s) ORDER BY {qn('id')}"
    )
    if connection.features.has_select_for_update:
        siblings += " FOR UPDATE"
    # the ids' placeholders are filled in per call (a note has a handful of cards)
    update = f"UPDATE {cs} SET {qn('buried_until')} = %%s, {qn('changed_at')} = %%s WHERE {qn('id')} IN (%s)"
    return select, siblings, update
