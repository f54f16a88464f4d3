"""The card browser's search (issue #15): a small syntax like Anki's, synonyms from ``content/synonyms.txt``
(the Chinese and English names of one idea: data, not code) and relevance ranking.

Syntax: plain words (all must match, in the front or the back, any of a word's synonyms counting), and
``tag:NAME``, ``deck:NAME`` (a deck's name or slug, part of it is enough), ``topic:ID``, ``is:due`` (due by the
end of the learner's study day), ``is:new``, ``is:learning``, ``is:review``, ``is:suspended``, ``is:leech``,
``kind:exercise`` (or ``basic``, ``cloze``, ...). ``"two words"`` is one phrase.

Ranking, per word (its best name): a whole word in the front 8, a substring of the front 4, a whole word in
the back 2, a substring of the back 1; summed over the words, then the deck order.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from dlquiz.study.models import CardState, State

__all__ = ["IS_FILTERS", "ParsedQuery", "parse_query", "search_filter", "synonyms_of"]

IS_FILTERS = ("due", "new", "learning", "review", "suspended", "leech")
MAX_WORDS = 8


@dataclass
class ParsedQuery:
    words: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    decks: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    is_: list[str] = field(default_factory=list)


def parse_query(q: str) -> ParsedQuery:
    """Split a search into its plain words and its ``key:value`` filters (unknown keys are plain words)."""
    try:
        tokens = shlex.split(q)
    except ValueError:  # an unclosed quote: plain words
        tokens = q.replace('"', " ").split()
    out = ParsedQuery()
    keys = {"tag": out.tags, "deck": out.decks, "topic": out.topics, "kind": out.kinds, "is": out.is_}
    for token in tokens:
        key, sep, value = token.partition(":")
        target = keys.get(key.lower()) if sep else None
        if target is not None and value:
            target.append(value.lower() if key.lower() in ("is", "kind") else value)
        elif token.strip():
            out.words.append(token)
    out.words = out.words[:MAX_WORDS]
    return out


@functools.lru_cache(maxsize=4)
def _groups(path: str, mtime: float) -> dict[str, tuple[str, ...]]:
    by_name: dict[str, tuple[str, ...]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        names = tuple(n.strip() for n in line.split("|") if n.strip())
        for n in names:
            by_name[n.casefold()] = tuple(dict.fromkeys((*by_name.get(n.casefold(), ()), *names)))
    return by_name


def synonyms_of(word: str) -> tuple[str, ...]:
    """The word and the other names of its idea (``content/synonyms.txt``), the word first."""
    path = Path(settings.CONTENT_DIR) / "synonyms.txt"
    names = _groups(str(path), path.stat().st_mtime).get(word.casefold(), ()) if path.is_file() else ()
    return tuple(dict.fromkeys((word, *names)))


def _whole(name: str) -> str:
    """A regular expression for ``name`` as a whole word (ASCII word characters around it end a word), the
    same on SQLite and PostgreSQL."""
    return rf"(^|[^A-Za-z0-9_]){re.escape(name)}([^A-Za-z0-9_]|$)"


def _word_score(names: tuple[str, ...]) -> Case:
    whens = []
    for points, lookup in (
        (8, "card__front__iregex"),
        (4, "card__front__icontains"),
        (2, "card__back__iregex"),
        (1, "card__back__icontains"),
    ):
        for n in names:
            whens.append(
                When(Q(**{lookup: _whole(n) if lookup.endswith("iregex") else n}), then=Value(points))
            )
    return Case(*whens, default=Value(0), output_field=IntegerField())


def search_filter(
    qs: QuerySet[CardState], *, q: str, day_end: dt.datetime, now: dt.datetime
) -> tuple[QuerySet[CardState], bool, list[str]]:
    """Apply a search to the learner's card states: the filtered query set, whether it is ranked (plain words
    were given) and the names to highlight (the words and their synonyms)."""
    p = parse_query(q)
    for tag in p.tags:
        qs = qs.filter(card__tags__icontains=f'"{tag}"')
    for topic in p.topics:
        qs = qs.filter(card__topics__icontains=f'"{topic}"')
    for deck in p.decks:
        qs = qs.filter(Q(card__deck__name__icontains=deck) | Q(card__deck__slug__icontains=deck))
    if p.kinds:
        qs = qs.filter(card__kind__in=p.kinds)
    for flag in p.is_:
        if flag == "due":
            qs = qs.filter(
                state__in=(State.LEARNING, State.REVIEW, State.RELEARNING), due__lt=day_end, suspended=False
            )
        elif flag == "new":
            qs = qs.filter(state=State.NEW)
        elif flag == "learning":
            qs = qs.filter(state__in=(State.LEARNING, State.RELEARNING))
        elif flag == "review":
            qs = qs.filter(state=State.REVIEW)
        elif flag == "suspended":
            qs = qs.filter(suspended=True)
        elif flag == "leech":
            qs = qs.filter(leech=True)
        else:  # an unknown is: matches nothing rather than everything
            qs = qs.none()
    highlight: list[str] = []
    scores = []
    for word in p.words:
        names = synonyms_of(word)
        highlight += names
        match = Q()
        for n in names:
            match |= Q(card__front__icontains=n) | Q(card__back__icontains=n)
        qs = qs.filter(match)
        scores.append(_word_score(names))
    if not scores:
        return qs, False, []
    total = scores[0]
    for s in scores[1:]:
        total = total + s  # type: ignore[assignment]
    qs = qs.annotate(relevance=total).order_by("-relevance", "card__position", "card_id")
    return qs, True, list(dict.fromkeys(highlight))
