"""A password set anywhere (the API's password change, the admin's password form, ``manage.py
changepassword``, a password reset) revokes every device token of the learner: a token must not outlive the
password that issued it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save

from dlquiz.accounts.models import AuthToken


def _password_set(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # AbstractBaseUser.set_password keeps the new raw password in ``_password`` until save() has run
    # (Django's own password_changed hook reads it there), so a save that carries one set a password.
    if not created and getattr(instance, "_password", None) is not None:
        AuthToken.objects.filter(user=instance).delete()


def connect() -> None:
    post_save.connect(_password_set, sender=get_user_model(), dispatch_uid="dlquiz.accounts.password_set")
