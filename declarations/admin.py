"""Declarations (read-only: they change only through services) and reference-data overrides."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from singlewindow.admin import AuditedAdminMixin

from . import refdata
from .models import Declaration, Document, GoodsItem, Party, ReferenceCode


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PartyInline(ReadOnlyInline):
    model = Party
    fields = ("role", "eori", "name", "city", "country")


class GoodsItemInline(ReadOnlyInline):
    model = GoodsItem
    fields = (
        "sequence",
        "commodity_code",
        "description",
        "origin_country",
        "net_mass",
        "value_amount",
        "value_currency",
        "procedure_code",
    )


class DocumentInline(ReadOnlyInline):
    model = Document
    fields = ("item", "kind", "code", "reference", "status")


@admin.register(Declaration)
class DeclarationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("mrn", "lrn", "status", "type_code", "additional_type", "trader_account", "accepted_at")
    list_filter = ("status", "direction", "channel")
    search_fields = ("mrn", "lrn", "trader_account__eori", "declarant_account__eori")
    list_select_related = ("trader_account",)
    date_hierarchy = "accepted_at"
    inlines = [PartyInline, GoodsItemInline, DocumentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Reference codes, unlike declarations, are edited here: they are the administrator's layer over
# the shipped reference data (see ``declarations.refdata``). The audit events (the fields before
# and after; the mixin) and ``updated_by`` with the row's note record who changed what and why.
@admin.register(ReferenceCode)
class ReferenceCodeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_name = "declarations.reference_code"
    audit_actions = {  # noqa: RUF012 - read only
        "created": "declarations.reference_code.changed",
        "changed": "declarations.reference_code.changed",
        "deleted": "declarations.reference_code.removed",
    }
    list_display = (
        "code_list",
        "code",
        "description",
        "shipped_value",
        "is_active",
        "updated_at",
        "updated_by",
    )
    list_filter = ("code_list", "is_active")
    search_fields = ("code", "description")
    list_select_related = ("updated_by",)
    fields = (
        "code_list",
        "code",
        "shipped_value",
        "description",
        "is_active",
        "note",
        "updated_at",
        "updated_by",
    )
    readonly_fields = ("shipped_value", "updated_at", "updated_by")

    @admin.display(description=_("shipped value"))
    def shipped_value(self, obj: ReferenceCode) -> str:
        """What the shipped files say about this code, so the administrator sees what they override."""
        if not obj.code:
            return str(_("shown once the code is saved"))
        shipped = refdata.shipped_description(obj.code_list, obj.code)
        return shipped if shipped is not None else str(_("not in the shipped data"))

    def save_model(self, request: HttpRequest, obj: ReferenceCode, form: Any, change: bool) -> None:
        obj.updated_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
