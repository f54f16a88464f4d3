"""The scheduling math on plain values, checked against py-fsrs itself and hand calculations."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fsrs import Card, Rating, Scheduler, State

from dlquiz.study import scheduling
from dlquiz.study.scheduling import MemoryState

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _sched(**kw):
    return scheduling.make_scheduler(
        desired_retention=0.9, learning_steps=[1, 10], relearning_steps=[10], **kw
    )


def test_new_card_good_moves_to_second_learning_step_in_ten_minutes():
    after = scheduling.review(MemoryState(), rating=3, now=NOW, scheduler=_sched(), seed="s")
    assert after.state == 1 and after.step == 1
    assert after.due == NOW + dt.timedelta(minutes=10)
    assert after.reps == 1 and after.lapses == 0


def test_new_card_again_and_hard_use_first_step_and_step_average():
    again = scheduling.review(MemoryState(), rating=1, now=NOW, scheduler=_sched(), seed="s")
    hard = scheduling.review(MemoryState(), rating=2, now=NOW, scheduler=_sched(), seed="s")
    assert again.due == NOW + dt.timedelta(minutes=1)
    # py-fsrs: Hard on step 0 with two steps waits (1 + 10) / 2 = 5.5 minutes
    assert hard.due == NOW + dt.timedelta(minutes=5, seconds=30)


def test_stability_and_difficulty_match_py_fsrs_reference():
    reference = Scheduler(desired_retention=0.9, enable_fuzzing=False)
    card = Card(card_id=1)
    m = MemoryState()
    t = NOW
    for rating in (3, 3, 3, 1, 3, 4):
        card, _ = reference.review_card(card, Rating(rating), review_datetime=t)
        m = scheduling.review(m, rating=rating, now=t, scheduler=_sched(), seed=f"x{t}")
        assert m.stability == card.stability and m.difficulty == card.difficulty
        assert m.state == int(card.state)
        t = t + dt.timedelta(days=3)
    assert card.state == State.Review


def test_fuzz_stays_inside_fsrs_range_and_is_deterministic():
    # FSRS fuzz for 30 days: delta = 1 + 0.15*4.5 + 0.1*13 + 0.05*10 = 3.475, lo = 27, hi = 33; like
    # py-fsrs, a uniform draw in [lo, hi + 1) is rounded, so 27..34 can come out
    seen = {scheduling.fuzzed_days(30, seed=f"k{i}") for i in range(300)}
    assert seen <= set(range(27, 35)) and len(seen) >= 6
    assert scheduling.fuzzed_days(30, seed="same") == scheduling.fuzzed_days(30, seed="same")
    assert scheduling.fuzzed_days(2, seed="a") == 2


def test_preview_equals_review_result_for_every_rating():
    m = MemoryState()
    for rating in (3, 3):
        m = scheduling.review(m, rating=rating, now=NOW, scheduler=_sched(), seed="p")
    later = NOW + dt.timedelta(days=5)
    preview = scheduling.preview(m, now=later, scheduler=_sched(), seed="seed-7")
    for rating in (1, 2, 3, 4):
        after = scheduling.review(m, rating=rating, now=later, scheduler=_sched(), seed="seed-7")
        assert (after.due - later).total_seconds() == preview[rating]
    assert preview[1] < preview[2] <= preview[3] <= preview[4]


def test_lapse_counted_only_when_a_review_card_is_forgotten():
    m = scheduling.review(MemoryState(), rating=4, now=NOW, scheduler=_sched(), seed="a")
    assert m.state == 2
    m2 = scheduling.review(m, rating=1, now=NOW + dt.timedelta(days=9), scheduler=_sched(), seed="b")
    assert m2.state == 3 and m2.lapses == 1
    m3 = scheduling.review(
        m2, rating=1, now=NOW + dt.timedelta(days=9, minutes=20), scheduler=_sched(), seed="c"
    )
    assert m3.lapses == 1  # relearning Again is not another lapse


def test_retrievability_is_ninety_percent_after_one_stability_interval():
    m = scheduling.review(MemoryState(), rating=4, now=NOW, scheduler=_sched(), seed="a")
    s = m.stability
    r = scheduling.retrievability(m, at=NOW + dt.timedelta(days=round(s)), scheduler=_sched())
    # FSRS-6 curve: R(t=S) = 0.9 by construction; whole days only, so allow the rounding of S
    assert abs(r - 0.9) < 0.01


# ReviewLog.state_after as the study loop wrote it before MemoryState (a plain dict of ISO strings), kept
# verbatim: a new card rated Good at 12:00:00.123456 on 1 March, then Good 11 minutes later. The JSON form
# may never change, or undo of old rows would break.
OLD_LOG_ROW = {
    "state": 2,
    "step": None,
    "stability": 2.3065,
    "difficulty": 2.111214235785395,
    "due": "2026-03-03T12:11:00.123456+00:00",
    "last_review": "2026-03-01T12:11:00.123456+00:00",
    "reps": 2,
    "lapses": 0,
}
OLD_NEW_CARD_ROW = {
    "state": 0,
    "step": None,
    "stability": None,
    "difficulty": None,
    "due": None,
    "last_review": None,
    "reps": 0,
    "lapses": 0,
}


def test_a_log_row_in_the_stored_format_reads_as_datetimes_and_writes_back_unchanged():
    m = MemoryState.from_json(OLD_LOG_ROW)
    assert m.state is scheduling.State.REVIEW and m.step is None
    assert (m.stability, m.difficulty, m.reps, m.lapses) == (2.3065, 2.111214235785395, 2, 0)
    assert m.due == dt.datetime(2026, 3, 3, 12, 11, 0, 123456, tzinfo=dt.UTC)
    assert m.last_review == dt.datetime(2026, 3, 1, 12, 11, 0, 123456, tzinfo=dt.UTC)
    assert m.to_json() == OLD_LOG_ROW
    assert list(m.to_json()) == list(OLD_LOG_ROW)
    assert MemoryState.from_json(OLD_NEW_CARD_ROW) == MemoryState()
    assert MemoryState().to_json() == OLD_NEW_CARD_ROW


def test_the_same_reviews_give_the_same_log_row_as_before():
    first = NOW.replace(microsecond=123456)
    m = scheduling.review(MemoryState(), rating=3, now=first, scheduler=_sched(), seed="a")
    m = scheduling.review(m, rating=3, now=first + dt.timedelta(minutes=11), scheduler=_sched(), seed="b")
    assert m.to_json() == OLD_LOG_ROW


def test_json_round_trip_keeps_every_field_of_a_review_history():
    m = MemoryState()
    t = NOW.replace(microsecond=654321)
    for rating in (3, 1, 3, 3, 4, 1, 2):
        m = scheduling.review(m, rating=rating, now=t, scheduler=_sched(), seed=f"j{t}")
        back = MemoryState.from_json(json.loads(json.dumps(m.to_json())))
        assert back == m and back.to_json() == m.to_json()
        assert back.due is not None and back.due.tzinfo is dt.UTC
        t += dt.timedelta(days=2, seconds=7)


def test_times_in_another_offset_are_kept_in_utc_and_naive_times_are_refused():
    shanghai = dt.timezone(dt.timedelta(hours=8))
    m = MemoryState.from_json(OLD_LOG_ROW | {"due": "2026-03-03T20:11:00.123456+08:00"})
    assert m.due == MemoryState.from_json(OLD_LOG_ROW).due and m.due.tzinfo is dt.UTC
    assert m.to_json() == OLD_LOG_ROW
    assert MemoryState(due=NOW.astimezone(shanghai)).due.tzinfo is dt.UTC
    with pytest.raises(ValueError, match="aware"):
        MemoryState(last_review=dt.datetime(2026, 3, 1, 12, 0))


def test_api_form_names_the_state_and_writes_times_with_the_given_format():
    m = MemoryState.from_json(OLD_LOG_ROW)
    assert m.to_api(time=lambda d: d.strftime("%Y-%m-%d %H:%M")) == {
        "state": "review",
        "step": None,
        "stability": 2.3065,
        "difficulty": 2.111214235785395,
        "due": "2026-03-03 12:11",
        "last_review": "2026-03-01 12:11",
        "reps": 2,
        "lapses": 0,
    }
    names = [MemoryState(state=s).to_api(time=str)["state"] for s in scheduling.State]
    assert names == ["new", "learning", "review", "relearning"]


def test_memory_fields_are_the_card_state_columns_and_memory_of_reads_them():
    from dlquiz.study.models import CardState

    columns = [f.name for f in CardState._meta.concrete_fields]
    assert set(scheduling.MEMORY_FIELDS) <= set(columns)
    m = MemoryState.from_json(OLD_LOG_ROW)
    cs = CardState(**m.fields(), suspended=False)
    assert scheduling.memory_of(cs) == m


def test_previews_of_many_cards_equal_each_cards_own_preview_and_its_review():
    """``previews`` shares FSRS's step between equal memory states; the intervals must not change."""
    sched = _sched()
    states = [MemoryState()]
    for rating in (1, 3, 4, 4, 1, 3):
        states.append(
            scheduling.review(
                states[-1], rating=rating, now=NOW + dt.timedelta(days=len(states)), scheduler=sched, seed="s"
            )
        )
    later = NOW + dt.timedelta(days=40)
    cards = [(m, f"seed-{i}") for i, m in enumerate(states + [MemoryState()] * 5)]
    got = scheduling.previews(cards, now=later, scheduler=sched)
    assert got == [scheduling.preview(m, now=later, scheduler=sched, seed=seed) for m, seed in cards]
    for (m, seed), intervals in zip(cards, got):
        for rating, seconds in intervals.items():
            due = scheduling.review(m, rating=rating, now=later, scheduler=sched, seed=seed).due
            assert seconds == int((due - later).total_seconds())
    # the fuzz stays per card: new cards rated Easy land on different days for different seeds
    assert len({i[4] for i in got[len(states) :]}) > 1


def test_previews_run_fsrs_once_per_distinct_memory_state(monkeypatch):
    """Regression: a page of 20 new cards ran FSRS 80 times (4 per card) for 4 distinct results."""
    sched = _sched()
    calls = []
    real = sched.review_card
    monkeypatch.setattr(sched, "review_card", lambda *a, **k: calls.append(1) or real(*a, **k))
    for n in (3, 60):
        calls.clear()
        scheduling.previews([(MemoryState(), f"{i}") for i in range(n)], now=NOW, scheduler=sched)
        assert len(calls) == 4
