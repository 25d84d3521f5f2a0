"""The browser pages to amend (the declaration form, prefilled) and to cancel a declaration."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.models import User
from singlewindow.errors import DomainError

from . import amendments, validation
from .amend_form import merged, payload_from_data
from .canonical import Issue
from .errors import LodgementRejected
from .forms import (
    SummaryEntry,
    document_added_to,
    error_summary,
    form_to_declaration_data,
    forms_from_payload,
    forms_from_post,
    issues_to_forms,
    payload_from_post,
    tax_line_added_to,
)
from .models import Channel, Declaration, Status


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=amendments.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Kept with the declaration and shown to customs."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)


class OptionalReasonForm(ReasonForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the amendment (optional)"),
        max_length=amendments.REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _title(declaration: Declaration) -> str:
    if declaration.status == Status.REFUSED:
        return _("Correct and resubmit declaration %(mrn)s") % {"mrn": declaration.mrn}
    if declaration.status == Status.RELEASED:
        return _("Ask customs to amend declaration %(mrn)s") % {"mrn": declaration.mrn}
    return _("Amend declaration %(mrn)s") % {"mrn": declaration.mrn}


@login_required
@require_http_methods(["GET", "POST"])
def declaration_amend(request: HttpRequest, mrn: str) -> HttpResponse:
    """The declaration form with the version in force; a submit stores the next version."""
    user = _user(request)
    declaration = amendments.declaration_for_change(user, mrn)
    current = amendments.current_data(declaration)
    if request.method != "POST":
        form, formset = forms_from_payload(payload_from_data(current))
        reason = OptionalReasonForm(initial={"version": declaration.version})
        return _render(request, declaration, form, formset, reason)

    reason = OptionalReasonForm(request.POST)
    action = request.POST.get("action", "submit")
    if action == "refresh":  # Enter in a field: show the page again, send nothing
        form, formset = forms_from_payload(payload_from_post(request.POST, keep_blank_items=True))
        return _render(request, declaration, form, formset, reason)
    if action == "add_item":
        form, formset = forms_from_payload(payload_from_post(request.POST), add_item=True)
        formset.forms[-1].fields["description"].widget.attrs["autofocus"] = True
        return _render(request, declaration, form, formset, reason)
    if (added := document_added_to(action)) is not None:
        form, formset = forms_from_payload(
            payload_from_post(request.POST, keep_blank_items=True), add_document=added
        )
        return _render(request, declaration, form, formset, reason)

    if (item_index := tax_line_added_to(action)) is not None:
        form, formset = forms_from_payload(
            payload_from_post(request.POST, keep_blank_items=True), add_tax_line=item_index
        )
        return _render(request, declaration, form, formset, reason)

    form, formset = forms_from_post(request.POST)
    unplaced: list[Issue] = []
    service_messages: frozenset[str] = frozenset()
    header_valid, items_valid, reason_valid = form.is_valid(), formset.is_valid(), reason.is_valid()
    if not (header_valid and items_valid and reason_valid):
        issues = validation.validate(merged(current, form_to_declaration_data(form, formset)), user=user)
        errors = [i for i in issues if i.severity == "error"]
        unplaced = issues_to_forms(form, formset, errors, besides_field_errors=True)
        service_messages = frozenset(i.message for i in errors)
    else:
        try:
            result = amendments.declaration_amend(
                user=user,
                declaration=declaration,
                data=merged(current, form_to_declaration_data(form, formset)),
                channel=Channel.WEB_FORM,
                reason=reason.cleaned_data["reason"],
                expected_version=reason.cleaned_data.get("version"),
            )
        except LodgementRejected as exc:
            unplaced = issues_to_forms(form, formset, exc.issues)
            service_messages = frozenset(i.message for i in exc.issues)
        except DomainError as exc:  # no change, someone amended first, the state moved
            unplaced = [Issue(exc.code, exc.message)]
        else:
            _announce(request, result)
            return redirect("declarations:detail", mrn=declaration.mrn)
    return _render(
        request,
        declaration,
        form,
        formset,
        reason,
        unplaced=unplaced,
        service_messages=service_messages,
        status=400,
    )


def _announce(request: HttpRequest, result: amendments.AmendResult) -> None:
    n = result.version.number
    if result.request is not None:
        messages.success(request, _("Version %(n)s sent to customs, who will grant or refuse it.") % {"n": n})
    elif result.version.kind == "resubmission":
        messages.success(request, _("Version %(n)s resubmitted for review.") % {"n": n})
    else:
        messages.success(request, _("Amended: version %(n)s is in force.") % {"n": n})
    for warning in result.warnings:
        messages.warning(request, warning.message)


def _render(
    request: HttpRequest,
    declaration: Declaration,
    form: Any,
    formset: Any,
    reason: ReasonForm,
    *,
    unplaced: list[Issue] | None = None,
    service_messages: frozenset[str] = frozenset(),
    status: int = 200,
) -> HttpResponse:
    errors = (
        error_summary(form, formset, unplaced, service_messages=service_messages) if form.is_bound else []
    )
    if reason.is_bound and reason.errors:
        errors += [SummaryEntry(str(e), anchor="id_reason") for e in reason.errors.get("reason", [])]
    return render(
        request,
        "declarations/amend.html",
        {
            "nav": "list",
            "declaration": declaration,
            "title": _title(declaration),
            "form": form,
            "formset": formset,
            "reason_form": reason,
            "errors": errors,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def declaration_cancel(request: HttpRequest, mrn: str) -> HttpResponse:
    """Cancel (before release), or ask customs to invalidate (after); the reason is required."""
    user = _user(request)
    declaration = amendments.declaration_for_change(user, mrn)
    released = declaration.status == Status.RELEASED
    form = ReasonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = amendments.declaration_cancel(
                    user=user,
                    declaration=declaration,
                    reason=form.cleaned_data["reason"],
                    channel=Channel.WEB_FORM,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if result.request is not None:
                    messages.success(
                        request, _("Your request to invalidate the declaration was sent to customs.")
                    )
                else:
                    messages.success(
                        request, _("Declaration %(mrn)s is cancelled.") % {"mrn": declaration.mrn}
                    )
                return redirect("declarations:detail", mrn=declaration.mrn)
    return render(
        request,
        "declarations/cancel.html",
        {"nav": "list", "declaration": declaration, "form": form, "released": released},
        status=status,
    )
