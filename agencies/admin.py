from __future__ import annotations

from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import Agency


@admin.register(Agency)
class AgencyAdmin(GuardedModelAdmin):
    list_display = ("code", "name", "is_customs", "service_level_hours", "is_active")
    search_fields = ("code", "name")
