"""API authentication by the portal's own tokens (``ApiToken``), in place of DRF's TokenAuthentication."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .services import TokenError, api_token_authenticate


class TokenAuthenticationFailed(exceptions.AuthenticationFailed):
    def __init__(self, error: TokenError) -> None:
        super().__init__(error.message, code=error.code)
        self.default_code = error.code  # the API's error shape reads the code from here


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <key>`` (``Bearer`` works too). An unknown, revoked or expired key is a
    401 that says which; no header at all leaves the request to the next authentication class."""

    keywords = (b"token", b"bearer")

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: give one key after 'Token'.")
        try:
            key = parts[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed("Invalid token header: the key is not text.") from error
        try:
            token = api_token_authenticate(key=key)
        except TokenError as error:
            raise TokenAuthenticationFailed(error) from error
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return "Token"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Send "Token <key>". Keys come from POST /api/v1/auth/token or /api/v1/tokens, '
            "expire, and can be revoked.",
        }
