"""Administrators create guarantees and deferment accounts (reference, limit, validity) and see
their headroom; securities and statements are read-only here.

A facility's status changes only through ``payments.facilities`` (the suspend, reactivate and close
actions call it); its limit may not go below what it already secures.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from singlewindow.admin import AuditedAdminMixin

from .facilities import (
    facilities_with_usage,
    facility_close,
    facility_reactivate,
    facility_suspend,
    money_text,
)
from .models import Facility, Security, Statement, StatementLine
from .money import home_currency


class FacilityAdminForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = ("trader_account", "kind", "reference", "limit", "currency", "valid_from", "valid_to")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["currency"].initial = home_currency()

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).upper()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        limit = cleaned.get("limit")
        if self.instance.pk and limit is not None:
            used = sum(
                (s.amount for s in Security.objects.filter(facility=self.instance, released_at__isnull=True)),
                Decimal(0),
            )
            if limit < used:
                self.add_error(
                    "limit",
                    gettext("The facility secures %(used)s already: the limit cannot be lower.")
                    % {"used": used},
                )
        return cleaned


class SecurityInline(admin.TabularInline):
    model = Security
    fields = ("declaration", "amount", "currency", "created_at", "released_at", "released_reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    verbose_name_plural = _("open securities (what the headroom is used by)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Security]:
        # Only the open ones: a facility's released securities grow without end.
        return (
            super()
            .get_queryset(request)
            .filter(released_at__isnull=True)
            .select_related("declaration")
            .order_by("-created_at")
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Facility)
class FacilityAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_name = "payments.facility"
    form = FacilityAdminForm
    list_display = (
        "reference",
        "trader_account",
        "kind",
        "limit_shown",
        "used_shown",
        "headroom_shown",
        "valid_to",
        "status",
    )
    list_filter = ("kind", "status")
    search_fields = ("reference", "trader_account__eori", "trader_account__name")
    autocomplete_fields = ("trader_account",)
    readonly_fields = ("status", "status_reason", "suspension_cause", "created_at")
    inlines = (SecurityInline,)
    actions = ("suspend", "reactivate", "close")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Facility]:
        # One query for the list, whatever the number of facilities: use summed in the database.
        return facilities_with_usage(super().get_queryset(request).select_related("trader_account"))

    @admin.display(description=_("limit"), ordering="limit")
    def limit_shown(self, obj: Facility) -> str:
        return money_text(Decimal(obj.limit), obj.currency)

    @admin.display(description=_("used"))
    def used_shown(self, obj: Facility) -> str:
        return money_text(Decimal(getattr(obj, "used", 0)), obj.currency)

    @admin.display(description=_("headroom"))
    def headroom_shown(self, obj: Facility) -> str:
        return money_text(Decimal(obj.limit) - Decimal(getattr(obj, "used", 0)), obj.currency)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # securities and statements refer to it: close it instead

    @admin.action(description=_("Suspend the selected facilities (they secure nothing new)"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Facility]) -> None:
        reason = gettext("suspended by an administrator")
        done = sum(facility_suspend(facility=f, reason=reason, actor=request.user) for f in queryset)
        self.message_user(request, gettext("%(count)d suspended.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Reactivate the selected facilities"))
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Facility]) -> None:
        done = sum(facility_reactivate(facility=f, actor=request.user) for f in queryset)
        self.message_user(request, gettext("%(count)d reactivated.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Close the selected facilities for good"))
    def close(self, request: HttpRequest, queryset: QuerySet[Facility]) -> None:
        done = sum(facility_close(facility=f, actor=request.user) for f in queryset)
        self.message_user(request, gettext("%(count)d closed.") % {"count": done}, messages.SUCCESS)


class StatementLineInline(admin.TabularInline):
    model = StatementLine
    fields = ("declaration", "ledger_transaction", "amount", "charged_on", "due_on")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatementLine]:
        return super().get_queryset(request).select_related("declaration", "ledger_transaction")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Statement)
class StatementAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "facility",
        "period_start",
        "period_end",
        "total",
        "currency",
        "due_on",
        "status",
        "paid_at",
    )
    list_filter = ("status",)
    list_select_related = ("facility",)
    search_fields = ("facility__reference", "facility__trader_account__eori")
    inlines = (StatementLineInline,)
    readonly_fields = (
        "facility",
        "period_start",
        "period_end",
        "due_on",
        "total",
        "currency",
        "status",
        "generated_at",
        "paid_at",
        "payment_id",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # made by the monthly job or ``manage.py statements_generate``

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
