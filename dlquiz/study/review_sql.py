"""The review's prepared SQL: the hottest write of the product, used by ``services.review_submit``.

Three statements per review (lock the card state, insert the log, update the state; on PostgreSQL the last
two are one statement), built once from the models' table and column names instead of ORM queries compiled
on every request. The card-state columns and their argument order are those of ``MemoryState``
(``scheduling.MEMORY_FIELDS``); the log's columns are ``ReviewLog``'s concrete fields, and each argument is
put in the database's form by an adapter chosen once per column (:func:`_adapter`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.utils.dateparse import parse_datetime

from dlquiz.study.models import CardState, ReviewLog
from dlquiz.study.scheduling import MEMORY_FIELDS, MemoryState

__all__ = [
    "LockedState",
    "card_state_lock",
    "card_states_write",
    "log_states_write",
    "logs_insert",
    "review_write",
]


@dataclass(frozen=True)
class LockedState:
    id: int
    suspended: bool
    memory: MemoryState
    leech: bool = False
    buried_until: dt.datetime | None = None


def card_state_lock(*, user_id: int, card_id: int) -> LockedState | None:
    """The learner's state of the card, row-locked until the transaction ends (None: no such card state)."""
    with connection.cursor() as cur:
        cur.execute(_sql().lock, [user_id, card_id])
        row = cur.fetchone()
    if row is None:
        return None
    return LockedState(
        row[0], bool(row[1]), MemoryState(*map(_from_db, row[4:])), bool(row[2]), _from_db(row[3])
    )


def review_write(*, state_id: int, memory: MemoryState, log: ReviewLog) -> None:
    """Set card state ``state_id`` to ``memory`` (which also ends any bury and stamps ``changed_at`` with the
    log's ``created_at``), insert ``log`` and set its id.

    The caller holds the state's row lock (:func:`card_state_lock`) inside a transaction."""
    sql = _sql()
    update_args = [adapt(v) for adapt, v in zip(sql.state_adapters, memory.fields().values(), strict=True)]
    update_args.append(sql.changed_adapter(log.created_at))  # the state changed now: sync/changes sends it
    update_args.append(state_id)
    insert_args = [adapt(getattr(log, name)) for name, adapt in sql.log_adapters]
    with connection.cursor() as cur:
        if sql.update_and_insert:  # PostgreSQL: one round trip for both writes
            cur.execute(sql.update_and_insert, update_args + insert_args)
            log.id = cur.fetchone()[0]
        else:
            cur.execute(sql.insert_log, insert_args)
            log.id = cur.fetchone()[0]
            cur.execute(sql.update_state, update_args)


def card_states_write(states: list[tuple[int, MemoryState]], *, changed_at: dt.datetime) -> None:
    """Set many card states (id, memory) at once, as :func:`review_write` sets one (ending any bury, stamping
    ``changed_at``): the one update statement, executed for all rows in a batch (a sync's writes)."""
    sql = _sql()
    stamp = sql.changed_adapter(changed_at)
    rows = [
        [
            *(adapt(v) for adapt, v in zip(sql.state_adapters, m.fields().values(), strict=True)),
            stamp,
            state_id,
        ]
        for state_id, m in states
    ]
    if rows:
        with connection.cursor() as cur:
            cur.executemany(sql.update_state, rows)


def logs_insert(logs: list[ReviewLog]) -> None:
    """Insert many new log rows with :func:`review_write`'s statement, in one batch (their ids stay unset)."""
    sql = _sql()
    rows = [[adapt(getattr(log, name)) for name, adapt in sql.log_adapters] for log in logs]
    if rows:
        with connection.cursor() as cur:
            cur.executemany(sql.insert_log, rows)


