"""Clearance on the declaration page (``declarations.panels``): each agency's status and time, the
agencies' questions (with the answer form for the trader), and the release decision with its note.

``declarations`` never imports clearance (ARCHITECTURE §4): ``ClearanceConfig.ready`` registers
``declaration_panel`` with it.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from accounts.models import Role, User
from agencies.forms import AnswerForm
from agencies.models import AgencyReview
from agencies.selectors import information_requests_for_declaration
from declarations.models import Declaration
from declarations.selectors import sees_authority_names

from .inspections.selectors import agency_findings_for_review, inspections_for_trader
from .models import ControlStatus, ControlTask, Outcome
from .selectors import release_conditions


def declaration_panel(request: HttpRequest, declaration: Declaration) -> SafeString:
    """The panel's HTML. ``declaration`` comes from ``declaration_with_details(…, user=…)``: its
    reviews are already loaded and limited to what the user may see (an officer: its own
    agency's). Two more queries (four with the inspections)."""
    user: User = request.user  # type: ignore[assignment]
    role = user.role
    reviews = list(declaration.reviews.all())
    requests = list(information_requests_for_declaration(user, declaration).order_by("asked_at", "pk"))
    # Once a supervisor has released or refused the declaration nobody waits for an answer.
    questions_closed = not declaration.is_under_review
    answerable = role in (Role.TRADER, Role.BROKER) and not questions_closed
    open_requests = [
        {"request": r, "form": AnswerForm(auto_id=f"id_request{r.pk}_%s") if answerable else None}
        for r in requests
        if r.is_open
    ]
    try:
        decision = declaration.release_decision
    except ObjectDoesNotExist:
        decision = None
    officer = role is Role.OFFICER
    context = {
        # What the release still waits for, while it waits (an officer sees its agency's part only).
        "conditions": release_conditions(declaration, reviews=reviews)
        if declaration.is_under_review and not officer
        else [],
        "declaration": declaration,
        "reviews": reviews,
        "open_requests": open_requests,
        "questions_closed": questions_closed,
        "answered_requests": [r for r in requests if not r.is_open],
        "decision": decision,
        # An officer sees its own agency's part only, not the other agencies' reasons.
        "show_decision_reasons": not officer,
        # Traders and brokers see the authority that decided, never an officer's name.
        "show_staff_names": sees_authority_names(user),
        "release_note": decision is not None and decision.outcome == Outcome.RELEASED and not officer,
        # Where and when the goods are inspected, what to present, and the outcome (not officers:
        # theirs is on "My inspections").
        "inspections": [] if officer else inspections_for_trader(declaration),
    }
    return render_to_string("clearance/_declaration_panel.html", context, request=request)


def review_inspection_panel(request: HttpRequest, review: AgencyReview) -> SafeString:
    """On an agency's review page: the inspection its "inspection required" opened (when, where,
    status) with every attending agency's findings and photos; "" when it required none."""
    if not review.requires_inspection and not review.is_decided:
        return SafeString("")
    task = (
        ControlTask.objects.filter(review_id=review.pk)
        .exclude(status=ControlStatus.CANCELLED)
        .select_related("inspection")
        .first()
    )
    if task is None:
        return SafeString("")
    findings = agency_findings_for_review(review.pk)
    return render_to_string(
        "clearance/inspections/_review_panel.html",
        {"task": task, "inspection": task.inspection, "findings": findings},
        request=request,
    )
