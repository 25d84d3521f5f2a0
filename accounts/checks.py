"""Deployment checks (``manage.py check --deploy``) for what the sign-in protection relies on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def throttle_cache_is_shared(app_configs: Any, **kwargs: Any) -> list[Warning]:
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.SW_EMBEDDED or not backend.endswith("LocMemCache"):
        return []
    return [
        Warning(
            "The default cache is local memory: each process counts the API throttles on its own.",
            hint="Set CACHE_URL (e.g. redis://redis:6379/1) so every process shares one count.",
            id="accounts.W001",
        )
    ]
