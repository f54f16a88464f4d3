"""Learner accounts: sign-up creates the user, their study settings and their enrolment in the bundled deck;
device tokens are created at a device's sign-in, revoked one by one, at the device's logout, or all at once
when the password changes."""

from __future__ import annotations

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dlquiz.accounts.models import AuthToken, Device
from dlquiz.decks.services import bundled_decks_enroll
from dlquiz.errors import NotFound, ServiceError
from dlquiz.study.models import StudySettings
from dlquiz.study.zones import zone_get


@transaction.atomic
def user_create(
    *, username: str, password: str, email: str = "", timezone: str | None = None, language: str | None = None
) -> User:
    User = get_user_model()
    if timezone and zone_get(timezone) is None:
        raise ServiceError("未知的时区 / unknown time zone", fields={"timezone": ["unknown time zone"]})
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError("用户名已存在 / username taken", fields={"username": ["already taken"]})
    user = User(username=username, email=email)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(
            "密码不符合要求 / password too weak", fields={"password": list(exc.messages)}
        ) from None
    user.set_password(password)
    user.save()
    prefs = StudySettings(user=user)
    if timezone:
        prefs.timezone = timezone
    if language:
        prefs.language = language
    prefs.save()
    bundled_decks_enroll(user=user)
    return user


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ServiceError("原密码错误 / wrong current password", fields={"old_password": ["wrong password"]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ServiceError(
            "新密码不符合要求 / password too weak", fields={"new_password": list(exc.messages)}
        ) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    AuthToken.objects.filter(user=user).delete()  # every device signs in again with the new password


@transaction.atomic
def device_token_create(*, user: User, name: str) -> tuple[Device, str]:
    """A new token for one device of the learner: the device (its token row holds only the digest) and the
    token itself, which is shown this once. The learner's expired tokens are removed on the way."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    row, token = AuthToken.objects.create(user=user)
    device = Device.objects.create(token=row, name=name)
    return device, token


def device_token_revoke(*, user: User, device_id: int) -> None:
    """Revoke one of the learner's devices: its token is deleted, and from the next request on refused (401).
    Another learner's device is not found, exactly like one that does not exist."""
    deleted, _ = AuthToken.objects.filter(user=user, device__pk=device_id).delete()
    if not deleted:
        raise NotFound("设备令牌不存在 / token not found")
