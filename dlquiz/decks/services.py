"""Writes on decks: enrolment (a learner's card states for a deck's cards)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from dlquiz.decks.models import Card, Deck, Enrollment
from dlquiz.study.models import CardState, State


@transaction.atomic
def deck_enroll(*, user: AbstractBaseUser, deck: Deck) -> Enrollment:
    """The learner studies ``deck``: a NEW card state for every active card (idempotent)."""
    enrollment, _ = Enrollment.objects.get_or_create(user=user, deck=deck)
    _create_missing_states(deck=deck, user_ids=[user.pk])
    return enrollment


def enrollment_sync(*, deck: Deck) -> int:
    """After cards were added to ``deck``: card states for every enrolled learner. Returns rows created."""
    user_ids = list(Enrollment.objects.filter(deck=deck).values_list("user_id", flat=True))
    return _create_missing_states(deck=deck, user_ids=user_ids)


def _create_missing_states(*, deck: Deck, user_ids: list[int]) -> int:
    if not user_ids:
        return 0
    cards = list(Card.objects.filter(deck=deck, retired=False).values_list("id", "position"))
    created = 0
    for uid in user_ids:
        have = set(CardState.objects.filter(user_id=uid, card__deck=deck).values_list("card_id", flat=True))
        rows = [CardState(user_id=uid, card_id=cid, state=State.NEW, new_order=pos)
                for cid, pos in cards if cid not in have]
        CardState.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        created += len(rows)
    return created


def bundled_decks_enroll(*, user: AbstractBaseUser) -> int:
    """A new learner studies every bundled deck."""
    decks = list(Deck.objects.filter(owner__isnull=True))
    for deck in decks:
        deck_enroll(user=user, deck=deck)
    return len(decks)
