from django.contrib.auth.models import User
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.request import Request


class Token(TokenAuthentication):
    """Token authentication that loads the learner's study settings with the user (one query)."""

    def authenticate_credentials(self, key):  # type: ignore[no-untyped-def]
        model = self.get_model()
        try:
            token = model.objects.select_related("user", "user__study_settings").get(key=key)
        except model.DoesNotExist:
            raise AuthenticationFailed("Invalid token.") from None
        if not token.user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        return token.user, token


def learner(request: Request) -> User:
    """The signed-in learner of a request that passed ``IsAuthenticated``."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user
