"""``manage.py export_content``: write the bundled cards from the database back to content/*.cards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dlquiz.decks.export import ExportError, content_export


class Command(BaseCommand):
    help = (
        "Write the database's bundled cards to content/*.cards (changed cards in the canonical format, "
        "unchanged ones byte for byte), so editors' changes can be reviewed with git diff and committed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--content-dir", type=Path, help="default: settings.CONTENT_DIR")
        parser.add_argument(
            "--canonical",
            action="store_true",
            help="write every card in the canonical format, not only changed ones",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = content_export(content_dir=options["content_dir"], canonical=options["canonical"])
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
