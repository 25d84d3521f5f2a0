"""Paying declarations: start a payment, settle it once, decline, time out or cancel it.

A payment pays one or several declarations of one trader account (a monthly statement pays many).
``payment_start`` refuses what may not be paid (a declaration not the account's, closed, nothing
outstanding, more than is outstanding or already being paid) and, for a card, opens a checkout at
the configured provider (``payments.providers``). The money arrives later: the provider's signed
callback (``provider_callback_receive``) or a cashier confirming a bank transfer calls
``payment_settle``, which under the payment's row lock posts ONE ledger transaction (the provider's
or the bank account debited, the trader's account credited per declaration), marks the payment
settled and writes an outbox row on ``TOPIC_PAYMENT_SETTLED`` for clearance. A second settle (a
duplicate callback) changes nothing; a different amount is refused and recorded.

Every status change is a compare-and-set update with an audit event (``payments.payment.<status>``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import accounts_actable
from accounts.models import TraderAccount, User
from declarations.models import Declaration, Status
from singlewindow.audit import audit_log
from singlewindow.errors import DomainError
from singlewindow.outbox import outbox_put

from .ledger import ZERO, Leg, ledger_account, post, trader_ledger_account
from .models import (
    OPEN_STATUSES,
    Entry,
    LedgerAccountKind,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentStatus,
    ProviderEvent,
    TransactionKind,
)
from .money import home_currency, quantize, to_decimal
from .providers import (
    BANK_TRANSFER_PROVIDER,
    Callback,
    CallbackInvalid,
    Outcome,
    PaymentProvider,
    provider_for_method,
)

logger = logging.getLogger(__name__)

TOPIC_PAYMENT_SETTLED = "payments.payment.settled"

# Payment references: no 0/O, 1/I/L, so a reference read over the phone or retyped is not mistaken.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_PREFIX = "SWP-"
REFERENCE_LENGTH = 10

# Money the provider confirms is booked even when the trader cancelled or the payment timed out
# meanwhile (the card was charged: the trader's account is credited, never the money lost). Only
# a payment the provider itself declined is never settled.
SETTLEABLE = frozenset(
    {
        PaymentStatus.INITIATED,
        PaymentStatus.AWAITING_CONFIRMATION,
        PaymentStatus.AWAITING_FUNDS,
        PaymentStatus.TIMED_OUT,
        PaymentStatus.CANCELLED,
    }
)
# What the provider's confirmation step may still decline or the sweep time out.
UNCONFIRMED = frozenset({PaymentStatus.INITIATED, PaymentStatus.AWAITING_CONFIRMATION})
# Declarations that can no longer be paid (their charges are credited back). A refused one can: a
# refusal credits nothing, so what it still owes (a deferment statement's line) must be payable.
NOT_PAYABLE = frozenset({Status.DRAFT, Status.CANCELLED, Status.INVALIDATED})


class PaymentError(DomainError):
    """A payment request or confirmation the domain refuses."""


def _refuse(code: str, message: str, *, field: str = "", status: int | None = None) -> PaymentError:
    return PaymentError(
        code,
        message,
        errors=[{"pointer": field, "field": field, "code": code, "message": message}],
        status=status,
    )


# --- what may be paid --------------------------------------------------------------------------


def outstanding_by_declaration(declaration_ids: Sequence[int], currency: str = "") -> dict[int, Decimal]:
    """What is owed per declaration on its trader's account (charges less payments), one query."""
    rows = (
        Entry.objects.filter(
            account__kind=LedgerAccountKind.TRADER,
            declaration_id__in=declaration_ids,
            currency=(currency or home_currency()).upper(),
        )
        .values("declaration_id")
        .annotate(debit=Coalesce(Sum("debit"), ZERO), credit=Coalesce(Sum("credit"), ZERO))
    )
    owed = dict.fromkeys(declaration_ids, ZERO)
    for row in rows:
        owed[row["declaration_id"]] = Decimal(row["debit"]) - Decimal(row["credit"])
    return owed


def being_paid_by_declaration(declaration_ids: Sequence[int]) -> dict[int, Decimal]:
    """What open payments (started, being confirmed, awaiting a transfer) hold per declaration."""
    rows = (
        PaymentAllocation.objects.filter(
            declaration_id__in=declaration_ids, payment__status__in=OPEN_STATUSES
        )
        .values("declaration_id")
        .annotate(total=Sum("amount"))
    )
    held = dict.fromkeys(declaration_ids, ZERO)
    for row in rows:
        held[row["declaration_id"]] = Decimal(row["total"])
    return held


