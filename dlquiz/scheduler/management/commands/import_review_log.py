"""``manage.py import_review_log --user NAME FILE.csv``: an Anki review log into the learner's own deck."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dlquiz.scheduler.services import ReviewLogImportError, review_log_import


class Command(BaseCommand):
    help = (
        "Import an Anki-style review log (card_id,review_rating,review_time,review_duration) into the "
        "learner's deck 'Anki import': one draft card per unknown card id, states rebuilt by replay. "
        "Bad rows are reported as FILE:line and nothing is written; importing a file again adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="username of the learner")
        parser.add_argument("file", type=Path, metavar="FILE.csv")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user named {options['user']!r}")
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        try:
            result = review_log_import(user=user, name=str(path), data=data, now=timezone.now())
        except ReviewLogImportError as exc:
            for message in exc.errors:
                self.stderr.write(message)
            raise CommandError("nothing imported") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.imported} reviews imported ({result.already} already there) for {result.cards} cards "
                f"({result.cards_created} new draft cards) in deck {result.deck.name if result.deck else '-'!r}"
            )
        )
