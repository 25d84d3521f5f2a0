"""Clearance on pages other apps own: the agencies' panel on a declaration, the trader's notifications.

``declarations`` and ``accounts`` never import clearance (ARCHITECTURE §4); their templates load
this library instead, so the dependency stays one way in the code.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import ObjectDoesNotExist

from accounts.models import Role
from agencies.forms import AnswerForm
from agencies.models import ReviewStatus
from agencies.selectors import information_requests_for_declaration
from agencies.services import DECLARATION_UNDER_REVIEW
from clearance import selectors, services
from clearance.models import Outcome
from declarations.selectors import sees_authority_names

register = template.Library()


@register.inclusion_tag("clearance/_declaration_panel.html", takes_context=True)
def clearance_panel(context: template.Context, declaration: Any) -> dict[str, Any]:
    """Each agency's status and time, the agencies' questions (with the answer form for the trader),
    and the release decision with its note.

    ``declaration`` comes from ``declaration_with_details(…, user=…)``: its reviews are already
    loaded and limited to what the user may see (an officer: its own agency's). Two more queries.
    """
    request = context["request"]
    user = request.user
    role = user.role
    reviews = list(declaration.reviews.all())
    requests = list(information_requests_for_declaration(user, declaration).order_by("asked_at", "pk"))
    # Once a supervisor has released or refused the declaration nobody waits for an answer.
    questions_closed = declaration.status not in DECLARATION_UNDER_REVIEW
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
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
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
        "rejected": ReviewStatus.REJECTED.value,
    }


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context, limit: int = 10) -> list[Any]:
    """The user's unread portal notifications, newest first; marked read now that they are shown."""
    user = context["request"].user
    if not user.is_authenticated:
        return []
    unread = list(selectors.notifications_for(user, unread_only=True)[:limit])
    if unread:
        services.notifications_mark_read(user=user, notification_ids=[n.pk for n in unread])
    return unread
