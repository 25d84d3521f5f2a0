"""Administrators onboard agencies: officers, routing rules, service levels, webhook endpoints.

Reviews, deliveries and requests are read-only here: their statuses change only through
``agencies.services`` (a failed delivery is replayed with the admin action, which calls it; an
agency's delivery circuit is closed with its own action). An agency's webhook secret is
write-only, and the part kept of an endpoint's failed answer is a short excerpt, shown escaped.
The routing dry-run page answers "which agencies would this declaration hit, and why" without
writing anything.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from accounts.models import User
from declarations.models import Declaration, Status
from singlewindow.admin import AuditedAdminMixin
from singlewindow.audit import audit_log

from . import services
from .forms import AgencyAdminForm
from .models import (
    Agency,
    AgencyReview,
    Attachment,
    CircuitState,
    DeliveryCircuit,
    DeliveryStatus,
    InformationRequest,
    RoutingRule,
    WebhookDelivery,
)
from .routing import routing_dry_run

# Of a delivery's last error: the reason and the 200-character excerpt of the answer (egress).
ERROR_SHOWN = 300

# Agency fields that make its webhook endpoint: their changes are audited on their own.
WEBHOOK_FIELDS = ("webhook_url", "webhook_secret")


class ReadOnlyAdmin(AuditedAdminMixin, admin.ModelAdmin):
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
class AgencyAdmin(AuditedAdminMixin, GuardedModelAdmin):  # type: ignore[misc]
    """Agencies; the webhook secret is write-only (``AgencyAdminForm``), and the delivery circuit
    (``DeliveryCircuit``) is shown with a "close circuit / retry now" action."""

    form = AgencyAdminForm
    audit_name = "agencies.agency"
    list_display = (
        "code",
        "name",
        "is_customs",
        "service_level_hours",
        "auto_decide",
        "webhook_url",
        "circuit_column",
        "is_active",
    )
    list_filter = ("is_active", "auto_decide")
    list_select_related = ("circuit",)
    search_fields = ("code", "name")
    inlines = [RoutingRuleInline]
    readonly_fields = ("delivery_circuit",)
    actions = ["close_circuits"]
    fieldsets = (
        (None, {"fields": ("code", "name", "is_customs", "service_level_hours", "is_active", "auto_decide")}),
        (
            _("Agency's own system"),
            {
                "fields": (
                    "webhook_url",
                    "new_webhook_secret",
                    "generate_webhook_secret",
                    "delivery_circuit",
                )
            },
        ),
    )

    @admin.display(description=_("deliveries"))
    def circuit_column(self, agency: Agency) -> str:
        circuit = _circuit_of(agency)
        return str(circuit.state.label) if circuit is not None else str(CircuitState.CLOSED.label)

    @admin.display(description=_("delivery circuit"))
    def delivery_circuit(self, agency: Agency) -> str:
        if agency.pk is None:
            return "—"
        circuit = _circuit_of(agency)
        parked = WebhookDelivery.objects.filter(
            agency=agency, status=DeliveryStatus.PENDING, parked_at__isnull=False
        ).count()
        if circuit is None or circuit.state == CircuitState.CLOSED:
            failures = circuit.failures if circuit is not None else 0
            text = gettext(
                "Closed: deliveries go out. Failed attempts in a row: %(n)s; deliveries parked: %(parked)s."
            ) % {"n": failures, "parked": parked}
        else:
            text = gettext(
                "%(state)s. Opened %(opened)s after %(n)s failed attempts in a row, next trial delivery "
                "from %(retry)s; deliveries parked: %(parked)s."
            ) % {
                "state": circuit.state.label,
                "opened": date_format(timezone.localtime(circuit.opened_at), "DATETIME_FORMAT"),
                "n": circuit.failures,
                "retry": date_format(timezone.localtime(circuit.retry_at), "DATETIME_FORMAT"),
                "parked": parked,
            }
        if circuit is None or (circuit.state == CircuitState.CLOSED and not parked):
            return text
        url = reverse("admin:agencies_agency_circuit_close", args=[agency.pk])
        return format_html('{} <a href="{}">{}</a>', text, url, gettext("Close circuit / retry now"))

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<path:object_id>/circuit/close/",
                self.admin_site.admin_view(self.circuit_close_view),
                name="agencies_agency_circuit_close",
            )
        ]
        return extra + super().get_urls()

    def circuit_close_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Confirm, then close the agency's circuit: its parked deliveries go at once."""
        agency = self.get_object(request, object_id)
        if agency is None:
            raise Http404
        if not self.has_change_permission(request, agency):
            raise PermissionDenied
        change_url = reverse("admin:agencies_agency_change", args=[agency.pk])
        if request.method == "POST":
            actor: User = request.user  # type: ignore[assignment]
            released = services.circuit_close(agency=agency, actor=actor)
            self.message_user(
                request,
                gettext("The circuit of %(agency)s is closed; %(n)s parked deliveries queued again.")
                % {"agency": agency, "n": released},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Close the delivery circuit"),
            "agency": agency,
            "circuit": _circuit_of(agency),
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/agencies/agency/circuit_close.html", context)

    @admin.action(description=_("Close the delivery circuit and retry parked deliveries now"))
    def close_circuits(self, request: HttpRequest, queryset: QuerySet[Agency]) -> None:
        actor: User = request.user  # type: ignore[assignment]
        released = sum(services.circuit_close(agency=agency, actor=actor) for agency in queryset)
        self.message_user(
            request,
            gettext("Circuits closed; %(n)s parked deliveries queued again.") % {"n": released},
            messages.SUCCESS,
        )

    def save_model(self, request: HttpRequest, obj: Agency, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if getattr(form, "secret_changed", False):
            audit_log(
                action="agencies.agency.webhook_secret_set",
                obj=obj,
                actor=request.user,
                data={"agency": obj.code, "generated": bool(form.generated_secret)},
            )
        # Shown once, on the page answering this request, and never again (see _secret_shown_once).
        request._generated_webhook_secret = form.generated_secret  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: Agency, post_url_continue: str | None = None) -> Any:
        return self._secret_shown_once(request, obj) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: Agency) -> Any:
        return self._secret_shown_once(request, obj) or super().response_change(request, obj)

    def _secret_shown_once(self, request: HttpRequest, agency: Agency) -> HttpResponse | None:
        secret = getattr(request, "_generated_webhook_secret", "")
        if not secret:
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("The new webhook secret"),
            "agency": agency,
            "secret": secret,
            "change_url": reverse("admin:agencies_agency_change", args=[agency.pk]),
        }
        response = TemplateResponse(request, "admin/agencies/agency/secret_generated.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def audit_change_events(
        self, obj: Any, diff: dict[str, dict[str, Any]]
    ) -> list[tuple[str, dict[str, Any]]]:
        """The webhook endpoint (URL, secret) apart from the rest of the agency's settings."""
        hook: dict[str, dict[str, Any]] = {"before": {}, "after": {}}
        rest: dict[str, dict[str, Any]] = {"before": {}, "after": {}}
        for side in ("before", "after"):
            for name, value in diff[side].items():
                (hook if name in WEBHOOK_FIELDS else rest)[side][name] = value
        return [("agencies.agency.changed", rest), ("agencies.agency.webhook_changed", hook)]


