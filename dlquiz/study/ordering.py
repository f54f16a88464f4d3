"""The order in which a learner's new cards are introduced (``StudySettings.new_card_order``), on plain values.

- ``deck``: the bundled order of appearance (decks in their order, cards in file order);
- ``mixed``: across decks, the first card of each deck, then the second of each, ...;
- ``interleaved`` (the default): flashcards in deck order, and each exercise right after the first flashcard
  that shares one of its topics (several exercises anchored to one card are spread over the cards after it,
  one per card), so a new learner practises a computation soon after meeting its idea. An exercise whose
  topics no flashcard has keeps its place in the deck.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ORDERS", "NewCard", "new_card_sequence"]

ORDERS = ("deck", "mixed", "interleaved")


@dataclass(frozen=True)
class NewCard:
    id: int  # the card state's id
    position: int  # order of appearance (``CardState.new_order``)
    deck: int  # the deck's place among the decks
    exercise: bool
    topics: tuple[str, ...] = ()


def _deck_order(cards: Sequence[NewCard]) -> list[NewCard]:
    return sorted(cards, key=lambda c: (c.position, c.id))


def _mixed(cards: list[NewCard]) -> list[NewCard]:
    rank: dict[int, int] = {}
    keyed = []
    for c in cards:
        r = rank.get(c.deck, 0)
        rank[c.deck] = r + 1
        keyed.append(((r, c.deck, c.position, c.id), c))
    return [c for _, c in sorted(keyed, key=lambda kc: kc[0])]


def _interleaved(cards: list[NewCard]) -> list[NewCard]:
    flash = [c for c in cards if not c.exercise]
    first_of_topic: dict[str, int] = {}
    for i, c in enumerate(flash):
        for t in c.topics:
            first_of_topic.setdefault(t, i)
    keys: list[tuple[tuple[int, int, int, int], NewCard]] = [
        ((i, 0, c.position, c.id), c) for i, c in enumerate(flash)
    ]
    anchored: list[tuple[int, NewCard]] = []
    seen_flash = -1  # index of the last flashcard before the current card in deck order
    for c in cards:
        if not c.exercise:
            seen_flash += 1
            continue
        anchors = [first_of_topic[t] for t in c.topics if t in first_of_topic]
        if anchors:
            anchored.append((min(anchors), c))
        else:
            keys.append(((seen_flash, 1, c.position, c.id), c))
    last_slot = -2
    for anchor, c in sorted(anchored, key=lambda ac: (ac[0], ac[1].position, ac[1].id)):
        slot = max(anchor, last_slot + 1)
        last_slot = slot
        keys.append(((slot, 1, c.position, c.id), c))
    return [c for _, c in sorted(keys, key=lambda kc: kc[0])]


def new_card_sequence(cards: Sequence[NewCard], order: str) -> list[int]:
    """The ids of ``cards`` in the order they are introduced under ``order`` (one of ``ORDERS``).

    >>> cards = [NewCard(1, 0, 0, False, ("a",)), NewCard(2, 1, 0, False, ("b",)),
    ...          NewCard(3, 2, 1, False, ("c",)), NewCard(4, 3, 1, True, ("a",))]
    >>> new_card_sequence(cards, "deck"), new_card_sequence(cards, "mixed"), new_card_sequence(cards, "interleaved")
    ([1, 2, 3, 4], [1, 3, 2, 4], [1, 4, 2, 3])
    """
    if order not in ORDERS:
        raise ValueError(f"unknown new-card order {order!r}")
    base = _deck_order(cards)
    if order == "mixed":
        base = _mixed(base)
    elif order == "interleaved":
        base = _interleaved(base)
    return [c.id for c in base]
