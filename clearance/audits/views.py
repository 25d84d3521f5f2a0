"""The post-clearance audit pages: the list of audits (auditors), one audit's case page (the
declaration's goods, values, duties charged and documents beside the findings and the outcome),
opening an audit by hand, and the selection criteria and settings (supervisors).

Access through ``selectors`` (the same 404 for missing and not allowed); changes through
``services``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from agencies.forms import add_service_errors, error_summary
from declarations.models import Declaration, Document, Status
from payments.ledger import declaration_totals
from payments.refunds import revenue_by_code
from singlewindow.audit import action_label, audit_diff, audit_log, audit_snapshot, audit_values, events_for
from singlewindow.errors import DomainError

from ..models import AuditCriterion, AuditSelection, AuditStatus, PostClearanceAudit
from . import selectors, services
from .forms import TAX_TYPES, AuditCriterionForm, AuditSettingsForm, ConcludeForm, FindingForm, OpenAuditForm
from .selection import audit_settings


def _errors(form: Any) -> list[dict[str, str]]:
    return error_summary(form)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# The list ---------------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> selectors.AuditFilters:
    status = request.GET.get("status", "")
    selection = request.GET.get("selection", "")
    return selectors.AuditFilters(
        status=status if status in AuditStatus.values else "",
        selection=selection if selection in AuditSelection.values else "",
        overdue=request.GET.get("overdue") == "1",
    )


def _render_list(request: HttpRequest, open_form: OpenAuditForm | None, *, status: int = 200) -> HttpResponse:
    user = _user(request)
    filters = _filters(request)
    page = Paginator(selectors.audit_list(user, filters), selectors.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = urlencode(
        {k: v for k, v in (("status", filters.status), ("selection", filters.selection)) if v}
        | ({"overdue": "1"} if filters.overdue else {})
    )
    return render(
        request,
        "clearance/audits/list.html",
        {
            "nav": "audits",
            "page": page,
            "filters": filters,
            "query": query,
            "counts": selectors.audit_counts(user),
            "statuses": AuditStatus.choices,
            "selections": AuditSelection.choices,
            "open_form": open_form,
            "errors": error_summary(open_form) if open_form is not None and open_form.is_bound else [],
            "supervisor": selectors.is_audit_supervisor(user),
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    """Auditors: open audits by due date, then concluded ones; filters by status, selection, overdue."""
    user = selectors.require_auditor(_user(request))
    return _render_list(request, OpenAuditForm() if selectors.is_audit_supervisor(user) else None)


@login_required
@require_POST
def audit_open(request: HttpRequest) -> HttpResponse:
    """A supervisor opens an audit of a released declaration by hand, with a reason."""
    user = selectors.require_audit_supervisor(_user(request))
    form = OpenAuditForm(request.POST)
    if form.is_valid():
        declaration = (
            Declaration.objects.filter(mrn=form.cleaned_data["mrn"], status=Status.RELEASED)
            .only("pk")
            .first()
        )
        if declaration is None:
            form.add_error("mrn", _("No released declaration has this MRN."))
        else:
            try:
                audit = services.audit_open_by_hand(
                    declaration_id=declaration.pk, supervisor=user, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                add_service_errors(form, exc, default_field="mrn")
            else:
                messages.success(request, _("Audit of %(mrn)s opened.") % {"mrn": form.cleaned_data["mrn"]})
                return redirect("clearance:audit", pk=audit.pk)
    return _render_list(request, form, status=400)


# One audit --------------------------------------------------------------------------------------


def _tax_types(declaration: Declaration, charged: dict[str, Any]) -> list[tuple[str, Any]]:
    known = dict(TAX_TYPES)
    codes = [(code, known.get(code, code)) for code in sorted(charged)]
    codes += [(code, label) for code, label in TAX_TYPES if code not in charged]
    return codes


def _render_case(
    request: HttpRequest,
    audit: PostClearanceAudit,
    *,
    finding_form: FindingForm | None = None,
    conclude_form: ConcludeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    declaration = audit.declaration
    items = list(declaration.items.prefetch_related("documents").order_by("sequence"))
    for item in items:
        item.item_documents = list(item.documents.all())  # type: ignore[attr-defined]
    header_documents = list(
        Document.objects.filter(declaration=declaration, item__isnull=True).order_by("position")
    )
    charged_by_code = revenue_by_code(declaration.pk)
    charged, outstanding = declaration_totals(declaration.pk)
    if audit.is_open:
        finding_form = finding_form or FindingForm(items=items, auto_id="id_finding_%s")
        conclude_form = conclude_form or ConcludeForm(
            tax_types=_tax_types(declaration, charged_by_code), auto_id="id_conclude_%s"
        )
    errors = [
        *(error_summary(finding_form) if finding_form is not None and finding_form.is_bound else []),
        *(error_summary(conclude_form) if conclude_form is not None and conclude_form.is_bound else []),
    ]
    trail = [
        {"event": e, "label": action_label(e.action), "actor": e.actor.get_username() if e.actor else ""}
        for e in events_for(audit).select_related("actor").order_by("at", "pk")
    ]
    return render(
        request,
        "clearance/audits/case.html",
        {
            "nav": "audits",
            "audit": audit,
            "declaration": declaration,
            "items": items,
            "header_documents": header_documents,
            "charged_by_code": sorted(charged_by_code.items()),
            "charged": charged,
            "outstanding": outstanding,
            "findings": list(audit.findings.select_related("recorded_by")),
            "finding_form": finding_form,
            "conclude_form": conclude_form,
            "errors": errors,
            "trail": trail,
        },
        status=status,
    )


@login_required
@require_GET
def audit_case(request: HttpRequest, pk: int) -> HttpResponse:
    audit = selectors.access_audit(_user(request), pk)
    return _render_case(request, audit)


@login_required
@require_POST
def audit_finding(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    audit = selectors.access_audit(user, pk)
    if not audit.is_open:
        messages.error(request, _("This audit has already been concluded."))
        return redirect("clearance:audit", pk=audit.pk)
    items = list(audit.declaration.items.order_by("sequence"))
    form = FindingForm(request.POST, items=items, auto_id="id_finding_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.audit_finding_record(
                audit_id=audit.pk,
                auditor=user,
                finding=services.Finding(
                    kind=data["kind"],
                    note=data["note"],
                    item_sequence=data.get("item_sequence"),
                    corrected_commodity_code=data.get("corrected_commodity_code") or "",
                    corrected_value=data.get("corrected_value"),
                    corrected_origin=data.get("corrected_origin") or "",
                ),
            )
        except DomainError as exc:
            add_service_errors(form, exc, default_field="note")
        else:
            messages.success(request, _("Finding recorded."))
            return redirect("clearance:audit", pk=audit.pk)
    return _render_case(request, audit, finding_form=form, status=400)


@login_required
@require_POST
def audit_conclude(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    audit = selectors.access_audit(user, pk)
    if not audit.is_open:
        messages.error(request, _("This audit has already been concluded."))
        return redirect("clearance:audit", pk=audit.pk)
    form = ConcludeForm(
        request.POST,
        tax_types=_tax_types(audit.declaration, revenue_by_code(audit.declaration_id)),
        auto_id="id_conclude_%s",
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.audit_conclude(
                audit_id=audit.pk,
                auditor=user,
                outcome=data["outcome"],
                reason=data["reason"],
                amount=data.get("amount"),
                tax_type=data.get("tax_type") or "",
            )
        except DomainError as exc:
            if exc.code == "audit_concluded":
                messages.error(request, exc.message)
                return redirect("clearance:audit", pk=audit.pk)
            add_service_errors(form, exc, default_field="amount" if exc.code == "audit_ledger" else "outcome")
        else:
            messages.success(request, _("Audit concluded; the trader has been told."))
            return redirect("clearance:audit", pk=audit.pk)
    return _render_case(request, audit, conclude_form=form, status=400)


# Criteria and settings (supervisors) ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def criteria(request: HttpRequest) -> HttpResponse:
    """The selection criteria, and the settings (random share, look-back window, days to conclude)."""
    user = selectors.require_audit_supervisor(_user(request))
    row = audit_settings()
    before = audit_snapshot(row)
    form = AuditSettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save(commit=False)
            saved.updated_by = user
            saved.save()
            diff = audit_diff(before, audit_snapshot(saved))
            for side in ("before", "after"):
                diff[side].pop("updated_at", None)
                diff[side].pop("updated_by", None)
            if diff["after"]:
                audit_log(action="clearance.audit.settings_changed", obj=saved, actor=user, data=diff)
        messages.success(request, _("Audit selection settings saved: they apply to the next selection run."))
        return redirect("clearance:audit_criteria")
    return render(
        request,
        "clearance/audits/criteria.html",
        {
            "nav": "audits",
            "criteria": list(
                AuditCriterion.objects.select_related("trader_account").order_by("-is_active", "name")
            ),
            "form": form,
            "errors": _errors(form) if form.is_bound else [],
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def criterion_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = selectors.require_audit_supervisor(_user(request))
    criterion = None
    if pk is not None:
        criterion = AuditCriterion.objects.select_related("trader_account").filter(pk=pk).first()
        if criterion is None:
            raise Http404("No such criterion.")
    before = audit_snapshot(criterion) if criterion is not None else None
    form = AuditCriterionForm(request.POST or None, instance=criterion)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save(commit=False)
            if saved.pk is None:
                saved.created_by = user
            saved.save()
            after = audit_snapshot(saved)
            data = audit_values(after) if before is None else audit_diff(before, after)
            audit_log(action="clearance.audit.criterion_saved", obj=saved, actor=user, data=data)
        messages.success(request, _("Criterion “%(name)s” saved.") % {"name": saved.name})
        return redirect("clearance:audit_criteria")
    return render(
        request,
        "clearance/audits/criterion_form.html",
        {
            "nav": "audits",
            "form": form,
            "criterion": criterion,
            "errors": _errors(form) if form.is_bound else [],
        },
        status=400 if form.is_bound else 200,
    )
