"""Template helpers for agency reviews: short times, time left against the service level, labels."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agencies.models import ReviewStatus

register = template.Library()


@register.filter
def when(value: datetime | str | None) -> str:
    """A time as every page writes it (``DATETIME_FORMAT``: ``2026-12-03 10:42 UTC``), also from ISO text."""
    if not value:
        return ""
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        value = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def duration(delta: timedelta) -> str:
    """A span in the largest two units that matter: ``2 days 3 h``, ``3 h 20 min``, ``12 min``."""
    minutes = max(int(abs(delta.total_seconds()) // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        text = ngettext("%(d)d day", "%(d)d days", days) % {"d": days}
        return f"{text} {hours} h" if hours else text
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": mins}
    return _("%(m)d min") % {"m": mins}


@register.simple_tag
def due(review: Any) -> dict[str, Any]:
    """The review's service-level position: ``overdue`` and the words for it (never colour alone).

    ``text`` says it in one line with the time; ``short`` (``Due in 3 h 20 min``, ``Overdue by
    2 h 05 min``) is for the queue's cards, which show the exact time (``due_at``) in a ``<time>``.
    Reads ``review.declaration``: load it with the review (``select_related`` or a prefetch).
    """
    if review.is_decided:
        return {"decided": True, "closed": False, "overdue": False, "text": "", "short": ""}
    if not review.declaration.is_under_review:
        # A supervisor decided the release (or the trader cancelled): the review no longer counts.
        closed = _("Closed without a decision")
        return {"decided": False, "closed": True, "overdue": False, "text": closed, "short": closed}
    left = review.due_at - timezone.now()
    if left.total_seconds() < 0:
        return {
            "decided": False,
            "closed": False,
            "overdue": True,
            "due_at": review.due_at,
            "text": _("Overdue by %(span)s (was due %(at)s)")
            % {"span": duration(left), "at": when(review.due_at)},
            "short": _("Overdue by %(span)s") % {"span": duration(left)},
        }
    return {
        "decided": False,
        "closed": False,
        "overdue": False,
        "due_at": review.due_at,
        "text": _("Due %(at)s · %(span)s left") % {"at": when(review.due_at), "span": duration(left)},
        "short": _("Due in %(span)s") % {"span": duration(left)},
    }


@register.filter
def review_status_label(value: str) -> str:
    """The readable label of a review status stored as text (in a release decision's reasons)."""
    try:
        return str(ReviewStatus(value).label)
    except ValueError:
        return value


@register.filter
def as_datetime(value: datetime | str | None) -> datetime | None:
    """A time stored as ISO text (in a JSON field) as a datetime, for the ``date`` filter."""
    if not value or isinstance(value, datetime):
        return value or None
    parsed = datetime.fromisoformat(value)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
