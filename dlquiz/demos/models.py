"""Demonstration runs: one row per computation (shared by every learner who asks for the same thing) and
one row per learner's request of it (history, cancel, prediction)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models


class DemoRun(models.Model):
    """One computation of a demonstration: ``(demo, version, params_key, seed)`` is unique, so identical
    requests share the row (and its single task), also while it is still queued or running.

    ``params`` holds the canonical parameters (``Demo.canonical``); ``params_key`` is their compact JSON with
    sorted keys, the column the unique constraint uses. ``enqueued`` counts the tasks queued for the row
    (a task carrying an older number is stale and does nothing); ``started_count`` counts computations
    started, ever (a redelivered task after a worker died starts another one): it is the attempt number,
    and only the latest attempt may write; ``attempts`` counts them since the run was last queued."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    demo = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    params = models.JSONField()
    params_key = models.TextField()
    seed = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    # the result (DemoResult.to_dict()) as compact JSON text, rendered once by the worker: a finished run is
    # fetched (polled, shared) far more often than it is written, and its text goes into responses as is
    result_json = models.TextField(blank=True, default="")
    answer = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="the prediction's right choice"
    )
    error = models.TextField(blank=True, default="")
    device = models.CharField(max_length=32, blank=True, default="")
    enqueued = models.PositiveIntegerField(default=0)
    started_count = models.PositiveIntegerField(default=0, help_text="computations started, ever")
    attempts = models.PositiveIntegerField(default=0, help_text="computations started since last queued")
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    first_progress_at = models.DateTimeField(null=True, blank=True)
    compute_seconds = models.FloatField(null=True, blank=True, help_text="wall time of the computation")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["demo", "version", "params_key", "seed"], name="demo_run_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.demo} v{self.version} seed {self.seed} ({self.status})"

    @property
    def result(self) -> Any:
        """The result as data (``None`` until there is one)."""
        return json.loads(self.result_json) if self.result_json else None


class DemoRequest(models.Model):
    """A learner asked for a run: their history, their cancel and their prediction. One row per learner and
    run; asking again refreshes ``requested_at`` (and revives a cancelled request)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="demo_requests")
    run = models.ForeignKey(DemoRun, on_delete=models.CASCADE, related_name="requests")
    requested_at = models.DateTimeField()
    cancelled = models.BooleanField(default=False)
    prediction = models.PositiveSmallIntegerField(null=True, blank=True)
    predicted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "run"], name="demo_request_unique")]
        indexes = [models.Index(fields=["user", "-requested_at"], name="demo_request_history")]

    def __str__(self) -> str:
        return f"{self.user_id} asked for run {self.run_id}"
