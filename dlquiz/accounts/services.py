"""Learner accounts: sign-up creates the user, their study settings and their enrolment in the bundled deck."""

from __future__ import annotations

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from dlquiz.decks.services import bundled_decks_enroll
from dlquiz.errors import ServiceError
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
