"""Declarations in the admin: read-only; they change only through services, never by hand."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Declaration, Document, GoodsItem, Party


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
class DeclarationAdmin(admin.ModelAdmin):
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
