"""An Anki package import: a row the web polls (status, progress, result) while a worker does the work."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dlquiz.decks.models import Deck

__all__ = ["AnkiImport"]


class AnkiImport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="anki_imports")
    file_name = models.CharField(max_length=200)
    deck_name = models.CharField(max_length=200, help_text="the learner's own deck the cards go to")
    package = models.BinaryField(help_text="the uploaded .apkg; emptied when the import has ended")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0, help_text="0..1")
    deck = models.ForeignKey(Deck, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cards_created = models.PositiveIntegerField(default=0)
    cards_updated = models.PositiveIntegerField(default=0)
    reviews_imported = models.PositiveIntegerField(default=0)
    reviews_skipped = models.PositiveIntegerField(default=0)
    notes = models.JSONField(default=list, blank=True, help_text="what was skipped, and why (the first 20)")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="ankiimport_user_recent")]

    def __str__(self) -> str:
        return f"Anki import {self.pk} of user {self.user_id}: {self.status}"
