"""A learner's own decks and cards: reads and writes behind the "my decks" API and screens.

Every function takes the learner and finds rows through ``owner=user``, so another learner's deck or card
is a :class:`~dlquiz.errors.NotFound` (the API's 404), never a 403 that would tell it exists. A card is
checked by :func:`dlquiz.decks.checks.card_check`, the rules of ``check_content`` (empty fields, cloze
syntax, back length, topics in the OUTLINE, the exercise family and its params, LaTeX that KaTeX cannot
parse); the one difference is that a learner's card may have no topics. Invalid input raises
:class:`~dlquiz.errors.ServiceError` with one message per field and writes nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from dlquiz.decks.checks import CardProblem, KatexUnavailable, card_check
from dlquiz.decks.contentfile import CardSpec
from dlquiz.decks.models import Card, Deck
from dlquiz.decks.services import NotesImportError, NotesImportResult, deck_enroll, notes_import
from dlquiz.errors import NotFound, ServiceError

__all__ = [
    "OWN_KINDS",
    "CardInput",
    "own_card_check",
    "own_card_create",
    "own_card_get",
    "own_card_retire",
    "own_card_update",
    "own_deck_create",
    "own_deck_get",
    "own_deck_list",
    "own_deck_rename",
    "own_notes_import",
]

#: The kinds a learner writes (a reverse card is a second card the learner can add).
OWN_KINDS = ("basic", "cloze", "exercise")
MAX_DECK_NAME = 200
MAX_TEXT = 20_000  # front or back: far beyond any card, small enough for KaTeX to check quickly
MAX_WORDS = 20  # tags or topics
_WORD_MAX = 64


@dataclass(frozen=True)
class CardInput:
    """What a learner gives for a card (all fields; an edit starts from the card's current values)."""

    kind: str
    front: str
    back: str = ""
    tags: Sequence[str] = ()
    topics: Sequence[str] = ()
    family: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, card: Card) -> CardInput:
        return cls(
            kind=card.kind,
            front=card.front,
            back=card.back,
            tags=tuple(card.tags),
            topics=tuple(card.topics),
            family=card.family,
            params=dict(card.params),
        )


# -- reads -----------------------------------------------------------------------------------------


def own_deck_list(*, user: User) -> QuerySet[Deck]:
    """The learner's own decks with their counts of active (``active``) and retired (``retired``) cards."""
    return (
        Deck.objects.filter(owner=user)
        .annotate(
            active=Count("cards", filter=Q(cards__retired=False)),
            retired_count=Count("cards", filter=Q(cards__retired=True)),
        )
        .order_by("name", "id")
    )


def own_deck_get(*, user: User, deck_id: int) -> Deck:
    """One of the learner's decks (NotFound for anyone else's, bundled decks included)."""
    deck = own_deck_list(user=user).filter(pk=deck_id).first()
    if deck is None:
        raise NotFound("没有这个卡组 / no such deck")
    return deck


def own_card_get(*, user: User, card_id: int) -> Card:
    """One card of the learner's own decks (NotFound for anyone else's)."""
    card = Card.objects.select_related("deck").filter(pk=card_id, deck__owner=user).first()
    if card is None:
        raise NotFound("没有这张卡片 / no such card")
    return card


# -- checks ----------------------------------------------------------------------------------------


def own_card_check(*, data: CardInput) -> list[CardProblem]:
    """The problems of a card as the learner wrote it (errors and warnings), without writing anything."""
    problems = _shape_problems(data)
    if problems:
        return problems
    spec = CardSpec(
        id="card",
        deck="",
        path="",
        line=0,
        kind=data.kind,
        topics=list(data.topics),
        tags=list(data.tags),
        front=data.front,
        back=data.back,
        family=data.family,
        params=dict(data.params),
    )
    try:
        found = card_check(spec=spec, outline_path=Path(settings.OUTLINE_PATH) if data.topics else None)
    except KatexUnavailable as exc:  # a server without node: refuse rather than store unchecked LaTeX
        raise ServiceError(
            "暂时无法检查公式 / the LaTeX check is unavailable", code="unavailable", status_code=503
        ) from exc
    # A learner's card may have no topics (the bundled deck's cards must name one).
    return [p for p in found if not (p.field == "topics" and p.message == "no topics")]


def _shape_problems(data: CardInput) -> list[CardProblem]:
    """Limits the content format does not need (a file is reviewed in git; the API is open). The content
    rules themselves are card_check's, never repeated here."""
    out: list[CardProblem] = []
    if data.kind not in OWN_KINDS:
        out.append(CardProblem("kind", f"kind must be one of {', '.join(OWN_KINDS)}, not {data.kind!r}"))
    for name in ("front", "back"):
        if len(getattr(data, name)) > MAX_TEXT:
            out.append(CardProblem(name, f"{name} is longer than {MAX_TEXT} characters"))
    for name in ("tags", "topics"):
        words = list(getattr(data, name))
        if len(words) > MAX_WORDS:
            out.append(CardProblem(name, f"at most {MAX_WORDS} {name}"))
        if any(not w or len(w) > _WORD_MAX or any(ch.isspace() for ch in w) for w in words):
            out.append(CardProblem(name, f"each of {name} is one word of at most {_WORD_MAX} characters"))
    return out


