"""The bundled deck in content/ itself: valid, covering every qa/calc topic, loadable, in its own words."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from dlquiz.decks.contentfile import parse_file
from dlquiz.decks.models import Card
from tests.conftest import need_shared

CONTENT = Path(settings.BASE_DIR) / "content"


def _cards():
    out = []
    for f in sorted(CONTENT.glob("*.cards")):
        cards, errors = parse_file(f)
        assert errors == [], errors
        out += cards
    return out


def test_every_qa_and_calc_topic_is_covered_and_every_calc_topic_has_an_exercise(outline):
    from engine import get_family

    cards = _cards()
    covered = {t for c in cards for t in c.topics}
    need = {t for t, (kind, _) in outline.items() if kind in ("qa", "calc")}
    assert len(need) == 266
    assert sorted(need - covered) == []
    reached = set()
    for c in cards:
        if c.kind == "exercise":
            reached |= set(c.topics) & set(get_family(c.family).topics)
    calc = {t for t, (kind, _) in outline.items() if kind == "calc"}
    assert sorted(calc - reached) == []


def test_deck_size_ids_and_backs():
    cards = _cards()
    assert len(cards) >= 450
    ids = Counter(c.id for c in cards)
    assert [i for i, n in ids.items() if n > 1] == []
    assert max(len(c.back) for c in cards) <= 600
    assert sum(len(c.back) > 300 for c in cards) <= 10
    assert len({c.path for c in cards}) >= 12  # one file per subject area


def test_cards_are_not_pasted_from_the_notes():
    notes = re.sub(
        r"\s+", "", "".join(p.read_text(encoding="utf-8") for p in (need_shared() / "seeds").glob("0*.txt"))
    )
    windows = {notes[i : i + 20] for i in range(len(notes) - 20)}
    pasted = []
    for c in _cards():
        text = re.sub(r"\s+", "", c.front + c.back)
        hits = [
            text[i : i + 20]
            for i in range(len(text) - 20)
            if text[i : i + 20] in windows and re.search(r"[\u4e00-\u9fff]{6}", text[i : i + 20])
        ]
        if hits:
            pasted.append((c.id, hits[0]))
    assert pasted == []


def test_known_note_errors_are_corrected_on_the_cards():
    text = {c.id: c.front + "\n" + c.back for c in _cards()}
    joined = "\n".join(text.values())
    # PyTorch BN momentum is 0.1 weighting the new batch; TF's decay 0.99 weights the old value
    assert re.search(r"momentum\s*=?\s*0\.1", joined) and "0.99" in joined
    # running_var is updated with the unbiased variance
    assert re.search(r"running_var[^\n]*(无偏|unbiased|n-1|n/\(n-1\)|\\frac\{n\}\{n-1\})", joined)
    # LeakyReLU is max(αx, x), not max(kx, 0)
    assert re.search(r"max\(\s*\\?(alpha|α|k)\s*x\s*,\s*x\s*\)", joined.replace("\\,", ""))
    # AUC is the area under the ROC curve
    assert re.search(r"AUC[^\n]*ROC", joined)


@pytest.mark.django_db
def test_load_content_loads_the_bundled_deck_idempotently(capsys):
    call_command("load_content")
    n = Card.objects.count()
    assert n == len(_cards()) + sum(c.kind == "basic+reverse" for c in _cards())
    call_command("load_content")
    assert Card.objects.count() == n
    assert "created 0, updated 0" in capsys.readouterr().out.splitlines()[-1]


@pytest.mark.django_db
def test_every_bundled_exercise_card_passes_the_editors_check():
    """The admin's "check this card" over the whole bundled deck: own answers correct, every listed mistake
    wrong and named (alone or beside the mistakes that give the same values), random inputs never accepted."""
    from dlquiz.decks.models import Card
    from dlquiz.exercises.authoring import exercise_card_verify

    call_command("load_content", verbosity=0)
    cards = list(Card.objects.filter(kind=Card.Kind.EXERCISE))
    assert len(cards) >= 50
    failures = {c.uid: r.failures for c in cards if (r := exercise_card_verify(card=c)).failures}
    assert failures == {}
