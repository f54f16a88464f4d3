"""Writes on decks: enrolment (a learner's card states for a deck's cards), loading the bundled deck from
``content/`` and importing a learner's own notes."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.text import slugify

from dlquiz.decks.checks import ContentReport, content_check, families_check
from dlquiz.decks.contentfile import CardSpec
from dlquiz.decks.importer import NoteCard, NoteError, note_decode, note_parse
from dlquiz.decks.models import Card, Deck, Enrollment
from dlquiz.study.models import CardState, State

__all__ = [
    "ContentInvalid",
    "DeckLoadResult",
    "NotesImportError",
    "NotesImportResult",
    "bundled_decks_enroll",
    "deck_enroll",
    "deck_load",
    "enrollment_sync",
    "notes_import",
]

_T = TypeVar("_T")
_BATCH = 500
# What a content edit changes (counted as "updated"); position/line moves alone are "repositioned".
_CONTENT_FIELDS = ("deck_id", "kind", "front", "back", "tags", "topics", "family", "params", "draft")
_PLACE_FIELDS = ("position", "source_line")
# What an editor changes in the admin: Card.loaded_hash is their hash as load_content last wrote them.
_EDIT_FIELDS = ("deck_id", "kind", "front", "back", "tags", "topics", "family", "params", "retired")
LOAD_REASON = "load_content"  # the change reason of the history records load_content writes


def card_content_hash(values: Any) -> str:
    """The hash of a card's editable content (a Card or a row dict): tells an editor's change since the
    last load (``Card.loaded_hash``)."""
    if isinstance(values, dict):
        fields = [values.get(f, False) if f == "retired" else values[f] for f in _EDIT_FIELDS]
    else:
        fields = [getattr(values, f) for f in _EDIT_FIELDS]
    payload = json.dumps(fields, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


# -- enrolment -------------------------------------------------------------------------------------


@transaction.atomic
def deck_enroll(*, user: User, deck: Deck) -> Enrollment:
    """The learner studies ``deck``: a NEW card state for every active card (idempotent)."""
    enrollment, _ = Enrollment.objects.get_or_create(user=user, deck=deck)
    _create_missing_states(deck_ids=[deck.pk], user_ids=[user.pk])
    return enrollment


def enrollment_sync(*, deck: Deck) -> int:
    """After cards were added to ``deck``: card states for every enrolled learner. Returns rows created."""
    user_ids = list(Enrollment.objects.filter(deck=deck).values_list("user_id", flat=True))
    return _create_missing_states(deck_ids=[deck.pk], user_ids=user_ids)


def _create_missing_states(*, deck_ids: list[int], user_ids: list[int]) -> int:
    """NEW states for the active cards of these decks that these learners lack: a few queries per batch
    of learners, whatever the number of cards."""
    if not user_ids or not deck_ids:
        return 0
    cards = list(Card.objects.filter(deck_id__in=deck_ids, retired=False).values_list("id", "position"))
    if not cards:
        return 0
    created = 0
    for batch in _chunks(user_ids, _BATCH):
        have = set(
            CardState.objects.filter(user_id__in=batch, card__deck_id__in=deck_ids).values_list(
                "user_id", "card_id"
            )
        )
        rows = [
            CardState(user_id=uid, card_id=cid, state=State.NEW, new_order=pos)
            for uid in batch
            for cid, pos in cards
            if (uid, cid) not in have
        ]
        CardState.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        created += len(rows)
    return created


@transaction.atomic
def bundled_decks_enroll(*, user: User) -> int:
    """A new learner studies every bundled deck (idempotent; one transaction, a handful of queries)."""
    decks = list(Deck.objects.filter(owner__isnull=True))
    Enrollment.objects.bulk_create([Enrollment(user=user, deck=d) for d in decks], ignore_conflicts=True)
    _create_missing_states(deck_ids=[d.pk for d in decks], user_ids=[user.pk])
    return len(decks)


# -- the bundled deck (content/*.cards) ------------------------------------------------------------


class ContentInvalid(Exception):
    """The content has errors: nothing was written."""

    def __init__(self, report: ContentReport) -> None:
        self.report = report
        super().__init__(f"{len(report.errors)} error(s) in the content; nothing was loaded")


@dataclass
class DeckLoadResult:
    """What :func:`deck_load` did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    restored: int = 0
    repositioned: int = 0
    decks_created: int = 0
    decks: int = 0
    files: int = 0
    states_created: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    # ``file:line: card id: ...`` for each card an editor changed since the last load and the file
    # changes too: kept as the editor left it (overwritten with ``force``, and still listed)
    conflicts: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"retired {self.retired} (restored {self.restored}, repositioned {self.repositioned}); "
            f"{self.decks} decks from {self.files} files ({self.decks_created} new), "
            f"{self.states_created} learner card states added, {len(self.conflicts)} conflicts, "
            f"{self.seconds:.2f} s"
        )


