from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from dlquiz.decks.models import Card
from dlquiz.study.scheduling import State
from dlquiz.study.zones import validate_time_zone
from dlquiz.validators import validate_finite

__all__ = ["CardState", "ReviewLog", "State", "StudySettings"]


class CardState(models.Model):
    """One learner's FSRS memory state of one card. Created (as NEW) when the learner enrols in the deck.

    The memory fields (``state`` to ``lapses``) are those of ``scheduling.MemoryState``, in its order.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_states")
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="states")
    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.NEW)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField(null=True, blank=True)
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    suspended = models.BooleanField(default=False)
    leech = models.BooleanField(
        default=False, help_text="lapsed StudySettings.leech_threshold times: tagged leech and suspended"
    )
    buried_until = models.DateTimeField(null=True, blank=True)
    new_order = models.PositiveIntegerField(
        default=0, help_text="copy of the card's position, for the new queue"
    )
    changed_at = models.DateTimeField(
        default=timezone.now,
        help_text="when any field last changed (server clock): what sync/changes sends a device since its cursor",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "card"], name="cardstate_user_card")]
        indexes = [
            models.Index(fields=["user", "changed_at", "id"], name="cardstate_changes"),
            models.Index(fields=["user", "state", "due"], name="cardstate_queue"),
            models.Index(fields=["user", "state", "new_order"], name="cardstate_new"),
        ]

    def __str__(self) -> str:
        return f"card {self.card_id} of user {self.user_id}"


class ReviewLog(models.Model):
    """Append-only: one row per review (or reset). Undo deletes the last row and restores ``state_before``."""

    class Kind(models.TextChoices):
        REVIEW = "review"
        RESET = "reset"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_logs")
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="review_logs")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REVIEW)
    rating = models.PositiveSmallIntegerField(
        default=0, help_text="1 Again, 2 Hard, 3 Good, 4 Easy; 0 for a reset"
    )
    reviewed_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    client_review_id = models.CharField(max_length=64)
    state_before = models.JSONField()
    state_after = models.JSONField()
    prior_state = models.PositiveSmallIntegerField(
        choices=State.choices, help_text="state before: daily limits"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    effects = models.JSONField(
        default=dict,
        blank=True,
        help_text="what the review changed besides the card's memory state, so undo restores it exactly: "
        "buried (sibling card-state id -> its buried_until before) and bury_until (the value set), "
        "buried_until (the card's own bury the review ended), leech (the card's leech tag before this review "
        "made it a leech and suspended it)",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "client_review_id"], name="reviewlog_client_id_unique"),
        ]
        indexes = [
            models.Index(fields=["user", "reviewed_at"], name="reviewlog_user_time"),
            models.Index(fields=["user", "card", "id"], name="reviewlog_user_card"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.rating} of card {self.card_id} by user {self.user_id}"


def _default_steps() -> list[int]:
    return [1, 10]


def _default_relearning() -> list[int]:
    return [10]


class StudySettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_settings"
    )
    desired_retention = models.FloatField(
        default=0.9, validators=[validate_finite, MinValueValidator(0.7), MaxValueValidator(0.99)]
    )
    new_per_day = models.PositiveIntegerField(default=20, validators=[MaxValueValidator(9999)])
    max_reviews_per_day = models.PositiveIntegerField(default=200, validators=[MaxValueValidator(99999)])
    learning_steps = models.JSONField(default=_default_steps, help_text="minutes")
    relearning_steps = models.JSONField(default=_default_relearning, help_text="minutes")
    timezone = models.CharField(max_length=64, default="Asia/Shanghai", validators=[validate_time_zone])
    day_start_hour = models.PositiveSmallIntegerField(default=4, validators=[MaxValueValidator(23)])
    reminder_time = models.TimeField(default=dt.time(9, 0))
    email_reminders = models.BooleanField(default=True)
    language = models.CharField(max_length=8, default="zh", choices=[("zh", "中文"), ("en", "English")])
    fsrs_parameters = models.JSONField(
        null=True,
        blank=True,
        default=None,
        help_text="the learner's 21 FSRS parameters in force (null: py-fsrs's defaults); "
        "adopted by an optimisation run (dlquiz.scheduler), history in OptimizeRun",
    )
    leech_threshold = models.PositiveSmallIntegerField(
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="lapses after which a card is tagged leech and suspended",
    )
    learn_ahead_minutes = models.PositiveSmallIntegerField(
        default=20,
        validators=[MaxValueValidator(1440)],
        help_text="when nothing else is left, learning cards due within this many minutes are shown early",
    )
    deck_new_limits = models.JSONField(
        default=dict,
        blank=True,
        help_text="deck id -> new cards a day from that deck (within new_per_day); a deck not listed: no cap of its own",
    )
    deck_review_limits = models.JSONField(
        default=dict,
        blank=True,
        help_text="deck id -> reviews a day from that deck (within max_reviews_per_day); a deck not listed: no cap of its own",
    )
    new_card_order = models.CharField(
        max_length=12,
        default="interleaved",
        choices=[
            ("deck", "deck order"),
            ("mixed", "mixed across decks"),
            ("interleaved", "exercises interleaved with the cards of their topics"),
        ],
        help_text="the order in which new cards are introduced",
    )

    def __str__(self) -> str:
        return f"study settings of user {self.user_id}"
