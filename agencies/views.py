"""The agency pages: an officer's queue, one review (claim, decide), a trader's answer, attachments.

The routing dry run is the backend's admin page (``admin:agencies_routingrule_dry_run``).

Views are thin: they obtain objects through ``agencies.selectors`` (the same 404 for missing and
not-yours), parse input with ``agencies.forms`` and call one service; the services hold the rules
(who may claim, when a reason is required, which files are accepted) and their refusals are shown
beside the fields they are about.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role, User
from declarations.models import GoodsItem
from singlewindow.errors import DomainError, NotFound

from . import selectors, services
from .access import agencies_of, may_decide_for
from .errors import ReviewConflict
from .forms import (
    QUEUE_TABS,
    AnswerForm,
    DecisionForm,
    QueueFilterForm,
    add_service_errors,
    error_summary,
)
from .models import AgencyReview, Attachment, ReviewStatus
from .page_selectors import reasons_by_rule
from .panels import review_panels

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# Queue -----------------------------------------------------------------------------------------


def _with_documents(items: Any) -> list[GoodsItem]:
    """The items, each with ``item_documents`` (prefetched with the review) for the goods table."""
    listed = list(items)
    for item in listed:
        item.item_documents = list(item.documents.all())
    return listed


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """The officer's agency queue: one tab at a time, filtered, most urgent first, 25 a page."""
    user = _user(request)
    if user.role is not Role.OFFICER:
        raise Http404("The queue is for agency officers.")
    filters = QueueFilterForm(request.GET or None)
    tab = filters.current_tab
    narrowing: dict[str, Any] = {}
    if filters.is_bound and filters.is_valid():
        f = filters.cleaned_data
        narrowing = {
            "mrn": f["mrn"],
            "trader": f["trader"],
            "hs_prefix": f["hs_prefix"],
            "min_age_hours": float(f["age"]) if f["age"] else None,
        }
    # The declaration's risk lane (clearance's assessment, read by its relation name: agencies
    # import nothing from clearance) is a tag on each row; agencies may see a declaration's lane.
    reviews = selectors.review_queue(user, view=tab, **narrowing).annotate(lane=F("declaration__risk__lane"))
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.queue_counts(user)
    query = request.GET.copy()
    query.pop("page", None)
    tab_query = query.copy()
    tab_query.pop("tab", None)
    return render(
        request,
        "agencies/queue.html",
        {
            "nav": "queue",
            "agencies": list(agencies_of(user)),
            "filters": filters,
            "filter_errors": error_summary(filters) if filters.is_bound else [],
            "tab": tab.value,
            "tabs": [
                {
                    "value": value.value,
                    "label": label,
                    "count": counts.get(value.value, 0),
                    # Counting stops past the cap (selectors.queue_counts): "1,000+".
                    "more": counts.get(value.value, 0) > selectors.QUEUE_COUNT_CAP,
                }
                for value, label in QUEUE_TABS
            ],
            "tab_query": tab_query.urlencode(),
            "count_cap": selectors.QUEUE_COUNT_CAP,
            "page": page,
            "query": query.urlencode(),
        },
    )


# One review --------------------------------------------------------------------------------------


@login_required
@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.access_review(_user(request), pk)
    return _render_review(request, review)


def _render_review(
    request: HttpRequest, review: AgencyReview, *, form: DecisionForm | None = None, status: int = 200
) -> HttpResponse:
    """The review page: what was routed and why, the trader's history, questions, and the actions."""
    user = _user(request)
    review = selectors.review_with_details(review)
    declaration = review.declaration
    # access_review let an officer through only for its own agency; supervisors only read here,
    # unless they also have the officer role for this agency (agencies.access.may_decide_for).
    acts = may_decide_for(user, review.agency_id)
    mine = acts and review.is_held_by(user)
    open_declaration = declaration.is_under_review
    can_decide = acts and open_declaration and review.can_decide(user)
    if can_decide and form is None:
        form = DecisionForm(inspection_done=review.requires_inspection)
    parties = list(declaration.parties.all())
    info_requests = list(review.info_requests.all())
    return render(
        request,
        "agencies/review.html",
        {
            "nav": "queue",
            "review": review,
            "declaration": declaration,
            "declarant_party": next((p for p in parties if p.role == "declarant"), None),
            "items": _with_documents(review.items.all()),
            "header_documents": declaration.header_documents,  # type: ignore[attr-defined]
            "routing_reasons": reasons_by_rule(review.reasons),
            "missing_documents": review.missing_documents,
            "info_requests": info_requests,
            "answered": bool(info_requests) and not info_requests[-1].is_open,
            "history": list(selectors.trader_history_with_agency(review)),
            "panels": review_panels(request, review),
            "can_claim": acts and open_declaration and review.can_claim,
            "can_release": acts and review.can_release_claim(user),
            "can_decide": can_decide,
            "open_declaration": open_declaration,
            "mine": mine,
            "form": form,
            "errors": error_summary(form) if form is not None and form.is_bound else [],
        },
        status=status,
    )


