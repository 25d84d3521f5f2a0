from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from guardian.admin import GuardedModelAdmin

from .models import TraderAccount, User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff")


@admin.register(TraderAccount)
class TraderAccountAdmin(GuardedModelAdmin):
    list_display = ("eori", "name", "country", "is_broker", "aeo_status", "is_active")
    list_filter = ("is_active", "is_broker", "country")
    search_fields = ("eori", "name")
