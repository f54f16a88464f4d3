"""Import each of the five real notes (../shared/seeds): plausible card counts and no broken math."""

from __future__ import annotations

import re

import pytest

from dlquiz.decks.models import Card
from dlquiz.decks.services import notes_import
from tests.conftest import need_shared
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# Expected cards per note, counted by hand from each note's structure (sections = heading lines, bold or
# numbered question lines, or title lines of a flattened page; minus sections with no text of their own):
EXPECTED = {
    # 16 `##`/`####`/`#####` headings; "#### 计算量" holds only two images -> 15, plus the opening line
    # "深度学习模型训练的核心：…" before the first heading (a card titled with the file name) -> 16.
    "000_bba4f0d4a67cbb36.txt": 16,
    # 169 headings (the 170th, line 1485, is an empty "### ") + 37 questions/bold headings (22 bold
    # "**N、…?**" questions, the bare "9、反向传播是什么?", "**1、实现特征的升降维**", "**2、减少模型参数量**",
    # five "**N. …初始化**", six "**N、…**" remedies, "**功能解释**") + 1 opening block of links = 207.
    # 27 headings have no text of their own (containers like "# 卷积", or only images like
    # "## Inception v4" and "## CSPnet") and "### 为什么要进行超参数调优？" repeats the previous section
    # word for word -> 207 - 28 = 179.
    "001_40515e8aa3970b23.txt": 179,
    # 76 headings + 9 bold headings ("**组成：**", "**描述**：", "**导致问题**：", …) = 85; 11 headings are
    # bare containers ("## 二、 神经网络基础", "#### 6.2.1 …" whose text sits under its bold labels, …) -> 74.
    # The YAML front matter makes no card.
    "002_2ef7eb87e8e9b3a8.txt": 74,
    # Flattened page, no headings: 26 short title lines; 8 have no text under them ("DL500问", "卷积" with
    # only "图 37", "反向传播" followed by "待续", "Transformer" with only figure placeholders, …) -> 18.
    # The opening "0%" has no words and makes no card.
    "003_f7c44fdf5b3f8183.txt": 18,
    # 7 headings + "**Autoaugmentation**" = 8; the title heading (only the editor's tag line and a rule)
    # and "##④数据增强方法修改及补充" (text sits under its bold heading) make none -> 6.
    "004_192e36ac745d8344.txt": 6,
}

_FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_DISPLAY = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$([^$\n]+?)(?<!\\)\$")


def _without_code(text: str) -> str:
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def _source_formulas(text: str) -> list[str]:
    """Every formula of a note with its delimiters (a simple scanner, independent of the importer's)."""
    text = _without_code(text)
    display = [f"$${m.group(1)}$$" for m in _DISPLAY.finditer(text)]
    rest = _DISPLAY.sub(" ", text)
    return display + [f"${m.group(1)}$" for m in _INLINE.finditer(rest)]


def _dollars(text: str) -> int:
    return len(re.findall(r"(?<!\\)\$", _without_code(text)))


@pytest.fixture(scope="module")
def seeds():
    folder = need_shared() / "seeds"
    return {name: (folder / name).read_bytes() for name in EXPECTED}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_seed_note_imports_into_the_expected_cards_with_math_intact(seeds, name):
    user = make_user()
    result = notes_import(user=user, deck_name="种子笔记", files=[(name, seeds[name])])
    cards = list(Card.objects.filter(deck__owner=user).order_by("position"))
    assert len(cards) == len(result.cards) == EXPECTED[name]
    assert len({c.uid for c in cards}) == len(cards)
    assert all(c.draft and c.kind == "basic" and c.front.strip() and c.back.strip() for c in cards)
    assert not any("![" in c.back or "<img" in c.back for c in cards)

    for c in cards:  # no formula cut in two: every card has an even number of unescaped $
        assert _dollars(c.back) % 2 == 0, (c.front, c.back)
        assert _dollars(c.front) % 2 == 0, c.front

    source = seeds[name].decode("utf-8")
    backs = "\n\x00\n".join(c.back for c in cards)
    missing = [f for f in _source_formulas(source) if f not in backs]
    assert missing == []


def test_all_five_notes_in_one_deck_in_one_call(seeds):
    user = make_user()
    result = notes_import(user=user, deck_name="全部", files=sorted(seeds.items()))
    assert result.summary() == f"{sum(EXPECTED.values())} created, 0 updated, 0 unchanged, 0 retired"
    assert sum(EXPECTED.values()) == 293
    assert Card.objects.filter(deck__owner=user).count() == 293
    positions = list(Card.objects.filter(deck__owner=user).order_by("position").values_list("uid", flat=True))
    assert positions == [c.uid for c in result.cards]
