"""Reads of the study loop: the learner's settings, the queue (and new cards beyond it), cards to practise,
due counts, today's numbers, the dashboard."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import Count, Min, Q, QuerySet

from dlquiz.study import ordering, scheduling
from dlquiz.study.models import CardState, ReviewLog, State, StudySettings

MAX_LIMIT = 200  # the most cards one queue, extra-new or practice request returns


def settings_get(*, user: User) -> StudySettings:
    """The learner's study settings. Sign-up creates them; a learner made some other way (``createsuperuser``)
    has none stored until they change one (``settings_update``) and reads the defaults until then."""
    try:
        return user.study_settings  # type: ignore[attr-defined,no-any-return]  # often loaded with the user
    except StudySettings.DoesNotExist:
        return StudySettings.objects.filter(user=user).first() or StudySettings(user=user)


def study_day_bounds(*, prefs: StudySettings, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The learner's current study day in UTC: from ``day_start_hour`` local time to the next one."""
    tz = ZoneInfo(prefs.timezone)
    local = now.astimezone(tz)
    start_date = local.date() if local.hour >= prefs.day_start_hour else local.date() - dt.timedelta(days=1)
    start = dt.datetime.combine(start_date, dt.time(prefs.day_start_hour), tzinfo=tz)
    end = dt.datetime.combine(start_date + dt.timedelta(days=1), dt.time(prefs.day_start_hour), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _active(user: User, now: dt.datetime) -> QuerySet[CardState]:
    """The learner's cards that can be studied now: not suspended, not retired, not buried."""
    return CardState.objects.filter(user=user, suspended=False, card__retired=False).filter(
        Q(buried_until__isnull=True) | Q(buried_until__lte=now)
    )


@dataclass(frozen=True)
class StudyScope:
    """Custom study: only one deck, one tag, one topic or one kind of card (e.g. exercises); empty: all."""

    deck: int | None = None
    tag: str = ""
    topic: str = ""
    kind: str = ""

    def apply(self, qs: QuerySet[CardState]) -> QuerySet[CardState]:
        if self.deck:
            qs = qs.filter(card__deck_id=self.deck)
        if self.tag:
            qs = qs.filter(card__tags__icontains=f'"{self.tag}"')
        if self.topic:
            qs = qs.filter(card__topics__icontains=f'"{self.topic}"')
        if self.kind:
            qs = qs.filter(card__kind=self.kind)
        return qs


ALL = StudyScope()


@dataclass
class Today:
    new_done: int
    reviews_done: int
    total_done: int
    new_left: int
    reviews_left: int
    # Learning/relearning cards waiting for their step beyond what the queue holds (the queue's answer only):
    learning_later: int = 0
    learning_next_due: dt.datetime | None = None


def today_counts(*, user: User, prefs: StudySettings, now: dt.datetime) -> Today:
    start, end = study_day_bounds(prefs=prefs, now=now)
    agg = ReviewLog.objects.filter(
        user=user, kind=ReviewLog.Kind.REVIEW, reviewed_at__gte=start, reviewed_at__lt=end
    ).aggregate(
        new=Count("id", filter=Q(prior_state=State.NEW)),
        rev=Count("id", filter=Q(prior_state=State.REVIEW)),
        total=Count("id"),
    )
    return Today(
        agg["new"],
        agg["rev"],
        agg["total"],
        max(0, prefs.new_per_day - agg["new"]),
        max(0, prefs.max_reviews_per_day - agg["rev"]),
    )


@dataclass
class QueueItem:
    state: CardState
    queue: str  # "learning" | "review" | "new"
    intervals: dict[int, int]  # rating 1-4 -> seconds until due


def _queue_items(
    *, user: User, prefs: StudySettings, now: dt.datetime, items: list[tuple[CardState, str]]
) -> list[QueueItem]:
    """Queue items with the interval each rating would give (the same fuzz as the review will draw); FSRS runs
    once per distinct memory state (``scheduling.previews``), so a page of new cards costs what one does."""
    intervals = scheduling.previews(
        [
            (scheduling.memory_of(s), scheduling.review_seed(user_id=user.pk, card_id=s.card_id, reps=s.reps))
            for s, _ in items
        ],
        now=now,
        scheduler=scheduling.scheduler_for(prefs),
    )
    return [QueueItem(s, queue, i) for (s, queue), i in zip(items, intervals, strict=True)]


def study_queue(
    *, user: User, now: dt.datetime, limit: int = 20, scope: StudyScope = ALL
) -> tuple[list[QueueItem], Today]:
    """Learning/relearning cards due now, then reviews due today (by due time), then new cards up to the
    day's limit; daily limits count per local study day. Each item carries the interval (seconds) each
    rating would give. ``scope``: custom study of one deck, tag, topic or kind (the daily limits stay the
    learner's own)."""
    prefs = settings_get(user=user)
    today = today_counts(user=user, prefs=prefs, now=now)
    _, day_end = study_day_bounds(prefs=prefs, now=now)
    base = scope.apply(_active(user, now).select_related("card", "card__deck"))
    items: list[tuple[CardState, str]] = []
    learning = base.filter(state__in=(State.LEARNING, State.RELEARNING), due__lte=now).order_by("due", "id")[
        :limit
    ]
    items += [(s, "learning") for s in learning]
    if len(items) < limit and today.reviews_left:
        n = min(limit - len(items), today.reviews_left)
        due = base.filter(state=State.REVIEW, due__lt=day_end).order_by("due", "id")
        review_left = _deck_left(
            user=user, prefs=prefs, now=now, caps=prefs.deck_review_limits, prior=State.REVIEW
        )
        if review_left is None:
            items += [(s, "review") for s in due[:n]]
        else:  # per-deck caps: walk the due cards' light columns, then load the ones taken
            ids: list[int] = []
            for pk, deck_id in due.values_list("id", "card__deck_id"):
                if len(ids) == n:
                    break
                if deck_id in review_left:
                    if review_left[deck_id] <= 0:
                        continue
                    review_left[deck_id] -= 1
                ids.append(pk)
            taken = due.in_bulk(ids)
            items += [(taken[pk], "review") for pk in ids]
    if len(items) < limit and today.new_left:
        n = min(limit - len(items), today.new_left)
        deck_left = _deck_left(user=user, prefs=prefs, now=now, caps=prefs.deck_new_limits, prior=State.NEW)
        items += [(s, "new") for s in _new_states(base, prefs=prefs, n=n, deck_left=deck_left)]
    horizon = now
    if not items and prefs.learn_ahead_minutes:  # nothing else left: learn ahead, as Anki does
        horizon = now + dt.timedelta(minutes=prefs.learn_ahead_minutes)
        ahead = base.filter(state__in=(State.LEARNING, State.RELEARNING), due__gt=now, due__lte=horizon)
        items += [(s, "learning") for s in ahead.order_by("due", "id")[:limit]]
    if len(items) < limit:  # the queue ran short: say when the next learning cards come
        later = (
            scope.apply(_active(user, now))
            .filter(state__in=(State.LEARNING, State.RELEARNING), due__gt=horizon)
            .aggregate(n=Count("id"), first=Min("due"))
        )
        today.learning_later, today.learning_next_due = later["n"], later["first"]
    return _queue_items(user=user, prefs=prefs, now=now, items=items), today


def _deck_left(
    *, user: User, prefs: StudySettings, now: dt.datetime, caps: dict[str, int] | None, prior: State
) -> dict[int, int] | None:
    """What each capped deck may still give today: its cap (``StudySettings.deck_new_limits`` for new
    cards, ``deck_review_limits`` for reviews) less today's reviews of its cards that were ``prior`` (NEW:
    introductions; REVIEW: reviews) before; None: no caps."""
    limits = {int(k): int(v) for k, v in (caps or {}).items()}
    if not limits:
        return None
    start, end = study_day_bounds(prefs=prefs, now=now)
    done = dict(
        ReviewLog.objects.filter(
            user=user,
            kind=ReviewLog.Kind.REVIEW,
            prior_state=prior,
            reviewed_at__gte=start,
            reviewed_at__lt=end,
            card__deck_id__in=list(limits),
        )
        .values_list("card__deck_id")
        .annotate(n=Count("id"))
        .values_list("card__deck_id", "n")
    )
    return {deck: max(0, cap - done.get(deck, 0)) for deck, cap in limits.items()}


def _new_states(
    base: QuerySet[CardState], *, prefs: StudySettings, n: int, deck_left: dict[int, int] | None = None
) -> list[CardState]:
    """The next ``n`` new cards in the learner's new-card order (``ordering``): deck order straight from the
    index; the other orders (or per-deck caps, ``deck_left``) rank the new cards' light columns in Python,
    then load the first ``n``."""
    new = base.filter(state=State.NEW)
    if (prefs.new_card_order == "deck" and deck_left is None) or n <= 0:
        return list(new.order_by("new_order", "id")[:n])
    rows = new.values_list(
        "id", "new_order", "card__deck__position", "card__kind", "card__topics", "card__deck_id"
    )
    cards: list[ordering.NewCard] = []
    deck_of: dict[int, int] = {}
    for i, pos, deck, kind, topics, deck_id in rows:
        cards.append(ordering.NewCard(i, pos, deck, kind == "exercise", tuple(topics or ())))
        deck_of[i] = deck_id
    ids: list[int] = []
    left = dict(deck_left or {})
    for i in ordering.new_card_sequence(cards, prefs.new_card_order):
        if len(ids) == n:
            break
        d = deck_of[i]
        if d in left:
            if left[d] <= 0:
                continue
            left[d] -= 1
        ids.append(i)
    by_id = new.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def study_extra_new(
    *, user: User, now: dt.datetime, limit: int = 20, scope: StudyScope = ALL
) -> list[QueueItem]:
    """New cards beyond today's new-card limit ("learn more today"), in introduction order, as queue items."""
    prefs = settings_get(user=user)
    base = scope.apply(_active(user, now).select_related("card", "card__deck"))
    states = _new_states(base, prefs=prefs, n=min(limit, MAX_LIMIT))
    return _queue_items(user=user, prefs=prefs, now=now, items=[(s, "new") for s in states])


def practice_cards(
    *, user: User, now: dt.datetime, limit: int = 20, deck: int | None = None, scope: StudyScope = ALL
) -> list[CardState]:
    """Cards to practise without scheduling: studied cards first (random order), then new ones; ``deck`` or
    ``scope`` choose as custom study does."""
    qs = scope.apply(_active(user, now).select_related("card", "card__deck"))
    if deck:
        qs = qs.filter(card__deck_id=deck)
    limit = min(limit, MAX_LIMIT)
    studied = list(qs.exclude(state=State.NEW).order_by("?")[:limit])
    if len(studied) < limit:
        studied += list(qs.filter(state=State.NEW).order_by("?")[: limit - len(studied)])
    return studied


def deck_due_counts(*, user: User, now: dt.datetime) -> list[dict[str, Any]]:
    """Per enrolled deck: learning due now, reviews due today, new available, and ``due``: learning and
    review cards due before the study day ends (as the forecast counts today)."""
    prefs = settings_get(user=user)
    _, day_end = study_day_bounds(prefs=prefs, now=now)
    rows = (
        _active(user, now)
        .values("card__deck_id", "card__deck__name", "card__deck__slug", "card__deck__position")
        .annotate(
            learning=Count("id", filter=Q(state__in=(State.LEARNING, State.RELEARNING), due__lte=now)),
            learning_today=Count(
                "id", filter=Q(state__in=(State.LEARNING, State.RELEARNING), due__lt=day_end)
            ),
            review=Count("id", filter=Q(state=State.REVIEW, due__lt=day_end)),
            new=Count("id", filter=Q(state=State.NEW)),
            total=Count("id"),
        )
        .order_by("card__deck__position", "card__deck_id")
    )
    return [
        {
            "id": r["card__deck_id"],
            "name": r["card__deck__name"],
            "slug": r["card__deck__slug"],
            "learning": r["learning"],
            "review": r["review"],
            "new": r["new"],
            "total": r["total"],
            # due today, learning cards due later today included: what the forecast counts for today
            "due": r["learning_today"] + r["review"],
        }
        for r in rows
    ]


def dashboard_stats(*, user: User, now: dt.datetime) -> dict[str, Any]:
    """Dashboard numbers: today's progress, streak, 365-day heatmap, 30-day forecast and retention.

    Days are the learner's local study days (``day_start_hour`` in their time zone). Three queries:
    reviews of the last year grouped in Python by local day, due dates of the next 30 days, and the
    deck counts.
    """
    prefs = settings_get(user=user)
    tz = ZoneInfo(prefs.timezone)
    shift = dt.timedelta(hours=prefs.day_start_hour)
    day_start, day_end = study_day_bounds(prefs=prefs, now=now)
    today = (now.astimezone(tz) - shift).date()
    year_ago = day_start - dt.timedelta(days=365)

    per_day: dict[dt.date, list[int]] = {}
    logs = ReviewLog.objects.filter(user=user, kind=ReviewLog.Kind.REVIEW, reviewed_at__gte=year_ago)
    for reviewed_at, rating, prior in logs.values_list("reviewed_at", "rating", "prior_state").iterator():
        d = (reviewed_at.astimezone(tz) - shift).date()
        entry = per_day.setdefault(d, [0, 0, 0])  # reviews, of which were review-state, recalled
        entry[0] += 1
        if prior == State.REVIEW:
            entry[1] += 1
            entry[2] += rating > 1
    heatmap = [
        {
            "date": (today - dt.timedelta(days=i)).isoformat(),
            "count": per_day.get(today - dt.timedelta(days=i), [0])[0],
        }
        for i in range(364, -1, -1)
    ]
    retention: list[dict[str, Any]] = []
    for i in range(29, -1, -1):
        d = today - dt.timedelta(days=i)
        n, rev, ok = per_day.get(d, [0, 0, 0])
        retention.append(
            {"date": d.isoformat(), "reviews": rev, "recalled": ok, "rate": (ok / rev) if rev else None}
        )
    streak = 0
    d = today if today in per_day else today - dt.timedelta(days=1)
    while d in per_day:
        streak += 1
        d -= dt.timedelta(days=1)

    horizon = day_end + dt.timedelta(days=29)
    forecast_counts: dict[dt.date, int] = {}
    dues = (
        _active(user, now)
        .filter(state__in=(State.LEARNING, State.REVIEW, State.RELEARNING), due__lt=horizon)
        .values_list("due", flat=True)
    )
    for due in dues.iterator():
        if due is None:
            continue
        d = max((due.astimezone(tz) - shift).date(), today)
        forecast_counts[d] = forecast_counts.get(d, 0) + 1
    forecast = [
        {
            "date": (today + dt.timedelta(days=i)).isoformat(),
            "count": forecast_counts.get(today + dt.timedelta(days=i), 0),
        }
        for i in range(30)
    ]

    counts = today_counts(user=user, prefs=prefs, now=now)
    decks = deck_due_counts(user=user, now=now)
    total_rev = sum(r["reviews"] for r in retention)
    return {
        "today": {
            "date": today.isoformat(),
            "reviewed": counts.total_done,
            "new_done": counts.new_done,
            "reviews_done": counts.reviews_done,
            "new_left": counts.new_left,
            "reviews_left": counts.reviews_left,
            "due_now": sum(x["learning"] for x in decks),
            "due_today": sum(x["due"] for x in decks),
            "new_available": sum(x["new"] for x in decks),
        },
        "streak": streak,
        "heatmap": heatmap,
        "forecast": forecast,
        "retention": retention,
        "retention_30d": (sum(r["recalled"] for r in retention) / total_rev) if total_rev else None,
        "decks": decks,
    }
