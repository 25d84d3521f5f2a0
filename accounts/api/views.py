"""Sign in for a token, and a user's own tokens: list, create, revoke."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from singlewindow.errors import DomainError
from singlewindow.serializers import ErrorResponseSerializer

from .. import services
from ..models import User
from ..security import lockout_message
from ..two_factor import TwoFactorError, two_factor_verify, user_has_2fa, user_requires_2fa
from .serializers import ApiTokenSerializer, NewApiTokenSerializer, SignInSerializer, TokenCreateSerializer

TAGS = ["Authentication"]
SIGN_IN_NAME = "API sign-in"


class TokenView(APIView):
    """Exchange a username and password for a new API token of that user."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    serializer_class = SignInSerializer

    @extend_schema(
        summary="Obtain an API token",
        description=(
            "Each call makes a new token (it expires after SW_TOKEN_TTL_DAYS days). Tokens of the same "
            f"name beyond the newest {services.MAX_TOKENS_PER_NAME} are revoked. Repeated wrong "
            "passwords for one username from one address are locked out for a while (429). A user with "
            "two-step verification (every officer, supervisor and administrator) also sends otp: a code "
            "from the authenticator app or a recovery code; wrong codes are throttled (429)."
        ),
        tags=TAGS,
        request=SignInSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: ErrorResponseSerializer,
            429: ErrorResponseSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        data = SignInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The Django request, not DRF's wrapper: the lockout (django-axes) reads and flags it.
        http_request = request._request
        user = authenticate(
            request=http_request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            # AxesMiddleware answers the same, with Retry-After (accounts.security.lockout_response).
            raise DomainError("locked_out", lockout_message(), status=429)
        if user is None or not user.is_active:
            raise DomainError(
                "authorization", _("Unable to sign in with the username and password given."), status=400
            )
        assert isinstance(user, User)
        second_factor_check(user=user, code=data.validated_data.get("otp", ""))
        name = data.validated_data.get("name") or SIGN_IN_NAME
        _token, key = services.api_token_create(user=user, name=name, keep=services.MAX_TOKENS_PER_NAME)
        return Response({"token": key})


def second_factor_check(*, user: User, code: str) -> None:
    """A token for a user with two-step verification (or whose role requires it) only with a code.

    Raises ``DomainError`` pointing at ``otp`` (400), or the throttle's 429.
    """
    if not (user_requires_2fa(user) or user_has_2fa(user)):
        return
    if not code:
        message = _("This user signs in with two-step verification: send a one-time code in otp.")
        raise DomainError("otp_required", message, errors=[_otp_error("otp_required", message)])
    try:
        two_factor_verify(user=user, code=code)
    except TwoFactorError as error:
        if error.code == "otp_throttled":
            raise
        raise DomainError(
            error.code, error.message, errors=[_otp_error(error.code, error.message)], status=400
        ) from error


def _otp_error(code: str, message: str) -> dict[str, str]:
    return {"pointer": "otp", "field": "otp", "code": code, "message": message}


class TokenListView(APIView):
    """The signed-in user's tokens that still work; make a new one."""

    @extend_schema(summary="List your API tokens", tags=TAGS, responses={200: ApiTokenSerializer(many=True)})
    def get(self, request: Request) -> Response:
        tokens = services.api_tokens_active(user=request.user)  # type: ignore[arg-type]
        return Response(ApiTokenSerializer(tokens, many=True).data)

    @extend_schema(
        summary="Create an API token",
        tags=TAGS,
        request=TokenCreateSerializer,
        responses={201: NewApiTokenSerializer, 400: ErrorResponseSerializer},
    )
    def post(self, request: Request) -> Response:
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = services.api_token_create(user=request.user, name=data.validated_data["name"])  # type: ignore[arg-type]
        token.token = key  # type: ignore[attr-defined]
        return Response(NewApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    @extend_schema(
        summary="Revoke one of your API tokens",
        tags=TAGS,
        request=None,
        responses={204: None, 404: ErrorResponseSerializer},
    )
    def delete(self, request: Request, token_id: int) -> Response:
        services.api_token_revoke(user=request.user, token_id=token_id)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