def declaration_payable(declaration: Declaration) -> Decimal:
    """What may be paid for the declaration now: outstanding less what open payments hold."""
    owed = outstanding_by_declaration([declaration.pk])[declaration.pk]
    held = being_paid_by_declaration([declaration.pk])[declaration.pk]
    return max(owed - held, ZERO)


def may_pay(user: User, trader_account_id: int | None) -> bool:
    """Members of the trader account and the brokers it authorised may pay for it."""
    if trader_account_id is None or not user.is_authenticated:
        return False
    return accounts_actable(user).filter(pk=trader_account_id).exists()


# --- start -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    declaration: Declaration
    amount: Decimal


def _new_reference() -> str:
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _amount(value: Any, currency: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError):
        raise _refuse("payment_amount_invalid", _("Enter the amount as a number."), field="amount") from None
    if amount <= 0:
        raise _refuse("payment_amount_invalid", _("The amount must be more than zero."), field="amount")
    if amount != quantize(amount, currency):
        raise _refuse(
            "payment_amount_invalid",
            _("The amount has more decimal places than %(currency)s allows.") % {"currency": currency},
            field="amount",
        )
    return amount


def _lines(
    *, trader_account: TraderAccount, allocations: Sequence[tuple[Declaration, Any]], currency: str
) -> list[_Line]:
    """The amount for each declaration, checked against what may be paid now (declarations locked)."""
    if not allocations:
        raise _refuse("payment_nothing_selected", _("Choose at least one declaration to pay."))
    ids = [declaration.pk for declaration, _amount_ in allocations]
    if len(set(ids)) != len(ids):
        raise _refuse("payment_declaration_repeated", _("A declaration is listed twice in one payment."))
    # Two payments started together for one declaration: the second waits here and then sees the
    # first one's allocation as already being paid.
    locked = {d.pk: d for d in Declaration.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    owed = outstanding_by_declaration(ids, currency)
    held = being_paid_by_declaration(ids)
    lines = []
    for declaration, requested in allocations:
        current = locked.get(declaration.pk)
        label = declaration.mrn or str(declaration.pk)
        if current is None or current.trader_account_id != trader_account.pk:
            raise _refuse(
                "payment_not_your_declaration",
                _("Declaration %(mrn)s is not one of this trader account's.") % {"mrn": label},
            )
        if current.status in NOT_PAYABLE:
            raise _refuse(
                "payment_declaration_closed",
                _("Declaration %(mrn)s is %(status)s: nothing can be paid for it.")
                % {"mrn": label, "status": current.get_status_display().lower()},
            )
        if owed[current.pk] <= 0:
            raise _refuse(
                "payment_nothing_outstanding",
                _("Nothing is outstanding on declaration %(mrn)s.") % {"mrn": label},
            )
        payable = owed[current.pk] - held[current.pk]
        if payable <= 0:
            raise _refuse(
                "payment_in_progress",
                _(
                    "A payment for declaration %(mrn)s is already under way: finish or cancel it "
                    "before starting another."
                )
                % {"mrn": label},
                status=409,
            )
        amount = _amount(requested, currency)
        if amount is None:
            amount = quantize(payable, currency)
        if amount > payable:
            raise _refuse(
                "payment_over_outstanding",
                _("%(amount)s %(currency)s is more than the %(payable)s %(currency)s to pay on %(mrn)s.")
                % {
                    "amount": amount,
                    "payable": quantize(payable, currency),
                    "currency": currency,
                    "mrn": label,
                },
                field="amount",
            )
        lines.append(_Line(declaration=current, amount=amount))
    return lines


@transaction.atomic
def _payment_create(
    *,
    user: User | None,
    trader_account: TraderAccount,
    allocations: Sequence[tuple[Declaration, Any]],
    method: PaymentMethod,
    provider_code: str,
    return_url: str,
) -> Payment:
    currency = home_currency()
    lines = _lines(trader_account=trader_account, allocations=allocations, currency=currency)
    total = sum((line.amount for line in lines), ZERO)
    for attempt in range(3):
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    trader_account=trader_account,
                    reference=_new_reference(),
                    amount=total,
                    currency=currency,
                    method=method,
                    provider=provider_code,
                    return_url=return_url[:500],
                    created_by=user if user is not None and user.pk else None,
                )
            break
        except IntegrityError:  # a reference drawn twice (1 in 8·10^14): draw again
            if attempt == 2:
                raise
    PaymentAllocation.objects.bulk_create(
        PaymentAllocation(payment=payment, declaration=line.declaration, amount=line.amount) for line in lines
    )
    audit_log(
        action="payments.payment.initiated",
        obj=payment,
        actor=user,
        data={
            "reference": payment.reference,
            "method": method,
            "provider": provider_code,
            "amount": str(total),
            "currency": currency,
            "declarations": {str(line.declaration.pk): str(line.amount) for line in lines},
        },
    )
    if method == PaymentMethod.BANK_TRANSFER:
        _transition(payment, to=PaymentStatus.AWAITING_FUNDS, actor=user)
    return payment


