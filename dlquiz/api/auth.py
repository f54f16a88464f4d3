from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import knox_settings
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.request import Request

from dlquiz.accounts.models import AuthToken


class Token(TokenAuthentication):
    """A device's token (``Authorization: Token <token>``), found by its digest with the learner and their study
    settings (and the device's name) in one query. An expired token is deleted and refused; with a TTL, use
    moves the expiry on."""

    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:  # type: ignore[override]
        try:
            text = token.decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.") from None
        try:
            device = AuthToken.objects.select_related("user", "user__study_settings", "device").get(
                digest=hash_token(text)
            )
        except AuthToken.DoesNotExist:
            raise AuthenticationFailed("Invalid token.") from None
        if device.expiry is not None:
            if device.expiry < timezone.now():
                AuthToken.objects.filter(pk=device.pk).delete()
                raise AuthenticationFailed("Token expired.")
            if knox_settings.AUTO_REFRESH and knox_settings.TOKEN_TTL is not None:
                self.renew_token(device)
        if not device.user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        return device.user, device

    def authenticate_header(self, request: Any) -> str:
        return "Token"


class TokenScheme(OpenApiAuthenticationExtension):
    """The schema's name for :class:`Token` (as it had before device tokens: ``Authorization: Token ...``)."""

    target_class = Token
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")  # type: ignore[no-any-return]


def learner(request: Request) -> User:
    """The signed-in learner of a request that passed ``IsAuthenticated``."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user
