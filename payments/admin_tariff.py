"""Administrators maintain the tariff in the browser: measures, exchange rates, agency fees.

Each form runs the model's rules (``validate_rules`` and the overlap check: two rows of the same
code, origin, tax type and preference, or currency, or agency and basis, never in force on the
same day). A measure or fee that an assessment used keeps its rates: only its last day and note
may change (end it and add the new rate), so an old assessment still shows what it applied. The
upload page loads a whole CSV file with the same loader as ``manage.py load_tariff``. Every change
is audited (``AuditedAdminMixin``). Assessments are read-only records.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from singlewindow.admin import AuditedAdminMixin

from .models import Assessment, AssessmentLine, ExchangeRate, FeeRule, TariffMeasure
from .refdata.loader import TariffFileError, tariff_load
from .tariff import code_prefixes

# A tariff file is small (the demo is 10 kB; a national extract a few MB): refuse anything larger.
UPLOAD_LIMIT = 20 * 1024 * 1024


class InForceFilter(admin.SimpleListFilter):
    title = _("validity")
    parameter_name = "in_force"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("now", _("In force today")), ("ended", _("Ended")), ("future", _("Starts later"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        today = timezone.localdate()
        value = self.value()
        if value == "now":
            return queryset.filter(
                Q(valid_from__lte=today), Q(valid_to__isnull=True) | Q(valid_to__gte=today)
            )
        if value == "ended":
            return queryset.filter(valid_to__lt=today)
        if value == "future":
            return queryset.filter(valid_from__gt=today)
        return queryset


class _UsedKeepsItsRates:
    """A row an assessment used: only ``valid_to`` and the note stay editable."""

    editable_once_used: tuple[str, ...] = ("valid_to",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if obj is not None and obj.pk is not None and obj.assessment_lines.exists():
            fields += [
                f.name
                for f in obj._meta.fields
                if f.editable and f.name not in self.editable_once_used and f.name not in fields
            ]
        return fields


class TariffUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tariff file (CSV)"),
        help_text=_(
            "Measures, exchange rates and agency fees; the columns of payments/refdata/uk_tariff_demo.csv."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > UPLOAD_LIMIT:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


@admin.register(TariffMeasure)
class TariffMeasureAdmin(_UsedKeepsItsRates, AuditedAdminMixin, admin.ModelAdmin):
    audit_name = "payments.tariff_measure"
    editable_once_used = ("valid_to", "legal_note")
    list_display = (
        "code_prefix",
        "tax_type",
        "origin_shown",
        "preference_code",
        "kind",
        "rate_percent",
        "specific_amount",
        "unit",
        "vat_rate",
        "valid_from",
        "valid_to",
    )
    list_filter = (InForceFilter, "tax_type", "kind", "vat_rate", "preference_code", "source")
    search_fields = ("code_prefix", "legal_note")
    search_help_text = _(
        "A commodity code finds every measure whose prefix covers it (85109000: 8510, 85 …)."
    )
    ordering = ("code_prefix", "tax_type", "origin", "preference_code", "valid_from")
    fieldsets = (
        (None, {"fields": ("code_prefix", "tax_type", "origin", "preference_code", "proof_documents")}),
        (
            _("Rate"),
            {"fields": ("kind", "rate_percent", "specific_amount", "specific_currency", "unit", "vat_rate")},
        ),
        (_("Validity and source"), {"fields": ("valid_from", "valid_to", "source", "legal_note")}),
    )
    change_list_template = "admin/payments/tariffmeasure/change_list.html"

    @admin.display(description=_("origin"), ordering="origin")
    def origin_shown(self, measure: TariffMeasure) -> str:
        return measure.origin or gettext("every origin")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip().replace(" ", "").replace(".", "")
        if term.isdigit() and len(term) >= 2:
            # A code: the measures that apply to it (its prefixes) and those below it.
            return queryset.filter(
                Q(code_prefix__in=code_prefixes(term)) | Q(code_prefix__startswith=term)
            ), False
        return super().get_search_results(request, queryset, search_term)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="payments_tariffmeasure_upload",
            )
        ]
        return extra + super().get_urls()

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Load a tariff file: every row or none, each problem named by line and column."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        problems: list[str] = []
        form = TariffUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = upload.read().decode("utf-8")
                summary = tariff_load(text, source=upload.name, actor=request.user)
            except UnicodeDecodeError:
                problems = [gettext("The file is not UTF-8 text.")]
            except TariffFileError as exc:
                problems = exc.problems
            else:
                messages.success(
                    request,
                    gettext("%(name)s loaded: %(summary)s.") % {"name": upload.name, "summary": summary},
                )
                return HttpResponseRedirect(reverse("admin:payments_tariffmeasure_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Upload a tariff file"),
            "form": form,
            "problems": problems,
        }
        return TemplateResponse(request, "admin/payments/tariff_upload.html", context)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_name = "payments.exchange_rate"
    list_display = ("currency", "rate", "valid_from", "valid_to", "source")
    list_filter = (InForceFilter, "currency")
    search_fields = ("currency",)
    fields = ("currency", "rate", "valid_from", "valid_to", "source")


@admin.register(FeeRule)
class FeeRuleAdmin(_UsedKeepsItsRates, AuditedAdminMixin, admin.ModelAdmin):
    audit_name = "payments.fee_rule"
    editable_once_used = ("valid_to", "description")
    list_display = ("agency", "basis", "amount", "currency", "valid_from", "valid_to", "description")
    list_filter = (InForceFilter, "agency", "basis")
    search_fields = ("agency__code", "agency__name", "description")
    list_select_related = ("agency",)
    fields = ("agency", "basis", "amount", "currency", "valid_from", "valid_to", "description")


class AssessmentLineInline(admin.TabularInline):
    model = AssessmentLine
    extra = 0
    can_delete = False
    fields = (
        "item_sequence",
        "category",
        "tax_type",
        "agency_code",
        "amount",
        "declared_amount",
        "explained",
    )
    readonly_fields = fields

    @admin.display(description=_("explanation"))
    def explained(self, line: AssessmentLine) -> str:
        return line.explanation

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("assessment")


@admin.register(Assessment)
class AssessmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Assessments are records: written by ``payments.assessment.assess`` only."""

    list_display = ("declaration", "version", "total", "currency", "assessed_on", "is_current", "created_at")
    list_filter = ("is_current",)
    search_fields = ("declaration__mrn",)
    list_select_related = ("declaration",)
    fields = (
        "declaration",
        "version",
        "total",
        "currency",
        "assessed_on",
        "is_current",
        "supersedes",
        "created_at",
    )
    readonly_fields = fields
    inlines = [AssessmentLineInline]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