def payment_start(
    *,
    user: User,
    trader_account: TraderAccount,
    allocations: Sequence[tuple[Declaration, Any]],
    method: str,
    return_url: str = "",
) -> Payment:
    """Start paying ``allocations`` ((declaration, amount or None for all that may be paid), …).

    Refuses (``PaymentError`` with a code) a user who may not act for ``trader_account``, a
    declaration not the account's, one cancelled or invalidated, one with nothing
    outstanding or already being paid, and an amount over what may be paid. Writes the payment,
    its allocations and audit events. A bank transfer then awaits the funds; a card payment opens
    a checkout at the configured provider (called after the payment is committed: call this outside
    a transaction) and awaits the trader's confirmation there (``payment.redirect_url``).
    """
    if method not in PaymentMethod.values:
        raise _refuse("payment_method_unknown", _("Choose card or bank transfer."), field="method")
    if not may_pay(user, trader_account.pk):
        raise _refuse("not_found", _("No such trader account."), status=404)
    provider: PaymentProvider | None = None
    if method == PaymentMethod.CARD:
        provider = provider_for_method(PaymentMethod.CARD)
        if provider is None:
            raise _refuse(
                "payment_method_unavailable",
                _("Card payments are not available: pay by bank transfer."),
                field="method",
            )
    payment = _payment_create(
        user=user,
        trader_account=trader_account,
        allocations=allocations,
        method=PaymentMethod(method),
        provider_code=provider.code if provider is not None else BANK_TRANSFER_PROVIDER,
        return_url=return_url,
    )
    if provider is not None:
        payment = _checkout(payment=payment, provider=provider, actor=user)
    return payment


def _checkout(*, payment: Payment, provider: PaymentProvider, actor: User | None) -> Payment:
    """Open the provider's checkout (outside any transaction: it may be a call to the gateway)."""
    try:
        checkout = provider.checkout_start(payment=payment, return_url=payment.return_url)
    except Exception as exc:
        logger.warning(
            "payment %s: the provider %s could not start a checkout", payment.pk, provider.code, exc_info=True
        )
        with transaction.atomic():
            _transition(
                payment,
                to=PaymentStatus.DECLINED,
                actor=actor,
                failure_reason=f"provider unavailable: {type(exc).__name__}"[:300],
            )
        raise _refuse(
            "payment_provider_unavailable",
            _(
                "The card payment service did not answer. Try again in a few minutes, "
                "or pay by bank transfer."
            ),
            status=502,
        ) from exc
    with transaction.atomic():
        _transition(
            payment,
            to=PaymentStatus.AWAITING_CONFIRMATION,
            expected=(PaymentStatus.INITIATED,),
            actor=actor,
            checkout_id=checkout.checkout_id[:100],
            redirect_url=checkout.redirect_url[:500],
        )
    return payment


# --- transitions -------------------------------------------------------------------------------


def _transition(
    payment: Payment,
    *,
    to: PaymentStatus,
    expected: Sequence[str] | None = None,
    actor: Any = None,
    audit_data: Mapping[str, Any] | None = None,
    **fields: Any,
) -> bool:
    """Compare-and-set the payment's status (from its current one, or any of ``expected``) and
    write the audit event ``payments.payment.<to>``; False when someone moved it first."""
    before = payment.status
    now = timezone.now()
    allowed = list(expected) if expected is not None else [before]
    updated = Payment.objects.filter(pk=payment.pk, status__in=allowed).update(
        status=to, status_changed_at=now, **fields
    )
    if not updated:
        return False
    for name, value in fields.items():
        setattr(payment, name, value)
    payment.status, payment.status_changed_at = to, now
    audit_log(
        action=f"payments.payment.{to}",
        obj=payment,
        actor=actor,
        data={
            "reference": payment.reference,
            "before": before,
            "after": str(to),
            **({"reason": fields["failure_reason"]} if fields.get("failure_reason") else {}),
            **(audit_data or {}),
        },
    )
    return True


