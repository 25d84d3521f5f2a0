"""End a signed-in session left unused for SW_SESSION_IDLE_MINUTES."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

LAST_SEEN = "sw_last_seen"
# "Last seen" is written at most this often, so a busy user's session is not saved on every request.
GRANULARITY_SECONDS = 60


def session_started(sender: object, request: HttpRequest | None, **kwargs: object) -> None:
    """Sign-in counts as activity (saved with the sign-in itself, not by the next request)."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())


class SessionIdleTimeoutMiddleware:
    """Signs out a session whose last request is older than the idle limit, with a message the
    sign-in page shows; the view then answers as for anyone signed out (pages: go to sign-in)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN)
            idle_limit = settings.SW_SESSION_IDLE_MINUTES * 60
            if isinstance(last_seen, int) and now - last_seen > idle_limit:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)d minutes without activity. Sign in again.")
                    % {"minutes": settings.SW_SESSION_IDLE_MINUTES},
                )
            elif not isinstance(last_seen, int) or now - last_seen >= GRANULARITY_SECONDS:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
