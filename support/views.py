"""The help desk's pages.

Traders (and anyone signed in): open a request from any page or declaration, "My requests", the
thread where they reply and close. The help desk (``access.may_answer_requests``: administrators,
customs supervisors, holders of the help desk permission): the queue, a request with the answer,
internal notes, assignment and closing. Satisfaction: the rating form posted from a released
declaration's page. Views check access, parse, call one service, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from agencies.forms import add_service_errors, error_summary
from declarations.models import Declaration
from declarations.selectors import access_declaration
from singlewindow.errors import DomainError

from . import selectors, services
from .access import (
    access_desk_request,
    access_request,
    accounts_for_requests,
    may_answer_requests,
    may_rate,
)
from .forms import AnswerForm, AssignForm, DeskFilterForm, NoteForm, RatingForm, ReplyForm, ServiceRequestForm
from .models import Category, ServiceRequest, safe_local_path, service_level_hours

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _desk(request: HttpRequest) -> User:
    user = _user(request)
    if not may_answer_requests(user):
        raise Http404("The help desk only.")
    return user


# The trader's side ----------------------------------------------------------------------------


def _default_account(accounts: list[Any], declaration: Declaration | None) -> Any:
    """The declaration's trader (or declarant) when the user may act for it; the only account."""
    if declaration is not None:
        for account_id in (declaration.trader_account_id, declaration.declarant_account_id):
            for account in accounts:
                if account.pk == account_id:
                    return account
    return accounts[0] if len(accounts) == 1 else None


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """Open a request; ``?page=`` (where the user came from, a local path only) and
    ``?declaration=MRN`` (only one the user may see: 404 otherwise) travel with it."""
    user = _user(request)
    source = request.POST if request.method == "POST" else request.GET
    page = safe_local_path(source.get("page"))
    mrn = (source.get("declaration") or "").strip().upper()
    declaration = access_declaration(user, mrn) if mrn else None
    accounts_qs = accounts_for_requests(user).order_by("name")
    accounts = list(accounts_qs)
    form = ServiceRequestForm(
        request.POST if request.method == "POST" else None,
        accounts=accounts_qs,
        initial={
            "page": page,
            "declaration": mrn,
            "category": Category.DECLARATION if declaration else None,
            "trader_account": _default_account(accounts, declaration),
        },
    )
    if not accounts:
        del form.fields["trader_account"]
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = services.service_request_open(
                user=user,
                category=data["category"],
                subject=data["subject"],
                body=data["body"],
                trader_account=data.get("trader_account"),
                declaration=declaration,
                page=page,
            )
        except DomainError as error:
            add_service_errors(form, error, default_field="body")
        else:
            messages.success(
                request,
                _("Request %(reference)s sent. The help desk answers within %(hours)d hours.")
                % {"reference": created.reference, "hours": service_level_hours(created.category)},
            )
            return redirect("support:detail", reference=created.reference)
    return render(
        request,
        "support/new.html",
        {
            "nav": "help",
            "form": form,
            "errors": error_summary(form) if form.is_bound else [],
            "declaration": declaration,
            "page": page,
            "service_levels": [(label, service_level_hours(value)) for value, label in Category.choices],
        },
    )


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    """ "My requests": those the user may see, newest first, 25 a page."""
    user = _user(request)
    page = Paginator(selectors.requests_of(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "support/mine.html", {"nav": "help", "page": page})


def _trader_thread(
    request: HttpRequest,
    service_request: ServiceRequest,
    *,
    reply: ReplyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    reply = reply or ReplyForm()
    return render(
        request,
        "support/detail.html",
        {
            "nav": "help",
            "sr": service_request,
            "thread": list(selectors.thread_for_trader(service_request)),
            "reply": reply if not service_request.is_closed else None,
            "errors": error_summary(reply) if reply.is_bound else [],
        },
        status=status,
    )


@login_required
@require_GET
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """A request's thread as the trader reads it (no internal notes), the reply form, close."""
    service_request = access_request(_user(request), reference)
    return _trader_thread(request, service_request)


@login_required
@require_POST
def request_reply(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    service_request = access_request(user, reference)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.service_request_reply(request=service_request, user=user, body=form.cleaned_data["body"])
        except DomainError as error:
            add_service_errors(form, error, default_field="body")
        else:
            messages.success(request, _("Your reply was sent to the help desk."))
            return redirect("support:detail", reference=reference)
    return _trader_thread(request, service_request, reply=form, status=400)


@login_required
@require_POST
def request_close(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    service_request = access_request(user, reference)
    try:
        services.service_request_close(request=service_request, user=user)
    except DomainError as error:
        messages.info(request, error.message)
    else:
        messages.success(request, _("Request %(reference)s closed.") % {"reference": reference})
    return redirect("support:detail", reference=reference)


# The help desk --------------------------------------------------------------------------------


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """The queue: open and answered requests, the soonest due first, overdue marked; filters."""
    user = _desk(request)
    filters = DeskFilterForm(request.GET or None)
    narrowing: dict[str, Any] = {}
    if filters.is_bound and filters.is_valid():
        f = filters.cleaned_data
        narrowing = {
            "status": f["status"],
            "category": f["category"],
            "overdue": f["overdue"] == "yes",
            "assigned": f["assigned"],
        }
    queue = selectors.desk_queue(user=user, **narrowing)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "support/desk.html",
        {
            "nav": "desk",
            "filters": filters,
            "filter_errors": error_summary(filters) if filters.is_bound else [],
            "page": page,
            "query": query.urlencode(),
            "now": timezone.now(),
        },
    )


def _desk_thread(
    request: HttpRequest,
    service_request: ServiceRequest,
    *,
    answer: AnswerForm | None = None,
    note: NoteForm | None = None,
    assign: AssignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    staff = selectors.help_desk_staff()
    answer = answer or AnswerForm()
    note = note or NoteForm()
    assign = assign or AssignForm(staff=staff, initial={"assignee": service_request.assigned_to_id})
    errors = [*error_summary(answer), *error_summary(note), *error_summary(assign)]
    return render(
        request,
        "support/desk_detail.html",
        {
            "nav": "desk",
            "sr": service_request,
            "thread": list(selectors.thread_for_desk(service_request)),
            "answer": answer,
            "note": note,
            "assign": assign,
            "errors": errors,
        },
        status=status,
    )


def _desk_request(request: HttpRequest, reference: str) -> tuple[User, ServiceRequest]:
    user = _desk(request)
    service_request = access_desk_request(user, reference)
    return user, service_request


@login_required
@require_GET
def desk_detail(request: HttpRequest, reference: str) -> HttpResponse:
    _user_, service_request = _desk_request(request, reference)
    return _desk_thread(request, service_request)


@login_required
@require_POST
def desk_answer(request: HttpRequest, reference: str) -> HttpResponse:
    user, service_request = _desk_request(request, reference)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.service_request_answer(
                request=service_request, staff=user, body=form.cleaned_data["body"]
            )
        except DomainError as error:
            add_service_errors(form, error, default_field="body")
        else:
            messages.success(request, _("Answer sent; the trader is notified."))
            return redirect("support:desk_detail", reference=reference)
    return _desk_thread(request, service_request, answer=form, status=400)


@login_required
@require_POST
def desk_note(request: HttpRequest, reference: str) -> HttpResponse:
    user, service_request = _desk_request(request, reference)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.service_request_note(request=service_request, staff=user, body=form.cleaned_data["note"])
        except DomainError as error:
            add_service_errors(form, error, default_field="note")
        else:
            messages.success(request, _("Internal note added."))
            return redirect("support:desk_detail", reference=reference)
    return _desk_thread(request, service_request, note=form, status=400)


@login_required
@require_POST
def desk_assign(request: HttpRequest, reference: str) -> HttpResponse:
    """Claim (the "Take it" button: only while nobody holds it) or assign to someone."""
    user, service_request = _desk_request(request, reference)
    if "claim" in request.POST:
        try:
            services.service_request_assign(request=service_request, staff=user, assignee=user, claim=True)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("You took request %(reference)s.") % {"reference": reference})
        return redirect("support:desk_detail", reference=reference)
    form = AssignForm(request.POST, staff=selectors.help_desk_staff())
    if form.is_valid():
        try:
            services.service_request_assign(
                request=service_request, staff=user, assignee=form.cleaned_data["assignee"]
            )
        except DomainError as error:
            add_service_errors(form, error, default_field="assignee")
        else:
            messages.success(request, _("Assignment saved."))
            return redirect("support:desk_detail", reference=reference)
    return _desk_thread(request, service_request, assign=form, status=400)


@login_required
@require_POST
def desk_close(request: HttpRequest, reference: str) -> HttpResponse:
    user, service_request = _desk_request(request, reference)
    try:
        services.service_request_close(request=service_request, user=user)
    except DomainError as error:
        messages.info(request, error.message)
    else:
        messages.success(request, _("Request %(reference)s closed.") % {"reference": reference})
    return redirect("support:desk_detail", reference=reference)


# Satisfaction -----------------------------------------------------------------------------------


@login_required
@require_POST
def rate(request: HttpRequest, mrn: str) -> HttpResponse:
    """The one question after release, posted from the declaration's page (its panel)."""
    user = _user(request)
    declaration = access_declaration(user, mrn)
    if not may_rate(user, declaration):
        raise Http404("Nothing to rate here.")
    back = reverse("declarations:detail", args=[declaration.mrn]) + "#satisfaction"
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.satisfaction_rate(
                declaration=declaration,
                user=user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as error:
            if error.code != "already_rated":
                add_service_errors(form, error, default_field="score")
                return _rate_page(request, declaration, form)
            messages.info(request, error.message)
        else:
            messages.success(request, _("Thank you for rating how this declaration was handled."))
        return redirect(back)
    return _rate_page(request, declaration, form)


def _rate_page(request: HttpRequest, declaration: Declaration, form: RatingForm) -> HttpResponse:
    return render(
        request,
        "support/rate.html",
        {"nav": "list", "declaration": declaration, "form": form, "errors": error_summary(form)},
        status=400,
    )