def _locked(payment_id: int) -> Payment:
    try:
        return Payment.objects.select_for_update().get(pk=payment_id)
    except Payment.DoesNotExist:
        raise _refuse("not_found", _("No such payment."), status=404) from None


REFERENCE_UNIQUE = "payments_payment_provider_reference_unique"
EVENT_UNIQUE = "payments_provider_event_unique"


def _reference_used(provider_reference: str) -> PaymentError:
    return _refuse(
        "payment_reference_used",
        _("Reference %(ref)s already confirmed another payment: check the bank statement.")
        % {"ref": provider_reference},
        field="provider_reference",
        status=409,
    )


def _settle_locked(
    payment: Payment,
    *,
    provider_reference: str,
    amount: Decimal,
    currency: str,
    actor: Any,
    value_date: date | None,
) -> PaymentError | None:
    """Settle a payment whose row this transaction holds; the refusal, recorded, or None."""
    if payment.status == PaymentStatus.SETTLED:
        return None  # a duplicate confirmation: already booked, nothing changes
    if payment.status not in SETTLEABLE:
        audit_log(
            action="payments.payment.callback_refused",
            obj=payment,
            actor=actor,
            data={
                "reference": payment.reference,
                "status": payment.status,
                "provider_reference": provider_reference,
            },
        )
        return _refuse(
            "payment_not_settleable",
            _("Payment %(reference)s was declined; it cannot be settled.") % {"reference": payment.reference},
            status=409,
        )
    if currency.upper() != payment.currency or to_decimal(amount) != payment.amount:
        audit_log(
            action="payments.payment.amount_mismatch",
            obj=payment,
            actor=actor,
            data={
                "reference": payment.reference,
                "expected": f"{payment.amount} {payment.currency}",
                "received": f"{amount} {currency.upper()}",
                "provider_reference": provider_reference,
            },
        )
        return _refuse(
            "payment_amount_mismatch",
            _(
                "%(received)s %(rcur)s does not match the %(expected)s %(currency)s of payment "
                "%(reference)s: nothing was booked."
            )
            % {
                "received": amount,
                "rcur": currency.upper(),
                "expected": quantize(payment.amount, payment.currency),
                "currency": payment.currency,
                "reference": payment.reference,
            },
            field="amount",
        )
    if (
        provider_reference
        and Payment.objects.filter(provider=payment.provider, provider_reference=provider_reference)
        .exclude(pk=payment.pk)
        .exists()
    ):
        return _reference_used(provider_reference)
    allocations = list(payment.allocations.order_by("declaration_id"))
    if payment.method == PaymentMethod.BANK_TRANSFER:
        received = ledger_account(LedgerAccountKind.BANK, currency=payment.currency)
    else:
        received = ledger_account(
            LedgerAccountKind.PROVIDER, code=payment.provider, currency=payment.currency
        )
    trader = trader_ledger_account(payment.trader_account, payment.currency)
    legs = [Leg(account=received, debit=quantize(payment.amount, payment.currency))]
    legs += [
        Leg(account=trader, credit=quantize(a.amount, payment.currency), declaration_id=a.declaration_id)
        for a in allocations
    ]
    txn = post(
        kind=TransactionKind.PAYMENT,
        trader_account=payment.trader_account,
        legs=legs,
        reference=payment.reference,
        memo=_("Payment %(reference)s") % {"reference": payment.reference},
        actor=actor,
        audit_data={"payment": payment.pk},
    )
    settled = _transition(
        payment,
        to=PaymentStatus.SETTLED,
        actor=actor,
        audit_data={"amount": str(payment.amount), "provider_reference": provider_reference},
        settled_at=timezone.now(),
        provider_reference=provider_reference[:100],
        ledger_transaction=txn,
        settled_by=actor if getattr(actor, "pk", None) else None,
        value_date=value_date,
    )
    assert settled, "the row is locked: nobody else can have moved it"
    outbox_put(
        topic=TOPIC_PAYMENT_SETTLED,
        object_id=payment.pk,
        payload={"declarations": [a.declaration_id for a in allocations]},
    )
    return None


