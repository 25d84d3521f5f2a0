"""System checks: the test payment provider never runs on a deployment by accident."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string


def _test_providers() -> list[str]:
    found = []
    for method, path in settings.SW_PAYMENT_PROVIDERS.items():
        try:
            cls = import_string(path)
        except ImportError:
            found.append(f"{method}: {path} (cannot be imported)")
            continue
        if getattr(cls, "takes_no_money", False):
            found.append(f"{method}: {path}")
    return found


@register(Tags.security)
def test_payment_provider_refused_in_production(app_configs: Any, **kwargs: Any) -> list[Error]:
    """An error (the server does not start) when a provider that takes no money is configured
    outside the embedded mode without ``SW_PAYMENT_TEST_PROVIDER=true``."""
    if settings.SW_EMBEDDED or settings.SW_PAYMENT_TEST_PROVIDER:
        return []
    return [
        Error(
            f"SW_PAYMENT_PROVIDERS names a test provider that takes no money ({found}).",
            hint="Configure a real payment gateway, or set SW_PAYMENT_TEST_PROVIDER=true for a trial.",
            id="payments.E001",
        )
        for found in _test_providers()
    ]


@register(Tags.security, deploy=True)
def test_payment_provider_switch_is_off(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """``check --deploy`` names the test provider switch left on."""
    if settings.SW_EMBEDDED or not settings.SW_PAYMENT_TEST_PROVIDER:
        return []
    return [
        Warning(
            "SW_PAYMENT_TEST_PROVIDER is on: card payments may be 'paid' through TestPay, "
            "which takes no money.",
            hint="Set SW_PAYMENT_TEST_PROVIDER=false for a deployment.",
            id="payments.W001",
        )
    ]


# The secret the embedded mode signs TestPay's callbacks with: published in the settings.
EMBEDDED_TESTPAY_SECRET = "testpay-embedded-secret"  # noqa: S105 (published on purpose: refused here)


@register(Tags.security)
def test_payment_provider_secret_is_not_the_published_one(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Outside the embedded mode, a test provider switched on must sign its callbacks with a secret
    of the deployment's own: the embedded one is in the source, so anyone could sign a callback."""
    if settings.SW_EMBEDDED or not _test_providers():
        return []
    if settings.SW_TESTPAY_SECRET and settings.SW_TESTPAY_SECRET != EMBEDDED_TESTPAY_SECRET:
        return []
    return [
        Error(
            "SW_TESTPAY_SECRET is empty or the embedded mode's published secret.",
            hint="Set SW_TESTPAY_SECRET (or SW_TESTPAY_SECRET_FILE) to a long random value.",
            id="payments.E002",
        )
    ]
