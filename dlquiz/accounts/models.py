"""Device tokens: one API token per signed-in device (a phone, a tablet), named, listed and revocable.

django-rest-knox stores only each token's SHA-512 digest (the token itself is shown once, at sign-in) and
gives it an optional expiry (``API_TOKEN_TTL_DAYS``). This model is knox's token (``KNOX_TOKEN_MODEL``) with a
device name and a small integer id the API names it by (knox's own primary key is the digest).
"""

from __future__ import annotations

from django.db import models
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS

__all__ = ["DeviceToken"]


class DeviceToken(AbstractAuthToken):
    # knox has no type information: the fields are annotated here
    id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    digest: models.CharField[str, str] = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name: models.CharField[str, str] = models.CharField(
        max_length=100, help_text="the device, as the learner named it at sign-in"
    )

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"token {self.token_key}… of user {self.user_id} ({self.name})"
