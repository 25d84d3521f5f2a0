"""Payment providers: the small interface a card gateway is plugged in through, chosen by settings.

``SW_PAYMENT_PROVIDERS`` maps a payment method to a provider class (``{"card":
"payments.providers.testpay.TestPay"}``). A provider:

1. starts a checkout for a payment and answers where to send the trader to confirm it
   (``checkout_start`` → ``Checkout``: the provider's session id and its redirect URL);
2. later calls the portal back, asynchronously, at ``/payments/providers/<code>/callback``: the
   portal checks the callback's signature (``callback_verify``) and reads its outcome
   (``callback_parse`` → ``Callback``), then settles or declines the payment.

A provider marked ``takes_no_money`` (the built-in test provider) is refused outside the embedded
mode unless ``SW_PAYMENT_TEST_PROVIDER`` is set: ``payments.checks`` stops the start, and
``providers()`` refuses to load it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from ..models import Payment

# The pseudo-provider of bank transfers: no gateway, a cashier confirms the money (its ledger account).
BANK_TRANSFER_PROVIDER = "bank"


@dataclass(frozen=True)
class Checkout:
    """A checkout session opened at the provider: its id, and where the trader confirms it."""

    checkout_id: str
    redirect_url: str


class Outcome(enum.StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"


@dataclass(frozen=True)
class Callback:
    """What a provider's callback says about one checkout."""

    event_id: str  # unique per callback at the provider: a replay carries the same
    checkout_id: str
    outcome: Outcome
    provider_reference: str  # the provider's id of the charge (approved) or attempt
    amount: Decimal
    currency: str
    reason: str = ""  # why declined, in the provider's words


class CallbackInvalid(Exception):
    """A callback whose body cannot be read as one (the message says why)."""


class PaymentProvider(Protocol):
    code: str  # in URLs and ledger account codes: lowercase letters and digits
    takes_no_money: bool  # True for a test provider only

    def checkout_start(self, *, payment: Payment, return_url: str) -> Checkout: ...

    def callback_verify(self, *, body: bytes, headers: Mapping[str, str]) -> bool: ...

    def callback_parse(self, *, body: bytes) -> Callback: ...


def test_provider_allowed() -> bool:
    return bool(settings.SW_EMBEDDED or settings.SW_PAYMENT_TEST_PROVIDER)


@cache
def _load(path: str) -> PaymentProvider:
    provider: PaymentProvider = import_string(path)()
    if getattr(provider, "takes_no_money", False) and not test_provider_allowed():
        raise ImproperlyConfigured(
            f"{path} is a test payment provider that takes no money: refused outside the embedded "
            "mode unless SW_PAYMENT_TEST_PROVIDER=true"
        )
    return provider


def providers() -> dict[str, PaymentProvider]:
    """Method → provider, as configured (``SW_PAYMENT_PROVIDERS``)."""
    return {method: _load(path) for method, path in settings.SW_PAYMENT_PROVIDERS.items()}


def provider_for_method(method: str) -> PaymentProvider | None:
    path = settings.SW_PAYMENT_PROVIDERS.get(method)
    return _load(path) if path else None


def provider_by_code(code: str) -> PaymentProvider | None:
    for provider in providers().values():
        if provider.code == code:
            return provider
    return None
