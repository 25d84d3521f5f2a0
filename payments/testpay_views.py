"""TestPay's own pages: the confirmation step a real gateway hosts (``payments.providers.testpay``).

Reached by the checkout's unguessable token, like a gateway's hosted page, not by the portal's
sign-in. Refused (404) whenever the test provider is not allowed.
"""

from __future__ import annotations

from django import forms
from django.core.cache import cache
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Payment, PaymentStatus
from .money import quantize
from .providers import Outcome, test_provider_allowed
from .providers.testpay import TestPay, callback_body, card_outcome, luhn_valid

# A checkout accepts one card: a second submission (a double click, the back button) charges nothing.
SUBMITTED_SECONDS = 24 * 3600


class CardForm(forms.Form):
    card_number = forms.CharField(
        label=gettext_lazy("Card number"),
        help_text=gettext_lazy(
            "Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined, "
            "4000 0000 0000 0119 is never answered (the payment times out)."
        ),
        max_length=30,
        error_messages={"required": gettext_lazy("Enter the card number.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def clean_card_number(self) -> str:
        number = "".join(self.cleaned_data["card_number"].split()).replace("-", "")
        if not luhn_valid(number):
            raise forms.ValidationError(_("Enter a valid card number, like 4242 4242 4242 4242."))
        return number


def _checkout(token: str) -> Payment:
    if not test_provider_allowed() or len(token) > 100 or "\x00" in token:  # PostgreSQL refuses a NUL
        raise Http404
    payment = Payment.objects.filter(provider=TestPay.code, checkout_id=token).first()
    if payment is None:
        raise Http404
    return payment


def _send(payment: Payment, token: str, outcome: Outcome, reason: str) -> None:
    """The gateway answers later, like a real one: the trader is back on the portal first."""
    from .tasks import testpay_callback_deliver

    body = callback_body(
        checkout_id=token,
        outcome=outcome,
        amount=quantize(payment.amount, payment.currency),
        currency=payment.currency,
        reason=reason,
    ).decode()
    transaction.on_commit(lambda: testpay_callback_deliver.delay(body))


def testpay_checkout(request: HttpRequest, token: str) -> HttpResponse:
    payment = _checkout(token)
    back = payment.return_url or "/"
    submitted = cache.get(f"testpay:{token}") is not None
    open_checkout = payment.status == PaymentStatus.AWAITING_CONFIRMATION and not submitted
    form = CardForm(request.POST if request.method == "POST" else None)
    if request.method != "POST" or not open_checkout:
        pass
    elif "cancel" in request.POST:
        # The payer gave up: the gateway tells the portal, as it would a declined card.
        if cache.add(f"testpay:{token}", "1", SUBMITTED_SECONDS):
            _send(payment, token, Outcome.DECLINED, _("The payer cancelled at TestPay"))
        return redirect(back)
    elif form.is_valid() and cache.add(f"testpay:{token}", "1", SUBMITTED_SECONDS):
        outcome = card_outcome(form.cleaned_data["card_number"])
        if outcome is not None:  # the "never answers" card: no callback, the payment times out
            reason = _("Card declined by the issuer") if outcome == Outcome.DECLINED else ""
            _send(payment, token, outcome, reason)
        return redirect(back)
    return render(
        request,
        "payments/testpay_checkout.html",
        {
            "payment": payment,
            "form": form,
            "submitted": not open_checkout,
            "back": back,
        },
    )
