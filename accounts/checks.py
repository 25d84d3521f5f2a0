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


# Switches that are right for the embedded default (one machine, demo data) and wrong on a
# deployment: each one named, with what it opens.
EMBEDDED_ONLY_SWITCHES = {
    "SW_EMBEDDED": "demo seeding, plain-http and private webhook endpoints, automatic decisions",
    "SW_WEBHOOK_ALLOW_PRIVATE": "webhook deliveries to private, loopback and link-local addresses",
    "SW_WEBHOOK_ALLOW_HTTP": "webhook deliveries over plain http",
    "SW_AUTO_DECIDE_ALLOWED": "agencies approving goods with nobody looking",
}


@register(Tags.security, deploy=True)
def embedded_switches_are_off(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """``check --deploy`` names every embedded-mode switch left on (they default to SW_EMBEDDED)."""
    return [
        Warning(
            f"{name} is on: {opens}.",
            hint=f"Set {name}=false for a deployment (it is meant for the embedded default and tests).",
            id="accounts.W002",
        )
        for name, opens in EMBEDDED_ONLY_SWITCHES.items()
        if getattr(settings, name, False)
    ]
