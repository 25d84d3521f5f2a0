"""Payments' pages: the provider callback, the trader's payment pages and the cashier's desk."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from declarations.models import Declaration
from declarations.selectors import access_declaration
from singlewindow.audit import action_label, events_for
from singlewindow.errors import DomainError

from . import payments
from .forms import PayForm, TransferConfirmForm
from .models import Payment, PaymentMethod, PaymentStatus
from .money import home_currency, quantize
from .providers import provider_by_code, provider_for_method
from .status import money_status

# A callback larger than this is no callback (TestPay's are ~300 bytes; gateways' a few KB).
CALLBACK_MAX_BYTES = 64 * 1024


@csrf_exempt  # the provider posts from its servers: the HMAC signature is the proof, not a cookie
@require_POST
def provider_callback(request: HttpRequest, code: str) -> HttpResponse:
    """A payment provider's signed callback: settle or decline the payment it is about, once."""
    provider = provider_by_code(code) if len(code) <= 30 else None
    if provider is None:
        raise Http404
    length = request.headers.get("Content-Length") or "0"
    if not (length.isascii() and length.isdigit()):
        return JsonResponse({"errors": [{"code": "callback_invalid"}]}, status=400)
    if len(length) > 12 or int(length) > CALLBACK_MAX_BYTES:
        return JsonResponse({"errors": [{"code": "callback_too_large"}]}, status=413)
    body = request.body
    try:
        result = payments.provider_callback_receive(provider=provider, body=body, headers=request.headers)
    except DomainError as exc:
        return JsonResponse(exc.as_response_data(), status=exc.status)
    return JsonResponse({"outcome": result.outcome})


# --- the trader's pages ------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _payable_declaration(user: User, mrn: str) -> Declaration:
    """The declaration if the user may pay for it (a member or an authorised broker); 404 otherwise."""
    declaration = access_declaration(user, mrn)
    if not payments.may_pay(user, declaration.trader_account_id):
        raise Http404("No such declaration.")
    return declaration


def _staff(user: User) -> bool:
    return user.role in (Role.SUPERVISOR, Role.CASHIER, Role.ADMIN)


def access_payment(user: User, payment_id: int) -> Payment:
    """The payment if the user may see it (its account's members and brokers, customs' supervisors,
    cashiers and administrators); 404 for missing and not-yours alike."""
    payment = Payment.objects.select_related("trader_account").filter(pk=payment_id).first()
    if payment is None or not (_staff(user) or payments.may_pay(user, payment.trader_account_id)):
        raise Http404("No such payment.")
    return payment


@login_required
def pay(request: HttpRequest, mrn: str) -> HttpResponse:
    """The confirmation step: what will be paid, how; then to the provider or the transfer details."""
    user = _user(request)
    declaration = _payable_declaration(user, mrn)
    card_available = provider_for_method(PaymentMethod.CARD) is not None
    payable = payments.declaration_payable(declaration)
    errors: list[dict[str, str]] = []
    if request.method == "POST":
        form = PayForm(request.POST, card_available=card_available)
        if form.is_valid():
            try:
                payment = payments.payment_start(
                    user=user,
                    trader_account=declaration.trader_account,  # type: ignore[arg-type]
                    allocations=[(declaration, None)],
                    method=form.cleaned_data["method"],
                    return_url=reverse("declarations:detail", args=[declaration.mrn]),
                )
            except DomainError as exc:
                errors = [{"message": e["message"]} for e in exc.errors]
            else:
                if payment.method == PaymentMethod.CARD:
                    return redirect(payment.redirect_url)
                return redirect("payments:detail", payment.pk)
    else:
        method = request.GET.get("method", "")
        initial = {"method": method} if method in PaymentMethod.values else {}
        form = PayForm(initial=initial, card_available=card_available)
    return render(
        request,
        "payments/pay.html",
        {
            "declaration": declaration,
            "form": form,
            "errors": errors,
            "payable": quantize(payable, home_currency()),
            "currency": home_currency(),
            "status": money_status(declaration),
        },
    )