def deck_load(
    *,
    content_dir: Path | None = None,
    outline_path: Path | None = None,
    katex: bool = False,
    allow_unknown_families: bool = False,
    force: bool = False,
) -> DeckLoadResult:
    """Upsert the bundled deck from ``content/*.cards`` by card id, in one transaction.

    The checks of ``check_content`` run first and any error refuses the whole load
    (:class:`ContentInvalid`); KaTeX only with ``katex=True`` (it needs node), and unknown engine
    families or params only warn with ``allow_unknown_families=True``. One Deck per ``@deck`` (slug from
    the file name); a ``basic+reverse`` card also makes ``<id>~r`` (kind ``reverse``, sides swapped);
    ``position`` is the global order of appearance. Cards gone from content are retired (never
    deleted), cards that come back are restored; learners' states and reviews are untouched. Enrolled
    learners get states for new cards; every active learner is enrolled in a newly created deck.

    A card an editor changed in the admin since the last load (its content no longer has
    ``loaded_hash``; a card added in the admin has an empty one) is never overwritten or retired
    silently: when the file says otherwise it is a *conflict*, listed in ``conflicts`` (``file:line``
    and card id) and kept as the editor left it, unless ``force``. Every card written gets a history
    record with the change reason ``load_content``.
    """
    started = time.perf_counter()
    content_dir = Path(content_dir or settings.CONTENT_DIR)
    outline_path = Path(outline_path or settings.OUTLINE_PATH)
    report = content_check(
        content_dir=content_dir, outline_path=outline_path, katex=katex, families=not allow_unknown_families
    )
    result = DeckLoadResult(files=len(report.files), warnings=[str(w) for w in report.warnings])
    if allow_unknown_families:
        result.warnings += [f"{e} (loaded anyway)" for e in families_check(report.cards)]
    if report.errors:
        raise ContentInvalid(report)
    with transaction.atomic():
        decks, created_decks = _decks_upsert(report.cards, result=result)
        changed_positions, gained = _cards_upsert(report.cards, decks=decks, result=result, force=force)
        _new_order_sync(card_ids=changed_positions)
        if created_decks:
            _enroll_everyone(decks=created_decks)
        for deck in decks.values():
            if deck.pk in gained:  # decks that got new, restored or moved-in cards
                result.states_created += enrollment_sync(deck=deck)
    result.decks = len(decks)
    result.seconds = time.perf_counter() - started
    return result


def _decks_upsert(
    cards: list[CardSpec], *, result: DeckLoadResult
) -> tuple[dict[tuple[str, str], Deck], list[Deck]]:
    """One Deck per (file, @deck name), slug from the file name (``-2``... for further decks of a file)."""
    wanted: dict[tuple[str, str], tuple[str, str]] = {}  # (path, deck name) -> (slug, source)
    per_file: dict[str, int] = {}
    for card in cards:
        key = (card.path, card.deck)
        if key in wanted:
            continue
        stem = Path(card.path).stem
        base = slugify(stem) or "deck-" + hashlib.sha1(stem.encode()).hexdigest()[:8]
        per_file[card.path] = per_file.get(card.path, 0) + 1
        slug = base if per_file[card.path] == 1 else f"{base}-{per_file[card.path]}"
        wanted[key] = (slug[:120], card.path[:200])
    existing = {d.slug: d for d in Deck.objects.filter(owner__isnull=True)}
    decks: dict[tuple[str, str], Deck] = {}
    new: list[Deck] = []
    dirty: list[Deck] = []
    for position, (key, (slug, source)) in enumerate(wanted.items()):
        deck = existing.get(slug)
        if deck is None:
            deck = Deck(slug=slug, name=key[1], source=source, position=position)
            new.append(deck)
        elif (deck.name, deck.source, deck.position) != (key[1], source, position):
            deck.name, deck.source, deck.position = key[1], source, position
            dirty.append(deck)
        decks[key] = deck
    Deck.objects.bulk_create(new)
    if any(d.pk is None for d in new):  # backends without RETURNING ids
        by_slug = {d.slug: d for d in Deck.objects.filter(slug__in=[d.slug for d in new])}
        for key, deck in decks.items():
            if deck.pk is None:
                decks[key] = by_slug[deck.slug]
        new = [by_slug[d.slug] for d in new]
    Deck.objects.bulk_update(dirty, ["name", "source", "position"])
    result.decks_created = len(new)
    return decks, new


