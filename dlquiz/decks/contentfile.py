"""Parser for the bundled deck's plain-text card files (``content/*.cards``).

Framework-free on purpose: the loader, ``check_content`` and the content authors' own checks all read
cards through :func:`parse_file`, so a file means the same thing everywhere. The format is described
in ``docs/content-format.md``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CARD_KINDS",
    "FIELDS",
    "CardSpec",
    "ContentError",
    "card_id_problem",
    "parse_file",
    "parse_text",
    "read_outline",
    "render_card",
    "text_line_problem",
]

CARD_KINDS = ("basic", "basic+reverse", "cloze", "exercise")
FIELDS = ("kind", "topics", "tags", "front", "back", "family", "params")
_BLOCK_FIELDS = ("front", "back")
_FIELD_RE = re.compile(r"^(kind|topics|tags|front|back|family|params):(?:[ \t](.*))?$")
_CARD_RE = re.compile(r"^@card[ \t]+(\S+)[ \t]*$")
_DECK_RE = re.compile(r"^@deck[ \t]+(.+?)[ \t]*$")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
_CLOZE_RE = re.compile(r"\{\{c(\d+)::(.+?)(?:::(.+?))?\}\}")


def card_id_problem(card_id: str) -> str | None:
    """Why ``card_id`` cannot be a card id (lower-case ``[a-z0-9._-]``, 2 to 80 characters), or None."""
    return (
        None if _ID_RE.match(card_id) else f"bad card id {card_id!r}: use lower-case a-z, 0-9, '.', '_', '-'"
    )


def text_line_problem(text: str) -> str | None:
    """Why a front or back ``text`` cannot be written in a content file as it is (a line the parser would
    read as a comment, a ``@card``/``@deck`` line or a field), or None."""
    for line in text.split("\n"):
        if line.startswith("%"):
            return (
                f"the line {line[:40]!r} would be a comment in the content file: do not start a line with %"
            )
        if _CARD_RE.match(line) or _DECK_RE.match(line) or _FIELD_RE.match(line):
            return f"the line {line[:40]!r} would be read as a content file line of its own: reword its start"
    return None


@dataclass(frozen=True)
class ContentError:
    """One problem in a content file, reported as ``file:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class CardSpec:
    """One card as written in a content file."""

    id: str
    deck: str
    path: str
    line: int
    kind: str = ""
    topics: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    front: str = ""
    back: str = ""
    family: str = ""
    params: dict[str, object] = field(default_factory=dict)
    field_lines: dict[str, int] = field(default_factory=dict)
    text_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, name: str) -> int:
        return self.field_lines.get(name, self.line)

    def text_line(self, name: str) -> int:
        """The line on which the text of block field ``name`` (front/back) starts."""
        return self.text_lines.get(name, self.line_of(name))


def parse_text(text: str, *, path: str) -> tuple[list[CardSpec], list[ContentError]]:
    """Parse one file's text into cards and syntax errors (structure only, no cross-file checks)."""
    cards: list[CardSpec] = []
    errors: list[ContentError] = []
    deck = ""
    card: CardSpec | None = None
    block: str | None = None
    block_lines: list[str] = []
    block_start = 0

    def close_block() -> None:
        nonlocal block, block_lines
        if card is not None and block is not None:
            setattr(card, block, "\n".join(block_lines).strip("\n").rstrip())
            leading = next((i for i, ln in enumerate(block_lines) if ln), 0)
            card.text_lines[block] = block_start + leading
        block, block_lines = None, []

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        deck_m = _DECK_RE.match(line)
        card_m = _CARD_RE.match(line)
        field_m = _FIELD_RE.match(line) if card is not None else None
        if deck_m:
            close_block()
            card = None
            deck = deck_m.group(1)
            continue
        if card_m:
            close_block()
            if not deck:
                errors.append(ContentError(path, lineno, "@card before any @deck line"))
            card = CardSpec(id=card_m.group(1), deck=deck, path=path, line=lineno)
            if not _ID_RE.match(card.id):
                errors.append(ContentError(path, lineno, f"bad card id {card.id!r}"))
            cards.append(card)
            continue
        if field_m and card is not None:
            close_block()
            name, value = field_m.group(1), (field_m.group(2) or "").strip()
            if name in card.field_lines:
                errors.append(ContentError(path, lineno, f"field {name!r} given twice"))
            card.field_lines[name] = lineno
            if name in _BLOCK_FIELDS:
                block = name
                block_lines = [value] if value else []
                block_start = lineno if value else lineno + 1
            elif name in ("topics", "tags"):
                setattr(card, name, value.replace(",", " ").split())
            elif name == "params":
                try:
                    parsed = json.loads(value) if value else {}
                except json.JSONDecodeError as exc:
                    errors.append(ContentError(path, lineno, f"params is not JSON: {exc.msg}"))
                    parsed = {}
                if not isinstance(parsed, dict):
                    errors.append(ContentError(path, lineno, "params must be a JSON object"))
                    parsed = {}
                card.params = parsed
            else:
                setattr(card, name, value)
            continue
        if line.startswith("%"):  # a comment line (column 0), inside a block too
            continue
        if block is not None:
            block_lines.append(line)
        elif line.strip() and not line.lstrip().startswith("%"):
            errors.append(ContentError(path, lineno, f"text outside a front/back block: {line[:40]!r}"))
    close_block()
    for c in cards:
        errors.extend(_check_card(c))
    return cards, errors


