"""Panels other apps add to an agency's review page, so that ``agencies`` never imports them.

Clearance registers the inspection's findings and photos: an officer who required an inspection
decides the review on them. A panel is a function of the request and the review returning HTML, or
"" to show nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from .models import AgencyReview

ReviewPanel = Callable[[HttpRequest, AgencyReview], SafeString]

_REVIEW_PANELS: list[ReviewPanel] = []


def register_review_panel(panel: ReviewPanel) -> None:
    """Add a panel to every review page (once, however often called)."""
    if panel not in _REVIEW_PANELS:
        _REVIEW_PANELS.append(panel)


def review_panels(request: HttpRequest, review: AgencyReview) -> list[SafeString]:
    return [html for html in (panel(request, review) for panel in _REVIEW_PANELS) if html]
