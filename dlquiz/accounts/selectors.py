"""Reads of accounts: a learner's device tokens."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from dlquiz.accounts.models import Device


def device_list(*, user: User) -> QuerySet[Device]:
    """The learner's signed-in devices with their tokens, newest first (never a token itself: only its digest
    is stored)."""
    return Device.objects.filter(token__user=user).select_related("token").order_by("-token__created", "-id")
