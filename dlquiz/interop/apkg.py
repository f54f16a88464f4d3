"""Reading an Anki package (``.apkg``) into plain values. No Django here.

An ``.apkg`` is a zip holding an SQLite collection: ``collection.anki21b`` (Anki 2.1.50+, zstd-compressed,
schema 18: note types, fields, templates and decks in their own tables, their settings in protobuf),
``collection.anki21`` (Anki 2.1 legacy export, schema 11: note types and decks as JSON in ``col``) or only
``collection.anki2`` (Anki 2.0). Current exports also carry a dummy ``collection.anki2`` ("please update"),
so the newest member wins.

The file is untrusted. Members are read in memory by their exact, expected name (nothing is ever
extracted), every read is capped (``max_expanded`` bytes: a zip or zstd bomb stops at the cap), the
collection is opened from memory read-only with ``trusted_schema`` off, the tables read must be tables
(not views), and a progress handler bounds the work SQLite may do. Anything unreadable is an
:class:`ApkgError` with a message for the learner.

What comes out (:class:`AnkiPackage`) is one :class:`AnkiCard` per Anki card, its front and back rendered
from the note type's templates and turned into dlquiz Markdown (``\\(x\\)`` -> ``$x$``), and the review log.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import sqlite3
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import zstandard

__all__ = [
    "IMAGE_MARK",
    "AnkiCard",
    "AnkiPackage",
    "AnkiReview",
    "ApkgError",
    "anki_html_to_markdown",
    "apkg_read",
    "markdown_to_anki_html",
]

IMAGE_MARK = "[图]"
MEMBERS = ("collection.anki21b", "collection.anki21", "collection.anki2")
MAX_CARDS = 50_000
MAX_REVIEWS = 1_000_000
MAX_CARD_CHARS = 200_000
#: SQLite virtual-machine steps between two progress-handler calls, and the calls allowed.
_SQLITE_STEP = 10_000
_SQLITE_CALLS = 20_000
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_SQLITE_MAGIC = b"SQLite format 3\x00"


class ApkgError(ValueError):
    """The file is not an Anki package this importer can read (the message says why). ``code`` is
    ``invalid_package`` or ``too_large``."""

    def __init__(self, message: str, *, code: str = "invalid_package") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class AnkiCard:
    """One Anki card as a dlquiz card. ``kind`` is ``basic`` or ``cloze`` (one cloze number per card)."""

    id: int
    note_guid: str
    ord: int
    kind: str
    front: str
    back: str
    tags: tuple[str, ...]
    deck: str
    suspended: bool


@dataclass(frozen=True)
class AnkiReview:
    """One row of Anki's review log. ``rating`` 1-4; ``reset`` for a "forget" (rating 0)."""

    id: int
    card_id: int
    rating: int
    reviewed_at: dt.datetime
    duration_ms: int
    reset: bool = False


@dataclass
class AnkiPackage:
    format: str
    cards: list[AnkiCard]
    reviews: list[AnkiReview]
    skipped: list[str] = field(default_factory=list)

    def main_deck(self) -> str:
        """The name of the deck that holds most cards (Anki's ``Default`` only if nothing else)."""
        counts = Counter(c.deck for c in self.cards)
        named = [(n, d) for d, n in counts.items() if d != "Default"] or [(n, d) for d, n in counts.items()]
        return max(named)[1] if named else "Anki"


# -- the zip and the collection ----------------------------------------------------------------------