def _card_rows(cards: list[CardSpec], decks: dict[tuple[str, str], Deck]) -> Iterator[dict[str, Any]]:
    position = 0
    for spec in cards:
        deck = decks[(spec.path, spec.deck)]
        kind = {"basic+reverse": Card.Kind.BASIC}.get(spec.kind, spec.kind)
        base = {
            "deck_id": deck.pk,
            "tags": list(spec.tags),
            "topics": list(spec.topics),
            "family": spec.family,
            "params": dict(spec.params),
            "source_line": spec.line,
            "draft": False,
        }
        yield {
            **base,
            "uid": spec.id,
            "kind": kind,
            "front": spec.front,
            "back": spec.back,
            "position": position,
        }
        position += 1
        if spec.kind == "basic+reverse":
            yield {
                **base,
                "uid": f"{spec.id}~r",
                "kind": Card.Kind.REVERSE,
                "front": spec.back,
                "back": spec.front,
                "position": position,
            }
            position += 1


def _cards_upsert(
    cards: list[CardSpec], *, decks: dict[tuple[str, str], Deck], result: DeckLoadResult, force: bool = False
) -> tuple[list[int], set[int]]:
    """Create, update, retire and restore bundled cards in bulk. Returns the ids of the cards whose
    position moved and the ids of the decks that gained active cards (new, restored or moved in).
    Cards edited in the admin since the last load are kept (a conflict) unless ``force``."""
    rows = list(_card_rows(cards, decks))
    where = {}
    for spec in cards:
        where[spec.id] = where[spec.id + "~r"] = f"{spec.path}:{spec.line}"
    for row in rows:
        row["loaded_hash"] = card_content_hash(row)
    wanted = {r["uid"] for r in rows}
    existing = {c.uid: c for c in Card.objects.filter(deck__owner__isnull=True)}
    existing.update(
        {
            c.uid: c
            for batch in _chunks(sorted(wanted - existing.keys()), _BATCH)
            for c in Card.objects.filter(uid__in=batch)
        }
    )
    now = timezone.now()
    create: list[Card] = []
    update: list[Card] = []
    moved: list[int] = []
    gained: set[int] = set()
    for row in rows:
        card = existing.get(row["uid"])
        if card is None:
            create.append(Card(**row, retired=False))
            gained.add(row["deck_id"])
            continue
        edited = card.loaded_hash is not None and card.loaded_hash != card_content_hash(card)
        if edited and any(getattr(card, f) != row.get(f, False) for f in _EDIT_FIELDS):
            result.conflicts.append(
                f"{where[card.uid]}: card {card.uid}: changed in the admin since the last load and in the "
                + ("file: overwritten (--force)" if force else "file: the admin's version is kept")
            )
            if not force:
                # the editor's content, retirement and baseline stay; only its place follows the file
                if any(getattr(card, f) != row[f] for f in _PLACE_FIELDS):
                    if card.position != row["position"]:
                        moved.append(card.pk)
                    card.position, card.source_line = row["position"], row["source_line"]
                    card.updated_at = now  # a new place: sync/changes sends it to devices
                    update.append(card)
                result.unchanged += 1
                continue
        content = any(getattr(card, f) != row[f] for f in _CONTENT_FIELDS)
        place = any(getattr(card, f) != row[f] for f in _PLACE_FIELDS)
        was_retired = card.retired
        if card.position != row["position"]:
            moved.append(card.pk)
        if was_retired or card.deck_id != row["deck_id"]:
            gained.add(row["deck_id"])
        if content or place or was_retired or card.loaded_hash != row["loaded_hash"]:
            for name, value in row.items():
                setattr(card, name, value)
            card.retired = False
            card.updated_at = now
            update.append(card)
        if was_retired:
            result.restored += 1
        elif content:
            result.updated += 1
        elif place:
            result.repositioned += 1
        else:
            result.unchanged += 1
    retire = []
    for uid, card in existing.items():
        if uid in wanted or card.retired:
            continue
        if card.loaded_hash is not None and card.loaded_hash != card_content_hash(card):
            result.conflicts.append(
                f"{card.deck.source or card.deck.slug}: card {uid}: added or changed in the admin but not "
                + (
                    "in the file: retired (--force)"
                    if force
                    else "in the file: kept (export_content writes it)"
                )
            )
            if not force:
                continue
        retire.append(card)
    for card in retire:
        card.retired = True
        card.updated_at = now
        card.loaded_hash = card_content_hash(card)  # retired by the load, not by an editor
    Card.objects.bulk_create(create, batch_size=_BATCH)
    if any(c.pk is None for c in create):  # backends without RETURNING ids: the history needs them
        create = [
            c
            for batch in _chunks([c.uid for c in create], _BATCH)
            for c in Card.objects.filter(uid__in=batch)
        ]
    Card.objects.bulk_update(
        update, [*_CONTENT_FIELDS, *_PLACE_FIELDS, "loaded_hash", "retired", "updated_at"], batch_size=_BATCH
    )
    Card.objects.bulk_update(retire, ["retired", "updated_at", "loaded_hash"], batch_size=_BATCH)
    history = Card.history  # type: ignore[attr-defined]  # django-simple-history's manager
    history.bulk_history_create(create, batch_size=_BATCH, default_change_reason=LOAD_REASON)
    history.bulk_history_create(
        update + retire, batch_size=_BATCH, update=True, default_change_reason=LOAD_REASON
    )
    result.created, result.retired = len(create), len(retire)
    return moved, gained