def payment_settle(
    *,
    payment_id: int,
    provider_reference: str,
    amount: Decimal,
    currency: str = "",
    actor: Any = None,
    value_date: date | None = None,
) -> Payment:
    """Book the money of a payment once: idempotent under the payment's row lock.

    Posts one ledger transaction (the provider's clearing account, or the bank account for a
    transfer, debited; the trader's account credited per declaration), marks the payment settled,
    writes its audit event and an outbox row on ``TOPIC_PAYMENT_SETTLED`` (payload: the
    declarations). A payment already settled is returned unchanged. A different amount or
    currency, or a declined payment, is refused (``PaymentError``) after the refusal is recorded
    in the audit log.
    """
    currency = currency or home_currency()
    try:
        with transaction.atomic(durable=True):
            payment = _locked(payment_id)
            refused = _settle_locked(
                payment,
                provider_reference=provider_reference,
                amount=amount,
                currency=currency,
                actor=actor,
                value_date=value_date,
            )
    except IntegrityError as exc:
        # Two payments confirmed at once with one reference: each row lock holds only its own
        # payment, so the unique constraint decides; the loser is told as if it had come second.
        if REFERENCE_UNIQUE not in str(exc):
            raise
        raise _reference_used(provider_reference) from None
    if refused is not None:
        raise refused
    return payment


@transaction.atomic(durable=True)
def payment_decline(*, payment_id: int, reason: str, provider_reference: str = "") -> Payment:
    """The provider declined the card: the payment ends declined (nothing booked). Idempotent; a
    payment no longer awaiting confirmation is left as it is."""
    payment = _locked(payment_id)
    if payment.status in UNCONFIRMED:
        _transition(
            payment,
            to=PaymentStatus.DECLINED,
            failure_reason=(reason or "declined")[:300],
            provider_reference=provider_reference[:100],
        )
    return payment


@transaction.atomic(durable=True)
def payment_time_out(*, payment_id: int) -> Payment:
    """The provider never answered: a card payment still unconfirmed ends timed out. Idempotent.

    Should the provider confirm it later after all, ``payment_settle`` still books the money."""
    payment = _locked(payment_id)
    if payment.method == PaymentMethod.CARD and payment.status in UNCONFIRMED:
        _transition(
            payment,
            to=PaymentStatus.TIMED_OUT,
            failure_reason=_("No confirmation from the provider within %(minutes)s minutes.")
            % {"minutes": settings.SW_PAYMENT_TIMEOUT_MINUTES},
        )
    return payment


