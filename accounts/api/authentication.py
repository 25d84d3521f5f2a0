"""Browser sessions on the API, refused while the session still owes its second factor."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from ..two_factor import user_needs_verification


class VerifiedSessionAuthentication(SessionAuthentication):
    """DRF's session authentication, except for a session that has not given its code yet (a user
    whose role requires two-step verification, or who turned it on). Tokens are not asked again:
    they are issued only with a code."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is not None and user_needs_verification(request._request):
            raise exceptions.PermissionDenied(
                _("Two-step verification is required: enter your code in the portal first.")
            )
        return result


class VerifiedSessionScheme(SessionScheme):
    """The OpenAPI description of the session (cookie) authentication, for this subclass too."""

    target_class = "accounts.api.authentication.VerifiedSessionAuthentication"
