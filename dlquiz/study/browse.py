"""Browsing a learner's cards: search, filters and their values (facets), a card's history and forgetting
curve."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from dlquiz.decks.contentfile import read_outline
from dlquiz.errors import NotFound
from dlquiz.study import scheduling
from dlquiz.study.models import CardState, ReviewLog, State
from dlquiz.study.scheduling import scheduler_for
from dlquiz.study.search import search_filter
from dlquiz.study.selectors import settings_get, study_day_bounds

STATE_FILTERS = {
    "new": Q(state=State.NEW),
    "learning": Q(state__in=(State.LEARNING, State.RELEARNING)),
    "review": Q(state=State.REVIEW),
    "suspended": Q(suspended=True),
    "leech": Q(leech=True),  # lapsed StudySettings.leech_threshold times (suspended until the learner acts)
}


def card_state_list(
    *,
    user: User,
    q: str = "",
    deck: int | None = None,
    tag: str = "",
    state: str = "",
    topic: str = "",
    due_before: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[CardState]:
    """The learner's cards matching the filters and the search ``q`` (``search.py``: syntax, synonyms),
    ranked by relevance when ``q`` has plain words, else in deck order."""
    return card_search(
        user=user, q=q, deck=deck, tag=tag, state=state, topic=topic, due_before=due_before, now=now
    ).cards


@dataclass
class CardSearch:
    cards: QuerySet[CardState]
    highlight: list[str]  # the search's words and their synonyms, to mark in the results


def card_search(
    *,
    user: User,
    q: str = "",
    deck: int | None = None,
    tag: str = "",
    state: str = "",
    topic: str = "",
    due_before: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> CardSearch:
    qs = CardState.objects.filter(user=user, card__retired=False).select_related("card", "card__deck")
    ranked, highlight = False, list[str]()
    if q:
        now = now or timezone.now()
        _, day_end = study_day_bounds(prefs=settings_get(user=user), now=now)
        qs, ranked, highlight = search_filter(qs, q=q, day_end=day_end, now=now)
    if deck:
        qs = qs.filter(card__deck_id=deck)
    if tag:
        qs = qs.filter(card__tags__icontains=f'"{tag}"')
    if topic:
        qs = qs.filter(card__topics__icontains=f'"{topic}"')
    if state:
        qs = qs.filter(STATE_FILTERS[state])
        if state not in ("suspended", "leech"):
            qs = qs.filter(suspended=False)
    if due_before:
        qs = qs.filter(due__lt=due_before)
    return CardSearch(qs if ranked else qs.order_by("card__position", "card_id"), highlight)


def card_state_get(*, user: User, card_id: int) -> CardState:
    try:
        return CardState.objects.select_related("card", "card__deck").get(user=user, card_id=card_id)
    except CardState.DoesNotExist:
        raise NotFound("卡片不存在 / card not found") from None


def card_history(*, user: User, card_id: int) -> QuerySet[ReviewLog]:
    card_state_get(user=user, card_id=card_id)
    return ReviewLog.objects.filter(user=user, card_id=card_id)


def forgetting_curve(*, user: User, cs: CardState, now: dt.datetime, days: int = 60) -> list[dict[str, Any]]:
    """FSRS retrievability from the last review over ``days`` days (one point a day)."""
    m = scheduling.memory_of(cs)
    if m.last_review is None or m.stability is None:
        return []
    scheduler = scheduler_for(settings_get(user=user))
    return [
        {
            "day": d,
            "retrievability": scheduling.retrievability(
                m, at=m.last_review + dt.timedelta(days=d), scheduler=scheduler
            ),
        }
        for d in range(days + 1)
    ]


def card_retrievability(*, user: User, cs: CardState, now: dt.datetime) -> float:
    return scheduling.retrievability(
        scheduling.memory_of(cs), at=now, scheduler=scheduler_for(settings_get(user=user))
    )


@functools.lru_cache(maxsize=4)
def _outline_titles(path: str, mtime: float) -> dict[str, str]:
    return {topic: row[-1] for topic, row in read_outline(Path(path)).items()}


def topic_titles() -> dict[str, str]:
    """Topic id → title from the outline (empty when the outline file is not there)."""
    path = Path(settings.OUTLINE_PATH)
    if not path.is_file():
        return {}
    return _outline_titles(str(path), path.stat().st_mtime)


def browse_facets(*, user: User) -> dict[str, Any]:
    """The tags and topics of the learner's cards (with the topics' outline titles), for the browser's filters."""
    tags: set[str] = set()
    topics: set[str] = set()
    rows = CardState.objects.filter(user=user, card__retired=False).values_list("card__tags", "card__topics")
    for card_tags, card_topics in rows.iterator():
        tags.update(str(t) for t in card_tags or [])
        topics.update(str(t) for t in card_topics or [])
    titles = topic_titles()
    return {"tags": sorted(tags), "topics": [{"id": t, "title": titles.get(t, "")} for t in sorted(topics)]}