def _refuse(problems: list[CardProblem]) -> None:
    errors = [p for p in problems if p.error]
    if not errors:
        return
    fields: dict[str, list[str]] = {}
    for p in errors:
        fields.setdefault(p.field or "non_field_errors", []).append(p.message)
    raise ServiceError("卡片有错误 / the card has errors", code="invalid_card", fields=fields)


# -- writes ----------------------------------------------------------------------------------------


def _deck_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ServiceError("卡组名为空 / the deck name is empty", fields={"name": ["the deck name is empty"]})
    if len(name) > MAX_DECK_NAME:
        raise ServiceError(
            "卡组名太长 / the deck name is too long",
            fields={"name": [f"the deck name is longer than {MAX_DECK_NAME} characters"]},
        )
    return name


def _name_taken(*, user: User, name: str, other_than: int | None = None) -> None:
    same = Deck.objects.filter(owner=user, name=name)
    taken = (same.exclude(pk=other_than) if other_than is not None else same).exists()
    if taken:
        raise ServiceError(
            "已有同名卡组 / you already have a deck with this name",
            code="duplicate_name",
            fields={"name": ["you already have a deck with this name"]},
        )


@transaction.atomic
def own_deck_create(*, user: User, name: str) -> Deck:
    """A new, empty deck of the learner's, which they study (enrolled)."""
    name = _deck_name(name)
    _name_taken(user=user, name=name)
    digest = hashlib.sha1(f"{name}\x00{uuid.uuid4()}".encode()).hexdigest()[:10]
    readable = slugify(name)[:80]
    deck = Deck.objects.create(
        slug=f"u{user.pk}-{readable + '-' if readable else ''}{digest}",
        name=name,
        owner=user,
        source="web",
    )
    deck_enroll(user=user, deck=deck)
    return own_deck_get(user=user, deck_id=deck.pk)


@transaction.atomic
def own_deck_rename(*, user: User, deck_id: int, name: str) -> Deck:
    deck = own_deck_get(user=user, deck_id=deck_id)
    name = _deck_name(name)
    _name_taken(user=user, name=name, other_than=deck.pk)
    deck.name = name
    deck.save(update_fields=["name"])
    return deck


def own_card_create(*, user: User, deck_id: int, data: CardInput) -> Card:
    """A new card at the end of one of the learner's decks; the learner studies it (a NEW card state)."""
    deck = own_deck_get(user=user, deck_id=deck_id)
    _refuse(own_card_check(data=data))
    with transaction.atomic():
        top = Card.objects.filter(deck=deck).aggregate(top=Max("position"))["top"]
        card = Card.objects.create(
            uid=f"u{user.pk}:web:{uuid.uuid4().hex}",
            deck=deck,
            position=0 if top is None else top + 1,
            **_card_fields(data),
        )
        deck_enroll(user=user, deck=deck)
    return card


def own_card_update(*, user: User, card_id: int, changes: dict[str, Any]) -> Card:
    """Change some fields of one of the learner's cards (``changes``: any of :class:`CardInput`'s
    fields). The whole card is checked as it would be after the change. An edited imported card is no
    longer a draft: its owner has read it."""
    unknown = set(changes) - set(CardInput.__dataclass_fields__)
    if unknown:
        raise ServiceError(f"unknown fields: {', '.join(sorted(unknown))}")
    card = own_card_get(user=user, card_id=card_id)
    current = CardInput.of(card).__dict__
    if changes.get("kind", card.kind) != "exercise":
        # a card that is (no longer) an exercise keeps no family or params of its own (_card_fields
        # stores none); only ones sent with the change are checked, and refused
        current = {**current, "family": "", "params": {}}
    data = CardInput(**{**current, **changes})
    _refuse(own_card_check(data=data))
    with transaction.atomic():
        card = Card.objects.select_for_update().get(pk=card.pk)
        for name, value in _card_fields(data).items():
            setattr(card, name, value)
        card.draft = False
        card.save(update_fields=[*_card_fields(data), "draft", "updated_at"])
    return card


@transaction.atomic
def own_card_retire(*, user: User, card_id: int, retired: bool = True) -> Card:
    """Retire one of the learner's cards (it leaves the queue, its reviews stay) or bring it back."""
    card = own_card_get(user=user, card_id=card_id)
    if card.retired != retired:
        card.retired = retired
        card.updated_at = timezone.now()
        card.save(update_fields=["retired", "updated_at"])
        if not retired:
            deck_enroll(user=user, deck=card.deck)  # a state if the card never had one
    return card


def _card_fields(data: CardInput) -> dict[str, Any]:
    return {
        "kind": data.kind,
        "front": data.front,
        "back": data.back,
        "tags": list(data.tags),
        "topics": list(data.topics),
        "family": data.family if data.kind == "exercise" else "",
        "params": dict(data.params) if data.kind == "exercise" else {},
    }


def own_notes_import(
    *, user: User, deck_name: str, files: list[tuple[str, bytes]], dry_run: bool
) -> NotesImportResult:
    """Markdown notes into the learner's deck ``deck_name`` through :func:`notes_import` (``dry_run``:
    the preview, nothing written). Its problems become a 400 with one message per problem."""
    try:
        return notes_import(user=user, deck_name=deck_name, files=files, dry_run=dry_run)
    except NotesImportError as exc:
        raise ServiceError(
            "无法导入这些笔记 / the notes cannot be imported",
            code="invalid_notes",
            fields={"files": exc.messages},
        ) from exc
