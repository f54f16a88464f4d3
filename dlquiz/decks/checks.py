"""Checks on the bundled deck (``content/*.cards``): what ``check_content`` reports and ``load_content``
refuses on.

No Django here: every function takes its paths explicitly, so the checks run the same from a command,
a service or a test. The engine (torch) is imported only when a deck has exercise cards, and KaTeX runs
once for the whole deck through ``node frontend/scripts/katex-check.mjs``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlquiz.decks.contentfile import FIELDS, CardSpec, ContentError, _check_card, parse_file, read_outline

__all__ = [
    "BACK_HARD_LIMIT",
    "BACK_SOFT_LIMIT",
    "CardProblem",
    "ContentReport",
    "Formula",
    "KatexUnavailable",
    "card_check",
    "cloze_reveal",
    "content_check",
    "content_parse",
    "families_check",
    "find_formulas",
    "katex_check",
]

BACK_SOFT_LIMIT = 300
BACK_HARD_LIMIT = 600
KATEX_SCRIPT = Path(__file__).resolve().parents[2] / "frontend" / "scripts" / "katex-check.mjs"
_CLOZE_RE = re.compile(r"\{\{c\d+::(.+?)(?:::(.+?))?\}\}")


class KatexUnavailable(RuntimeError):
    """node or the katex package is missing, or the KaTeX script could not run."""


@dataclass
class ContentReport:
    """What the checks found in a content directory."""

    files: list[Path] = field(default_factory=list)
    cards: list[CardSpec] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)
    warnings: list[ContentError] = field(default_factory=list)
    formulas: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Formula:
    """One ``$...$`` (inline) or ``$$...$$`` (display) formula found in Markdown text."""

    tex: str
    display: bool
    offset: int  # index of the opening ``$`` in the text


# -- parsing ---------------------------------------------------------------------------------------


def content_parse(*, content_dir: Path) -> ContentReport:
    """Parse every ``*.cards`` file (sorted by name) with structural and cross-file checks: syntax,
    empty fields, duplicate ids, back length."""
    report = ContentReport(files=sorted(content_dir.glob("*.cards")))
    if not report.files:
        report.errors.append(
            ContentError(str(content_dir), 0, "no *.cards files: refusing to treat this as an empty deck")
        )
        return report
    root = content_dir.parent
    for path in report.files:
        try:
            cards, errors = parse_file(path, root=root)
        except UnicodeDecodeError as exc:
            report.errors.append(
                ContentError(_shown(path, root), 1, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            )
            continue
        report.cards.extend(cards)
        report.errors.extend(errors)
    first: dict[str, CardSpec] = {}
    for card in report.cards:
        if card.id in first:
            other = first[card.id]
            report.errors.append(
                ContentError(
                    card.path, card.line, f"card {card.id}: duplicate id (first at {other.path}:{other.line})"
                )
            )
        else:
            first[card.id] = card
        length = len(card.back)
        if length > BACK_HARD_LIMIT:
            report.errors.append(
                ContentError(
                    card.path,
                    card.line_of("back"),
                    f"card {card.id}: back is {length} characters (limit {BACK_HARD_LIMIT})",
                )
            )
        elif length > BACK_SOFT_LIMIT:
            report.warnings.append(
                ContentError(
                    card.path,
                    card.line_of("back"),
                    f"warning: card {card.id}: back is {length} characters (keep it under {BACK_SOFT_LIMIT})",
                )
            )
    return report


def content_check(
    *,
    content_dir: Path,
    outline_path: Path,
    katex: bool = True,
    families: bool = True,
    node: str | None = None,
) -> ContentReport:
    """Every check of ``check_content``: structure, duplicates, lengths, OUTLINE topics, exercise
    families and their params (``families``), and LaTeX through KaTeX (``katex``; raises
    :class:`KatexUnavailable` when node or katex is missing)."""
    report = content_parse(content_dir=content_dir)
    report.errors.extend(_check_topics(report.cards, outline_path))
    if families:
        report.errors.extend(families_check(report.cards))
    math_errors, formulas = _collect_formulas(report.cards)
    report.errors.extend(math_errors)
    if katex:
        report.errors.extend(katex_check(formulas, node=node))
        report.formulas = len(formulas)
    report.errors.sort(key=lambda e: (e.path, e.line))
    report.warnings.sort(key=lambda e: (e.path, e.line))
    return report


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _check_topics(cards: list[CardSpec], outline_path: Path) -> list[ContentError]:
    try:
        outline = read_outline(outline_path)
    except OSError as exc:
        return [ContentError(str(outline_path), 0, f"cannot read the OUTLINE: {exc.strerror}")]
    return [
        ContentError(c.path, c.line_of("topics"), f"card {c.id}: unknown topic {t}")
        for c in cards
        for t in c.topics
        if t not in outline
    ]


def families_check(cards: list[CardSpec]) -> list[ContentError]:
    """Exercise cards naming an engine family that does not exist, or params its schema does not know."""
    exercises = [c for c in cards if c.kind == "exercise" and c.family]
    if not exercises:
        return []
    from engine import get_family  # torch: only when there is something to check

    errors: list[ContentError] = []
    for card in exercises:
        try:
            family = get_family(card.family)
        except KeyError:
            errors.append(
                ContentError(
                    card.path,
                    card.line_of("family"),
                    f"card {card.id}: unknown engine family {card.family!r}",
                )
            )
            continue
        for name, value in card.params.items():
            spec = family.schema.get(name)
            if spec is None:
                known = ", ".join(sorted(family.schema)) or "none"
                errors.append(
                    ContentError(
                        card.path,
                        card.line_of("params"),
                        f"card {card.id}: family {family.id} has no parameter {name!r} (known: {known})",
                    )
                )
                continue
            for v in value if isinstance(value, list) else [value]:
                try:
                    spec.validate(name, v)
                except ValueError as exc:
                    errors.append(
                        ContentError(card.path, card.line_of("params"), f"card {card.id}: params: {exc}")
                    )
    return errors


# -- one card (the admin's form, a learner's card) -------------------------------------------------


@dataclass(frozen=True)
class CardProblem:
    """One problem of a single card: the field it belongs to (``""``: the card as a whole)."""

    field: str
    message: str
    error: bool = True  # False: a warning (a back over the soft limit)


_LINE_STEP = 100_000  # one band of line numbers per field: a problem's line says which field it is in


def card_check(
    *,
    spec: CardSpec,
    outline_path: Path | None,
    katex: bool = True,
    families: bool = True,
    node: str | None = None,
) -> list[CardProblem]:
    """The checks of ``check_content`` on one card given as a :class:`CardSpec` (content kinds:
    ``basic``, ``basic+reverse``, ``cloze``, ``exercise``): empty fields, kind, cloze syntax, back
    length, topics in the OUTLINE (skipped when ``outline_path`` is None), the exercise family and its
    params, unbalanced ``$`` and LaTeX that KaTeX cannot parse. The same rules as the deck's, run
    through the same functions: the card is given a line band per field, so each problem says its field.
    Raises :class:`KatexUnavailable` when ``katex`` and node or katex is missing."""
    names = ("", *FIELDS)
    band = {name: i * _LINE_STEP for i, name in enumerate(names)}
    card = CardSpec(
        id=spec.id,
        deck=spec.deck,
        path="",
        line=0,
        kind=spec.kind,
        topics=list(spec.topics),
        tags=list(spec.tags),
        front=spec.front,
        back=spec.back,
        family=spec.family,
        params=dict(spec.params),
        field_lines={name: band[name] for name in FIELDS},
        text_lines={"front": band["front"] + 1, "back": band["back"] + 1},
    )
    errors = _check_card(card)
    warnings: list[ContentError] = []
    length = len(card.back)
    if length > BACK_HARD_LIMIT:
        errors.append(
            ContentError("", band["back"], f"back is {length} characters (limit {BACK_HARD_LIMIT})")
        )
    elif length > BACK_SOFT_LIMIT:
        warnings.append(
            ContentError("", band["back"], f"back is {length} characters (keep it under {BACK_SOFT_LIMIT})")
        )
    if outline_path is not None:
        errors.extend(_check_topics([card], outline_path))
    if families:
        errors.extend(families_check([card]))
    math_errors, formulas = _collect_formulas([card])
    errors.extend(math_errors)
    if katex:
        errors.extend(katex_check(formulas, node=node))
    prefix = f"card {card.id}: "

    def problem(e: ContentError, *, error: bool) -> CardProblem:
        field_name = names[min(e.line // _LINE_STEP, len(names) - 1)] if e.path == "" else ""
        return CardProblem(field_name, e.message.removeprefix(prefix), error)

    return [problem(e, error=True) for e in errors] + [problem(w, error=False) for w in warnings]


# -- formulas --------------------------------------------------------------------------------------


def cloze_reveal(front: str) -> str:
    """A cloze front with every ``{{cN::text::hint}}`` replaced by its text (what is shown after the
    reveal)."""
    return _CLOZE_RE.sub(lambda m: m.group(1), front)


def find_formulas(text: str) -> tuple[list[Formula], list[int]]:
    """The formulas of a Markdown text and the offsets of unbalanced ``$`` delimiters.

    ``$$...$$`` may span lines; ``$...$`` stays within a paragraph. ``\\$`` is a literal dollar, and code
    (fenced blocks and inline spans) is skipped.

    Example:
        >>> fs, bad = find_formulas(r"an $x^2$, a `$HOME` and $$\\frac{a}{b}$$ but $5")
        >>> [(f.tex, f.display) for f in fs], bad
        ([('x^2', False), ('\\\\frac{a}{b}', True)], [44])
    """
    formulas: list[Formula] = []
    unbalanced: list[int] = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        ch = text[i]
        if at_line_start:
            fence = re.match(r"[ \t]{0,3}(`{3,}|~{3,})", text[i:])
            if fence:
                marker = fence.group(1)
                close = re.compile(
                    r"^[ \t]{0,3}" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}[ \t]*$", re.M
                )
                eol = text.find("\n", i)
                m = close.search(text, eol + 1) if eol != -1 else None
                i = m.end() if m else n
                continue
        at_line_start = ch == "\n"
        if ch == "\\":
            i += 2
            continue
        if ch == "`":
            run = re.match(r"`+", text[i:]).group(0)  # type: ignore[union-attr]
            end = text.find(run, i + len(run))
            i = end + len(run) if end != -1 else i + len(run)
            continue
        if ch != "$":
            i += 1
            continue
        if text.startswith("$$", i):
            end = _find_unescaped(text, "$$", i + 2, n)
            if end == -1:
                unbalanced.append(i)
                i += 2
                continue
            formulas.append(Formula(text[i + 2 : end], True, i))
            i = end + 2
            continue
        para_end = text.find("\n\n", i)
        end = _find_unescaped(text, "$", i + 1, para_end if para_end != -1 else n)
        if end == -1:
            unbalanced.append(i)
            i += 1
            continue
        formulas.append(Formula(text[i + 1 : end], False, i))
        i = end + 1
    return formulas, unbalanced


def _find_unescaped(text: str, token: str, start: int, stop: int) -> int:
    j = start
    while True:
        j = text.find(token, j, stop)
        if j == -1:
            return -1
        backslashes = len(text[:j]) - len(text[:j].rstrip("\\"))
        if backslashes % 2 == 0:
            return j
        j += 1


def _collect_formulas(cards: list[CardSpec]) -> tuple[list[ContentError], list[tuple[ContentError, Formula]]]:
    """Formulas of every front and back (cloze fronts revealed, plus their hints) with the error each
    would raise; and errors for unbalanced ``$`` and clozes placed inside a formula."""
    errors: list[ContentError] = []
    found: list[tuple[ContentError, Formula]] = []
    for card in cards:
        texts: list[tuple[str, str]] = [("front", card.front), ("back", card.back)]
        if card.kind == "cloze":
            for f in find_formulas(card.front)[0]:
                if "{{c" in f.tex:
                    errors.append(
                        ContentError(
                            card.path,
                            _line(card, "front", card.front, f.offset),
                            f"card {card.id}: front: a cloze inside a formula cannot be hidden; "
                            "put the whole formula in the cloze",
                        )
                    )
            texts[0] = ("front", cloze_reveal(card.front))
            texts += [("hint", m.group(2)) for m in _CLOZE_RE.finditer(card.front) if m.group(2)]
        for name, text in texts:
            field_name = "front" if name == "hint" else name
            formulas, unbalanced = find_formulas(text)
            for off in unbalanced:
                errors.append(
                    ContentError(
                        card.path,
                        _line(card, field_name, text, off),
                        f"card {card.id}: {name}: unbalanced $ (escape a literal dollar as \\$)",
                    )
                )
            for f in formulas:
                shown = f.tex if len(f.tex) <= 60 else f.tex[:57] + "..."
                delim = "$$" if f.display else "$"
                err = ContentError(
                    card.path,
                    _line(card, field_name, text, f.offset),
                    f"card {card.id}: {name}: KaTeX cannot parse {delim}{shown}{delim}",
                )
                found.append((err, f))
    return errors, found


def _line(card: CardSpec, name: str, text: str, offset: int) -> int:
    return card.text_line(name) + text.count("\n", 0, offset) if name in ("front", "back") else card.line


# -- KaTeX -----------------------------------------------------------------------------------------


def katex_check(
    formulas: Iterable[tuple[ContentError, Formula]],
    *,
    node: str | None = None,
    script: Path | None = None,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> list[ContentError]:
    """Run KaTeX once over every formula; the errors of those it cannot parse (KaTeX's message
    appended to each). Raises :class:`KatexUnavailable` when node or katex is missing."""
    pending = list(formulas)
    script = script or KATEX_SCRIPT
    node = node or shutil.which("node")
    if not node:
        raise KatexUnavailable(
            "node (Node.js) is not installed or not on PATH: the LaTeX check runs KaTeX "
            f"with `node {script.name}`; install Node.js >= 20 and run `npm ci` in frontend/"
        )
    katex_dir = script.parents[1] / "node_modules" / "katex"
    if not (katex_dir / "package.json").is_file():
        raise KatexUnavailable(f"KaTeX is not installed ({katex_dir} is missing): run `npm ci` in frontend/")
    if not pending:
        return []
    payload = json.dumps([{"id": i, "tex": f.tex, "display": f.display} for i, (_, f) in enumerate(pending)])
    try:
        proc = run(
            [node, str(script)],
            input=payload,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=str(script.parents[1]),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KatexUnavailable(f"could not run {script.name} with {node}: {exc}") from None
    if proc.returncode != 0:
        raise KatexUnavailable(f"{script.name} failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    try:
        failures: list[dict[str, Any]] = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        raise KatexUnavailable(
            f"{script.name} printed something that is not JSON: {proc.stdout[:200]!r}"
        ) from None
    errors: list[ContentError] = []
    for failure in failures:
        err, _ = pending[int(failure["id"])]
        reason = str(failure.get("error", "")).removeprefix("KaTeX parse error: ")
        errors.append(ContentError(err.path, err.line, f"{err.message}: {reason}"))
    return errors
