"""``manage.py load_content``: upsert the bundled deck from content/*.cards (refuses on any error; keeps
cards changed in the admin since the last load unless ``--force``)."""

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
        parser.add_argument(
            "--force",
            action="store_true",
            help="overwrite (or retire) cards an editor changed in the admin since the last load; without it "
            "they are kept and listed as conflicts",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = deck_load(
                content_dir=options["content_dir"],
                katex=options["katex"],
                allow_unknown_families=options["allow_unknown_families"],
                force=options["force"],
            )
        except ContentInvalid as exc:
            for line in [*exc.report.warnings, *exc.report.errors]:
                self.stdout.write(str(line))
            raise CommandError(str(exc)) from None
        except KatexUnavailable as exc:
            raise CommandError(str(exc)) from None
        for warning in result.warnings:
            self.stdout.write(warning)
        for conflict in result.conflicts:
            self.stdout.write(self.style.WARNING(f"conflict: {conflict}"))
        if result.conflicts and not options["force"]:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(result.conflicts)} card(s) changed in the admin were kept: run export_content to write "
                    "them to content/ (and review the diff), or load_content --force to overwrite them"
                )
            )
        self.stdout.write(self.style.SUCCESS(result.summary()))
