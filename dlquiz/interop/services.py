"""Writes of Anki interop: starting an import (the upload is checked whole before anything is written) and
running it on a worker (``tasks.anki_import_task``), reporting progress on the :class:`AnkiImport` row.

An import puts every card of the package into one of the learner's own decks (``Deck.owner``, as imported
notes are), created and enrolled if needed. A card's uid comes from (learner, deck name, note guid, card
number), so importing the same package again updates the cards instead of adding copies. Anki's review log
becomes the learner's ``ReviewLog`` (client review id ``anki:<revlog id>:<card id>``, so a re-import adds
only reviews not yet stored) and each card's FSRS state is rebuilt by replaying its whole log in
``reviewed_at`` order with the learner's settings and the same seeded fuzz as a review in dlquiz.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from fsrs import Scheduler

from dlquiz.decks.models import Card, Deck
from dlquiz.decks.services import _own_deck_create, deck_enroll
from dlquiz.errors import Conflict, NotFound, ServiceError
from dlquiz.interop.apkg import AnkiCard, AnkiPackage, AnkiReview, ApkgError, apkg_read, reviews_by_card
from dlquiz.interop.models import AnkiImport
from dlquiz.study import merge, review_sql
from dlquiz.study.models import CardState, ReviewLog
from dlquiz.study.scheduling import MemoryState, scheduler_for
from dlquiz.study.selectors import settings_get
from dlquiz.study.services import EARLIEST_REVIEW, MAX_CLOCK_SKEW

__all__ = ["anki_import_fail", "anki_import_run", "anki_import_start"]

_BATCH = 500
#: A learner's imports queued or running at once (each holds its upload); older ones no longer count.
MAX_ACTIVE = 2
ACTIVE_WINDOW = dt.timedelta(hours=1)
_HISTORY_BATCH = 200  # cards whose history is written in one transaction, between progress reports
_MAX_NOTES = 20


class PackageInvalid(ServiceError):
    code = "invalid_package"


class PackageTooLarge(ServiceError):
    code = "too_large"
    status_code = 413


def _package_read(data: bytes) -> AnkiPackage:
    try:
        return apkg_read(data, max_expanded=settings.ANKI_IMPORT_MAX_EXPANDED_BYTES)
    except ApkgError as exc:
        cls = PackageTooLarge if exc.code == "too_large" else PackageInvalid
        raise cls(exc.message, fields={"file": [exc.message]}) from None


def anki_import_start(*, user: User, file_name: str, data: bytes, deck_name: str = "") -> AnkiImport:
    """Check an uploaded ``.apkg`` whole (zip, collection, size caps, note types) and queue its import.
    A bad, truncated or oversized file raises :class:`ServiceError` (4xx) and writes nothing."""
    if len(data) > settings.ANKI_IMPORT_MAX_BYTES:
        raise PackageTooLarge(
            f"文件太大 / the file is larger than {settings.ANKI_IMPORT_MAX_BYTES} bytes",
            fields={"file": ["too large"]},
        )
    active = AnkiImport.objects.filter(
        user=user,
        status__in=(AnkiImport.Status.QUEUED, AnkiImport.Status.RUNNING),
        created_at__gte=timezone.now() - ACTIVE_WINDOW,
    )
    if active.count() >= MAX_ACTIVE:
        raise Conflict(
            f"已有 {MAX_ACTIVE} 个导入在进行 / {MAX_ACTIVE} imports are already under way; wait for one to finish"
        )
    package = _package_read(data)
    if not package.cards:
        raise PackageInvalid(
            "牌组里没有可导入的卡片 / the package holds no cards to import", fields={"file": ["no cards"]}
        )
    deck_name = " ".join(deck_name.split()) or package.main_deck()
    if len(deck_name) > 200:
        raise ServiceError(
            "牌组名太长 / the deck name is longer than 200 characters", fields={"deck_name": ["too long"]}
        )
    row = AnkiImport.objects.create(
        user=user,
        file_name=file_name.replace("\\", "/").rsplit("/", 1)[-1][:200],
        deck_name=deck_name,
        package=data,
    )
    from dlquiz.interop.tasks import anki_import_task

    transaction.on_commit(lambda: anki_import_task.delay(row.pk))
    return row


def _uid(*, user: User, deck_name: str, card: AnkiCard) -> str:
    digest = hashlib.sha1(f"{deck_name}\x00{card.note_guid}".encode()).hexdigest()[:16]
    return f"u{user.pk}:anki:{digest}:{card.ord}"


def _client_id(review: AnkiReview) -> str:
    return f"anki:{review.id}:{review.card_id}"


def _progress(row: AnkiImport, value: float) -> None:
    row.progress = round(min(max(value, 0.0), 1.0), 3)
    AnkiImport.objects.filter(pk=row.pk).update(progress=row.progress)


def anki_import_fail(*, import_id: int, error: str) -> None:
    AnkiImport.objects.filter(pk=import_id).exclude(status=AnkiImport.Status.DONE).update(
        status=AnkiImport.Status.FAILED, error=error[:2000], package=b"", finished_at=timezone.now()
    )


def anki_import_run(*, import_id: int) -> AnkiImport:
    """Run a queued import (idempotent: an import that has ended is left alone; a redelivered one starts
    again, and writes nothing twice). Progress: reading 0-10 %, cards 10-20 %, history 20-100 %.

    The cards are written in one transaction; the history in transactions of ``_HISTORY_BATCH`` cards,
    with progress between them. Should the worker die between two, the redelivered task (or the same file
    imported again) finds the cards and reviews already written by their uids and client review ids and
    adds only the rest."""
    try:
        row = AnkiImport.objects.select_related("user").get(pk=import_id)
    except AnkiImport.DoesNotExist:
        raise NotFound("导入不存在 / import not found") from None
    if row.status in (AnkiImport.Status.DONE, AnkiImport.Status.FAILED):
        return row
    AnkiImport.objects.filter(pk=row.pk).update(status=AnkiImport.Status.RUNNING, progress=0.0)
    try:
        package = _package_read(bytes(row.package))
    except ServiceError as exc:
        anki_import_fail(import_id=row.pk, error=exc.message)
        row.refresh_from_db()
        return row
    _progress(row, 0.1)
    user, now = row.user, timezone.now()
    scheduler = scheduler_for(settings_get(user=user))
    cards = {c.id: c for c in package.cards}
    uids = {c.id: _uid(user=user, deck_name=row.deck_name, card=c) for c in package.cards}
    logs: dict[int, list[AnkiReview]] = {}
    skipped = 0
    for cid, reviews in reviews_by_card(package.reviews):
        keep = [r for r in reviews if EARLIEST_REVIEW <= r.reviewed_at <= now + MAX_CLOCK_SKEW]
        skipped += len(reviews) - len(keep)
        if keep:
            logs[cid] = keep
    with transaction.atomic():
        deck = Deck.objects.filter(owner=user, name=row.deck_name).first() or _own_deck_create(
            user=user, deck_name=row.deck_name
        )
        created, updated, by_anki = _cards_write(deck=deck, cards=list(cards.values()), uids=uids, now=now)
        deck_enroll(user=user, deck=deck)
        for acid in created:
            if cards[acid].suspended:
                CardState.objects.filter(user=user, card=by_anki[acid]).update(suspended=True, changed_at=now)
        AnkiImport.objects.filter(pk=row.pk).update(
            deck=deck, cards_created=len(created), cards_updated=updated
        )
    _progress(row, 0.2)
    imported = 0
    batches = list(logs.items())
    for i in range(0, len(batches), _HISTORY_BATCH):
        with transaction.atomic():
            imported += _history_write(
                user=user,
                logs=dict(batches[i : i + _HISTORY_BATCH]),
                by_anki=by_anki,
                scheduler=scheduler,
                now=now,
            )
        _progress(row, 0.2 + 0.8 * (i + _HISTORY_BATCH) / len(batches))
    AnkiImport.objects.filter(pk=row.pk).update(
        status=AnkiImport.Status.DONE,
        progress=1.0,
        reviews_imported=imported,
        reviews_skipped=skipped,
        notes=package.skipped[:_MAX_NOTES],
        package=b"",
        finished_at=timezone.now(),
    )
    row.refresh_from_db()
    return row


def _cards_write(
    *, deck: Deck, cards: list[AnkiCard], uids: dict[int, str], now: dt.datetime
) -> tuple[set[int], int, dict[int, Card]]:
    """Create or update the deck's cards. Returns the Anki ids of created cards, the number updated and
    each Anki card id's dlquiz card."""
    existing: dict[str, Card] = {}
    wanted = list(uids.values())
    for i in range(0, len(wanted), _BATCH):
        existing.update({c.uid: c for c in Card.objects.filter(uid__in=wanted[i : i + _BATCH])})
    foreign = [uid for uid, c in existing.items() if c.deck_id != deck.pk]
    if foreign:
        raise ServiceError(f"card {foreign[0]} belongs to another deck")
    top = max(Card.objects.filter(deck=deck).values_list("position", flat=True), default=-1)
    create: list[Card] = []
    update: list[Card] = []
    created: set[int] = set()
    for ac in sorted(cards, key=lambda c: c.id):
        tags = [t for t in ac.tags if not t.startswith("topic::")]
        topics = [t.split("::", 1)[1] for t in ac.tags if t.startswith("topic::")]
        values = {"kind": ac.kind, "front": ac.front, "back": ac.back, "tags": tags, "topics": topics}
        card = existing.get(uids[ac.id])
        if card is None:
            top += 1
            card = Card(uid=uids[ac.id], deck=deck, position=top, draft=False, **values)
            create.append(card)
            created.add(ac.id)
            existing[card.uid] = card
        elif any(getattr(card, k) != v for k, v in values.items()) or card.retired:
            for k, v in values.items():
                setattr(card, k, v)
            card.retired, card.updated_at = False, now
            update.append(card)
    Card.objects.bulk_create(create, batch_size=_BATCH)
    if any(c.pk is None for c in create):  # backends without RETURNING ids
        ids = dict(Card.objects.filter(uid__in=[c.uid for c in create]).values_list("uid", "pk"))
        for c in create:
            c.pk = ids[c.uid]
    Card.objects.bulk_update(
        update, ["kind", "front", "back", "tags", "topics", "retired", "updated_at"], batch_size=_BATCH
    )
    return created, len(update), {ac.id: existing[uids[ac.id]] for ac in cards}


