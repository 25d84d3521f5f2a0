"""The supervisor's pages (every declaration, one declaration with its override) and the release note.

Supervisors and administrators only, except the release note, which is the trader's document:
anyone who may see the whole declaration downloads it (an agency officer sees only its part, so
not the note). The override goes through ``clearance.services.release_override``, which audits it.
"""

from __future__ import annotations

from typing import Any

from csp.constants import NONCE
from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role, User
from agencies.forms import add_service_errors, error_summary
from agencies.models import InformationRequest
from declarations.models import Declaration
from declarations.selectors import access_declaration, declaration_timeline, declaration_with_details
from singlewindow.audit import action_label
from singlewindow.errors import DomainError, NotFound

from . import selectors, services
from .forms import OverrideForm, OverviewFilterForm
from .models import Outcome, ReleaseDecision
from .page_selectors import declarations_overview
from .release_note import release_facts
from .release_note import release_note_pdf as release_note_pdf_bytes
from .risk.selectors import risk_for_page

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _supervisor(request: HttpRequest) -> User:
    user = _user(request)
    if user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Http404("Customs supervisors only.")
    return user


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Every declaration with every agency's status, filtered, newest first, 25 a page."""
    user = _supervisor(request)
    filters = OverviewFilterForm(request.GET or None)
    narrowing: dict[str, Any] = {}
    if filters.is_bound and filters.is_valid():
        f = filters.cleaned_data
        narrowing = {
            "status": f["status"],
            "mrn": f["mrn"],
            "trader": f["trader"],
            "needs_human_only": f["needs_human"],
        }
    page = Paginator(declarations_overview(user, **narrowing), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "clearance/overview.html",
        {
            "nav": "overview",
            "filters": filters,
            "filter_errors": error_summary(filters) if filters.is_bound else [],
            "page": page,
            "query": query.urlencode(),
        },
    )


def override_outcomes(declaration: Declaration) -> list[str]:
    """The release decisions a supervisor may still give (what ``release_override`` accepts)."""
    outcomes = []
    if declaration.may_be_released_by_override:
        outcomes.append(Outcome.RELEASED.value)
    if declaration.may_be_refused_by_override:
        outcomes.append(Outcome.REFUSED.value)
    return outcomes


@login_required
@require_GET
def declaration_page(request: HttpRequest, mrn: str) -> HttpResponse:
    user = _supervisor(request)
    return _render_declaration(request, access_declaration(user, mrn))


def _loaded_decision(declaration: Declaration) -> Any:
    """The release decision ``declaration_with_details`` loaded with the declaration, or None."""
    try:
        return declaration.release_decision
    except ObjectDoesNotExist:
        return None


def _render_declaration(
    request: HttpRequest, declaration: Declaration, *, form: OverrideForm | None = None, status: int = 200
) -> HttpResponse:
    """All reviews with their items and questions, the release decision, the timeline, the override."""
    user = _user(request)
    declaration = declaration_with_details(declaration, user=user)
    reviews = list(declaration.reviews.all())
    questions = InformationRequest.objects.select_related("asked_by", "answered_by").prefetch_related(
        "attachments"
    )
    prefetch_related_objects(reviews, "items", Prefetch("info_requests", queryset=questions))
    outcomes = override_outcomes(declaration)
    if outcomes and form is None:
        form = OverrideForm(outcomes=outcomes)
    agency_names = {r.agency.code: r.agency.name for r in reviews}
    conditions = (
        selectors.release_conditions(declaration, reviews=reviews) if declaration.is_under_review else []
    )
    timeline = [
        {
            "event": event,
            "label": action_label(event.action),
            "agency": agency_names.get(str(event.data.get("agency") or ""), ""),
            # Customs sees who acted by name.
            "actor": event.actor.get_username() if event.actor else _("the system"),
            "reason": str(event.data.get("reason") or ""),
        }
        for event in declaration_timeline(declaration, user=user)
    ]
    return render(
        request,
        "clearance/declaration.html",
        {
            "nav": "overview",
            "declaration": declaration,
            "reviews": reviews,
            "decision": _loaded_decision(declaration),
            "conditions": conditions,
            "timeline": timeline,
            "controls": any(c.key == "controls" for c in conditions) or declaration.inspections.exists(),
            "risk": risk_for_page(declaration, user),
            "form": form,
            "errors": error_summary(form) if form is not None and form.is_bound else [],
        },
        status=status,
    )


