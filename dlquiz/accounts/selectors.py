"""Reads of accounts: a learner's device tokens."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from dlquiz.accounts.models import DeviceToken


def device_token_list(*, user: User) -> QuerySet[DeviceToken]:
    """The learner's device tokens, newest first (never the token itself: only its digest is stored)."""
    return DeviceToken.objects.filter(user=user).order_by("-created", "-id")