@login_required
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    payment = access_payment(user, pk)
    allocations = list(
        payment.allocations.select_related("declaration").order_by("declaration__mrn", "declaration_id")
    )
    return render(
        request,
        "payments/detail.html",
        {
            "payment": payment,
            "allocations": allocations,
            "bank": settings.SW_BANK_DETAILS,
            "may_cancel": payment.is_open and payments.may_pay(user, payment.trader_account_id),
            "may_confirm": payment.status == PaymentStatus.AWAITING_FUNDS and _staff(user),
            "timeline": [
                {
                    "event": event,
                    "label": action_label(event.action),
                    "actor": (event.actor.get_username() if event.actor and _staff(user) else ""),
                    "reason": event.data.get("reason", ""),
                }
                for event in events_for(payment).order_by("at", "pk")
            ],
        },
    )


@login_required
@require_POST
def payment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    payment = access_payment(user, pk)
    try:
        payments.payment_cancel(payment_id=payment.pk, user=user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Payment %(reference)s is cancelled: nothing was paid.") % {"reference": payment.reference},
        )
    return redirect("payments:detail", payment.pk)


# --- the cashier's desk ------------------------------------------------------------------------


class TransferFilters(forms.Form):
    STATUSES = [
        (PaymentStatus.AWAITING_FUNDS.value, gettext_lazy("Awaiting the transfer")),
        (PaymentStatus.SETTLED.value, gettext_lazy("Paid")),
        (PaymentStatus.CANCELLED.value, gettext_lazy("Cancelled")),
        ("all", gettext_lazy("All")),
    ]
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=STATUSES, required=False)
    q = forms.CharField(
        label=gettext_lazy("Payment reference or EORI"), required=False, max_length=40, strip=True
    )


def _cashier(request: HttpRequest) -> User:
    user = _user(request)
    if not _staff(user):
        raise Http404("Customs cashiers only.")
    return user


@login_required
def cashier_transfers(request: HttpRequest) -> HttpResponse:
    """Bank transfers, awaiting the money first; searched by payment reference or the trader's EORI."""
    _cashier(request)
    filters = TransferFilters(request.GET or None)
    status, q = PaymentStatus.AWAITING_FUNDS.value, ""
    if filters.is_valid():
        status = filters.cleaned_data["status"] or status
        q = filters.cleaned_data["q"].upper()
    transfers = Payment.objects.filter(method=PaymentMethod.BANK_TRANSFER).select_related("trader_account")
    if status != "all":
        transfers = transfers.filter(status=status)
    if q:
        transfers = transfers.filter(Q(reference__icontains=q) | Q(trader_account__eori__icontains=q))
    transfers = transfers.annotate(declarations=Count("allocations")).order_by("created_at", "pk")
    page = Paginator(transfers, 50).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in {"status": status, "q": q}.items() if v})
    return render(
        request,
        "payments/cashier.html",
        {"filters": filters, "page": page, "query": query, "status": status, "nav": "cashier"},
    )


@login_required
def cashier_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm that a transfer arrived: the amount, value date and bank reference off the statement."""
    cashier = _cashier(request)
    payment = get_object_or_404(
        Payment.objects.select_related("trader_account"), pk=pk, method=PaymentMethod.BANK_TRANSFER
    )
    form = TransferConfirmForm(request.POST or None, initial={"value_date": timezone.localdate()})
    if request.method == "POST" and payment.status == PaymentStatus.AWAITING_FUNDS and form.is_valid():
        try:
            payments.payment_settle(
                payment_id=payment.pk,
                provider_reference=form.cleaned_data["bank_reference"],
                amount=form.cleaned_data["amount"],
                actor=cashier,
                value_date=form.cleaned_data["value_date"],
            )
        except DomainError as exc:
            field = exc.errors[0].get("field") if exc.errors else ""
            form.add_error(
                {"amount": "amount", "provider_reference": "bank_reference"}.get(field or ""),
                exc.message,
            )
        else:
            messages.success(
                request,
                _("Transfer %(reference)s confirmed: %(amount)s %(currency)s booked to %(trader)s.")
                % {
                    "reference": payment.reference,
                    "amount": payment.amount_shown,
                    "currency": payment.currency,
                    "trader": payment.trader_account.name,
                },
            )
            return redirect("payments:cashier")
    return render(
        request,
        "payments/cashier_confirm.html",
        {
            "payment": payment,
            "form": form,
            "allocations": payment.allocations.select_related("declaration").order_by("declaration_id"),
            "nav": "cashier",
        },
    )
