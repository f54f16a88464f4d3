"""Reads of Anki interop: a deck the learner studies as an ``.apkg``; an import's row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.utils.text import slugify

from dlquiz.decks.models import Card, Deck
from dlquiz.errors import NotFound
from dlquiz.interop.apkgwrite import ExportCard, ExportReview, apkg_write
from dlquiz.interop.models import AnkiImport
from dlquiz.study.models import CardState, ReviewLog
from dlquiz.study.scheduling import memory_of

__all__ = ["AnkiExport", "anki_export", "anki_import_get"]


@dataclass(frozen=True)
class AnkiExport:
    file_name: str
    data: bytes
    cards: int


def anki_export(*, user: User, deck_id: int, scheduling: bool, now: dt.datetime) -> AnkiExport:
    """The ``.apkg`` of a deck the learner studies (its active cards); with ``scheduling``, the learner's
    card states and review log too. A deck the learner does not study is :class:`NotFound`."""
    deck = Deck.objects.filter(pk=deck_id, enrollments__user=user).first()
    if deck is None:
        raise NotFound("牌组不存在 / deck not found")
    cards = list(Card.objects.filter(deck=deck, retired=False).order_by("position", "id"))
    states = {}
    reviews: dict[int, list[ExportReview]] = {}
    if scheduling:
        states = {cs.card_id: cs for cs in CardState.objects.filter(user=user, card__deck=deck)}
        for log in ReviewLog.objects.filter(user=user, card__deck=deck).order_by("reviewed_at", "id"):
            reviews.setdefault(log.card_id, []).append(
                ExportReview(
                    reviewed_at=log.reviewed_at,
                    rating=log.rating if log.kind == ReviewLog.Kind.REVIEW else 0,
                    duration_ms=log.duration_ms or 0,
                    state_before=log.state_before,
                    state_after=log.state_after,
                )
            )
    export = [
        ExportCard(
            id=c.pk,
            uid=c.uid,
            kind=c.kind,
            front=c.front,
            back=c.back,
            tags=c.tags,
            topics=c.topics,
            position=c.position,
            modified=c.updated_at,
            memory=memory_of(states[c.pk]).to_json() if c.pk in states else None,
            suspended=states[c.pk].suspended if c.pk in states else False,
            reviews=reviews.get(c.pk, ()),
        )
        for c in cards
    ]
    data = apkg_write(deck_id=deck.pk, deck_name=deck.name, cards=export, now=now)
    name = slugify(deck.name) or deck.slug or f"deck-{deck.pk}"
    return AnkiExport(file_name=f"{name}.apkg", data=data, cards=len(cards))


def anki_import_get(*, user: User, import_id: int) -> AnkiImport:
    row = AnkiImport.objects.filter(pk=import_id, user=user).defer("package").first()
    if row is None:
        raise NotFound("导入不存在 / import not found")
    return row