def apkg_read(data: bytes, *, max_expanded: int) -> AnkiPackage:
    """Read an ``.apkg`` from memory. ``max_expanded`` caps the bytes of the collection once unpacked."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = [i.filename for i in zf.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ApkgError(
            f"不是 .apkg 文件或文件不完整 / not an .apkg file, or a truncated one: {exc}"
        ) from None
    for name in MEMBERS:
        if names.count(name) > 1:
            raise ApkgError(f"文件损坏 / broken package: {name} appears twice")
    member = next((m for m in MEMBERS if m in names), None)
    if member is None:
        raise ApkgError(
            "不是 Anki 牌组 / not an Anki package: no collection.anki21b, .anki21 or .anki2 inside"
        )
    raw = _member_read(zf, member, cap=max_expanded)
    if member.endswith("b"):
        raw = _unzstd(raw, cap=max_expanded)
    con = _open_sqlite(raw)
    try:
        return _collection_read(con, fmt=member.rsplit(".", 1)[1])
    except ApkgError:
        raise
    except (sqlite3.Error, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ApkgError(f"Anki 集合无法读取 / the Anki collection cannot be read: {exc!r}") from None
    finally:
        con.close()


def _member_read(zf: zipfile.ZipFile, name: str, *, cap: int) -> bytes:
    """A member's bytes, reading at most ``cap`` + 1 whatever its header claims."""
    try:
        with zf.open(name) as f:
            raw = f.read(cap + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise ApkgError(f"文件损坏 / broken or truncated package: {exc}") from None
    if len(raw) > cap:
        raise ApkgError(f"牌组太大 / the collection unpacks to more than {cap} bytes", code="too_large")
    return raw


def _unzstd(raw: bytes, *, cap: int) -> bytes:
    if not raw.startswith(_ZSTD_MAGIC):
        raise ApkgError("文件损坏 / broken package: collection.anki21b is not zstd-compressed")
    try:
        out = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw)).read(cap + 1)
    except zstandard.ZstdError as exc:
        raise ApkgError(f"文件损坏 / broken or truncated package: {exc}") from None
    if len(out) > cap:
        raise ApkgError(f"牌组太大 / the collection unpacks to more than {cap} bytes", code="too_large")
    return out


def _open_sqlite(raw: bytes) -> sqlite3.Connection:
    if not raw.startswith(_SQLITE_MAGIC) or len(raw) < 100:
        raise ApkgError("文件损坏 / broken package: the collection is not an SQLite database")
    # Anki writes its collection in WAL mode (header bytes 18-19 = 2); an in-memory copy must say rollback.
    raw = raw[:18] + b"\x01\x01" + raw[20:]
    con = sqlite3.connect(":memory:")
    try:
        con.deserialize(raw)
        con.execute("PRAGMA trusted_schema = OFF")
        con.execute("PRAGMA query_only = ON")
    except sqlite3.Error as exc:
        con.close()
        raise ApkgError(f"文件损坏 / broken package: {exc}") from None
    calls = 0

    def bound() -> int:
        nonlocal calls
        calls += 1
        return 1 if calls > _SQLITE_CALLS else 0

    con.set_progress_handler(bound, _SQLITE_STEP)
    return con


@dataclass(frozen=True)
class _NoteType:
    cloze: bool
    fields: list[str]
    templates: list[tuple[str, str]]  # (question, answer) by ord


def _collection_read(con: sqlite3.Connection, *, fmt: str) -> AnkiPackage:
    tables = dict(
        con.execute("SELECT name, type FROM sqlite_master WHERE name IN ('col','notes','cards','revlog')")
    )
    if any(tables.get(t) != "table" for t in ("col", "notes", "cards", "revlog")):
        raise ApkgError("不是 Anki 集合 / not an Anki collection (tables col, notes, cards, revlog missing)")
    (ver,) = con.execute("SELECT ver FROM col").fetchone() or (0,)
    if ver >= 15:
        notetypes, decks = _schema18(con)
        v1 = False
    else:
        notetypes, decks = _schema11(con)
        v1 = _sched_v1(con)
    (n_cards,) = con.execute("SELECT count(*) FROM cards").fetchone()
    (n_reviews,) = con.execute("SELECT count(*) FROM revlog").fetchone()
    if n_cards > MAX_CARDS or n_reviews > MAX_REVIEWS:
        raise ApkgError(
            f"牌组太大 / too large: {n_cards} cards and {n_reviews} reviews "
            f"(at most {MAX_CARDS} and {MAX_REVIEWS})",
            code="too_large",
        )
    notes = {
        nid: (str(guid), int(mid), str(tags), str(flds))
        for nid, guid, mid, tags, flds in con.execute("SELECT id, guid, mid, tags, flds FROM notes")
    }
    package = AnkiPackage(format=fmt, cards=[], reviews=[])
    seen: set[tuple[str, int]] = set()
    for cid, nid, did, ordinal, queue in con.execute(
        "SELECT id, nid, did, ord, queue FROM cards ORDER BY id"
    ):
        note = notes.get(nid)
        ntype = notetypes.get(note[1]) if note else None
        if note is None or ntype is None:
            package.skipped.append(
                f"卡片 {cid}：缺少笔记或笔记类型 / card {cid}: its note or note type is missing"
            )
            continue
        if (note[0], ordinal) in seen:
            package.skipped.append(
                f"卡片 {cid}：同一笔记的第二张 {ordinal} 号卡 / card {cid}: a second card {ordinal} of one note"
            )
            continue
        values = note[3].split("\x1f")
        fields = dict(zip(ntype.fields, values + [""] * (len(ntype.fields) - len(values)), strict=False))
        sides = _card_sides(ntype, fields, ordinal)
        if sides is None:
            package.skipped.append(
                f"卡片 {cid}：该笔记类型无法以文字显示（图片遮挡？）/ card {cid}: its note type cannot be shown as text (image occlusion?)"
            )
            continue
        front, back = sides
        if not front.strip():
            package.skipped.append(f"卡片 {cid}：正面为空 / card {cid}: empty front")
            continue
        if len(front) + len(back) > MAX_CARD_CHARS:
            package.skipped.append(
                f"卡片 {cid}：超过 {MAX_CARD_CHARS} 个字符 / card {cid}: longer than {MAX_CARD_CHARS} characters"
            )
            continue
        seen.add((note[0], ordinal))
        package.cards.append(
            AnkiCard(
                id=int(cid),
                note_guid=note[0],
                ord=int(ordinal),
                kind="cloze" if ntype.cloze else "basic",
                front=front,
                back=back,
                tags=tuple(note[2].split()),
                deck=decks.get(did, "Anki"),
                suspended=queue == -1,
            )
        )
    known = {c.id for c in package.cards}
    for rid, cid, ease, rtype, ivl, ms in con.execute(
        "SELECT id, cid, ease, type, ivl, time FROM revlog ORDER BY id"
    ):
        if cid not in known:
            continue
        if v1 and rtype in (0, 2) and ease in (2, 3):
            ease += 1  # Anki 2.0's scheduler: learning cards had three buttons (Again, Good, Easy)
        review = _review(int(rid), int(cid), ease, rtype, ivl, ms)
        if review is not None:
            package.reviews.append(review)
    return package


