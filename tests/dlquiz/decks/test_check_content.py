"""manage.py check_content: every error kind as ``file:line: message``, exit 1; KaTeX through a real node."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dlquiz.decks import checks
from dlquiz.decks.checks import content_check
from tests.dlquiz.decks.conftest import card, need_node


def _run(**kw) -> tuple[list[str], str]:
    """The command's output lines and its CommandError message ("" when it exits 0)."""
    out = StringIO()
    try:
        call_command("check_content", stdout=out, **kw)
    except CommandError as exc:
        return out.getvalue().splitlines(), str(exc)
    return out.getvalue().splitlines(), ""


def _structural(content) -> list[str]:
    report = content_check(content_dir=content.dir, outline_path=content.outline, katex=False)
    return [str(e) for e in report.errors]


def test_clean_content_exits_0_with_a_summary(content):
    need_node()
    content.write(
        "a.cards",
        "卷积",
        card("a.one", back="$K^2 C_{in} C_{out}$ 个权重"),
        card("a.two", front="按{{c1::输出通道}}", kind="cloze"),
    )
    lines, failure = _run()
    assert failure == ""
    assert lines == ["OK: 1 files, 2 cards (1 basic, 1 cloze), 1 formulas parsed by KaTeX, 0 warning(s)"]


def test_unknown_topic_and_duplicate_id_across_files(content):
    content.write("a.cards", "甲", card("x.same"), card("a.other", topics="900-0001 123-4567"))
    content.write("b.cards", "乙", card("x.same", topics="900-0002"))
    assert _structural(content) == [
        "content/a.cards:13: card a.other: unknown topic 123-4567",
        "content/b.cards:3: card x.same: duplicate id (first at content/a.cards:3)",
    ]


def test_empty_fields_bad_kind_and_syntax(content):
    content.write_raw(
        "a.cards",
        """
        @deck 甲
        @card a.empty-back
        kind: basic
        topics: 900-0001
        front: 有正面
        back:

        @card a.no-topics
        kind: basic
        topics:
        front: 问
        back: 答
        @card a.bad-kind
        kind: qa
        topics: 900-0001
        front: 问
        back: 答
        """,
    )
    assert _structural(content) == [
        "content/a.cards:6: card a.empty-back: empty back",
        "content/a.cards:10: card a.no-topics: no topics",
        "content/a.cards:14: card a.bad-kind: kind must be one of basic, basic+reverse, cloze, exercise, not 'qa'",
    ]


def test_back_over_600_is_an_error_and_over_300_a_warning(content):
    content.write("a.cards", "甲", card("a.long", back="长" * 601), card("a.wordy", back="长" * 301))
    lines, failure = _run()
    assert lines == [
        "content/a.cards:16: warning: card a.wordy: back is 301 characters (keep it under 300)",
        "content/a.cards:8: card a.long: back is 601 characters (limit 600)",
    ]
    assert failure == "1 error(s), 1 warning(s) in 1 files"


def test_unknown_family_and_params_the_schema_does_not_know(content):
    content.write(
        "a.cards",
        "练习",
        card("a.nofam", back="", kind="exercise", topics="001-0304", extra="family: no_such_family"),
        card(
            "a.badparam",
            back="",
            kind="exercise",
            topics="001-0304",
            extra='family: conv2d_output_size\nparams: {"strides": [1, 2], "kernel": [3, 99]}',
        ),
    )
    assert _structural(content) == [
        "content/a.cards:6: card a.nofam: unknown engine family 'no_such_family'",
        "content/a.cards:16: card a.badparam: family conv2d_output_size has no parameter 'strides' "
        "(known: dilation, kernel, padding, size, stride)",
        "content/a.cards:16: card a.badparam: params: kernel must lie in [1, 7], not 99",
    ]


def test_unbalanced_dollar_and_cloze_inside_a_formula(content):
    content.write(
        "a.cards",
        "甲",
        card("a.dollar", back="第一行\n价格是 $5 而不是公式"),
        card("a.inside", front="面积 $\\pi {{c1::r^2}}$", kind="cloze"),
    )
    assert _structural(content) == [
        "content/a.cards:10: card a.dollar: back: unbalanced $ (escape a literal dollar as \\$)",
        "content/a.cards:16: card a.inside: front: a cloze inside a formula cannot be hidden; "
        "put the whole formula in the cloze",
    ]


def test_katex_failures_are_found_by_a_real_node_run_with_their_lines(content):
    need_node()
    content.write(
        "a.cards",
        "甲",
        card("a.ok", back="$\\frac{1}{2}$ 与 $$\\sum_i x_i$$"),
        card(
            "a.bad",
            front="问题 $x^2$",
            back="第一行没问题\n第二行 $\\frac{1}{$ 坏了\n$$\\begin{matrix} a \\end{pmatrix}$$",
        ),
        card("a.cloze", front="开根号：{{c1::$\\sqrt{$}}", kind="cloze"),
    )
    lines, failure = _run()
    assert failure == "3 error(s), 0 warning(s) in 1 files"
    assert len(lines) == 3
    assert lines[0].startswith("content/a.cards:18: card a.bad: back: KaTeX cannot parse $\\frac{1}{$: ")
    assert "Unexpected end of input" in lines[0]
    assert lines[1].startswith(
        "content/a.cards:19: card a.bad: back: KaTeX cannot parse $$\\begin{matrix} a \\end{pmatrix}$$: "
    )
    assert "Mismatch: \\begin{matrix} matched by \\end{pmatrix}" in lines[1]
    assert lines[2].startswith("content/a.cards:25: card a.cloze: front: KaTeX cannot parse $\\sqrt{$: ")


def test_missing_node_fails_with_a_clear_message(content, monkeypatch):
    content.write("a.cards", "甲", card("a.one", back="$x$"))
    monkeypatch.setattr(checks.shutil, "which", lambda name: None)
    lines, failure = _run()
    assert lines == []
    assert failure.startswith("cannot check the LaTeX: node (Node.js) is not installed or not on PATH")


def test_missing_katex_package_fails_with_a_clear_message(content, monkeypatch, tmp_path: Path):
    content.write("a.cards", "甲", card("a.one", back="$x$"))
    monkeypatch.setattr(checks, "KATEX_SCRIPT", tmp_path / "frontend" / "scripts" / "katex-check.mjs")
    monkeypatch.setattr(checks.shutil, "which", lambda name: "/usr/bin/node")
    _, failure = _run()
    assert failure == (
        f"cannot check the LaTeX: KaTeX is not installed ({tmp_path}/frontend/node_modules/katex "
        "is missing): run `npm ci` in frontend/"
    )


def test_not_utf8_content_file_is_an_error(content):
    (content.dir / "a.cards").write_bytes("@deck 甲\n".encode("gbk"))
    assert _structural(content)[0].startswith("content/a.cards:1: not UTF-8 text")


@pytest.mark.parametrize(
    "text,formulas,unbalanced",
    [
        ("$a$ and $$b$$", [("a", False), ("b", True)], []),
        ("a literal \\$5 and `$code$`", [], []),
        ("```\n$x\n```\n$y$", [("y", False)], []),
        ("$$\n\\frac{a}{b}\n$$", [("\n\\frac{a}{b}\n", True)], []),
        ("$a\n\nb$", [], [0, 5]),
    ],
)
def test_find_formulas(text, formulas, unbalanced):
    found, bad = checks.find_formulas(text)
    assert [(f.tex, f.display) for f in found] == formulas
    assert bad == unbalanced
