"""Administrators onboard agencies: officers, routing rules, service levels, webhook endpoints.

Reviews, deliveries and requests are read-only here: their statuses change only through
``agencies.services`` (a failed delivery is replayed with the admin action, which calls it).
The routing dry-run page answers "which agencies would this declaration hit, and why" without
writing anything.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from accounts.models import User
from declarations.models import Declaration, Status

from . import services
from .models import Agency, AgencyReview, Attachment, InformationRequest, RoutingRule, WebhookDelivery
from .routing import routing_dry_run


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# What an administrator sets on a rule (the agency too, outside the agency's own page).
RULE_FIELDS = (
    "name",
    "hs_prefix",
    "direction",
    "origin_country",
    "destination_country",
    "procedure_code",
    "required_documents",
    "is_active",
)


class DocumentCodesField(forms.CharField):
    """DE 2/3 document codes typed as "N851, C085" (commas or spaces); stored as a sorted list."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(value)
        return super().prepare_value(value)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return value
        text = str(value or "").replace(",", " ")
        return sorted({code.strip().upper() for code in text.split() if code.strip()})

    def validate(self, value: Any) -> None:
        bad = [code for code in value if not (len(code) == 4 and code.isalnum())]
        if bad:
            raise forms.ValidationError(
                _("Document codes have four letters or digits, like N851: %(codes)s.")
                % {"codes": ", ".join(bad)}
            )


class RoutingRuleForm(forms.ModelForm):
    required_documents = DocumentCodesField(
        label=_("required documents"),
        required=False,
        help_text=_("DE 2/3 document codes the agency requires, separated by commas, e.g. N851, C085."),
    )

    class Meta:
        model = RoutingRule
        fields = ("agency", *RULE_FIELDS)


class RoutingRuleInline(admin.TabularInline):
    model = RoutingRule
    form = RoutingRuleForm
    extra = 0
    fields = RULE_FIELDS


@admin.register(Agency)
class AgencyAdmin(GuardedModelAdmin):
    list_display = (
        "code",
        "name",
        "is_customs",
        "service_level_hours",
        "auto_decide",
        "webhook_url",
        "is_active",
    )
    list_filter = ("is_active", "auto_decide")
    search_fields = ("code", "name")
    inlines = [RoutingRuleInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "is_customs", "service_level_hours", "is_active", "auto_decide")}),
        (_("Agency's own system"), {"fields": ("webhook_url", "webhook_secret")}),
    )


class DryRunForm(forms.Form):
    mrn = forms.CharField(label=_("MRN"), max_length=18)

    def clean_mrn(self) -> Declaration:
        mrn = self.cleaned_data["mrn"].strip().upper()
        declaration = Declaration.objects.exclude(status=Status.DRAFT).filter(mrn=mrn).first()
        if declaration is None:
            raise forms.ValidationError(_("No lodged declaration has this MRN."))
        return declaration


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ("name", "agency", *RULE_FIELDS[1:])
    list_filter = ("agency", "direction", "is_active")
    search_fields = ("name", "hs_prefix", "agency__name")
    list_select_related = ("agency",)
    change_list_template = "admin/agencies/routingrule/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "dry-run/",
                self.admin_site.admin_view(self.dry_run_view),
                name="agencies_routingrule_dry_run",
            )
        ]
        return extra + super().get_urls()

    def dry_run_view(self, request: HttpRequest) -> HttpResponse:
        """Which agencies would this declaration hit, and why: the active rules, nothing written."""
        form = DryRunForm(request.GET or None)
        routes = None
        declaration = None
        if form.is_valid():
            declaration = form.cleaned_data["mrn"]
            routes = routing_dry_run(declaration)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Routing dry run"),
            "form": form,
            "declaration": declaration,
            "routes": routes,
        }
        return TemplateResponse(request, "admin/agencies/routing_dry_run.html", context)


class InformationRequestInline(admin.TabularInline):
    model = InformationRequest
    extra = 0
    fields = ("question", "asked_by", "asked_at", "answer", "answered_by", "answered_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AgencyReview)
class AgencyReviewAdmin(ReadOnlyAdmin):
    list_display = ("declaration", "agency", "status", "claimed_by", "due_at", "decided_at")
    list_filter = ("status", "agency")
    search_fields = ("declaration__mrn",)
    list_select_related = ("declaration", "agency", "claimed_by")
    raw_id_fields = ("declaration", "items")
    inlines = [InformationRequestInline]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ("original_name", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InformationRequest)
class InformationRequestAdmin(ReadOnlyAdmin):
    list_display = ("review", "asked_by", "asked_at", "answered_at")
    list_select_related = ("review__agency", "review__declaration", "asked_by")
    inlines = [AttachmentInline]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "agency",
        "review",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "last_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "agency")
    list_select_related = ("agency", "review")
    readonly_fields = ("last_error", "payload")
    actions = ["replay"]

    @admin.action(description=_("Replay the selected deliveries"))
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        actor: User = request.user  # type: ignore[assignment]
        replayed = 0
        for delivery in queryset.select_related("agency"):
            if delivery.status != "delivered":
                services.delivery_replay(delivery=delivery, actor=actor)
                replayed += 1
        self.message_user(
            request,
            _("%(n)s deliveries queued again (already delivered ones are left alone).") % {"n": replayed},
            messages.SUCCESS,
        )
