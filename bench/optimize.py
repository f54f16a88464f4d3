#!/usr/bin/env python
"""FSRS optimisation benchmark (issue 12), on the database DATABASE_URL names (PostgreSQL for the concurrent
figure: SQLite serialises writers). It creates its own learners (``bench-opt-*``) and prints:

* direct: py-fsrs's ``Optimizer.compute_optimal_parameters`` on the real 12,580-review Anki log;
* task: ``optimize_execute`` on the same log imported for a learner (load, fit on 80%, evaluation; the real
  log is not adopted), and for a learner whose parameters in force are poor (adopted: also the refit on the
  whole log and the reschedule), in the same process, each as a ratio to the direct call (target: within 2x);
* reschedule: cards per second replaying every card of that learner with other parameters;
* review p50 with no reschedule running, then while 10,000 cards of the same learner are rescheduled in
  another process, as a worker would (target: < 50 ms).

The load average is printed: on a shared 2-core machine the figures move with it.

    DATABASE_URL=postgres://... .venv/bin/python bench/optimize.py [--log PATH] [--cards 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dlquiz.settings")


def _reschedule_in_a_worker(user_id: int, parameters: list[float], out: Any) -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User

    from dlquiz.scheduler.services import cards_reschedule

    t0 = time.perf_counter()
    changed = cards_reschedule(user=User.objects.get(pk=user_id), parameters=parameters)
    out.put({"changed": changed, "s": time.perf_counter() - t0})


def _optimiser_figures(args: Any, data: bytes, now: dt.datetime, learner: Any) -> None:
    from fsrs import Rating
    from fsrs import ReviewLog as FsrsLog
    from fsrs.optimizer import Optimizer
    from fsrs.scheduler import DEFAULT_PARAMETERS

    from dlquiz.scheduler.models import OptimizeRun
    from dlquiz.scheduler.services import optimize_execute, review_log_import
    from dlquiz.study.models import StudySettings

    rows = [line.split(",") for line in data.decode().splitlines()[1:] if line]
    logs = [FsrsLog(int(c), Rating(int(r)), dt.datetime.fromisoformat(t), int(d)) for c, r, t, d in rows]
    t = time.perf_counter()
    Optimizer(logs).compute_optimal_parameters()
    direct = time.perf_counter() - t
    print(f"direct py-fsrs optimizer, {len(logs)} reviews: {direct:.1f} s")

    user = learner()
    t = time.perf_counter()
    review_log_import(user=user, name=args.log.name, data=data, now=now)
    print(f"import_review_log: {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    run = optimize_execute(run_id=OptimizeRun.objects.create(user=user, trigger="command").pk)
    task = time.perf_counter() - t
    b, a = run.metrics_before, run.metrics_after
    print(f"task total: {task:.1f} s = {task / direct:.2f}x the direct call ({run.reason})")
    if b and a:
        print(
            f"  later 20%: log loss {b['log_loss']:.4f} -> {a['log_loss']:.4f}, RMSE(bins) {b['rmse_bins']:.4f}"
            f" -> {a['rmse_bins']:.4f}, AUC {b['auc']:.4f} -> {a['auc']:.4f}"
        )
    # the adopting path (fit, evaluation, refit, reschedule): the same log for a learner whose parameters in
    # force are poor (initial stabilities a tenth of the defaults), so the fitted ones win on the later 20%
    poor = list(DEFAULT_PARAMETERS)
    poor[0:4] = [x / 10 for x in poor[0:4]]
    adopter = learner()
    StudySettings.objects.filter(user=adopter).update(fsrs_parameters=poor)
    review_log_import(user=adopter, name=args.log.name, data=data, now=now)
    t = time.perf_counter()
    run = optimize_execute(run_id=OptimizeRun.objects.create(user=adopter, trigger="command").pk)
    took = time.perf_counter() - t
    print(
        f"task total, adopting path: {took:.1f} s = {took / direct:.2f}x the direct call; "
        f"{run.cards_rescheduled} cards rescheduled ({run.reason})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", type=Path, default=ROOT.parent / "shared/data/anki-review-log-12580.csv")
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--reschedule-only", action="store_true", help="skip the optimiser timings")
    args = parser.parse_args()

    import django

    django.setup()
    import torch
    from django.core.management import call_command

    torch.set_num_threads(1)
    call_command("migrate", verbosity=0)
    from django.contrib.auth.models import User
    from fsrs.scheduler import DEFAULT_PARAMETERS

    from dlquiz.scheduler.services import cards_reschedule, review_log_import
    from dlquiz.study.models import CardState, StudySettings
    from dlquiz.study.services import review_submit

    now = dt.datetime.now(dt.UTC)
    print(f"load average {os.getloadavg()[0]:.2f}, database {django.db.connection.vendor}")

    def learner():
        user = User.objects.create_user(f"bench-opt-{uuid.uuid4().hex[:8]}")
        StudySettings.objects.create(user=user)
        return user

    data = args.log.read_bytes()
    if not args.reschedule_only:
        _optimiser_figures(args, data, now, learner)
    other = list(DEFAULT_PARAMETERS)
    other[2], other[3] = 4.0, 12.0
    user = learner()  # the real log's 1,205 cards, rescheduled with other parameters
    review_log_import(user=user, name=args.log.name, data=data, now=now)
    n_cards = CardState.objects.filter(user=user).count()
    t = time.perf_counter()
    changed = cards_reschedule(user=user, parameters=other)
    took = time.perf_counter() - t
    print(f"reschedule: {n_cards} cards ({changed} changed) in {took:.2f} s = {n_cards / took:.0f} cards/s")

    # review p50 while a reschedule of --cards cards runs for the same learner
    big = learner()
    sim = ["card_id,review_rating,review_time,review_duration"]
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for i in range(args.cards):
        sim.append(f"{9_000_000 + i},3,{(start + dt.timedelta(minutes=i)).isoformat()},4000")
        sim.append(f"{9_000_000 + i},3,{(start + dt.timedelta(days=3, minutes=i)).isoformat()},4000")
    review_log_import(user=big, name="sim.csv", data="\n".join(sim).encode(), now=now)
    from dlquiz.decks.models import Card

    every = list(Card.objects.filter(deck__owner=big).values_list("id", flat=True))
    targets = random.Random(1).sample(every, min(len(every), 500))  # spread over the reschedule's batches

    def timed_review(card_id: int) -> float:
        t0 = time.perf_counter()
        review_submit(user=big, card_id=card_id, rating=3, client_review_id=uuid.uuid4().hex, now=now)
        return (time.perf_counter() - t0) * 1000

    idle = [timed_review(c) for c in targets[100:]]  # no reschedule running: the baseline
    print(f"review p50 with no reschedule running: {statistics.median(idle):.1f} ms ({len(idle)} reviews)")
    targets = targets[:400]
    # the reschedule runs in its own process, as on a worker (a thread here would share the GIL with the reviews)
    ctx = multiprocessing.get_context("spawn")
    result = ctx.Queue()
    child = ctx.Process(target=_reschedule_in_a_worker, args=(big.pk, other, result))
    child.start()
    latencies = []
    k = 0
    while child.is_alive() and k < len(targets):
        latencies.append(timed_review(targets[k]))
        k += 1
        time.sleep(0.05)
    resched = result.get()
    child.join()
    print(
        f"reschedule of {args.cards} cards: {resched['s']:.1f} s ({args.cards / resched['s']:.0f} cards/s); "
        f"{len(latencies)} reviews meanwhile: p50 {statistics.median(latencies):.1f} ms, "
        f"max {max(latencies):.1f} ms"
    )


if __name__ == "__main__":
    main()
