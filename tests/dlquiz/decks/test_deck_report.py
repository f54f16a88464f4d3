"""manage.py deck_report --json / --coverage on the content as written."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.dlquiz.decks.conftest import card

EXERCISE = "family: conv2d_output_size"  # lists 001-0304 among its topics


def test_json_lists_every_card_in_order_with_its_fields(content):
    content.write(
        "a.cards",
        "卷积",
        card("a.one", front="标准卷积有多少参数？"),
        card("a.rev", front="正面", back="背面", kind="basic+reverse", topics="900-0001 900-0002"),
    )
    content.write(
        "b.cards",
        "池化",
        card("b.ex", front="计算输出尺寸", back="", kind="exercise", topics="001-0304", extra=EXERCISE),
    )
    out = StringIO()
    call_command("deck_report", "--json", stdout=out)
    assert json.loads(out.getvalue()) == [
        {
            "id": "a.one",
            "kind": "basic",
            "deck": "卷积",
            "topics": ["900-0001"],
            "front": "标准卷积有多少参数？",
        },
        {
            "id": "a.rev",
            "kind": "basic+reverse",
            "deck": "卷积",
            "topics": ["900-0001", "900-0002"],
            "front": "正面",
        },
        {"id": "b.ex", "kind": "exercise", "deck": "池化", "topics": ["001-0304"], "front": "计算输出尺寸"},
    ]


def test_coverage_lists_uncovered_topics_and_calc_topics_without_an_exercise(content):
    # 900-0002 (qa) has no card; 900-0004 (calc) has a card but no exercise reaches it; 001-0304 (calc) is
    # reached by conv2d_output_size; 900-0003 is a container and never reported.
    content.write(
        "a.cards",
        "卷积",
        card("a.one"),
        card("a.bn", topics="900-0004"),
        card("a.ex", back="", kind="exercise", topics="001-0304", extra=EXERCISE),
    )
    out = StringIO()
    with pytest.raises(
        CommandError, match="1 topic\\(s\\) uncovered, 1 calc topic\\(s\\) without an exercise"
    ):
        call_command("deck_report", "--coverage", stdout=out)
    assert out.getvalue().splitlines() == [
        "qa/calc topics not covered by any card: 1",
        "  900-0002\tqa\t池化",
        "calc topics not reached by an exercise card: 1",
        "  900-0004\tcalc\tBN 的移动平均",
    ]


def test_coverage_counts_a_calc_topic_reached_only_through_the_family(content):
    # No card names 001-0304, yet the exercise of family conv2d_output_size reaches it: still "uncovered"
    # (no card names it) but not "without an exercise".
    content.write(
        "a.cards",
        "卷积",
        card("a.one"),
        card("a.two", topics="900-0002 900-0004"),
        card("a.ex", back="", kind="exercise", topics="900-0004", extra=EXERCISE),
    )
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("deck_report", "--coverage", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:2] == [
        "qa/calc topics not covered by any card: 1",
        "  001-0304\tcalc\t卷积层有哪些基本参数？",
    ]
    assert lines[2:] == ["calc topics not reached by an exercise card: 1", "  900-0004\tcalc\tBN 的移动平均"]


def test_full_coverage_exits_0(content):
    content.write(
        "a.cards",
        "卷积",
        card("a.one", topics="900-0001 900-0002 900-0004"),
        card("a.ex", back="", kind="exercise", topics="001-0304", extra=EXERCISE),
        card("a.ex2", back="", kind="exercise", topics="900-0004", extra="family: no_such_family"),
    )
    content.outline.write_text(
        content.outline.read_text().replace("\tcalc\tBN 的移动平均", "\tqa\tBN 的移动平均")
    )
    out = StringIO()
    call_command("deck_report", "--coverage", stdout=out)
    assert out.getvalue().splitlines() == [
        "qa/calc topics not covered by any card: 0",
        "calc topics not reached by an exercise card: 0",
        "note: engine family 'no_such_family' does not exist (yet): its topics count as not reached",
    ]