@login_required
@require_POST
def review_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a waiting review. Two officers at once: the service lets only the first through."""
    user = _user(request)
    review = selectors.access_review(user, pk)
    try:
        services.review_claim(review=review, officer=user)
    except NotFound:
        raise Http404("No such review.") from None
    except DomainError as exc:  # ReviewConflict: someone else has it, or it is no longer waiting
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You have taken this review. Nobody else can decide it now."))
    return redirect("agencies:review", pk=review.pk)


@login_required
@require_POST
def review_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a review one holds back in the agency's queue."""
    user = _user(request)
    review = selectors.access_review(user, pk)
    try:
        services.review_release_claim(review=review, officer=user)
    except NotFound:
        raise Http404("No such review.") from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("agencies:review", pk=review.pk)
    messages.success(request, _("The review is back in the queue for any officer of your agency."))
    return redirect("agencies:queue")


DECIDED_MESSAGES = {
    ReviewStatus.APPROVED.value: _("You approved the goods routed to your agency on %(mrn)s."),
    ReviewStatus.REJECTED.value: _("You rejected the goods routed to your agency on %(mrn)s."),
    ReviewStatus.INFO_REQUESTED.value: _(
        "Your question was sent to the trader. The review comes back to you with the answer (%(mrn)s)."
    ),
    ReviewStatus.INSPECTION_REQUIRED.value: _(
        "An inspection is required on %(mrn)s. Decide the review once the goods have been inspected."
    ),
}


@login_required
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the officer's decision; refusals come back beside the fields with a summary."""
    user = _user(request)
    review = selectors.access_review(user, pk)
    form = DecisionForm(request.POST, inspection_done=review.requires_inspection)
    if form.is_valid():
        outcome = form.cleaned_data["outcome"]
        try:
            services.review_decide(
                review=review, officer=user, outcome=outcome, reason=form.cleaned_data["reason"]
            )
        except NotFound:
            raise Http404("No such review.") from None
        except ReviewConflict as exc:  # claimed by another officer meanwhile, or already decided
            messages.error(request, exc.message)
            return redirect("agencies:review", pk=review.pk)
        except DomainError as exc:
            add_service_errors(form, exc, default_field="outcome")
        else:
            messages.success(request, str(DECIDED_MESSAGES[outcome]) % {"mrn": review.declaration.mrn})
            return redirect("agencies:review", pk=review.pk)
    return _render_review(request, review, form=form, status=400)


# Attachments and answers ----------------------------------------------------------------------


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A file a trader attached, for those who may see its question (the trader side, the agency)."""
    return attachment_response(selectors.access_attachment(_user(request), pk))


def attachment_response(attachment: Attachment) -> FileResponse:
    """The stored file as a download, never cached (the page and the API serve it alike)."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer stored.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def information_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The trader answers an agency's question with text and files; the review goes back to the officer.

    The declaration page carries the same form; this page shows it again with the errors.
    """
    user = _user(request)
    info = selectors.access_information_request(user, pk)
    declaration = info.review.declaration
    if user.role not in (Role.TRADER, Role.BROKER):
        raise Http404("Only the trader answers an agency's question.")
    if not info.is_open:
        messages.info(request, _("This question has already been answered."))
        return redirect("declarations:detail", mrn=declaration.mrn)
    if not declaration.is_under_review:
        messages.info(
            request, _("Customs has decided this declaration: the question no longer needs an answer.")
        )
        return redirect("declarations:detail", mrn=declaration.mrn)
    form = AnswerForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.information_answer(
                information_request=info,
                user=user,
                answer=form.cleaned_data["answer"],
                attachments=form.cleaned_data["attachments"],
            )
        except NotFound:
            raise Http404("No such information request.") from None
        except ReviewConflict as exc:  # answered meanwhile (another member of the account)
            messages.error(request, exc.message)
            return redirect("declarations:detail", mrn=declaration.mrn)
        except DomainError as exc:
            add_service_errors(form, exc, default_field="attachments")
        else:
            messages.success(
                request,
                _("Your answer was sent to %(agency)s. The review is back with its officer.")
                % {"agency": info.review.agency.name},
            )
            return redirect("declarations:detail", mrn=declaration.mrn)
    return render(
        request,
        "agencies/answer.html",
        {
            "nav": "list",
            "info": info,
            "declaration": declaration,
            "form": form,
            "errors": error_summary(form) if form.is_bound else [],
        },
        status=400 if form.is_bound else 200,
    )
