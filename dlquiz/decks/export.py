"""``export_content``: the database's bundled cards written back to ``content/*.cards``, so what editors
changed in the admin can be reviewed as a diff and committed (git stays the source of truth).

Each file is rewritten in place: a card whose content the database holds unchanged keeps its text byte
for byte (comments, blank lines and the card's own layout too), a changed card is written in the
canonical format (:func:`dlquiz.decks.contentfile.render_card`; ``canonical=True`` rewrites every card
so), a card retired in the admin is removed, a card added in the admin (or moved to another deck) is
appended to its deck's section, and a renamed deck's ``@deck`` line follows. Right after
``load_content`` the export changes nothing (a test holds this on the bundled deck).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.text import slugify

from dlquiz.decks.authoring import REVERSE_SUFFIX
from dlquiz.decks.contentfile import CardSpec, parse_text, render_card
from dlquiz.decks.models import Card, Deck

__all__ = ["ContentExport", "ExportError", "content_export"]


class ExportError(Exception):
    """A card the file format cannot hold (a text line that reads as a field, a comment or ``@card``)."""


@dataclass
class ContentExport:
    changed: list[Path] = field(default_factory=list)
    written: int = 0  # cards written in the canonical format
    removed: int = 0
    added: int = 0

    def summary(self) -> str:
        files = ", ".join(p.name for p in self.changed) or "none"
        return f"{self.written} cards written, {self.added} added, {self.removed} removed; files changed: {files}"


def _spec_of(card: Card, *, reverse: bool, deck: str) -> CardSpec:
    return CardSpec(
        id=card.uid,
        deck=deck,
        path="",
        line=0,
        kind="basic+reverse" if reverse else card.kind,
        topics=list(card.topics),
        tags=list(card.tags),
        front=card.front,
        back=card.back,
        family=card.family,
        params=dict(card.params),
    )


def _same(a: CardSpec, b: CardSpec) -> bool:
    fields = ("id", "kind", "topics", "tags", "front", "back", "family", "params")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def _rendered(spec: CardSpec) -> list[str]:
    text = render_card(spec)
    back, errors = parse_text(f"@deck {spec.deck or 'd'}\n{text}\n", path="export")
    structural = [e for e in errors if "topics" not in e.message]  # a card without topics is still written
    if len(back) != 1 or structural or not _same(back[0], spec):
        raise ExportError(
            f"card {spec.id}: its text cannot be written as a content file (a line of its front or back "
            "starts with % or @card or reads as a field such as 'back:'); change it in the admin"
        )
    return text.split("\n")


def content_export(*, content_dir: Path | None = None, canonical: bool = False) -> ContentExport:
    """Write the bundled cards to ``content_dir`` (default ``settings.CONTENT_DIR``); see the module."""
    content_dir = Path(content_dir or settings.CONTENT_DIR)
    root = content_dir.parent
    result = ContentExport()
    decks = list(Deck.objects.filter(owner__isnull=True).order_by("position", "id"))
    cards = list(
        Card.objects.filter(deck__owner__isnull=True).select_related("deck").order_by("position", "id")
    )
    active = {c.uid: c for c in cards if not c.retired}
    reversed_ids = {uid.removesuffix(REVERSE_SUFFIX) for uid in active if uid.endswith(REVERSE_SUFFIX)}
    decks_of_file: dict[str, list[Deck]] = defaultdict(list)
    for deck in decks:
        decks_of_file[deck.source].append(deck)
    placed: set[str] = set()
    outputs: dict[Path, list[str]] = {}
    sections: dict[int, tuple[Path, int]] = {}  # deck id -> (file, index in its output after its last card)
    for path in sorted(content_dir.glob("*.cards")):
        shown = str(path.relative_to(root))
        lines = path.read_text(encoding="utf-8").splitlines()
        specs, _ = parse_text("\n".join(lines), path=shown)
        by_line = {s.line: s for s in specs}
        file_decks = iter(decks_of_file.get(shown, []))
        out: list[str] = []
        current: Deck | None = None
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith("@deck"):
                current = next(file_decks, None)
                out.append(f"@deck {current.name}" if current else line)
                if current:
                    sections[current.pk] = (path, len(out))
                i += 1
                continue
            spec = by_line.get(i + 1)
            if spec is None:
                out.append(line)
                i += 1
                continue
            end = _card_end(lines, i)
            card = active.get(spec.id)
            if card is None or (current is not None and card.deck_id != current.pk):
                result.removed += card is None
                i = _skip_blank(lines, end)  # the card and the blank lines after it
                continue
            placed.add(spec.id)
            db_spec = _spec_of(card, reverse=spec.id in reversed_ids, deck=card.deck.name)
            if _same(db_spec, spec) and not canonical:
                out += lines[i:end]
            else:
                rendered = _rendered(db_spec)
                result.written += rendered != lines[i:end]
                out += rendered
            if current is not None:
                sections[current.pk] = (path, len(out))
            i = end
        outputs[path] = out
    # cards added in the admin or moved to another deck: at the end of their deck's section
    pending = [
        c for c in cards if not c.retired and not c.uid.endswith(REVERSE_SUFFIX) and c.uid not in placed
    ]
    for card in pending:
        spec = _spec_of(card, reverse=card.uid in reversed_ids, deck=card.deck.name)
        if card.deck_id not in sections:
            path = content_dir / f"{slugify(card.deck.slug) or 'deck'}.cards"
            outputs.setdefault(path, [])
            outputs[path] += ([""] if outputs[path] else []) + [f"@deck {card.deck.name}"]
            sections[card.deck_id] = (path, len(outputs[path]))
        path, at = sections[card.deck_id]
        block = ["", *_rendered(spec)]
        outputs[path][at:at] = block
        for deck_id, (p, pos) in sections.items():  # later sections of the same file move down
            if p == path and pos >= at:
                sections[deck_id] = (p, pos + len(block))
        result.added += 1
    for path, out in outputs.items():
        ends_blank = path.exists() and path.read_text(encoding="utf-8").endswith("\n\n")
        while out and not out[-1].strip() and not ends_blank:  # blank lines a removed card left at the end
            out.pop()
        text = "\n".join(out) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            result.changed.append(path)
    return result


def _card_end(lines: list[str], start: int) -> int:
    """The index after a card's last line: before the next ``@card``/``@deck``, trailing blank and comment
    lines left to what follows."""
    end = start + 1
    while end < len(lines) and not lines[end].startswith(("@card", "@deck")):
        end += 1
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("%")):
        end -= 1
    return end


def _skip_blank(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i
