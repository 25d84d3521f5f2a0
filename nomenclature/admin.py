"""Editions are loaded with ``manage.py load_nomenclature``; the admin lists them and can delete one."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from singlewindow.admin import AuditedAdminMixin

from .models import NomenclatureEdition


@admin.register(NomenclatureEdition)
class NomenclatureEditionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "valid_from", "valid_to", "digits", "code_count", "loaded_at", "loaded_by")
    readonly_fields = ("name", "digits", "code_count", "source", "loaded_at", "loaded_by")
    fields = ("name", "valid_from", "valid_to", "digits", "code_count", "source", "loaded_at", "loaded_by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
