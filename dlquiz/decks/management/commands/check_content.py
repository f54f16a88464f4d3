"""``manage.py check_content``: validate content/*.cards, one ``file:line: message`` per problem."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dlquiz.decks.checks import KatexUnavailable, content_check


class Command(BaseCommand):
    help = (
        "Check content/*.cards: syntax, empty fields, duplicate ids, OUTLINE topics, back length, "
        "engine families and params, and every formula with KaTeX (needs node)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--content-dir", type=Path, help="default: settings.CONTENT_DIR")
        parser.add_argument("--outline", type=Path, help="default: settings.OUTLINE_PATH")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = content_check(
                content_dir=options["content_dir"] or Path(settings.CONTENT_DIR),
                outline_path=options["outline"] or Path(settings.OUTLINE_PATH),
            )
        except KatexUnavailable as exc:
            raise CommandError(f"cannot check the LaTeX: {exc}") from None
        for problem in [*report.warnings, *report.errors]:
            self.stdout.write(str(problem))
        if report.errors:
            raise CommandError(
                f"{len(report.errors)} error(s), {len(report.warnings)} warning(s) "
                f"in {len(report.files)} files"
            )
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(Counter(c.kind for c in report.cards).items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: {len(report.files)} files, {len(report.cards)} cards ({kinds}), "
                f"{report.formulas} formulas parsed by KaTeX, {len(report.warnings)} warning(s)"
            )
        )
