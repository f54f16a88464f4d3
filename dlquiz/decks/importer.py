"""Turn a learner's Markdown notes into draft cards: headings and numbered questions become fronts,
the section body becomes the back.

No Django here (the writes are :func:`dlquiz.decks.services.notes_import`). What it understands is what
real interview notes contain:

* ``#`` headings at any depth (also ``###title`` without the space, as some editors write them), and
  headings that are links (``## [14.3 策略](https://...)``) or bold (``## **BN**``);
* numbered questions ``**12、问题？**`` (also ``**1. 常数初始化**``, and a bare ``9、问题?`` line) and bold
  heading lines (``**补充：集成学习**``): each opens a section under the current heading;
* pages flattened to plain lines without any heading (exported notes): split on short title lines;
* images are dropped with a visible ``[图]`` marker: Obsidian embeds ``![[x.png]]``, Markdown images
  (also wrapped in links), reference-style images ``![alt][1]`` (and their ``[1]: url`` definitions),
  ``<img>`` tags and ``图 12`` placeholders of flattened pages;
* ``$...$`` / ``$$...$$`` math, tables and code blocks are kept as written; nothing inside a code block or
  a display formula is ever taken for a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["IMAGE_MARK", "NoteCard", "NoteError", "note_decode", "note_parse"]

IMAGE_MARK = "[图]"
MAX_NOTE_BYTES = 2_000_000

_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?)|(?<=##)([^#\s].*?))(?:[ \t]+#+)?[ \t]*$")
_EMPTY_HEADING_RE = re.compile(r"^ {0,3}#{1,6}[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_NUMBER_RE = re.compile(r"^(\d{1,3})\s*[、.．]\s*")
_BOLD_LINE_RE = re.compile(r"^ {0,3}\*\*(?!\s)(.+?)\*\*[ \t]*([:：]?)[ \t]*$")
_PLAIN_QUESTION_RE = re.compile(r"^(\d{1,3})、\s*(\S.*[?？])\s*$")
_SENTENCE_END = tuple("。．.;；，,!！")
# "[1]: https://x/y.png" (a link destination: has a scheme, a slash or a dot); not "[^1]: 脚注"
_REFDEF_RE = re.compile(r"^ {0,3}\[([^\]^][^\]]*)\]:\s*<?(\S*[:/.]\S*?)>?(?:\s+[\"'(].*[\"')])?\s*$")
_FIGURE_PLACEHOLDER_RE = re.compile(r"^\s*图\s*\d+\s*$")
_ZYBULUO_TAGS_RE = re.compile(r"^\s*标签（空格分隔）[：:]")
_ALT = r"(?:\\.|[^\]\\\n])*"
_URL = r"(?:[^()\s]|\([^()\s]*\))*"
_TITLE = r"(?:\s+(?:\"[^\"]*\"|'[^']*'))?"
_IMAGES = [
    re.compile(r"!\[\[[^\]\n]*\]\]"),  # ![[x.png|300]]
    re.compile(r"\[!\[" + _ALT + r"\]\(" + _URL + _TITLE + r"\)\]\(" + _URL + _TITLE + r"\)"),  # [![a](x)](y)
    re.compile(r"!\[" + _ALT + r"\]\(\s*" + _URL + _TITLE + r"\s*\)"),  # ![a](x)
    re.compile(r"!\[" + _ALT + r"\]\[[^\]\n]*\]"),  # ![a][1]
    re.compile(r"<img\b[^>\n]*>", re.I),  # <img src=...>
]
_MATH_OR_CODE = re.compile(r"\$\$[\s\S]*?\$\$|`[^`\n]+`|(?<!\\)\$(?:\\.|[^$\\\n])+\$")
_WIKILINK_RE = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]+))?\]\]")
_LINK_RE = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(" + _URL + _TITLE + r"\)")


class NoteError(ValueError):
    """A note that cannot be imported (binary, not UTF-8, empty, too large)."""


@dataclass(frozen=True)
class NoteCard:
    """One card drawn from a note: ``path`` is the heading path (stable across edits of the body)."""

    path: tuple[str, ...]
    front: str
    back: str
    line: int
    occurrence: int = 1


@dataclass
class _Line:
    text: str
    kind: str = "text"  # text | heading | item | title | code | math
    level: int = 0
    title: str = ""


def note_decode(*, name: str, data: bytes) -> str:
    """The text of an uploaded note, or :class:`NoteError` saying why it cannot be imported."""
    if len(data) > MAX_NOTE_BYTES:
        raise NoteError(f"{name}: file is too large ({len(data)} bytes; the limit is {MAX_NOTE_BYTES})")
    head = data[:8192]
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f")
    if b"\x00" in head or controls > len(head) // 100:
        raise NoteError(f"{name}: binary file (not a text note); import Markdown or plain-text notes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NoteError(
            f"{name}: not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the note as UTF-8 and import it again"
        ) from None
    if not text.strip():
        raise NoteError(f"{name}: empty file")
    return text


def note_parse(text: str, *, title: str) -> list[NoteCard]:
    """The cards of one note. ``title`` (usually the file name) is the front of any text that comes
    before the first heading. Sections without any text (only images, or nothing) make no card; an
    exact repeat of an earlier section (same path, same back) is dropped.

    Example:
        >>> cards = note_parse("# BN\\n归一化。\\n\\n**1、为什么有效？**\\n![[a.png]] 见 $\\\\mu_B$", title="n")
        >>> [(c.front, c.back) for c in cards]
        [('BN', '归一化。'), ('BN › 为什么有效？', '[图] 见 $\\\\mu_B$')]
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = [_Line(t) for t in text.split("\n")]
    _drop_front_matter(lines)
    refs = _reference_definitions(lines)
    _classify(lines)
    if not any(ln.kind in ("heading", "item") for ln in lines):
        _classify_titles(lines)
    return _sections(lines, title=title, refs=refs)