def _new_order_sync(*, card_ids: list[int]) -> None:
    """NEW states follow their card's new position (the order in which new cards are introduced)."""
    position = Subquery(Card.objects.filter(pk=OuterRef("card_id")).values("position")[:1])
    for batch in _chunks(card_ids, _BATCH):
        CardState.objects.filter(card_id__in=batch, state=State.NEW).update(new_order=position)


def _enroll_everyone(*, decks: list[Deck]) -> None:
    """A new bundled deck is part of the bundled deck every learner studies (states come after)."""
    user_ids = list(get_user_model().objects.filter(is_active=True).values_list("pk", flat=True))
    Enrollment.objects.bulk_create(
        [Enrollment(user_id=u, deck=d) for d in decks for u in user_ids],
        batch_size=2000,
        ignore_conflicts=True,
    )


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# -- a learner's own notes -------------------------------------------------------------------------


class NotesImportError(Exception):
    """The notes cannot be imported (one message per problem); nothing was written."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


@dataclass(frozen=True)
class PlannedCard:
    """One card of an import and what the import does with it."""

    file: str
    line: int
    uid: str
    front: str
    back: str
    action: str  # create | update | unchanged


@dataclass
class NotesImportResult:
    deck: Deck | None
    cards: list[PlannedCard]
    retired: list[str]
    dry_run: bool

    def count(self, action: str) -> int:
        return sum(1 for c in self.cards if c.action == action)

    def summary(self) -> str:
        verb = "would be " if self.dry_run else ""
        return (
            f"{self.count('create')} {verb}created, {self.count('update')} {verb}updated, "
            f"{self.count('unchanged')} unchanged, {len(self.retired)} {verb}retired"
            + (" (dry run: nothing written)" if self.dry_run else "")
        )


def notes_import(
    *, user: User, deck_name: str, files: list[tuple[str, bytes]], dry_run: bool = False
) -> NotesImportResult:
    """Turn Markdown notes into ``user``'s own draft cards in their deck ``deck_name`` (created and
    enrolled if needed). ``files`` are ``(file name, raw bytes)``.

    Atomic across all files: any unreadable file (binary, not UTF-8, empty) raises
    :class:`NotesImportError` and writes nothing. A card's uid is ``u<user id>:<file>:<heading path>``
    hashed, so re-importing a file updates its cards; sections gone from the file are retired.
    ``dry_run`` plans the same and writes nothing.
    """
    deck_name = deck_name.strip()
    parsed, errors = _notes_read(files)
    if not deck_name:
        errors.insert(0, "the deck name is empty")
    elif len(deck_name) > 200:
        errors.insert(0, "the deck name is longer than 200 characters")
    if errors:
        raise NotesImportError(errors)
    deck = Deck.objects.filter(owner=user, name=deck_name).first()
    planned: list[PlannedCard] = []
    file_prefixes: list[str] = []
    for name, notes in parsed:
        prefix = _note_file_prefix(user=user, deck_name=deck_name, file_name=name)
        file_prefixes.append(prefix)
        planned += [
            PlannedCard(
                file=name,
                line=n.line,
                uid=prefix + _note_path_hash(n),
                front=n.front,
                back=n.back,
                action="create",
            )
            for n in notes
        ]
    existing: dict[str, Card] = {}
    for batch in _chunks([p.uid for p in planned], _BATCH):
        existing.update({c.uid: c for c in Card.objects.filter(uid__in=batch)})
    foreign = [uid for uid, c in existing.items() if deck is None or c.deck_id != deck.pk]
    if foreign:  # cannot happen unless a uid is reused by hand: refuse rather than move cards
        raise NotesImportError([f"card {foreign[0]} belongs to another deck"])
    stale: list[Card] = []
    if deck is not None:
        wanted = {p.uid for p in planned}
        for prefix in file_prefixes:
            stale += [
                c
                for c in Card.objects.filter(deck=deck, uid__startswith=prefix, retired=False)
                if c.uid not in wanted
            ]
    result_cards: list[PlannedCard] = []
    for plan in planned:
        card = existing.get(plan.uid)
        if card is None:
            action = "create"
        elif (card.front, card.back, card.source_line, card.retired) == (
            plan.front,
            plan.back,
            plan.line,
            False,
        ):
            action = "unchanged"
        else:
            action = "update"
        result_cards.append(replace(plan, action=action))
    result = NotesImportResult(deck=deck, cards=result_cards, retired=[c.uid for c in stale], dry_run=dry_run)
    if dry_run:
        return result
    with transaction.atomic():
        result.deck = deck = deck or _own_deck_create(user=user, deck_name=deck_name)
        deck.source = ", ".join(name for name, _ in parsed)[:200]
        deck.save(update_fields=["source"])
        _note_cards_write(deck=deck, planned=result_cards, existing=existing, stale=stale)
        deck_enroll(user=user, deck=deck)
    return result


def _notes_read(files: list[tuple[str, bytes]]) -> tuple[list[tuple[str, list[NoteCard]]], list[str]]:
    parsed: list[tuple[str, list[NoteCard]]] = []
    errors: list[str] = []
    if not files:
        errors.append("no files given")
    seen: set[str] = set()
    for raw_name, data in files:
        name = Path(raw_name.replace("\\", "/")).name or "note"
        if name in seen:
            errors.append(f"{name}: given twice")
            continue
        seen.add(name)
        try:
            text = note_decode(name=name, data=data)
        except NoteError as exc:
            errors.append(str(exc))
            continue
        cards = note_parse(text, title=Path(name).stem)
        if not cards:
            errors.append(f"{name}: no text to make cards from (only headings, images or blank lines)")
            continue
        parsed.append((name, cards))
    return parsed, errors


def _note_file_prefix(*, user: User, deck_name: str, file_name: str) -> str:
    digest = hashlib.sha1(f"{deck_name}\x00{file_name}".encode()).hexdigest()[:10]
    return f"u{user.pk}:{digest}:"


def _note_path_hash(card: NoteCard) -> str:
    key = "\x1f".join(card.path) + f"\x00{card.occurrence}"
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def _own_deck_create(*, user: User, deck_name: str) -> Deck:
    digest = hashlib.sha1(deck_name.encode()).hexdigest()[:10]
    readable = slugify(deck_name)[:80]
    slug = f"u{user.pk}-{readable + '-' if readable else ''}{digest}"
    return Deck.objects.create(slug=slug, name=deck_name, owner=user, source="imported notes", position=0)


def _note_cards_write(
    *, deck: Deck, planned: Iterable[PlannedCard], existing: dict[str, Card], stale: list[Card]
) -> None:
    now = timezone.now()
    top = max(Card.objects.filter(deck=deck).values_list("position", flat=True), default=-1)
    create: list[Card] = []
    update: list[Card] = []
    for plan in planned:
        card = existing.get(plan.uid)
        if card is None:
            top += 1
            create.append(
                Card(
                    uid=plan.uid,
                    deck=deck,
                    kind=Card.Kind.BASIC,
                    front=plan.front,
                    back=plan.back,
                    tags=["imported"],
                    topics=[],
                    position=top,
                    source_line=plan.line,
                    draft=True,
                )
            )
        elif plan.action == "update":
            if (card.front, card.back) != (plan.front, plan.back):
                card.draft = True  # changed text: the owner has not reviewed it yet
            card.front, card.back, card.source_line, card.retired, card.updated_at = (
                plan.front,
                plan.back,
                plan.line,
                False,
                now,
            )
            update.append(card)
    for card in stale:
        card.retired, card.updated_at = True, now
    Card.objects.bulk_create(create, batch_size=_BATCH)
    Card.objects.bulk_update(
        update, ["front", "back", "source_line", "retired", "draft", "updated_at"], batch_size=_BATCH
    )
    Card.objects.bulk_update(stale, ["retired", "updated_at"], batch_size=_BATCH)
