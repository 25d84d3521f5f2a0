"""Service requests and ratings are records the services write: read-only in the admin (the help
desk pages at /help/desk/ are where requests are answered)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from singlewindow.admin import AuditedAdminMixin

from .models import SatisfactionRating, ServiceRequest, ServiceRequestMessage


class _ReadOnly(AuditedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MessageInline(admin.TabularInline):
    model = ServiceRequestMessage
    extra = 0
    fields = ("created_at", "author", "from_staff", "internal", "body")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(_ReadOnly):
    list_display = (
        "reference",
        "category",
        "status",
        "trader_account",
        "created_at",
        "due_at",
        "first_response_at",
    )
    list_filter = ("status", "category")
    search_fields = ("reference", "subject", "declaration__mrn", "trader_account__eori")
    list_select_related = ("trader_account",)
    inlines = [MessageInline]


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(_ReadOnly):
    list_display = ("declaration", "score", "user", "created_at")
    list_filter = ("score",)
    search_fields = ("declaration__mrn",)
    list_select_related = ("declaration", "user")