def _review(rid: int, cid: int, ease: object, rtype: object, ivl: object, ms: object) -> AnkiReview | None:
    """A revlog row as a review: ratings 1-4 of learning, review, relearning and early (filtered) reviews;
    a manual entry with interval 0 is a "forget" (a reset). Rescheduling entries are no reviews."""
    try:
        when = dt.datetime.fromtimestamp(rid / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    duration = int(ms) if isinstance(ms, int) and 0 <= ms < 2**31 else 0
    if rtype in (0, 1, 2, 3) and isinstance(ease, int) and ease in (1, 2, 3, 4):
        return AnkiReview(id=rid, card_id=cid, rating=int(ease), reviewed_at=when, duration_ms=duration)
    if rtype == 4 and ivl == 0:
        return AnkiReview(id=rid, card_id=cid, rating=0, reviewed_at=when, duration_ms=0, reset=True)
    return None


def _sched_v1(con: sqlite3.Connection) -> bool:
    """Whether a schema-11 collection was scheduled by Anki 2.0's scheduler (``schedVer`` 1 or unset)."""
    (conf,) = con.execute("SELECT conf FROM col").fetchone() or ("{}",)
    try:
        version = json.loads(conf).get("schedVer", 1)
    except (ValueError, TypeError, AttributeError):
        return True
    return not isinstance(version, int) or version < 2


def _schema11(con: sqlite3.Connection) -> tuple[dict[int, _NoteType], dict[int, str]]:
    row = con.execute("SELECT models, decks FROM col").fetchone()
    try:
        models = json.loads(row[0]) if row else {}
        decks = json.loads(row[1]) if row else {}
        notetypes = {
            int(mid): _NoteType(
                cloze=m.get("type") == 1,
                fields=[f["name"] for f in sorted(m["flds"], key=lambda f: f["ord"])],
                templates=[(t["qfmt"], t["afmt"]) for t in sorted(m["tmpls"], key=lambda t: t["ord"])],
            )
            for mid, m in models.items()
        }
        names = {int(did): str(d["name"]) for did, d in decks.items()}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ApkgError(f"Anki 集合无法读取 / the note types cannot be read: {exc!r}") from None
    return notetypes, names


def _schema18(con: sqlite3.Connection) -> tuple[dict[int, _NoteType], dict[int, str]]:
    tables = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"notetypes", "fields", "templates", "decks"} <= tables:
        raise ApkgError("Anki 集合无法读取 / the collection lacks its note type tables")
    fields: dict[int, list[str]] = {}
    for ntid, name in con.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
        fields.setdefault(ntid, []).append(str(name))
    templates: dict[int, list[tuple[str, str]]] = {}
    for ntid, config in con.execute("SELECT ntid, config FROM templates ORDER BY ntid, ord"):
        proto = _proto_fields(config)
        templates.setdefault(ntid, []).append((_proto_str(proto, 1), _proto_str(proto, 2)))
    notetypes = {
        int(ntid): _NoteType(
            cloze=_proto_fields(config).get(1) == 1,
            fields=fields.get(ntid, []),
            templates=templates.get(ntid, []),
        )
        for ntid, config in con.execute("SELECT id, config FROM notetypes")
    }
    decks = {
        int(did): str(name).replace("\x1f", "::") for did, name in con.execute("SELECT id, name FROM decks")
    }
    return notetypes, decks


