"""Per-user rates for lodgement and validation (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``).

Counted in the default cache (Redis in the full stack), keyed by the user, so a trader's API calls,
its browser's bulk upload and its page uploads share one count. The upload page counts each file
of a batch (``allow_request`` works on a plain Django request: only ``request.user`` is read).
"""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import SimpleRateThrottle


class LodgementThrottle(SimpleRateThrottle):
    """``SW_LODGE_THROTTLE`` lodgements per user (API, JSON or XML, and uploads in the browser)."""

    scope = "lodgement"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # not counted: the view refuses anonymous callers anyway
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class ValidationThrottle(LodgementThrottle):
    """``SW_VALIDATE_THROTTLE`` validations per user: checking is as costly as lodging."""

    scope = "validation"
