"""Reads the single-page app needs beyond the study API: extra new cards, practice cards, browse facets."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from dlquiz.study import scheduling
from dlquiz.study.models import CardState, State
from dlquiz.study.selectors import QueueItem, review_seed, scheduler_for, settings_get

MAX_LIMIT = 200


def _studyable(*, user: User, now: dt.datetime) -> QuerySet[CardState]:
    return (
        CardState.objects.filter(user=user, suspended=False, card__retired=False)
        .filter(Q(buried_until__isnull=True) | Q(buried_until__lte=now))
        .select_related("card", "card__deck")
    )


def study_extra_new(*, user: User, now: dt.datetime, limit: int = 20) -> list[QueueItem]:
    """New cards beyond today's new-card limit ("learn more today"), in introduction order, each with
    the interval every rating would give (as in the study queue)."""
    states = list(
        _studyable(user=user, now=now)
        .filter(state=State.NEW)
        .order_by("new_order", "id")[: min(limit, MAX_LIMIT)]
    )
    scheduler = scheduler_for(settings_get(user=user))
    return [
        QueueItem(
            s,
            "new",
            scheduling.preview(
                scheduling.memory_of(s),
                now=now,
                scheduler=scheduler,
                seed=review_seed(user_id=user.pk, card_id=s.card_id, reps=s.reps),
            ),
        )
        for s in states
    ]


def practice_cards(
    *, user: User, now: dt.datetime, limit: int = 20, deck: int | None = None
) -> list[CardState]:
    """Cards to practise without scheduling: studied cards first (random order), then new ones."""
    qs = _studyable(user=user, now=now)
    if deck:
        qs = qs.filter(card__deck_id=deck)
    limit = min(limit, MAX_LIMIT)
    studied = list(qs.exclude(state=State.NEW).order_by("?")[:limit])
    if len(studied) < limit:
        studied += list(qs.filter(state=State.NEW).order_by("?")[: limit - len(studied)])
    return studied


@functools.lru_cache(maxsize=4)
def _outline_titles(path: str, mtime: float) -> dict[str, str]:
    from dlquiz.decks.contentfile import read_outline

    return {topic: row[-1] for topic, row in read_outline(Path(path)).items()}


def topic_titles() -> dict[str, str]:
    """Topic id → title from the outline (empty when the outline file is not there)."""
    path = Path(settings.OUTLINE_PATH)
    if not path.is_file():
        return {}
    return _outline_titles(str(path), path.stat().st_mtime)


def browse_facets(*, user: User) -> dict[str, Any]:
    """The tags and topics of the learner's cards, for the browser's filters."""
    tags: set[str] = set()
    topics: set[str] = set()
    rows = CardState.objects.filter(user=user, card__retired=False).values_list("card__tags", "card__topics")
    for card_tags, card_topics in rows.iterator():
        tags.update(str(t) for t in card_tags or [])
        topics.update(str(t) for t in card_topics or [])
    titles = topic_titles()
    return {"tags": sorted(tags), "topics": [{"id": t, "title": titles.get(t, "")} for t in sorted(topics)]}
