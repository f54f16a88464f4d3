"""``manage.py deck_report --json | --coverage``: the bundled deck as written in content/."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dlquiz.decks.selectors import content_card_list, content_coverage_gaps


class Command(BaseCommand):
    help = (
        "Report on content/*.cards: --json lists every card; --coverage lists OUTLINE topics not yet covered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument(
            "--json", action="store_true", help="a JSON array: id, kind, deck, topics, front per card"
        )
        mode.add_argument(
            "--coverage",
            action="store_true",
            help="qa/calc topics no card covers, calc topics no exercise reaches (exit 1 if any)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(content_card_list(), ensure_ascii=False, indent=1))
            return
        gaps = content_coverage_gaps()
        self.stdout.write(f"qa/calc topics not covered by any card: {len(gaps.uncovered)}")
        for topic, kind, title in gaps.uncovered:
            self.stdout.write(f"  {topic}\t{kind}\t{title}")
        self.stdout.write(f"calc topics not reached by an exercise card: {len(gaps.calc_without_exercise)}")
        for topic, _, title in gaps.calc_without_exercise:
            self.stdout.write(f"  {topic}\tcalc\t{title}")
        for fid in gaps.unknown_families:
            self.stdout.write(
                f"note: engine family {fid!r} does not exist (yet): its topics count as not reached"
            )
        if not gaps.ok:
            raise CommandError(
                f"{len(gaps.uncovered)} topic(s) uncovered, "
                f"{len(gaps.calc_without_exercise)} calc topic(s) without an exercise"
            )
