"""Devices: one API token per signed-in device (a phone, a tablet), named, listed and revocable.

The token is django-rest-knox's ``AuthToken`` (only its SHA-512 digest is stored; the token itself is shown
once, at sign-in; an optional expiry, ``API_TOKEN_TTL_DAYS``). A ``Device`` gives it the name the learner
chose and the small id the API names it by (knox's primary key is the digest). Revoking a device deletes its
token, and the device with it.
"""

from __future__ import annotations

from django.db import models
from knox.models import AuthToken

__all__ = ["AuthToken", "Device"]


class Device(models.Model):
    token: models.OneToOneField[AuthToken, AuthToken] = models.OneToOneField(
        AuthToken, on_delete=models.CASCADE, related_name="device"
    )
    name = models.CharField(max_length=100, help_text="the device, as the learner named it at sign-in")

    def __str__(self) -> str:
        return f"device {self.name!r} ({self.token_id})"
