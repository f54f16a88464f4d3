from __future__ import annotations

from django.conf import settings
from django.db import models

from dlquiz.decks.models import Card


class ExerciseAttempt(models.Model):
    """The variant drawn for one review of an exercise card, stored so exactly it is graded, once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exercise_attempts"
    )
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="exercise_attempts")
    review_number = models.PositiveIntegerField(help_text="the card state's reps when drawn")
    family = models.CharField(max_length=64)
    family_version = models.PositiveIntegerField()
    seed = models.BigIntegerField()
    params = models.JSONField()
    answers = models.JSONField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    suggested_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    unreadable_count = models.PositiveIntegerField(
        default=0,
        help_text="submissions the engine could not read (the attempt stayed open): item statistics",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "card", "review_number"], name="attempt_one_per_review"),
        ]

    def __str__(self) -> str:
        return f"{self.family} seed {self.seed} for card {self.card_id}"
