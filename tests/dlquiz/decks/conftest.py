"""A small content directory and OUTLINE written by each test (settings point at them)."""

from __future__ import annotations

import os
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from dlquiz.decks.checks import KATEX_SCRIPT
from tests.conftest import IN_CI

# (topic, kind, title). The conv topics are those engine family conv2d_output_size lists.
OUTLINE_ROWS = [
    ("900-0001", "qa", "标准卷积"),
    ("900-0002", "qa", "池化"),
    ("900-0003", "container", "卷积"),
    ("001-0304", "calc", "卷积层有哪些基本参数？"),
    ("900-0004", "calc", "BN 的移动平均"),
]


def card(
    cid: str,
    *,
    front: str = "问题？",
    back: str = "答案。",
    kind: str = "basic",
    topics: str = "900-0001",
    extra: str = "",
) -> str:
    """One card in the content format (front and back on the lines after their field)."""
    lines = [
        f"@card {cid}",
        f"kind: {kind}",
        f"topics: {topics}",
        *([extra] if extra else []),
        "front:",
        front,
        "back:",
        back,
        "",
    ]
    return "\n".join(lines)


@dataclass
class Content:
    dir: Path
    outline: Path

    def write(self, name: str, deck: str, *cards: str) -> Path:
        path = self.dir / name
        path.write_text(f"@deck {deck}\n\n" + "\n".join(cards), encoding="utf-8")
        return path

    def write_raw(self, name: str, text: str) -> Path:
        path = self.dir / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path


@pytest.fixture
def content(tmp_path: Path, settings) -> Content:
    root = tmp_path / "content"
    root.mkdir()
    outline = tmp_path / "OUTLINE.tsv"
    rows = ["topic\tseed\tline\tlevel\tkind\ttitle"]
    rows += [f"{t}\tseed.txt\t1\t2\t{k}\t{title}" for t, k, title in OUTLINE_ROWS]
    outline.write_text("\n".join(rows) + "\n", encoding="utf-8")
    settings.CONTENT_DIR = root
    settings.OUTLINE_PATH = outline
    return Content(root, outline)


def need_node() -> str:
    """node and frontend/node_modules/katex: always there in CI; locally a KaTeX test may skip without."""
    node = shutil.which("node")
    katex = (KATEX_SCRIPT.parents[1] / "node_modules" / "katex" / "package.json").is_file()
    if not (node and katex):
        if IN_CI or os.environ.get("DLQUIZ_TEST_KATEX"):
            raise RuntimeError("node and frontend/node_modules/katex are required for the KaTeX check")
        pytest.skip("node or frontend/node_modules/katex is missing")
    return node
