"""fitting.py on plain values: the metrics by hand, and fitting recovers a simulated learner."""

from __future__ import annotations

import math
import random

import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS

from dlquiz.scheduler import fitting
from tests.dlquiz.scheduler.simlog import TRUE_PARAMETERS, simulate


def test_metrics_match_a_hand_calculation():
    pairs = [(0.9, 1), (0.8, 0), (0.6, 1), (0.3, 0)]
    m = fitting.evaluate(pairs)
    loss = -(math.log(0.9) + math.log(0.2) + math.log(0.6) + math.log(0.7)) / 4
    assert m.log_loss == pytest.approx(loss, rel=1e-12)
    # every prediction in its own bin of 0.05: RMSE(bins) is the root mean squared error
    assert m.rmse_bins == pytest.approx(math.sqrt((0.1**2 + 0.8**2 + 0.4**2 + 0.3**2) / 4), rel=1e-12)
    # recalled above forgotten: (0.9>0.8), (0.9>0.3), (0.6>0.3) of the four pairs
    assert m.auc == pytest.approx(0.75)
    assert [c["count"] for c in m.calibration] == [1, 1, 1, 1]


def test_calibration_bins_pool_and_ties_count_half():
    m = fitting.evaluate([(0.52, 1), (0.54, 0), (0.54, 1), (0.99, 1)])
    # 0.52 and 0.54 share the bin [0.50, 0.55); 0.99 is alone in [0.95, 1]
    assert m.calibration == [
        {"predicted": pytest.approx(1.6 / 3), "observed": pytest.approx(2 / 3), "count": 3},
        {"predicted": pytest.approx(0.99), "observed": pytest.approx(1.0), "count": 1},
    ]
    assert m.rmse_bins == pytest.approx(math.sqrt((3 * (1.6 / 3 - 2 / 3) ** 2 + 0.01**2) / 4))
    # positives 0.52, 0.54, 0.99 against the negative 0.54: lose, tie (1/2), win
    assert m.auc == pytest.approx(1.5 / 3)
    assert fitting.evaluate([(0.5, 1), (0.7, 1)]).auc is None


def test_fitted_parameters_beat_the_defaults_on_the_later_20_percent_of_a_simulated_log():
    rows = simulate(160, 7)
    reviews = [fitting.Review(c, r, t, d) for c, r, t, d in rows]
    split = fitting.split_time(reviews)
    train = [r for r in reviews if r.at < split]
    assert len(train) == int(len(reviews) * 0.8)
    assert fitting.trainable_reviews(train) >= fitting.MIN_REVIEWS
    epochs = []
    fitted = fitting.fit(train, on_epoch=epochs.append)
    assert epochs == list(range(1, fitting.EPOCHS + 1))
    default = fitting.evaluate(fitting.predictions(reviews, DEFAULT_PARAMETERS, since=split))
    mine = fitting.evaluate(fitting.predictions(reviews, fitted, since=split))
    truth = fitting.evaluate(fitting.predictions(reviews, TRUE_PARAMETERS, since=split))
    print(
        f"held-out log loss: defaults {default.log_loss:.4f}, fitted {mine.log_loss:.4f}, truth {truth.log_loss:.4f}"
    )
    assert mine.reviews == default.reviews > 100
    assert mine.log_loss < default.log_loss
    assert truth.log_loss < default.log_loss  # the simulation is far enough from the defaults to tell
    # the fit moved the initial stabilities towards the truth (w0..w3 of the simulation are all larger)
    assert sum(fitted[:4]) > sum(DEFAULT_PARAMETERS[:4])


def test_workload_grows_with_desired_retention():
    rows = simulate(40, 5)
    reviews = [fitting.Review(c, r, t, d) for c, r, t, d in rows]
    points = fitting.workload(reviews, DEFAULT_PARAMETERS, retentions=[0.7, 0.85, 0.97], cards_per_day=5)
    assert [p["retention"] for p in points] == [0.7, 0.85, 0.97]
    per_day = [p["reviews_per_day"] for p in points]
    assert per_day[0] < per_day[1] < per_day[2]
    # at least one review per new card: 5 a day
    assert per_day[0] >= 5
    # minutes follow reviews at the log's mean seconds per review (2-20 s in the simulation)
    for p in points:
        assert 2 / 60 <= p["minutes_per_day"] / p["reviews_per_day"] <= 20 / 60


def test_metrics_match_brute_force_on_many_pairs_with_ties():
    """Log loss, RMSE over 20 equal-width bins and AUC written out here from their definitions (AUC by
    comparing every recalled review with every forgotten one) on 400 random pairs with many ties."""
    rng = random.Random(3)
    pairs = [(rng.choice([0.05 * k for k in range(1, 20)] + [rng.random()]), 0) for _ in range(400)]
    pairs = [(p, int(rng.random() < p)) for p, _ in pairs]
    m = fitting.evaluate(pairs)
    assert m.log_loss == pytest.approx(-sum(math.log(p if y else 1 - p) for p, y in pairs) / 400, rel=1e-12)
    bins: dict[int, list[tuple[float, int]]] = {}
    for p, y in pairs:
        bins.setdefault(min(19, math.floor(p * 20)), []).append((p, y))
    sq = sum(
        len(b) * (sum(p for p, _ in b) / len(b) - sum(y for _, y in b) / len(b)) ** 2 for b in bins.values()
    )
    assert m.rmse_bins == pytest.approx(math.sqrt(sq / 400), rel=1e-12)
    pos = [p for p, y in pairs if y]
    neg = [p for p, y in pairs if not y]
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    assert m.auc == pytest.approx(wins / (len(pos) * len(neg)), rel=1e-12)
    assert sum(c["count"] for c in m.calibration) == 400 and len(m.calibration) == len(bins)


@pytest.mark.parametrize("which", ["defaults", "truth"])
def test_the_log_loss_is_py_fsrs_optimizers_own_loss(which):
    """fitting.predictions + evaluate on a whole log give the loss py-fsrs's optimizer itself computes (its
    torch code, not the float copy fit() uses), so the held-out comparison judges what the optimizer fits."""
    from fsrs import Rating
    from fsrs import ReviewLog as FsrsReviewLog
    from fsrs.optimizer import Optimizer

    parameters = list(DEFAULT_PARAMETERS) if which == "defaults" else TRUE_PARAMETERS
    rows = simulate(60, 6, seed=11)
    reviews = [fitting.Review(c, r, t, d) for c, r, t, d in rows]
    logs = [FsrsReviewLog(c, Rating(r), t, d) for c, r, t, d in rows]
    theirs = Optimizer(logs)._compute_batch_loss(parameters=parameters)
    assert fitting.evaluate(fitting.predictions(reviews, parameters)).log_loss == pytest.approx(
        theirs, rel=1e-9
    )
