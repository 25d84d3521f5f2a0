"""The Django admin behind two-step verification: staff must have given a code in this session."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from .two_factor import user_has_2fa


class PortalAdminSite(admin.AdminSite):
    """Staff whose session is not verified are not let in; signing in goes through the portal's pages
    (password, then code), never the admin's own password-only form."""

    def has_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return super().has_permission(request) and bool(getattr(user, "is_verified", lambda: False)())

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            return redirect_to_login(next_url, reverse("login"))
        user: Any = request.user
        if user.is_active and user.is_staff and not user.is_verified():
            # The admin asks for a code whatever SW_REQUIRE_2FA_ROLES says: set one up if need be.
            step = "two_factor_verify" if user_has_2fa(user) else "two_factor_setup"
            return redirect_to_login(next_url, reverse(step))
        return super().login(request, extra_context)
