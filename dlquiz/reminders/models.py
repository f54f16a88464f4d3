from __future__ import annotations

from django.conf import settings
from django.db import models


class ReminderSent(models.Model):
    """At most one reminder per learner per local day: the unique row is the guarantee."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    local_date = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    due_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "local_date"], name="reminder_once_per_day")]

    def __str__(self) -> str:
        return f"reminder to {self.user_id} on {self.local_date}"
