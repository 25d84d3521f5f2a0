"""Template helpers for the help desk: a request's position against its service level, in words."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.templatetags.reviews import duration, when

register = template.Library()


@register.simple_tag
def request_due(service_request: Any) -> dict[str, Any]:
    """``overdue`` and the words for it (never colour alone); reads the loaded row only."""
    if service_request.first_response_at is not None:
        within = service_request.answered_within_service_level
        return {
            "answered": True,
            "overdue": False,
            "text": (_("Answered within the service level") if within else _("Answered late"))
            + f" ({when(service_request.first_response_at)})",
        }
    if service_request.is_closed:
        return {"answered": False, "overdue": False, "text": _("Closed without an answer")}
    left = service_request.due_at - timezone.now()
    if left.total_seconds() < 0:
        return {
            "answered": False,
            "overdue": True,
            "text": _("Overdue by %(span)s (was due %(at)s)")
            % {"span": duration(left), "at": when(service_request.due_at)},
        }
    return {
        "answered": False,
        "overdue": False,
        "text": _("Due %(at)s · %(span)s left")
        % {"at": when(service_request.due_at), "span": duration(left)},
    }
