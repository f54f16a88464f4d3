from __future__ import annotations

from django.contrib.auth import login, logout, update_session_auth_hash
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dlquiz.accounts.models import AuthToken, Device
from dlquiz.accounts.selectors import device_list
from dlquiz.accounts.services import device_token_create, device_token_revoke, password_change, user_create
from dlquiz.api.auth import learner
from dlquiz.api.throttles import LoginThrottle, authenticate_limited, username_failure, username_wait
from dlquiz.errors import ServiceError
from dlquiz.study.selectors import settings_get
from dlquiz.study.zones import validate_time_zone


class UserOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    language = serializers.CharField()


def _user_out(user) -> dict:  # type: ignore[no-untyped-def]
    return UserOut(
        {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "language": settings_get(user=user).language,
        }
    ).data


class Credentials(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class SignupApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    class SignupInputSerializer(serializers.Serializer):
        username = serializers.RegexField(r"^[\w.@+-]{3,150}$", max_length=150)
        password = serializers.CharField(max_length=256, trim_whitespace=False)
        email = serializers.EmailField(required=False, allow_blank=True, default="")
        timezone = serializers.CharField(required=False, max_length=64, validators=[validate_time_zone])
        language = serializers.ChoiceField(choices=["zh", "en"], required=False)

    @extend_schema(request=SignupInputSerializer, responses={201: UserOut}, operation_id="auth_signup")
    def post(self, request: Request) -> Response:
        s = self.SignupInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        user = user_create(**s.validated_data)
        login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response(_user_out(user), status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(request=Credentials, responses={200: UserOut}, operation_id="auth_login")
    def post(self, request: Request) -> Response:
        s = Credentials(data=request.data)
        s.is_valid(raise_exception=True)
        user = authenticate_limited(request._request, **s.validated_data)
        if user is None:
            raise ServiceError(
                "用户名或密码错误 / wrong username or password", code="bad_credentials", status_code=400
            )
        login(request._request, user)
        return Response(_user_out(user))


class LogoutApi(APIView):
    """Sign out: a device signed in by token loses that token, a browser its session."""

    @extend_schema(request=None, responses={204: None}, operation_id="auth_logout")
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            AuthToken.objects.filter(pk=request.auth.pk).delete()
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeviceTokenOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True, help_text="null: never expires")


class TokenApi(APIView):
    """Sign a device in: a new token for it (``Authorization: Token <token>``), shown only in this answer."""

    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    class TokenInputSerializer(Credentials):
        device = serializers.CharField(
            max_length=100, required=False, default="", help_text="the device's name, shown in auth/tokens"
        )

    class TokenOutputSerializer(DeviceTokenOut):
        token = serializers.CharField()

    @extend_schema(
        request=TokenInputSerializer, responses={200: TokenOutputSerializer}, operation_id="auth_token"
    )
    def post(self, request: Request) -> Response:
        s = self.TokenInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        user = authenticate_limited(request._request, username=d["username"], password=d["password"])
        if user is None:
            raise ServiceError("用户名或密码错误 / wrong username or password", code="bad_credentials")
        device, token = device_token_create(user=user, name=d["device"] or "unnamed device")
        return Response(self.TokenOutputSerializer({"token": token, **_token_fields(device)}).data)


def _token_fields(device: Device) -> dict:  # type: ignore[type-arg]
    return {
        "id": device.pk,
        "name": device.name,
        "created": device.token.created,
        "expiry": device.token.expiry,
    }


class TokenListApi(APIView):
    """The learner's device tokens (never the tokens themselves); ``current``: the one this request uses."""

    class TokenListOutputSerializer(DeviceTokenOut):
        current = serializers.BooleanField()

    @extend_schema(responses={200: TokenListOutputSerializer(many=True)}, operation_id="auth_tokens_list")
    def get(self, request: Request) -> Response:
        current = request.auth.pk if isinstance(request.auth, AuthToken) else None
        rows = [
            {**_token_fields(d), "current": d.token_id == current} for d in device_list(user=learner(request))
        ]
        return Response(self.TokenListOutputSerializer(rows, many=True).data)


class TokenRevokeApi(APIView):
    @extend_schema(request=None, responses={204: None}, operation_id="auth_tokens_revoke")
    def delete(self, request: Request, pk: int) -> Response:
        device_token_revoke(user=learner(request), device_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordApi(APIView):
    # Checking the current password is a sign-in too: the same per-address and per-username limits, so a
    # stolen session or token cannot guess the password without bound.
    throttle_classes = [LoginThrottle]

    class PasswordInputSerializer(serializers.Serializer):
        old_password = serializers.CharField(max_length=256, trim_whitespace=False)
        new_password = serializers.CharField(max_length=256, trim_whitespace=False)

    @extend_schema(
        request=PasswordInputSerializer, responses={204: None}, operation_id="auth_password_change"
    )
    def post(self, request: Request) -> Response:
        s = self.PasswordInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        user = learner(request)
        wait = username_wait(user.username)
        if wait is not None:
            raise Throttled(wait=wait)
        try:
            password_change(user=user, **s.validated_data)
        except ServiceError as exc:
            if "old_password" in exc.fields:
                username_failure(user.username)
            raise
        update_session_auth_hash(request._request, learner(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    @extend_schema(responses={200: UserOut}, operation_id="me")
    def get(self, request: Request) -> Response:
        return Response(_user_out(request.user))
