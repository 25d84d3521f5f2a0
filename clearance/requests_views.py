"""Customs' page of requests after release: amendments and invalidations to grant or refuse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from declarations.models import PostReleaseRequest, RequestStatus
from declarations.versions import diff
from singlewindow.errors import DomainError, NotFound

from . import services

PAGE_SIZE = 20


class RequestDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("granted", gettext_lazy("Grant")), ("refused", gettext_lazy("Refuse"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=512,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required to refuse; the trader reads it."),
    )


def _customs(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not services.may_decide_requests(user):
        raise Http404("No such page.")
    return user


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    """The requests waiting for customs, oldest first, each with what it would change."""
    _customs(request)
    pending = (
        PostReleaseRequest.objects.filter(status=RequestStatus.PENDING)
        .select_related("declaration", "version", "requested_by")
        .order_by("requested_at", "pk")
    )
    page = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
    rows: list[dict[str, Any]] = []
    for row in page:
        changes = []
        if row.version is not None:
            current = row.declaration.versions.filter(number=row.declaration.version).first()
            if current is not None:
                changes = diff(current.data, row.version.data)
        rows.append(
            {
                "request": row,
                "changes": changes[:50],
                "more": max(len(changes) - 50, 0),
                "form": RequestDecisionForm(prefix=f"request-{row.pk}"),
            }
        )
    return render(
        request,
        "clearance/requests.html",
        {"nav": "requests", "page": page, "rows": rows},
    )


@login_required
@require_POST
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _customs(request)
    form = RequestDecisionForm(request.POST, prefix=f"request-{pk}")
    if not form.is_valid():
        messages.error(request, _("Choose to grant or refuse the request."))
        return redirect("clearance:requests")
    try:
        decided = services.post_release_request_decide(
            request_id=pk, user=user, outcome=form.cleaned_data["outcome"], reason=form.cleaned_data["reason"]
        )
    except NotFound:
        raise Http404("No such request.") from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("clearance:requests")
    messages.success(
        request,
        _("Request on declaration %(mrn)s: %(outcome)s.")
        % {"mrn": decided.declaration.mrn, "outcome": decided.get_status_display()},
    )
    return redirect("clearance:requests")
