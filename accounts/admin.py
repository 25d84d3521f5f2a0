from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin
from rest_framework.authtoken.models import TokenProxy

from singlewindow.admin import AuditedAdminMixin
from singlewindow.audit import AuditEntry, audit_log, audit_log_many

from .forms import TraderAccountAdminForm
from .models import ApiToken, TraderAccount, User

# DRF's plaintext tokens are no longer used (accounts.ApiToken, hashed, replaces them).
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


@admin.register(User)
class PortalUserAdmin(AuditedAdminMixin, UserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff")
    audit_name = "accounts.user"

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """The admin's password form saves without ``save_model``: audit it here (never the hash)."""
        with transaction.atomic():
            before = User.objects.filter(pk=id).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            user = User.objects.filter(pk=id).first()
            if before is not None and user is not None and user.password != before:
                audit_log(
                    action="accounts.user.password_set",
                    obj=user,
                    actor=request.user,
                    data={"before": {"password": "[hidden]"}, "after": {"password": "changed"}},
                )
        return response


@admin.register(TraderAccount)
class TraderAccountAdmin(AuditedAdminMixin, GuardedModelAdmin):  # type: ignore[misc]
    audit_name = "accounts.trader_account"
    form = TraderAccountAdminForm
    list_display = ("eori", "name", "country", "is_broker", "aeo_tier", "aeo_valid_until", "is_active")
    list_filter = ("is_active", "is_broker", "country")
    search_fields = ("eori", "name")


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Administrators see and revoke tokens; keys are never shown (only their hash is stored)."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "name", "prefix")
    list_select_related = ("user",)
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        with transaction.atomic():
            tokens = list(queryset.filter(revoked_at=None).select_for_update())
            ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=timezone.now())
            audit_log_many(
                AuditEntry(
                    action="accounts.api_token.revoked",
                    obj=token,
                    actor=request.user,
                    data={"user": token.user_id, "name": token.name, "prefix": token.prefix},
                )
                for token in tokens
            )
