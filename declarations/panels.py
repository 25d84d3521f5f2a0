"""Panels other apps add to the declaration page, so that ``declarations`` never imports them.

An app registers a panel at start-up (clearance: each agency's part, the questions and the release
decision); the declaration page renders every registered panel, in registration order, below its
header. A panel is a function of the request and the declaration (loaded with
``selectors.declaration_with_details``) returning HTML, or "" to show nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString

from .models import Declaration

DetailPanel = Callable[[HttpRequest, Declaration], SafeString]

_DETAIL_PANELS: list[DetailPanel] = []


def register_detail_panel(panel: DetailPanel) -> None:
    """Add a panel to every declaration page (once, however often called)."""
    if panel not in _DETAIL_PANELS:
        _DETAIL_PANELS.append(panel)


def detail_panels(request: HttpRequest, declaration: Declaration) -> list[SafeString]:
    """The registered panels rendered for this request and declaration."""
    return [html for html in (panel(request, declaration) for panel in _DETAIL_PANELS) if html]


# The declaration's API answer (``GET /api/v1/declarations/{mrn}``) carries sections other apps
# fill: "assessment" and "payment" (payments). The shapes are declared in
# ``declarations.api.serializers`` (the contract); a provider returns that shape, or None.
DetailSection = Callable[[Declaration, Any], dict[str, Any] | None]

_DETAIL_SECTIONS: dict[str, DetailSection] = {}


def register_detail_section(name: str, provider: DetailSection) -> None:
    """Fill the section ``name`` of the declaration's API answer with ``provider(declaration, user)``."""
    _DETAIL_SECTIONS[name] = provider


def detail_section(name: str, declaration: Declaration, user: Any) -> dict[str, Any] | None:
    provider = _DETAIL_SECTIONS.get(name)
    return provider(declaration, user) if provider is not None else None