def _circuit_of(agency: Agency) -> DeliveryCircuit | None:
    try:
        return agency.circuit
    except DeliveryCircuit.DoesNotExist:
        return None


class DryRunForm(forms.Form):
    mrn = forms.CharField(label=_("MRN"), max_length=18)

    def clean_mrn(self) -> Declaration:
        mrn = self.cleaned_data["mrn"].strip().upper()
        declaration = Declaration.objects.exclude(status=Status.DRAFT).filter(mrn=mrn).first()
        if declaration is None:
            raise forms.ValidationError(_("No lodged declaration has this MRN."))
        return declaration


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_name = "agencies.routing_rule"
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
        "parked_at",
        "delivered_at",
    )
    list_filter = ("status", "agency")
    list_select_related = ("agency", "review")
    fields = (
        "review",
        "agency",
        "event",
        "information_request",
        "status",
        "attempts",
        "last_status_code",
        "error_excerpt",
        "created_at",
        "last_attempt_at",
        "parked_at",
        "delivered_at",
        "payload",
    )
    readonly_fields = ("error_excerpt", "payload", "parked_at")
    actions = ["replay"]

    @admin.display(description=_("last error"))
    def error_excerpt(self, delivery: WebhookDelivery) -> str:
        """At most ERROR_SHOWN characters, escaped by the admin (rows from before the excerpt rule
        may hold more of an endpoint's answer)."""
        return Truncator(delivery.last_error).chars(ERROR_SHOWN)

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