@login_required
@require_POST
def declaration_override(request: HttpRequest, mrn: str) -> HttpResponse:
    """Issue or override the release decision with a mandatory reason (audited by the service)."""
    user = _supervisor(request)
    declaration = access_declaration(user, mrn)
    outcomes = override_outcomes(declaration)
    form = OverrideForm(request.POST, outcomes=outcomes)
    if not outcomes:
        messages.error(
            request,
            _("Declaration %(mrn)s is %(status)s: its release decision can no longer be changed.")
            % {"mrn": declaration.mrn, "status": declaration.get_status_display()},
        )
        return redirect("clearance:declaration", mrn=declaration.mrn)
    if form.is_valid():
        try:
            decision = services.release_override(
                declaration=declaration,
                supervisor=user,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
            )
        except NotFound:
            raise Http404("No such declaration.") from None
        except DomainError as exc:
            add_service_errors(form, exc, default_field="outcome")
        else:
            messages.success(
                request,
                _("Release decision recorded: %(outcome)s. The trader has been told.")
                % {"outcome": decision.get_outcome_display()},
            )
            return redirect("clearance:declaration", mrn=declaration.mrn)
    return _render_declaration(request, declaration, form=form, status=400)


# The note carries its own <style> (it is opened from disk, often offline): stamped with this
# response's nonce, which this view alone adds to the Content-Security-Policy. (django-csp 4.0 types
# its decorators for views that take the request alone.)
@login_required
@require_GET
@csp_update({"style-src": [NONCE]})  # type: ignore[arg-type]
def release_note(request: HttpRequest, mrn: str) -> HttpResponse:
    """The release note of a released declaration: a printable HTML document, downloaded."""
    user = _user(request)
    if user.role is Role.OFFICER:
        raise Http404("Agency officers see only their part of a declaration.")
    declaration = access_declaration(user, mrn)
    decision = selectors.release_decision_of(declaration)
    if decision is None or decision.outcome != Outcome.RELEASED:
        raise Http404("No release note: the goods are not released.")
    declaration = declaration_with_details(declaration, user=user)
    response = render(
        request,
        "clearance/release_note.html",
        {
            "declaration": declaration,
            "decision": decision,
            "parties": list(declaration.parties.all()),
            "verify_url": _verify_url(request, decision),
        },
    )
    response["Content-Disposition"] = f'attachment; filename="release-{declaration.mrn}.html"'
    response["Cache-Control"] = "private, no-store"
    return response


def _verify_url(request: HttpRequest, decision: ReleaseDecision) -> str:
    if not decision.verification_code:
        return ""
    return request.build_absolute_uri(reverse("verify", args=[decision.verification_code]))


@login_required
@require_GET
def release_note_pdf(request: HttpRequest, mrn: str) -> HttpResponse:
    """The release note as a PDF: the declaration, each goods item, the containers, and the
    verification code with the URL (and its QR code) a gate checks it at. Same access as the HTML note."""
    user = _user(request)
    if user.role is Role.OFFICER:
        raise Http404("Agency officers see only their part of a declaration.")
    declaration = access_declaration(user, mrn)
    decision = selectors.release_decision_of(declaration)
    if decision is None or decision.outcome != Outcome.RELEASED:
        raise Http404("No release note: the goods are not released.")
    declaration = declaration_with_details(declaration, user=user)
    facts = release_facts(
        declaration, decision, items=list(declaration.items.all()), verify_url=_verify_url(request, decision)
    )
    response = HttpResponse(release_note_pdf_bytes(facts), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="release-{declaration.mrn}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
