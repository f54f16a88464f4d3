"""Importing a review log, the optimisation run (evaluate before adopt, reschedule, rerun), its triggers."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from fsrs.scheduler import DEFAULT_PARAMETERS

from dlquiz.decks.models import Card
from dlquiz.errors import Conflict
from dlquiz.scheduler import fitting
from dlquiz.scheduler.models import OptimizeRun
from dlquiz.scheduler.services import (
    ReviewLogImportError,
    cards_reschedule,
    optimize_execute,
    optimize_request,
    review_log_import,
)
from dlquiz.study import scheduling
from dlquiz.study.models import CardState, ReviewLog, StudySettings
from dlquiz.study.services import review_submit
from tests.conftest import need_shared
from tests.dlquiz.scheduler.simlog import TRUE_PARAMETERS, csv_text, simulate
from tests.factories import enrolled_user, make_user, rid

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)  # after every simulated review


def _independent_replay(user, card_id, parameters):
    """Each card's log replayed by py-fsrs directly (through scheduling.replay's pieces: review + seed)."""
    prefs = StudySettings.objects.get(user=user)
    scheduler = scheduling.make_scheduler(
        desired_retention=prefs.desired_retention,
        learning_steps=prefs.learning_steps,
        relearning_steps=prefs.relearning_steps,
        parameters=parameters,
    )
    m = scheduling.MemoryState()
    for rating, at in (
        ReviewLog.objects.filter(user=user, card_id=card_id)
        .order_by("reviewed_at", "id")  # the replay order of study/merge.py
        .values_list("rating", "reviewed_at")
    ):
        seed = scheduling.review_seed(user_id=user.pk, card_id=card_id, reps=m.reps)
        m = scheduling.review(m, rating=rating, now=at, scheduler=scheduler, seed=seed)
    return m


def test_import_makes_draft_cards_and_replays_their_states():
    user = make_user()
    data = csv_text(simulate(3, 4)).encode()
    result = review_log_import(user=user, name="log.csv", data=data, now=NOW)
    assert (result.rows, result.imported, result.cards_created, result.cards) == (12, 12, 3, 3)
    cards = Card.objects.filter(deck=result.deck)
    assert cards.count() == 3 and all(c.draft for c in cards) and result.deck.owner == user
    for cs in CardState.objects.filter(user=user):
        assert scheduling.memory_of(cs) == _independent_replay(user, cs.card_id, DEFAULT_PARAMETERS)
        assert cs.reps == 4
    again = review_log_import(user=user, name="log.csv", data=data, now=NOW)
    assert (again.imported, again.already, again.cards_created) == (0, 12, 0)
    assert ReviewLog.objects.filter(user=user).count() == 12


def test_bad_rows_are_reported_by_line_and_nothing_is_written():
    user = make_user()
    data = (
        b"card_id,review_rating,review_time,review_duration\n"
        b"1,3,2025-01-01T10:00:00+00:00,5000\n"
        b"2,5,2025-01-01T10:00:00+00:00,5000\n"
        b"x,3,2025-01-01T10:00:00,5000\n"
        b"1,3,2025-01-01T10:00:00+00:00,5000\n"
        b"3,3,2099-01-01T10:00:00+00:00,-4\n"
    )
    with pytest.raises(ReviewLogImportError) as err:
        review_log_import(user=user, name="bad.csv", data=data, now=NOW)
    errors = err.value.errors
    assert errors[0] == "bad.csv:3: review_rating '5' is not 1, 2, 3 or 4"
    assert errors[1].startswith("bad.csv:4: card_id 'x' is not a whole number; review_time")
    assert errors[1].endswith("has no UTC offset")
    assert errors[2].startswith("bad.csv:5: the same review as line 2")
    assert errors[3].startswith("bad.csv:6: review_time") and "review_duration '-4'" in errors[3]
    assert len(errors) == 4
    assert (
        not Card.objects.filter(deck__owner=user).exists()
        and not ReviewLog.objects.filter(user=user).exists()
    )
    with pytest.raises(ReviewLogImportError) as err:
        review_log_import(user=user, name="h.csv", data=b"id,rating\n1,3\n", now=NOW)
    assert err.value.errors == [
        "h.csv:1: the header must be card_id,review_rating,review_time,review_duration"
    ]


def test_command_imports_and_reports_errors(tmp_path, capsys):
    user = make_user("anki_learner")
    path = tmp_path / "log.csv"
    path.write_text(csv_text(simulate(2, 3)))
    call_command("import_review_log", "--user", user.username, str(path))
    assert "6 reviews imported" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("card_id,review_rating,review_time,review_duration\n1,0,2025-01-01T10:00:00+00:00,1\n")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_review_log", "--user", user.username, str(bad))
    assert f"{bad}:2: review_rating '0'" in capsys.readouterr().err


def _run(user, trigger=OptimizeRun.Trigger.COMMAND):
    return optimize_execute(run_id=OptimizeRun.objects.create(user=user, trigger=trigger).pk)


def test_a_simulated_learner_is_adopted_rescheduled_and_a_rerun_is_a_no_op():
    user, _, fresh_cards = enrolled_user(1)
    review_log_import(user=user, name="sim.csv", data=csv_text(simulate(160, 7)).encode(), now=LATER)
    run = _run(user)
    print(run.reason, run.metrics_before["log_loss"], run.metrics_after["log_loss"])
    assert run.status == "done" and run.adopted, run.reason
    assert run.metrics_after["log_loss"] < run.metrics_before["log_loss"]
    assert run.parameters_before == list(DEFAULT_PARAMETERS)
    m_before, m_after = run.metrics_before, run.metrics_after
    assert run.reason_code == "adopted" and run.reason_args == {
        "reviews": m_after["reviews"],
        "before": f"{m_before['log_loss']:.4f}",
        "after": f"{m_after['log_loss']:.4f}",
        "total": run.reviews_used,
    }
    assert len(run.parameters_after) == 21 and run.parameters_after != run.parameters_fitted
    prefs = StudySettings.objects.get(user=user)
    assert prefs.fsrs_parameters == run.parameters_after
    # every card's state is its log replayed with the new parameters
    states = {cs.card_id: scheduling.memory_of(cs) for cs in CardState.objects.filter(user=user)}
    logged = set(ReviewLog.objects.filter(user=user).values_list("card_id", flat=True))
    assert run.cards_rescheduled > 0
    for card_id in logged:
        assert states[card_id] == _independent_replay(user, card_id, run.parameters_after)
    # the adopted parameters schedule the next review: a first Easy's stability is w[3]
    user.refresh_from_db()
    out = review_submit(user=user, card_id=fresh_cards[0].id, rating=4, client_review_id=rid(), now=LATER)
    assert out.log.state_after["stability"] == pytest.approx(run.parameters_after[3])
    # a rerun with no new reviews changes nothing; rescheduling again changes no card
    ReviewLog.objects.filter(client_review_id=out.log.client_review_id).delete()
    CardState.objects.filter(user=user, card=fresh_cards[0]).update(state=0, stability=None, reps=0)
    before = {cs.card_id: scheduling.memory_of(cs) for cs in CardState.objects.filter(user=user)}
    rerun = _run(user)
    assert rerun.status == "done" and not rerun.adopted
    assert rerun.reason.startswith(f"no new reviews since run {run.pk}")
    assert (rerun.reason_code, rerun.reason_args) == ("no_new_reviews", {"run": run.pk})
    assert StudySettings.objects.get(user=user).fsrs_parameters == run.parameters_after
    assert cards_reschedule(user=user) == 0
    assert {cs.card_id: scheduling.memory_of(cs) for cs in CardState.objects.filter(user=user)} == before


def _real_log_subset(every: int) -> bytes:
    """The real Anki log's reviews of every ``every``-th card (by Anki card id): a real learner's log, smaller."""
    path = need_shared() / "data" / "anki-review-log-12580.csv"
    header, *lines = path.read_text().splitlines()
    ids = sorted({int(line.split(",", 1)[0]) for line in lines if line})
    keep = {str(i) for i in ids[::every]}
    return "\n".join([header, *(line for line in lines if line.split(",", 1)[0] in keep)]).encode() + b"\n"


def test_the_real_anki_log_decision_follows_the_metrics():
    """On real reviews fitting does not always help: on every 5th card of the real log (2,518 reviews of 241
    cards; the whole log's figures are bench/optimize.py's) the fitted parameters lose on the later 20%, and
    the run does not adopt them. (Every 3rd card, they win: the decision is the data's, not a constant.)"""
    user = make_user()
    review_log_import(user=user, name="real-subset.csv", data=_real_log_subset(5), now=NOW)
    states = {cs.card_id: scheduling.memory_of(cs) for cs in CardState.objects.filter(user=user)}
    run = _run(user)
    b, a = run.metrics_before, run.metrics_after
    print(
        f"\nreal log, every 5th card: {run.reviews_used} reviews, later 20%: {b['reviews']} scored reviews\n"
        f"  in force (defaults): log loss {b['log_loss']:.4f}  RMSE(bins) {b['rmse_bins']:.4f}  AUC {b['auc']:.4f}\n"
        f"  fitted on 80%:       log loss {a['log_loss']:.4f}  RMSE(bins) {a['rmse_bins']:.4f}  AUC {a['auc']:.4f}\n"
        f"  {run.reason}"
    )
    assert run.status == "done" and run.reviews_used == 2518
    assert run.adopted == (a["log_loss"] < b["log_loss"])
    assert a["log_loss"] > b["log_loss"] + 0.01 and not run.adopted  # a clear loss, not a rounding
    assert (run.reason_code, run.parameters_after, run.cards_rescheduled) == ("not_adopted", None, 0)
    assert StudySettings.objects.get(user=user).fsrs_parameters is None
    assert {cs.card_id: scheduling.memory_of(cs) for cs in CardState.objects.filter(user=user)} == states


@pytest.mark.parametrize("better", [False, True])
def test_the_adopt_rule_follows_the_held_out_log_loss(monkeypatch, better):
    """The fit replaced by known parameters: the truth of a simulated log is adopted, overconfident ones
    (stability growing far faster after a recall than the defaults say) are not, and then nothing is
    refitted or rescheduled."""
    poor = list(DEFAULT_PARAMETERS)
    poor[8] += 2  # exp(w8) scales each recall's stability gain: e**2 times the defaults'
    given = TRUE_PARAMETERS if better else poor
    calls = []

    def fit(reviews, *, on_epoch=None):
        calls.append(len(reviews))
        return list(given)

    monkeypatch.setattr(fitting, "fit", fit)
    user = make_user()
    review_log_import(user=user, name="sim.csv", data=csv_text(simulate(160, 7)).encode(), now=LATER)
    states = {cs.card_id: scheduling.memory_of(cs) for cs in CardState.objects.filter(user=user)}
    run = _run(user)
    b, a = run.metrics_before["log_loss"], run.metrics_after["log_loss"]
    assert (a < b) is better and run.adopted is better
    assert calls == ([int(1120 * 0.8), 1120] if better else [int(1120 * 0.8)])  # the refit only on adopting
    assert StudySettings.objects.get(user=user).fsrs_parameters == (list(given) if better else None)
    after = {cs.card_id: scheduling.memory_of(cs) for cs in CardState.objects.filter(user=user)}
    assert (after != states) is better and run.reason_code == ("adopted" if better else "not_adopted")


def test_too_few_reviews_is_recorded_and_keeps_the_defaults():
    user = make_user()
    review_log_import(user=user, name="s.csv", data=csv_text(simulate(5, 3)).encode(), now=NOW)
    run = _run(user)
    assert run.status == "done" and not run.adopted and run.reason.startswith("too few reviews to fit")
    # 5 cards reviewed 3 times each: at most 2 scored reviews per card
    assert run.reason_code == "too_few_reviews" and run.reason_args["needed"] == 512
    assert run.reason_args["scored"] <= 10
    assert StudySettings.objects.get(user=user).fsrs_parameters is None


def test_the_button_starts_one_run_a_day_and_shares_a_run_in_progress():
    user = make_user()
    with time_machine.travel(NOW, tick=False):
        first = optimize_request(user=user, trigger=OptimizeRun.Trigger.BUTTON, now=NOW)
        assert optimize_request(user=user, trigger=OptimizeRun.Trigger.BUTTON, now=NOW).pk == first.pk
        OptimizeRun.objects.filter(pk=first.pk).update(status=OptimizeRun.Status.DONE)
        with pytest.raises(Conflict) as err:
            optimize_request(user=user, trigger=OptimizeRun.Trigger.BUTTON, now=NOW + dt.timedelta(hours=23))
        assert err.value.code == "too_soon"
    later = NOW + dt.timedelta(days=1, minutes=1)
    with time_machine.travel(later, tick=False):
        second = optimize_request(user=user, trigger=OptimizeRun.Trigger.BUTTON, now=later)
    assert second.pk != first.pk
    other = make_user()
    assert optimize_request(user=other, trigger=OptimizeRun.Trigger.BUTTON, now=NOW).user == other


def test_the_monthly_beat_queues_learners_with_enough_new_reviews(
    settings, django_capture_on_commit_callbacks
):
    from dlquiz.scheduler.services import optimize_dispatch

    settings.OPTIMIZE_MIN_NEW_REVIEWS = 30
    many, few, since = make_user(), make_user(), make_user()
    review_log_import(user=many, name="a.csv", data=csv_text(simulate(8, 5)).encode(), now=NOW)  # 40
    review_log_import(user=few, name="b.csv", data=csv_text(simulate(5, 5)).encode(), now=NOW)  # 25
    review_log_import(user=since, name="c.csv", data=csv_text(simulate(8, 5)).encode(), now=NOW)  # 40
    # 20 of the 40 were read by a finished run: 20 new, below the threshold; a failed run does not count
    ids = list(ReviewLog.objects.filter(user=since).order_by("id").values_list("id", flat=True))
    OptimizeRun.objects.create(user=since, trigger="beat", status="done", last_log_id=ids[19])
    OptimizeRun.objects.create(user=few, trigger="beat", status="failed", last_log_id=10**9)
    with django_capture_on_commit_callbacks() as queued:
        runs = optimize_dispatch(now=NOW)
    assert [OptimizeRun.objects.get(pk=pk).user for pk in runs] == [many] and len(queued) == 1
    assert OptimizeRun.objects.get(pk=runs[0]).trigger == "beat"
    # ten more reviews for `since`: 30 new since its run; `many`'s queued run is shared, not doubled
    extra = csv_text(simulate(2, 5, seed=99)).replace("\n17", "\n18").encode()  # two other cards
    review_log_import(user=since, name="d.csv", data=extra, now=NOW)
    again = optimize_dispatch(now=NOW)
    assert sorted(OptimizeRun.objects.get(pk=pk).user.pk for pk in again) == sorted([many.pk, since.pk])
    assert runs[0] in again
    # beat runs it on the first of each month at 03:00 UTC
    from dlquiz.celery import _schedule

    class Beat:
        tasks: dict[str, object] = {}

        def signature(self, name):
            return name

        def add_periodic_task(self, schedule, signature, **_):
            self.tasks[signature] = schedule

    beat = Beat()
    _schedule(beat)
    monthly = beat.tasks["dlquiz.scheduler.tasks.optimize_dispatch"]
    assert (monthly.day_of_month, monthly.hour, monthly.minute) == ({1}, {3}, {0})


def test_a_run_started_over_after_dying_mid_reschedule_puts_the_cards_back_when_it_does_not_adopt(
    monkeypatch,
):
    """A worker died while rescheduling: half the cards follow parameters never put in force. Started over
    (beat's recovery), the run does not adopt this time: every card is again the replay of its log with the
    parameters in force."""
    user = make_user()
    review_log_import(user=user, name="sim.csv", data=csv_text(simulate(40, 5)).encode(), now=LATER)
    logged = sorted(set(ReviewLog.objects.filter(user=user).values_list("card_id", flat=True)))
    assert cards_reschedule(user=user, parameters=TRUE_PARAMETERS, card_ids=logged[:20]) == 20
    run = OptimizeRun.objects.create(
        user=user,
        trigger="button",
        status="queued",
        stage="rescheduling",
        progress_done=20,
        progress_total=40,
    )
    monkeypatch.setattr(fitting, "MIN_REVIEWS", 10**6)  # the run ends early: too few reviews to fit
    run = optimize_execute(run_id=run.pk)
    assert run.status == "done" and not run.adopted and run.reason_code == "too_few_reviews"
    assert StudySettings.objects.get(user=user).fsrs_parameters is None
    for cs in CardState.objects.filter(user=user, card_id__in=logged):
        assert scheduling.memory_of(cs) == _independent_replay(user, cs.card_id, DEFAULT_PARAMETERS)
