"""The review's prepared SQL: its columns follow MemoryState and its arguments are what the ORM would write."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from dlquiz.study import review_sql
from dlquiz.study.models import CardState, ReviewLog, State
from dlquiz.study.scheduling import MEMORY_FIELDS, MemoryState
from tests.dlquiz.study.test_scheduling import OLD_LOG_ROW

NOW = dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)


def _db_form(value):
    return getattr(value, "obj", value)  # PostgreSQL wraps JSON in psycopg's Jsonb


def test_card_state_columns_and_arguments_follow_the_memory_state():
    sql = review_sql._sql()
    qn = connection.ops.quote_name
    assert sql.update_state.startswith(
        f"UPDATE {qn(CardState._meta.db_table)} SET "
        + ", ".join(f"{qn(name)} = %s" for name in MEMORY_FIELDS)
    )
    assert ", ".join(qn(name) for name in MEMORY_FIELDS) + " FROM " in sql.lock
    assert len(sql.state_adapters) == len(MEMORY_FIELDS) == 8


@pytest.mark.parametrize("memory", [MemoryState(), MemoryState.from_json(OLD_LOG_ROW)], ids=["new", "review"])
def test_arguments_are_what_the_model_fields_prepare(memory):
    sql = review_sql._sql()
    fields = [CardState._meta.get_field(name) for name in MEMORY_FIELDS]
    for field, adapt, value in zip(fields, sql.state_adapters, memory.fields().values(), strict=True):
        expected = field.get_db_prep_save(value, connection)
        assert _db_form(adapt(value)) == _db_form(expected), field.name
        assert type(adapt(value)) is not State  # the state goes to the database as a plain number
    log = ReviewLog(
        user_id=3,
        card_id=5,
        kind=ReviewLog.Kind.REVIEW,
        rating=3,
        reviewed_at=NOW,
        duration_ms=None,
        client_review_id="abcdefgh",
        state_before=MemoryState().to_json(),
        state_after=memory.to_json(),
        prior_state=State.NEW,
        created_at=NOW,
    )
    log_fields = {f.attname: f for f in ReviewLog._meta.concrete_fields if not f.primary_key}
    assert [name for name, _ in sql.log_adapters] == list(log_fields)
    for name, adapt in sql.log_adapters:
        value = getattr(log, name)
        expected = log_fields[name].get_db_prep_save(value, connection)
        assert _db_form(adapt(value)) == _db_form(expected), name


@pytest.mark.django_db
def test_a_locked_state_reads_back_the_memory_the_review_wrote():
    from dlquiz.study.services import review_submit
    from tests.factories import enrolled_user, rid

    user, _, cards = enrolled_user(1)
    out = review_submit(user=user, card_id=cards[0].id, rating=3, client_review_id=rid(), now=NOW)
    locked = review_sql.card_state_lock(user_id=user.pk, card_id=cards[0].id)
    assert locked is not None and not locked.suspended
    assert locked.id == CardState.objects.get(user=user, card=cards[0]).pk
    assert locked.memory == MemoryState.from_json(out.log.state_after)
    assert locked.memory.due is not None and locked.memory.due.tzinfo is dt.UTC
    assert review_sql.card_state_lock(user_id=user.pk, card_id=cards[0].id + 1000) is None
