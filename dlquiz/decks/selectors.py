"""Reads on decks: the bundled deck as written in ``content/`` (the card report and its coverage of the
OUTLINE)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from dlquiz.decks.checks import content_parse
from dlquiz.decks.contentfile import CardSpec, read_outline

__all__ = ["CoverageGaps", "content_card_list", "content_coverage_gaps"]


@dataclass
class CoverageGaps:
    """OUTLINE topics (``(topic id, kind, title)``) the bundled deck does not reach yet."""

    uncovered: list[tuple[str, str, str]] = field(default_factory=list)
    calc_without_exercise: list[tuple[str, str, str]] = field(default_factory=list)
    unknown_families: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.uncovered or self.calc_without_exercise)


def content_card_list(*, content_dir: Path | None = None) -> list[dict[str, Any]]:
    """One row per card of ``content/*.cards`` in order of appearance: ``id``, ``kind`` (as written),
    ``deck`` (its @deck name), ``topics`` and ``front``."""
    return [
        {"id": c.id, "kind": c.kind, "deck": c.deck, "topics": list(c.topics), "front": c.front}
        for c in _content_cards(content_dir)
    ]


def content_coverage_gaps(
    *, content_dir: Path | None = None, outline_path: Path | None = None
) -> CoverageGaps:
    """The qa/calc topics of the OUTLINE no card names, and the calc topics that no exercise card
    reaches (an exercise card reaches the topics its engine family lists)."""
    outline = read_outline(Path(outline_path or settings.OUTLINE_PATH))
    cards = _content_cards(content_dir)
    covered = {t for c in cards for t in c.topics}
    gaps = CoverageGaps()
    family_ids = sorted({c.family for c in cards if c.kind == "exercise" and c.family})
    reached: set[str] = set()
    if family_ids:
        from engine import get_family  # torch: only when there are exercise cards

        for fid in family_ids:
            try:
                reached.update(get_family(fid).topics)
            except KeyError:
                gaps.unknown_families.append(fid)
    for topic, (kind, title) in outline.items():
        if kind in ("qa", "calc") and topic not in covered:
            gaps.uncovered.append((topic, kind, title))
        if kind == "calc" and topic not in reached:
            gaps.calc_without_exercise.append((topic, kind, title))
    return gaps


def _content_cards(content_dir: Path | None) -> list[CardSpec]:
    return content_parse(content_dir=Path(content_dir or settings.CONTENT_DIR)).cards