def log_states_write(logs: list[ReviewLog]) -> None:
    """Store the ``state_before``, ``state_after`` and ``prior_state`` of many log rows (a replay's rewrites)."""
    sql = _sql()
    adapt = dict(sql.log_adapters)
    rows = [
        [
            adapt["state_before"](log.state_before),
            adapt["state_after"](log.state_after),
            int(log.prior_state),
            log.pk,
        ]
        for log in logs
    ]
    if rows:
        with connection.cursor() as cur:
            cur.executemany(sql.update_log_states, rows)


@dataclass(frozen=True)
class _Statements:
    lock: str
    insert_log: str
    update_state: str
    update_and_insert: str  # empty where the database has no data-modifying CTEs
    update_log_states: str  # a log row's states (a replay rewriting it)
    state_adapters: tuple[Callable[[Any], Any], ...]  # for CardState's memory fields, in MEMORY_FIELDS order
    changed_adapter: Callable[[Any], Any]  # for CardState.changed_at
    log_adapters: tuple[tuple[str, Callable[[Any], Any]], ...]  # (attname, adapter) of each inserted column


@functools.cache
def _sql() -> _Statements:
    """The review's statements, built once from the models' table and column names."""
    qn = connection.ops.quote_name
    cs, log = qn(CardState._meta.db_table), qn(ReviewLog._meta.db_table)
    by_name = {f.name: f for f in CardState._meta.concrete_fields}
    state_fields = tuple(by_name[name] for name in MEMORY_FIELDS)
    log_fields = tuple(f for f in ReviewLog._meta.concrete_fields if not f.primary_key)
    memory_cols = [qn(f.column) for f in state_fields]
    log_cols = ", ".join(qn(f.column) for f in log_fields)
    lock = (
        f"SELECT {qn('id')}, {qn('suspended')}, {qn('leech')}, {qn('buried_until')}, {', '.join(memory_cols)} "
        f"FROM {cs} "
        f"WHERE {qn('user_id')} = %s AND {qn('card_id')} = %s"
    )
    if connection.features.has_select_for_update:
        lock += " FOR UPDATE"
    insert = (
        f"INSERT INTO {log} ({log_cols}) VALUES ({', '.join(['%s'] * len(log_fields))}) RETURNING {qn('id')}"
    )
    update = (
        f"UPDATE {cs} SET {', '.join(f'{c} = %s' for c in memory_cols)}, {qn('buried_until')} = NULL, "
        f"{qn(by_name['changed_at'].column)} = %s WHERE {qn('id')} = %s"
    )
    both = ""
    if connection.vendor == "postgresql":
        both = (
            f"WITH upd AS ({update} RETURNING 1) INSERT INTO {log} ({log_cols}) "
            f"SELECT {', '.join(['%s'] * len(log_fields))} FROM upd RETURNING {qn('id')}"
        )
    qc = {f.name: qn(f.column) for f in log_fields}
    update_log_states = (
        f"UPDATE {log} SET {qc['state_before']} = %s, {qc['state_after']} = %s, {qc['prior_state']} = %s "
        f"WHERE {qn('id')} = %s"
    )
    return _Statements(
        lock,
        insert,
        update,
        both,
        update_log_states,
        tuple(_adapter(f) for f in state_fields),
        _adapter(by_name["changed_at"]),
        tuple((f.attname, _adapter(f)) for f in log_fields),
    )


def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """The database form of a value of ``field``: what ``field.get_db_prep_save`` gives for the column types
    of these two tables, without its per-call dispatch (the review's values come from typed sources)."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.JSONField):
        return functools.partial(ops.adapt_json_value, encoder=field.encoder)
    if isinstance(field, models.IntegerField):
        return _int  # a State is passed as its number
    if isinstance(field, (models.CharField, models.FloatField, models.ForeignKey)):
        return _same
    raise TypeError(f"no review SQL adapter for {field!r}")


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _same(value: Any) -> Any:
    return value


def _from_db(value: Any) -> Any:
    """A raw cursor's value as the model would give it: datetimes (SQLite: naive UTC, or text; PostgreSQL:
    aware) become aware; other values stay as they are."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value