# -- structure -------------------------------------------------------------------------------------


def _drop_front_matter(lines: list[_Line]) -> None:
    if not lines or lines[0].text.strip() != "---":
        return
    for i in range(1, min(len(lines), 40)):
        if lines[i].text.strip() in ("---", "..."):
            for ln in lines[: i + 1]:
                ln.text = ""
            return
        if lines[i].text.strip() and not re.match(r"^[\w\s.-]+:", lines[i].text):
            return


def _reference_definitions(lines: list[_Line]) -> dict[str, str]:
    """``[label]: url`` lines, outside code: collected (labels lower-cased) and blanked (they never show
    in rendered Markdown; the references using them are resolved or dropped)."""
    refs: dict[str, str] = {}
    fence = ""
    for ln in lines:
        m = _FENCE_RE.match(ln.text)
        if m:
            fence = (
                ""
                if fence and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence)
                else (fence or m.group(1))
            )
            continue
        if fence:
            continue
        d = _REFDEF_RE.match(ln.text)
        if d:
            refs[d.group(1).strip().lower()] = d.group(2)
            ln.text = ""
    return refs


def _classify(lines: list[_Line]) -> None:
    """Mark code and display-math lines, headings and numbered/bold items."""
    fence = ""
    in_math = False
    for i, ln in enumerate(lines):
        m = _FENCE_RE.match(ln.text)
        if fence:
            ln.kind = "code"
            if (
                m
                and m.group(1)[0] == fence[0]
                and len(m.group(1)) >= len(fence)
                and not ln.text.strip()[len(m.group(1)) :].strip()
            ):
                fence = ""
            continue
        if m and not in_math:
            fence = m.group(1)
            ln.kind = "code"
            continue
        h = _HEADING_RE.match(ln.text)
        if in_math and not (h and h.group(2)):  # a "# title" line ends a stray, unclosed $$
            ln.kind = "math"
            in_math = _toggles_math(ln.text) != in_math
            continue
        in_math = False
        if _toggles_math(ln.text):
            in_math = True
            continue
        if _EMPTY_HEADING_RE.match(ln.text):
            ln.kind = "blank-heading"
            continue
        if h:
            title = _clean_title(h.group(2) if h.group(2) is not None else h.group(3) or "")
            ln.kind, ln.level, ln.title = (
                ("heading", len(h.group(1)), title) if title else ("blank-heading", 0, "")
            )
            continue
        item = _item_title(
            ln.text,
            prev=lines[i - 1].text if i else "",
            next_=lines[i + 1].text if i + 1 < len(lines) else "",
        )
        if item:
            ln.kind, ln.title = "item", item


def _toggles_math(text: str) -> bool:
    """Whether the line opens or closes a ``$$`` block (an odd number of ``$$`` outside inline code)."""
    return re.sub(r"`[^`\n]*`", "", text).count("$$") % 2 == 1


def _item_title(text: str, *, prev: str, next_: str) -> str:
    m = _BOLD_LINE_RE.match(text)
    if m:
        inner = m.group(1).strip()
        if "**" in inner or inner.startswith(("!", "<", "[!")) or inner.endswith(("。", "．")):
            return ""
        number = _NUMBER_RE.match(inner)
        if number:  # a numbered question or point: "**12、什么是 BN？**"
            return _clean_title(inner[number.end() :])
        if len(inner) > 40 or inner.endswith(_SENTENCE_END) or "$" in inner:  # a bold sentence, not a label
            return ""
        return _clean_title(inner)
    q = _PLAIN_QUESTION_RE.match(text.strip())
    if q and not prev.strip() and not next_.strip() and len(q.group(2)) <= 80:
        return _clean_title(q.group(2))
    return ""