def _proto_fields(blob: object) -> dict[int, int | bytes]:
    """The top-level fields of a protobuf message (varints and length-delimited; the first of each)."""
    if not isinstance(blob, bytes):
        return {}
    out: dict[int, int | bytes] = {}
    i = 0
    try:
        while i < len(blob):
            key, i = _varint(blob, i)
            number, wire = key >> 3, key & 7
            if wire == 0:
                value, i = _varint(blob, i)
                out.setdefault(number, value)
            elif wire == 2:
                size, i = _varint(blob, i)
                out.setdefault(number, blob[i : i + size])
                i += size
            elif wire == 5:
                i += 4
            elif wire == 1:
                i += 8
            else:
                break
    except IndexError:
        pass
    return out


def _varint(blob: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = blob[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80 or shift > 63:
            return value, i


def _proto_str(proto: dict[int, int | bytes], number: int) -> str:
    value = proto.get(number, b"")
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else ""


# -- templates -----------------------------------------------------------------------------------------

_SECTION_RE = re.compile(r"\{\{([#^])\s*([^}]+?)\s*\}\}(.*?)\{\{/\s*\2\s*\}\}", re.S)
_TAG_RE = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")
_CLOZE_RE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)
_SPECIAL = {"Tags", "Deck", "Subdeck", "Card", "Type", "CardFlag", "CardID"}


def _render(template: str, fields: dict[str, str], *, cloze_ord: int | None = None) -> str:
    """Anki's template language, as much as text needs: sections, field references with filters (kept as
    the field's text; ``type:`` answer boxes and special fields dropped), ``{{cloze:X}}`` keeping only the
    card's own cloze number as a cloze and showing the others' text."""

    def section(m: re.Match[str]) -> str:
        present = bool(_strip_html(fields.get(m.group(2).strip(), "")).strip())
        keep = present if m.group(1) == "#" else not present
        return _render(m.group(3), fields, cloze_ord=cloze_ord) if keep else ""

    for _ in range(10):  # nested sections, innermost first
        template, n = _SECTION_RE.subn(section, template)
        if not n:
            break

    def tag(m: re.Match[str]) -> str:
        *filters, name = m.group(1).split(":")
        name = name.strip()
        if name in _SPECIAL or name == "FrontSide" or any(f.strip() == "type" for f in filters):
            return ""
        value = fields.get(name, "")
        if any(f.strip() == "cloze" for f in filters) and cloze_ord is not None:
            return _CLOZE_RE.sub(
                lambda c: c.group(0) if int(c.group(1)) == cloze_ord + 1 else c.group(2), value
            ).replace(f"{{{{c{cloze_ord + 1}::", "{{c1::")
        return value

    return _TAG_RE.sub(tag, template)


def _card_sides(ntype: _NoteType, fields: dict[str, str], ordinal: int) -> tuple[str, str] | None:
    if ntype.cloze:
        if not ntype.templates or "image-occlusion" in ntype.templates[0][0]:
            return None
        question, answer = ntype.templates[0]
        front = _render(question, fields, cloze_ord=ordinal)
        if "{{c1::" not in front:
            return None
        cloze_fields = {
            m.group(1).split(":")[-1].strip() for m in _TAG_RE.finditer(question) if "cloze:" in m.group(1)
        }
        back = _render(answer, {k: ("" if k in cloze_fields else v) for k, v in fields.items()})
        return anki_html_to_markdown(front), anki_html_to_markdown(back)
    if ordinal >= len(ntype.templates):
        return None
    question, answer = ntype.templates[ordinal]
    answer = re.sub(r"<hr id=['\"]?answer['\"]?\s*/?>", "", answer)
    return anki_html_to_markdown(_render(question, fields)), anki_html_to_markdown(_render(answer, fields))


# -- HTML <-> Markdown ------------------------------------------------------------------------------

_BLOCK_RE = re.compile(r"<\s*(br|/div|/p|/li|/h\d|/tr)\b[^>]*>|<\s*(div|p|li|h\d|tr)\b[^>]*>", re.I)
_DIV_PAIR_RE = re.compile(r"<\s*/\s*(div|p)\s*>\s*<\s*(div|p)\b[^>]*>", re.I)
_IMG_RE = re.compile(r"<\s*img\b[^>]*>", re.I)
_BOLD_RE = re.compile(r"<\s*(b|strong)\b[^>]*>(.*?)<\s*/\s*\1\s*>", re.I | re.S)
_ITALIC_RE = re.compile(r"<\s*(i|em)\b[^>]*>(.*?)<\s*/\s*\1\s*>", re.I | re.S)
_ANY_TAG_RE = re.compile(r"<[^>]*>")
_SOUND_RE = re.compile(r"\[sound:[^\]]*\]")
_STYLE_RE = re.compile(r"<\s*(style|script)\b.*?<\s*/\s*\1\s*>", re.I | re.S)
_ANKI_MATH_RE = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]|\[\$\](.+?)\[/\$\]|\[\$\$\](.+?)\[/\$\$\]", re.S)


