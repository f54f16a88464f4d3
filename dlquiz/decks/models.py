from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Deck(models.Model):
    """A deck: bundled (``owner`` is null, loaded from content/) or a learner's own (imported notes)."""

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="own_decks"
    )
    source = models.CharField(max_length=200, blank=True, help_text="content file or imported note path")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who changed what and when (the admin's history, diff and revert): django-simple-history.
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Card(models.Model):
    class Kind(models.TextChoices):
        BASIC = "basic", "Q&A"
        REVERSE = "reverse", "Q&A (reverse)"
        CLOZE = "cloze", "Cloze"
        EXERCISE = "exercise", "Exercise"

    uid = models.CharField(max_length=160, unique=True, help_text="stable id from content/ or the importer")
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="cards")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    front = models.TextField()
    back = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    topics = models.JSONField(default=list, blank=True)
    family = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0, help_text="order in which new cards are introduced")
    source_line = models.PositiveIntegerField(default=0)
    draft = models.BooleanField(default=False, help_text="imported, not yet reviewed by its owner")
    retired = models.BooleanField(default=False, help_text="removed from content/: hidden from new study")
    updated_at = models.DateTimeField(auto_now=True)
    loaded_hash = models.CharField(  # noqa: DJ001 (null and empty mean different things, see help)
        max_length=64,
        null=True,
        blank=True,
        editable=False,
        help_text="bundled cards: hash of the content as load_content last wrote it (empty: added in the "
        "admin; null: loaded before this was recorded). A card whose content no longer has this hash was "
        "edited since the last load.",
    )
    history = HistoricalRecords(excluded_fields=["updated_at", "loaded_hash"])

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["deck", "position"])]

    def __str__(self) -> str:
        return self.uid


class Enrollment(models.Model):
    """A learner studies a deck: a card state exists for each of its cards."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="enrollments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "deck"], name="enrollment_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} studies {self.deck_id}"
