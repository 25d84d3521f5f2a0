"""Release decisions and notifications are records: read-only in the admin (services write them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from singlewindow.admin import AuditedAdminMixin

from .models import Notification, ReleaseDecision


class _ReadOnly(AuditedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReleaseDecision)
class ReleaseDecisionAdmin(_ReadOnly):
    list_display = ("declaration", "outcome", "automatic", "override", "decided_by", "decided_at")
    list_filter = ("outcome", "automatic", "override")
    search_fields = ("declaration__mrn",)
    list_select_related = ("declaration", "decided_by")


@admin.register(Notification)
class NotificationAdmin(_ReadOnly):
    list_display = ("user", "kind", "declaration", "created_at", "read_at")
    list_filter = ("kind",)
    list_select_related = ("user", "declaration")
