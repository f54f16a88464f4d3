from __future__ import annotations

from django.conf import settings
from django.db import models


class ReminderSent(models.Model):
    """One reminder per learner per local day: the unique row is the guarantee, and the outbox.

    The row, with the rendered message and its stable Message-ID, is committed before the message is handed
    to the mail server; ``handed_over_at`` is set once the server accepted it. A row with due cards and no
    ``handed_over_at`` is pending: the next attempt sends the very same message (docs/architecture.md)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    local_date = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)  # when the day was claimed
    due_count = models.PositiveIntegerField(default=0)
    message_id = models.CharField(max_length=255, blank=True, default="")
    subject = models.CharField(max_length=255, blank=True, default="")
    body = models.TextField(blank=True, default="")
    handed_over_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "local_date"], name="reminder_once_per_day")]

    def __str__(self) -> str:
        return f"reminder to {self.user_id} on {self.local_date}"
