"""``manage.py import_notes --user NAME --deck NAME FILE...``: a learner's Markdown notes as draft cards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dlquiz.decks.services import NotesImportError, notes_import


class Command(BaseCommand):
    help = (
        "Import Markdown notes as the learner's own draft cards (headings and numbered questions become "
        "fronts, section bodies become backs). Re-importing a file updates its cards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="username of the learner who owns the cards")
        parser.add_argument("--deck", required=True, help="name of the learner's deck (created if needed)")
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would be created; write nothing"
        )
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user named {options['user']!r}")
        files: list[tuple[str, bytes]] = []
        for path in options["files"]:
            try:
                files.append((path.name, path.read_bytes()))
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from None
        try:
            result = notes_import(
                user=user, deck_name=options["deck"], files=files, dry_run=options["dry_run"]
            )
        except NotesImportError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError("nothing imported") from None
        for card in result.cards:
            if options["dry_run"] or card.action != "unchanged":
                first = card.back.split("\n", 1)[0]
                self.stdout.write(
                    f"{card.file}:{card.line}: {card.action}: {card.front}  |  "
                    f"{first[:60]}{'…' if len(card.back) > len(first[:60]) else ''}"
                )
        for uid in result.retired:
            self.stdout.write(f"retire: {uid}")
        self.stdout.write(self.style.SUCCESS(f"deck {options['deck']!r}: {result.summary()}"))
