"""One row per optimisation run of a learner's FSRS parameters: its status and progress while it runs, and
what it found (reviews used, metrics before/after, the parameters, adopted or not and why). The adopted
runs are the history of the learner's parameters; the ones in force are ``StudySettings.fsrs_parameters``."""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["OptimizeRun"]


class OptimizeRun(models.Model):
    class Trigger(models.TextChoices):
        BUTTON = "button"  # the learner's settings button (at most once a day)
        BEAT = "beat"  # the monthly beat, for learners with enough new reviews
        COMMAND = "command"  # manage.py / a benchmark

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"  # finished: adopted or not, see ``adopted`` and ``reason``
        FAILED = "failed"

    class Reason(models.TextChoices):
        """Why the run ended as it did; the web app words it in the learner's language from ``reason_args``."""

        NO_NEW_REVIEWS = "no_new_reviews"  # args: run (the previous finished run)
        TOO_FEW_REVIEWS = "too_few_reviews"  # args: scored (in the earlier 80%), needed
        NOT_ADOPTED = "not_adopted"  # args: reviews (the later 20%), before, after (log losses)
        ADOPTED = "adopted"  # args: reviews, before, after, total (reviews refitted on)
        FAILED = "failed"  # the parameters in force were kept; see ``error``

    class Stage(models.TextChoices):
        QUEUED = "queued"
        LOADING = "loading"
        FITTING = "fitting"  # on the earlier 80% of the log
        EVALUATING = "evaluating"  # before vs fitted on the later 20%
        REFITTING = "refitting"  # on the whole log
        RESCHEDULING = "rescheduling"
        FINISHED = "finished"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="optimize_runs")
    trigger = models.CharField(max_length=8, choices=Trigger.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.QUEUED)
    progress_done = models.PositiveIntegerField(default=0, help_text="steps of the current stage done")
    progress_total = models.PositiveIntegerField(default=0, help_text="steps of the current stage")
    reviews_used = models.PositiveIntegerField(default=0)
    last_log_id = models.BigIntegerField(default=0, help_text="the newest review log row the run read")
    split_at = models.DateTimeField(
        null=True, blank=True, help_text="reviews before it: training; after: test"
    )
    parameters_before = models.JSONField(null=True, blank=True, help_text="in force when the run started")
    parameters_fitted = models.JSONField(null=True, blank=True, help_text="fitted on the earlier 80%")
    parameters_after = models.JSONField(
        null=True, blank=True, help_text="refitted on the whole log (adopted)"
    )
    metrics_before = models.JSONField(null=True, blank=True, help_text="parameters_before on the later 20%")
    metrics_after = models.JSONField(null=True, blank=True, help_text="parameters_fitted on the later 20%")
    adopted = models.BooleanField(default=False)
    reason = models.TextField(blank=True, help_text="in English, for the admin and logs")
    reason_code = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    reason_args = models.JSONField(default=dict, blank=True, help_text="the values the reason's words name")
    cards_rescheduled = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, help_text="heartbeat: every progress step writes it")

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="optimizerun_user_recent")]

    def __str__(self) -> str:
        return f"optimisation run {self.pk} of user {self.user_id} ({self.status})"
