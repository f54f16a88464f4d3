"""Reads for demonstrations: the catalogue (from the engine, with topic titles), the learner's cards of a
demonstration's topics, a learner's runs and history."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from dlquiz.demos.models import DemoRequest
from dlquiz.demos.services import demo_or_404
from dlquiz.errors import NotFound
from dlquiz.study.browse import topic_titles
from dlquiz.study.models import CardState
from engine.demos import Demo, all_demos

MAX_CARDS = 20


def demo_data(demo: Demo, titles: dict[str, str] | None = None) -> dict[str, Any]:
    """A demonstration as the API lists it: the engine's description, topic titles, the defaults and the
    prediction question for the default parameters."""
    titles = topic_titles() if titles is None else titles
    d = demo.to_dict()
    defaults = demo.canonical()
    return {
        "id": d["id"],
        "title": d["title"],
        "title_en": getattr(demo, "title_en", ""),
        "summary": getattr(demo, "summary", ""),
        "topics": [{"id": t, "title": titles.get(t, "")} for t in d["topics"]],
        "version": d["version"],
        "schema": d["schema"],
        "defaults": defaults,
        "question": demo.question(defaults).to_dict(),
    }


def demo_list() -> list[dict[str, Any]]:
    titles = topic_titles()
    return [demo_data(d, titles) for d in all_demos()]


def demo_cards(*, user: User, demo: Demo, limit: int = MAX_CARDS) -> list[dict[str, Any]]:
    """The learner's cards (not retired) that share a topic with the demonstration, in deck order."""
    topics = set(demo.topics)
    # the JSON list's text holds each topic in quotes: the database narrows the rows, Python checks exactly
    mentions = reduce(operator.or_, (Q(topics_text__contains=f'"{t}"') for t in topics))
    rows = (
        CardState.objects.filter(user=user, card__retired=False)
        .annotate(topics_text=Cast("card__topics", TextField()))
        .filter(mentions)
        .order_by("card__deck__position", "card__deck_id", "card__position", "card_id")
        .values_list(
            "card_id", "card__front", "card__deck_id", "card__deck__name", "card__kind", "card__topics"
        )
    )
    out: list[dict[str, Any]] = []
    for card_id, front, deck_id, deck_name, kind, card_topics in rows.iterator():
        if topics.intersection(str(t) for t in card_topics or []):
            out.append({"id": card_id, "front": front, "deck": deck_id, "deck_name": deck_name, "kind": kind})
            if len(out) >= limit:
                break
    return out


def demo_detail(*, user: User, demo_id: str) -> dict[str, Any]:
    demo = demo_or_404(demo_id)
    return {**demo_data(demo), "cards": demo_cards(user=user, demo=demo)}


def demo_request_get(*, user: User, run_id: int) -> DemoRequest:
    """The learner's request of a run (404 when they never asked for it)."""
    try:
        return DemoRequest.objects.select_related("run").get(user=user, run_id=run_id)
    except DemoRequest.DoesNotExist:
        raise NotFound("没有这个演示运行 / no such demonstration run") from None


def demo_request_history(*, user: User) -> QuerySet[DemoRequest]:
    """The learner's runs, newest request first."""
    return DemoRequest.objects.filter(user=user).select_related("run").order_by("-requested_at", "-id")
