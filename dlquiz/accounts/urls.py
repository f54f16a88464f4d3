"""The account endpoints, mounted under ``/api/v1/`` by ``dlquiz/api/urls.py``."""

from django.urls import path

from dlquiz.accounts.apis import (
    LoginApi,
    LogoutApi,
    MeApi,
    PasswordApi,
    SignupApi,
    TokenApi,
    TokenListApi,
    TokenRevokeApi,
)
from dlquiz.api import converters  # noqa: F401  (registers <id:...>)

urlpatterns = [
    path("auth/signup", SignupApi.as_view(), name="signup"),
    path("auth/login", LoginApi.as_view(), name="login"),
    path("auth/logout", LogoutApi.as_view(), name="logout"),
    path("auth/token", TokenApi.as_view(), name="token"),
    path("auth/tokens", TokenListApi.as_view(), name="tokens"),
    path("auth/tokens/<id:pk>", TokenRevokeApi.as_view(), name="token-revoke"),
    path("auth/password", PasswordApi.as_view(), name="password"),
    path("me", MeApi.as_view(), name="me"),
]
