"""Sessions: ended after SW_SESSION_IDLE_MINUTES unused; kept on the two-step verification pages
while they still owe a second factor."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .two_factor import SESSION_ENROLLED, user_needs_verification

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


# The API answers for itself: token requests carry no session, and a session that is not verified is
# refused by accounts.api.authentication.VerifiedSessionAuthentication rather than redirected.
API_PREFIX = "/api/"


class TwoFactorMiddleware:
    """After the password, a user who has an authenticator (or whose role requires one) must give a
    code, or set one up, before anything else: every other page redirects to the verify or the set-up
    page. Sign-out, the language switch and static files stay reachable.

    Install after ``django_otp.middleware.OTPMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith((API_PREFIX, "/" + settings.STATIC_URL.lstrip("/"))) or path in self._open_paths():
            return self.get_response(request)
        if not user_needs_verification(request):
            return self.get_response(request)
        target = reverse("two_factor_verify" if request.session[SESSION_ENROLLED] else "two_factor_setup")
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return HttpResponseRedirect(f"{target}?{query}" if query else target)

    @staticmethod
    def _open_paths() -> set[str]:
        return {reverse(name) for name in ("two_factor_verify", "two_factor_setup", "logout")} | {
            reverse("set_language")
        }