def _history_write(
    *,
    user: User,
    logs: dict[int, list[AnkiReview]],
    by_anki: dict[int, Card],
    scheduler: Scheduler,
    now: dt.datetime,
) -> int:
    """Append the imported reviews and set each card's state from the replay of its whole log. Cards that
    already have stored reviews (a re-import, or studied here since) are replayed again with them merged
    by ``study.merge`` (the one merge rule: ``(reviewed_at, id)`` order, stored rows whose states change
    are rewritten), under their card state's row lock."""
    card_ids = sorted(by_anki[cid].pk for cid in logs)
    state_ids = {  # locked in id order, as every batch of card writes locks them
        card_id: pk
        for i in range(0, len(card_ids), _BATCH)
        for card_id, pk in CardState.objects.select_for_update(of=("self",))
        .filter(user=user, card_id__in=card_ids[i : i + _BATCH])
        .order_by("id")
        .values_list("card_id", "pk")
    }
    stored: dict[int, list[ReviewLog]] = {}
    for i in range(0, len(card_ids), _BATCH):
        for log in ReviewLog.objects.filter(user=user, card_id__in=card_ids[i : i + _BATCH]):
            stored.setdefault(log.card_id, []).append(log)
    new_logs: list[ReviewLog] = []
    changed_logs: list[ReviewLog] = []
    changed_states: list[tuple[int, MemoryState]] = []
    for acid, reviews in logs.items():
        card_id = by_anki[acid].pk
        have = stored.get(card_id, [])
        known = {log.client_review_id for log in have}
        adding = [
            ReviewLog(
                user_id=user.pk,
                card_id=card_id,
                kind=ReviewLog.Kind.RESET if r.reset else ReviewLog.Kind.REVIEW,
                rating=r.rating,
                reviewed_at=r.reviewed_at,
                duration_ms=r.duration_ms,
                client_review_id=_client_id(r),
                created_at=now,
            )
            for r in reviews
            if _client_id(r) not in known
        ]
        if not adding:
            continue
        replayed = merge.log_replay(
            user_id=user.pk,
            card_id=card_id,
            start=MemoryState(),
            logs=sorted([*have, *adding], key=merge.replay_key),
            scheduler=scheduler,
        )
        new_logs += adding
        changed_logs += replayed.rewritten
        changed_states.append((state_ids[card_id], replayed.state))
    # New rows in multi-row inserts; rewritten rows and card states by the review's own batched update
    # statements (study/review_sql.py), the card state's ``changed_at`` stamped so syncing devices see them:
    # with this batch's time, not the import's start (``now``), which a device that synced while earlier
    # batches ran may already have left behind its next window.
    ReviewLog.objects.bulk_create(new_logs, batch_size=_BATCH)
    review_sql.log_states_write(changed_logs)
    review_sql.card_states_write(changed_states, changed_at=timezone.now())
    return len(new_logs)
