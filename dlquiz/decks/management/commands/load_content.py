"""``manage.py load_content``: upsert the bundled deck from content/*.cards (refuses on any error)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dlquiz.decks.checks import KatexUnavailable
from dlquiz.decks.services import ContentInvalid, deck_load


class Command(BaseCommand):
    help = "Load content/*.cards into the database (idempotent upsert by card id; removed cards are retired)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--content-dir", type=Path, help="default: settings.CONTENT_DIR")
        parser.add_argument(
            "--katex", action="store_true", help="also check every formula with KaTeX (needs node)"
        )
        parser.add_argument(
            "--allow-unknown-families",
            action="store_true",
            help="load exercise cards whose engine family or params do not exist yet (warn only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = deck_load(
                content_dir=options["content_dir"],
                katex=options["katex"],
                allow_unknown_families=options["allow_unknown_families"],
            )
        except ContentInvalid as exc:
            for line in [*exc.report.warnings, *exc.report.errors]:
                self.stdout.write(str(line))
            raise CommandError(str(exc)) from None
        except KatexUnavailable as exc:
            raise CommandError(str(exc)) from None
        for warning in result.warnings:
            self.stdout.write(warning)
        self.stdout.write(self.style.SUCCESS(result.summary()))