def _check_card(card: CardSpec) -> list[ContentError]:
    errs: list[ContentError] = []

    def err(name: str, message: str) -> None:
        errs.append(ContentError(card.path, card.line_of(name), f"card {card.id}: {message}"))

    if card.kind not in CARD_KINDS:
        err("kind", f"kind must be one of {', '.join(CARD_KINDS)}, not {card.kind!r}")
    if not card.topics:
        err("topics", "no topics")
    if not card.front.strip():
        err("front", "empty front")
    if card.kind != "exercise" and not card.back.strip():
        err("back", "empty back")
    if card.kind == "exercise" and not card.family:
        err("family", "exercise card without a family")
    if card.kind != "exercise" and (card.family or card.params):
        err("family", "family/params are only for exercise cards")
    if card.kind == "cloze" and not _CLOZE_RE.search(card.front):
        err("front", "cloze card without {{c1::...}} in its front")
    return errs


def render_card(card: CardSpec) -> str:
    """A card in the canonical format (what ``export_content`` writes for a changed card), without a
    trailing newline: ``@card``, then ``kind``, ``family``, ``params``, ``topics``, ``tags`` (the last
    three only when set), then ``front:`` and ``back:``. An exercise card's one-line front and back
    follow their colon; every other text starts on the line after it. ``parse_text`` reads it back to
    the same card.

    Example:
        >>> print(render_card(CardSpec(id="a.b", deck="d", path="", line=0, kind="basic",
        ...                            topics=["001-0304"], front="问？", back="答。")))
        @card a.b
        kind: basic
        topics: 001-0304
        front:
        问？
        back:
        答。
    """
    lines = [f"@card {card.id}", f"kind: {card.kind}"]
    if card.family:
        lines.append(f"family: {card.family}")
    if card.params:
        lines.append(f"params: {json.dumps(card.params, ensure_ascii=False)}")
    if card.topics:
        lines.append("topics: " + " ".join(card.topics))
    if card.tags:
        lines.append("tags: " + " ".join(card.tags))
    for name in _BLOCK_FIELDS:
        text = getattr(card, name)
        if card.kind == "exercise" and "\n" not in text and text.strip() == text:
            lines.append(f"{name}: {text}".rstrip())
        else:
            lines += [f"{name}:", *text.split("\n")]
    return "\n".join(lines)


def parse_file(path: Path, *, root: Path | None = None) -> tuple[list[CardSpec], list[ContentError]]:
    shown = str(path.relative_to(root)) if root else str(path)
    return parse_text(path.read_text(encoding="utf-8"), path=shown)


def read_outline(path: Path) -> dict[str, tuple[str, str]]:
    """OUTLINE.tsv as ``{topic_id: (kind, title)}``."""
    out: dict[str, tuple[str, str]] = {}
    for i, row in enumerate(path.read_text(encoding="utf-8").splitlines()):
        cols = row.split("\t")
        if i == 0 or len(cols) < 6:
            continue
        out[cols[0]] = (cols[4], cols[5])
    return out


if __name__ == "__main__":  # a quick coverage check for content authors: python -m dlquiz.decks.contentfile
    import sys

    root = Path(__file__).resolve().parents[2]
    outline = read_outline(root.parent / "shared" / "seeds" / "OUTLINE.tsv")
    all_cards: list[CardSpec] = []
    all_errors: list[ContentError] = []
    for f in sorted((root / "content").glob("*.cards")):
        cs, es = parse_file(f, root=root)
        all_cards += cs
        all_errors += es
    for e in all_errors:
        print(e)
    for c in all_cards:
        for t in c.topics:
            if t not in outline:
                print(f"{c.path}:{c.line_of('topics')}: card {c.id}: unknown topic {t}")
        if len(c.back) > 600:
            print(f"{c.path}:{c.line_of('back')}: card {c.id}: back is {len(c.back)} characters (limit 600)")
    covered = {t for c in all_cards for t in c.topics}
    missing = [t for t, (k, _) in outline.items() if k in ("qa", "calc") and t not in covered]
    print(f"{len(all_cards)} cards, {len(all_errors)} errors, {len(missing)} qa/calc topics uncovered")
    if "--missing" in sys.argv:
        for t in missing:
            print(t, *outline[t])
