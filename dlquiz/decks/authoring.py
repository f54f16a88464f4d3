"""Editing cards in the admin: the checks of ``check_content`` on one card, and saving an edit.

The admin's form and save are thin adapters over these two functions, the same rules as the deck's
(``checks.card_check``), so a card that ``check_content`` would refuse is refused here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from dlquiz.decks.checks import CardProblem, KatexUnavailable, card_check
from dlquiz.decks.contentfile import CardSpec, card_id_problem, text_line_problem
from dlquiz.decks.models import Card, Deck
from dlquiz.decks.services import card_content_hash, enrollment_sync

__all__ = ["CardCheck", "card_edit_check", "card_edit_save", "content_kind", "reverse_sibling"]

REVERSE_SUFFIX = "~r"


def content_kind(kind: str) -> str:
    """The content file's kind of a card's kind (a ``~r`` card's kind ``reverse`` is checked as basic)."""
    return "basic" if kind == Card.Kind.REVERSE else kind


@dataclass
class CardCheck:
    """What :func:`card_edit_check` found: errors (the card is not saved), warnings, and a note when the
    LaTeX could not be checked (node or KaTeX missing on this server)."""

    errors: list[CardProblem] = field(default_factory=list)
    warnings: list[CardProblem] = field(default_factory=list)
    katex_note: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


def card_edit_check(
    *,
    deck: Deck | None,
    uid: str,
    kind: str,
    front: str,
    back: str,
    topics: Sequence[str],
    tags: Sequence[str],
    family: str,
    params: Mapping[str, Any],
    katex: bool = True,
) -> CardCheck:
    """``check_content``'s rules on one card as the admin's form holds it. A bundled card's topics must
    be OUTLINE topics; a learner's own card (imported notes) needs none. KaTeX runs when node and the
    katex package are there; otherwise the LaTeX is not checked and ``katex_note`` says why."""
    bundled = deck is None or deck.owner_id is None
    spec = CardSpec(
        id=uid or "new",
        deck=deck.name if deck else "",
        path="",
        line=0,
        kind=content_kind(kind),
        topics=list(topics),
        tags=list(tags),
        front=front,
        back=back,
        family=family,
        params=dict(params),
    )
    outline = Path(settings.OUTLINE_PATH) if bundled else None
    note = ""
    try:
        problems = card_check(spec=spec, outline_path=outline, katex=katex)
    except KatexUnavailable as exc:
        problems = card_check(spec=spec, outline_path=outline, katex=False)
        note = f"LaTeX not checked: {exc}"
    if not bundled:
        problems = [p for p in problems if not (p.field == "topics" and p.message == "no topics")]
    else:
        if uid and (why := card_id_problem(uid)):
            problems.insert(0, CardProblem("uid", why))
        for name, text in (("front", front), ("back", back)):
            if why := text_line_problem(text):  # export_content could not write it back
                problems.append(CardProblem(name, why))
        if kind == Card.Kind.REVERSE and not uid.endswith(REVERSE_SUFFIX):
            # the content format has no such kind: export_content could not write the card
            problems.insert(
                0,
                CardProblem(
                    "kind",
                    "a reverse card is made by load_content from a basic+reverse card (content/); "
                    "choose another kind",
                ),
            )
    return CardCheck(
        errors=[p for p in problems if p.error],
        warnings=[p for p in problems if not p.error],
        katex_note=note,
    )


BASELINE_REASON = "before the first edit"


def _history_baseline(card: Card) -> None:
    """A card written in bulk (an import, a test's factory) has no history yet: record its stored state
    first (by nobody: it is not the editor's), so the first edit has a diff and can be reverted."""
    history = Card.history  # type: ignore[attr-defined]  # django-simple-history's manager
    if card.pk is None or history.filter(id=card.pk).exists():
        return
    stored = Card.objects.filter(pk=card.pk).first()
    if stored is not None:
        [record] = history.bulk_history_create([stored], update=True, default_change_reason=BASELINE_REASON)
        history.filter(pk=record.pk).update(history_user=None)  # the middleware would name the editor


def _loaded_baseline(card: Card) -> None:
    """A bundled card loaded before ``loaded_hash`` was recorded (null) takes its stored content as what
    was loaded, before the edit is saved: ``load_content`` then sees the edit and keeps it (a conflict)
    instead of overwriting it silently."""
    if card.pk is None or card.loaded_hash is not None or card.deck.owner_id is not None:
        return
    stored = Card.objects.filter(pk=card.pk).first()
    if stored is not None:
        card.loaded_hash = card_content_hash(stored)


def reverse_sibling(card: Card) -> Card | None:
    """The ``<id>~r`` card that ``load_content`` makes for a bundled ``basic+reverse`` card."""
    if card.pk is None or card.uid.endswith(REVERSE_SUFFIX) or card.deck.owner_id is not None:
        return None
    return Card.objects.filter(uid=card.uid + REVERSE_SUFFIX, deck__owner__isnull=True).first()


@transaction.atomic
def card_edit_save(*, card: Card, user: AbstractBaseUser | AnonymousUser | None) -> Card:
    """Save an editor's change of a card (history records ``user``). A bundled basic+reverse card's
    ``~r`` card follows it (sides swapped, same deck, topics and tags), as ``load_content`` would make it."""
    created = card.pk is None
    if created and card.deck.owner_id is None and card.loaded_hash is None:
        card.loaded_hash = ""  # added in the admin: load_content must not retire it before it is exported
    _loaded_baseline(card)
    _history_baseline(card)
    card._history_user = user  # type: ignore[attr-defined]  # django-simple-history's who
    card.save()
    if created and not card.retired:
        enrollment_sync(deck=card.deck)  # the deck's learners get a state for the new card
    sibling = reverse_sibling(card)
    if sibling is not None:
        wanted = {
            "deck_id": card.deck_id,
            "front": card.back,
            "back": card.front,
            "topics": list(card.topics),
            "tags": list(card.tags),
            "retired": card.retired,
        }
        if any(getattr(sibling, k) != v for k, v in wanted.items()):
            _loaded_baseline(sibling)
            for k, v in wanted.items():
                setattr(sibling, k, v)
            _history_baseline(sibling)
            sibling._history_user = user  # type: ignore[attr-defined]
            sibling.save()
    return card