def payments_timed_out_ids(*, now: Any = None) -> list[int]:
    """Card payments unconfirmed for longer than ``SW_PAYMENT_TIMEOUT_MINUTES``."""
    cutoff = (now or timezone.now()) - timedelta(minutes=settings.SW_PAYMENT_TIMEOUT_MINUTES)
    return list(
        Payment.objects.filter(
            method=PaymentMethod.CARD, status__in=UNCONFIRMED, status_changed_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )


@transaction.atomic(durable=True)
def payment_cancel(*, payment_id: int, user: User) -> Payment:
    """The trader gives up on a payment not yet paid (a checkout left, a transfer not to be sent).

    Only a member of the account or a broker it authorised; 404 for anyone else. A payment paid,
    declined or timed out already is refused. Money the provider confirms later is still booked."""
    payment = _locked(payment_id)
    if not may_pay(user, payment.trader_account_id):
        raise _refuse("not_found", _("No such payment."), status=404)
    if payment.status not in OPEN_STATUSES:
        raise _refuse(
            "payment_not_open",
            _("Payment %(reference)s is %(status)s: it can no longer be cancelled.")
            % {"reference": payment.reference, "status": payment.get_status_display().lower()},
            status=409,
        )
    _transition(payment, to=PaymentStatus.CANCELLED, actor=user, failure_reason=_("Cancelled by the trader."))
    return payment


# --- provider callbacks ------------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackResult:
    outcome: str  # settled | declined | replayed | refused | ignored
    payment: Payment | None = None


def provider_callback_receive(
    *, provider: PaymentProvider, body: bytes, headers: Mapping[str, str]
) -> CallbackResult:
    """A provider's callback: checked, recorded once by its event id, then applied to its payment.

    Raises ``PaymentError`` (403) when the signature does not verify or is too old (a forgery or
    a replay of an old message), and (400) when the body is not a callback. An authentic callback
    delivered again (same event id) does nothing (``replayed``). The event and its effect are
    written in one transaction, so a crash between them leaves neither and the provider's retry
    applies it.
    """
    if not provider.callback_verify(body=body, headers=headers):
        logger.warning("payments: a callback for %s with a bad or old signature was refused", provider.code)
        raise _refuse("callback_signature_invalid", "The callback's signature does not verify.", status=403)
    try:
        callback = _callback_checked(provider.callback_parse(body=body))
    except CallbackInvalid as exc:
        raise _refuse("callback_invalid", f"Not a callback: {exc}", status=400) from None
    payment_id = (
        Payment.objects.filter(provider=provider.code, checkout_id=callback.checkout_id)
        .values_list("pk", flat=True)
        .first()
    )
    refused: PaymentError | None = None
    try:
        with transaction.atomic(durable=True):
            # Every delivery for one payment waits here for the one before it: the event check
            # below then sees the earlier delivery's row.
            payment = _locked(payment_id) if payment_id is not None else None
            if ProviderEvent.objects.filter(provider=provider.code, event_id=callback.event_id).exists():
                return CallbackResult("replayed", payment)
            outcome = _callback_apply(payment, callback)
            ProviderEvent.objects.create(
                provider=provider.code,
                event_id=callback.event_id[:100],
                payment=payment,
                outcome=outcome if not isinstance(outcome, PaymentError) else "refused",
                body=_callback_record(callback),
            )
            if isinstance(outcome, PaymentError):
                refused, outcome = outcome, "refused"
    except IntegrityError as exc:
        # Deliveries of one event at once for no payment of ours have no row lock to queue on:
        # the unique event id lets one in, and the others (rolled back) are replays.
        if EVENT_UNIQUE not in str(exc):
            raise
        return CallbackResult("replayed", None)
    if refused is not None:
        logger.warning("payments: callback %s refused: %s", callback.event_id, refused.code)
    return CallbackResult(outcome, payment)


# The longest event id kept as it is; a longer one is kept as its digest (the replay check still works).
EVENT_ID_MAX = 100


def _callback_checked(callback: Callback) -> Callback:
    """What any provider's parser answered, made safe to look up and store (whatever the provider):
    no NUL (PostgreSQL refuses one), a finite amount, a currency code, ids of bounded length."""
    texts = (
        callback.event_id,
        callback.checkout_id,
        callback.provider_reference,
        callback.currency,
        callback.reason,
    )
    if any("\x00" in text for text in texts):
        raise CallbackInvalid("a field holds a NUL character")
    if not isinstance(callback.amount, Decimal) or not callback.amount.is_finite():
        raise CallbackInvalid("the amount is not a finite number")
    if not (len(callback.currency) == 3 and callback.currency.isascii() and callback.currency.isalpha()):
        raise CallbackInvalid("the currency is not an ISO 4217 code")
    if not callback.event_id or not callback.checkout_id or len(callback.checkout_id) > 100:
        raise CallbackInvalid("no event id, or no (or too long a) checkout id")
    if len(callback.provider_reference) > 100:
        raise CallbackInvalid("the provider's reference is longer than 100 characters")
    event_id = callback.event_id
    if len(event_id) > EVENT_ID_MAX:
        event_id = "sha256:" + hashlib.sha256(event_id.encode()).hexdigest()
    return dataclasses.replace(callback, event_id=event_id, reason=callback.reason[:300])


def _callback_apply(payment: Payment | None, callback: Callback) -> str | PaymentError:
    if payment is None:
        return "ignored"  # not a checkout of ours (or of another portal on the same account)
    if callback.outcome == Outcome.APPROVED:
        refused = _settle_locked(
            payment,
            provider_reference=callback.provider_reference,
            amount=callback.amount,
            currency=callback.currency,
            actor=None,
            value_date=None,
        )
        return refused if refused is not None else "settled"
    if payment.status in UNCONFIRMED:
        _transition(
            payment,
            to=PaymentStatus.DECLINED,
            failure_reason=(callback.reason or "declined")[:300],
            provider_reference=callback.provider_reference[:100],
        )
    return "declined"


def _callback_record(callback: Callback) -> dict[str, str]:
    return {
        "checkout_id": callback.checkout_id,
        "outcome": str(callback.outcome),
        "provider_reference": callback.provider_reference,
        "amount": str(callback.amount),
        "currency": callback.currency,
        "reason": callback.reason,
    }


# --- reads -------------------------------------------------------------------------------------


def payments_for_declaration(declaration: Declaration) -> list[Payment]:
    """The payments that pay (or tried to pay) the declaration, newest first, one query."""
    return list(
        Payment.objects.filter(Q(allocations__declaration=declaration))
        .distinct()
        .order_by("-created_at", "-pk")
    )
