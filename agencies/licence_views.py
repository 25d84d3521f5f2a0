"""The licence pages: the shared list and one licence with its balance history; registering and
revoking for an officer of the issuing agency.

Agency officers, supervisors and administrators see every licence (shared data); a trader sees
the licences its accounts hold; another licence, or one that does not exist, is the same 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from declarations.selectors import declarations_visible_to
from singlewindow.errors import DomainError, NotFound

from . import licences
from .forms import add_service_errors, error_summary
from .licence_forms import LicenceFilterForm, LicenceForm, RevokeForm
from .models import Agency, Licence

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_GET
def licence_list(request: HttpRequest) -> HttpResponse:
    """Every licence on file (a trader: its own), newest first, filtered, 25 a page."""
    user = _user(request)
    visible = licences.licences_visible(user)
    if visible.query.is_empty():
        raise Http404("No licences for this user.")
    agencies = list(Agency.objects.filter(licences__isnull=False).distinct().order_by("name"))
    filters = LicenceFilterForm(request.GET or None, agencies=agencies)
    values = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    found = licences.licences_search(
        agency=values.get("agency", ""),
        holder=values.get("holder", ""),
        number=values.get("number", ""),
        state=values.get("state", ""),
    ).filter(pk__in=visible.values("pk"))
    page = Paginator(found.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "agencies/licences.html",
        {
            "nav": "licences",
            "filters": filters,
            "filter_errors": error_summary(filters) if filters.is_bound else [],
            "page": page,
            "query": query.urlencode(),
            "can_register": bool(licences.registering_agencies(user)),
        },
    )


def _render_licence(
    request: HttpRequest, licence: Licence, *, form: RevokeForm | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    history = licences.licence_history(licence)
    ids = {u.declaration_id for u in history if u.declaration_id is not None}
    linkable = (
        set(declarations_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    )
    can_revoke = licence.revoked_at is None and any(
        a.pk == licence.agency_id for a in licences.registering_agencies(user)
    )
    if can_revoke and form is None:
        form = RevokeForm()
    return render(
        request,
        "agencies/licence.html",
        {
            "nav": "licences",
            "licence": licence,
            "history": history,
            "linkable": linkable,
            "can_revoke": can_revoke,
            "form": form,
            "errors": error_summary(form) if form is not None and form.is_bound else [],
        },
        status=status,
    )


@login_required
@require_GET
def licence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        licence = licences.access_licence(_user(request), pk)
    except NotFound:
        raise Http404("No such licence.") from None
    return _render_licence(request, licence)


@login_required
@require_POST
def licence_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """An officer of the issuing agency revokes the licence; the reason is required."""
    user = _user(request)
    try:
        licence = licences.access_licence_to_revoke(user, pk)
    except NotFound:
        raise Http404("No such licence.") from None
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            licences.licence_revoke(licence=licence, actor=user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_service_errors(form, exc, default_field="reason")
        else:
            messages.success(request, _("Licence %(number)s is revoked.") % {"number": licence.number})
            return redirect("agencies:licence", pk=licence.pk)
    return _render_licence(request, licence, form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def licence_register(request: HttpRequest) -> HttpResponse:
    """An officer registers a licence its agency issued."""
    user = _user(request)
    agencies = licences.registering_agencies(user)
    if not agencies:
        raise Http404("Only an agency officer registers licences.")
    form = LicenceForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        try:
            licence = licences.licence_register(agency=form.chosen_agency(), actor=user, data=form.to_input())
        except DomainError as exc:
            add_service_errors(form, exc, default_field="number")
        else:
            messages.success(request, _("Licence %(number)s is on file.") % {"number": licence.number})
            return redirect("agencies:licence", pk=licence.pk)
    return render(
        request,
        "agencies/licence_form.html",
        {
            "nav": "licences",
            "form": form,
            "errors": error_summary(form) if form.is_bound else [],
        },
        status=400 if form.is_bound else 200,
    )