def _classify_titles(lines: list[_Line]) -> None:
    """A page without headings: short standalone lines (blank line before and after, no sentence
    punctuation, no math) are the titles of its sections."""
    for i, ln in enumerate(lines):
        if ln.kind != "text":
            continue
        s = ln.text.strip()
        prev_blank = i == 0 or not lines[i - 1].text.strip()
        next_blank = i + 1 >= len(lines) or not lines[i + 1].text.strip()
        if not (s and prev_blank and next_blank) or ln.text[:1] in " \t":
            continue
        if (
            len(s) > 30
            or "$" in s
            or _FIGURE_PLACEHOLDER_RE.match(s)
            or not re.search(r"[^\W\d_]", s)
            or re.search(r"[,，。；;]", s)
            or s.endswith((":", "："))
            or s[0] in "-*+>|#![`"
            or re.match(r"^\d+[.)、]\s", s)
        ):
            continue
        ln.kind, ln.title = "title", _clean_title(s)


def _sections(lines: list[_Line], *, title: str, refs: dict[str, str]) -> list[NoteCard]:
    cards: list[NoteCard] = []
    seen: dict[tuple[str, ...], list[str]] = {}
    stack: list[tuple[int, str]] = []
    path: tuple[str, ...] = ()
    start = 1
    body: list[_Line] = []

    def flush() -> None:
        back = _render_body(body, refs)
        if not re.search(r"[^\W\d_]", back.replace(IMAGE_MARK, "")):
            return
        backs = seen.setdefault(path, [])
        if back in backs:
            return
        backs.append(back)
        front = f"{path[-2]} › {path[-1]}" if len(path) >= 2 else (path[-1] if path else title)
        cards.append(NoteCard(path=path, front=front, back=back, line=start, occurrence=len(backs)))

    for lineno, ln in enumerate(lines, start=1):
        if ln.kind == "blank-heading":
            continue
        if ln.kind in ("heading", "item", "title"):
            flush()
            body = []
            start = lineno
            if ln.kind == "heading":
                while stack and stack[-1][0] >= ln.level:
                    stack.pop()
                stack.append((ln.level, ln.title))
                path = tuple(t for _, t in stack)
            elif ln.kind == "item":
                path = (*(t for _, t in stack), ln.title)
            else:
                path = (ln.title,)
            continue
        body.append(ln)
    flush()
    return cards


# -- text ------------------------------------------------------------------------------------------


def _render_body(body: list[_Line], refs: dict[str, str]) -> str:
    """The back: images replaced by the marker outside code and math, runs of blank lines collapsed,
    code blocks untouched."""
    out: list[tuple[str, bool]] = []  # (line, inside a code block)
    chunk: list[str] = []

    def flush_chunk() -> None:
        if chunk:
            out.extend((t, False) for t in _drop_images("\n".join(chunk), refs).split("\n"))
            chunk.clear()

    for ln in body:
        if ln.kind == "code":
            flush_chunk()
            out.append((ln.text, True))
        else:
            chunk.append(
                IMAGE_MARK
                if _FIGURE_PLACEHOLDER_RE.match(ln.text)
                else ""
                if _ZYBULUO_TAGS_RE.match(ln.text)
                else ln.text
            )
    flush_chunk()
    kept: list[str] = []
    for t, is_code in out:
        blank = not t.strip() and not is_code
        if blank and (not kept or not kept[-1].strip()):
            continue
        kept.append("" if blank else t)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


def _drop_images(text: str, refs: dict[str, str]) -> str:
    parts: list[str] = []
    pos = 0
    for m in _MATH_OR_CODE.finditer(text):
        parts.append(_replace_images(text[pos : m.start()], refs))
        parts.append(m.group(0))
        pos = m.end()
    parts.append(_replace_images(text[pos:], refs))
    return "".join(parts)


def _replace_images(text: str, refs: dict[str, str]) -> str:
    for pattern in _IMAGES:
        text = pattern.sub(IMAGE_MARK, text)
    if refs:

        def resolve(m: re.Match[str]) -> str:
            url = refs.get((m.group(2) or m.group(1)).strip().lower())
            return f"[{m.group(1)}]({url})" if url else m.group(0)

        text = re.sub(r"(?<![!\]\\])\[((?:\\.|[^\]\\])+)\]\[([^\]]*)\]", resolve, text)
        labels = "|".join(re.escape(k) for k in sorted(refs, key=len, reverse=True))
        text = re.sub(r"!\[(" + labels + r")\](?![(\[])", IMAGE_MARK, text, flags=re.I)
    return text


def _clean_title(text: str) -> str:
    """A heading as a front: images dropped, links and wiki links reduced to their text, outer bold
    and a trailing colon removed."""
    t = _replace_images(text, {}).replace(IMAGE_MARK, "")
    t = _WIKILINK_RE.sub(lambda m: m.group(2) or m.group(1), t)
    t = _LINK_RE.sub(lambda m: m.group(1), t)
    t = t.strip()
    while (
        len(t) > 4
        and t[:2] in ("**", "__")
        and t.endswith(t[:2])
        and t[2:-2].strip()
        and t[:2] not in t[2:-2]
    ):
        t = t[2:-2].strip()
    return t.rstrip("：:").strip()