def _strip_html(text: str) -> str:
    return html.unescape(_ANY_TAG_RE.sub("", text))


def anki_html_to_markdown(text: str) -> str:
    """An Anki field (HTML, MathJax ``\\( \\)``/``\\[ \\]``) as dlquiz Markdown (``$ $``/``$$ $$``).
    Images become ``[图]`` (media is not imported), sounds are dropped, other markup is removed."""
    text = _STYLE_RE.sub("", text)
    text = _SOUND_RE.sub("", text)
    text = _IMG_RE.sub(IMAGE_MARK, text)
    text = _BOLD_RE.sub(lambda m: f"**{m.group(2)}**", text)
    text = _ITALIC_RE.sub(lambda m: f"*{m.group(2)}*", text)
    text = _DIV_PAIR_RE.sub("\n", text)  # Anki's editor writes one <div> per line
    text = _BLOCK_RE.sub("\n", text)
    text = _strip_html(text).replace("\xa0", " ")

    def math(m: re.Match[str]) -> str:
        inline, display = m.group(1) or m.group(3), m.group(2) or m.group(4)
        return f"$${display.strip()}$$" if display is not None else f"${inline.strip()}$"

    text = _ANKI_MATH_RE.sub(math, text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_MD_MATH_RE = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)((?:\\.|[^$\\\n])+?)(?<!\s)\$", re.S)
_MD_BOLD_RE = re.compile(r"\*\*(?!\s)(.+?)(?<!\s)\*\*")
_MD_CODE_RE = re.compile(r"`([^`\n]+)`")


def markdown_to_anki_html(text: str) -> str:
    """dlquiz Markdown as an Anki field: math as ``\\( \\)`` / ``\\[ \\]``, ``**bold**`` and inline code
    as tags, the rest escaped, line breaks as ``<br>``. Cloze markers pass through unchanged."""
    out: list[str] = []
    pos = 0
    for m in _MD_MATH_RE.finditer(text):
        out.append(_md_text(text[pos : m.start()]))
        if m.group(1) is not None:
            out.append("\\[" + html.escape(m.group(1).strip(), quote=False) + "\\]")
        else:
            out.append("\\(" + html.escape(m.group(2), quote=False) + "\\)")
        pos = m.end()
    out.append(_md_text(text[pos:]))
    return "".join(out)


def _md_text(text: str) -> str:
    text = html.escape(text, quote=False)
    text = _MD_BOLD_RE.sub(r"<b>\1</b>", text)
    text = _MD_CODE_RE.sub(r"<code>\1</code>", text)
    return text.replace("\r\n", "\n").replace("\n", "<br>")


def reviews_by_card(reviews: list[AnkiReview]) -> Iterator[tuple[int, list[AnkiReview]]]:
    """The reviews grouped by card, each group in time order."""
    groups: dict[int, list[AnkiReview]] = {}
    for r in reviews:
        groups.setdefault(r.card_id, []).append(r)
    for cid, rows in groups.items():
        yield cid, sorted(rows, key=lambda r: (r.reviewed_at, r.id))
