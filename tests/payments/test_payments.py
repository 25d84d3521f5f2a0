"""Paying declarations: every transition of a payment, and what is refused on the way."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from declarations.models import Declaration, Status
from payments import payments
from payments.ledger import declaration_balance, trader_balance
from payments.models import (
    Entry,
    LedgerAccountKind,
    LedgerTransaction,
    Payment,
    PaymentMethod,
    PaymentStatus,
    TransactionKind,
)
from payments.payments import PaymentError, payment_start
from payments.status import MoneyState, money_status
from payments.tasks import payment_timeout_sweep
from singlewindow.models import AuditEvent, OutboxMessage

pytestmark = pytest.mark.django_db

D = Decimal


def start(user, declaration, method=PaymentMethod.BANK_TRANSFER, amount=None) -> Payment:
    return payment_start(
        user=user,
        trader_account=declaration.trader_account,
        allocations=[(declaration, amount)],
        method=method,
        return_url=f"/declarations/{declaration.mrn}/",
    )


def actions(payment: Payment) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="payments.payment", object_id=payment.pk)
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- starting ----------------------------------------------------------------------------------


def test_a_bank_transfer_awaits_funds_under_a_reference_the_trader_can_quote(importer, charged):
    payment = start(importer, charged)

    assert payment.status == PaymentStatus.AWAITING_FUNDS
    assert re.fullmatch(r"SWP-[2-9A-HJKMNP-Z]{10}", payment.reference)
    assert payment.amount == D("232.40") and payment.currency == "GBP" and payment.provider == "bank"
    assert [(a.declaration_id, a.amount) for a in payment.allocations.all()] == [(charged.pk, D("232.40"))]
    assert actions(payment) == ["payments.payment.initiated", "payments.payment.awaiting_funds"]
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.PAYMENT).exists()


def test_a_card_payment_awaits_the_trader_on_the_providers_confirmation_page(importer, charged):
    payment = start(importer, charged, PaymentMethod.CARD)

    assert payment.status == PaymentStatus.AWAITING_CONFIRMATION
    assert payment.provider == "testpay" and payment.checkout_id
    assert payment.redirect_url == f"/payments/testpay/{payment.checkout_id}/"
    assert actions(payment) == ["payments.payment.initiated", "payments.payment.awaiting_confirmation"]


def test_a_broker_authorised_by_the_trader_may_pay_and_a_part_payment_is_allowed(broker, charged):
    payment = start(broker, charged, amount=D("100.00"))
    assert payment.amount == D("100.00")
    assert payments.declaration_payable(charged) == D("132.40")


def _refused(call) -> PaymentError:
    with pytest.raises(PaymentError) as refused:
        call()
    return refused.value


def test_nothing_outstanding_is_refused(importer, lodge):
    uncharged = lodge("PAY-NONE", charge=None)
    assert _refused(lambda: start(importer, uncharged)).code == "payment_nothing_outstanding"
    assert not Payment.objects.exists()


def test_more_than_is_outstanding_or_an_unrounded_amount_is_refused(importer, charged):
    assert _refused(lambda: start(importer, charged, amount=D("232.41"))).code == "payment_over_outstanding"
    assert _refused(lambda: start(importer, charged, amount=D("1.005"))).code == "payment_amount_invalid"
    assert _refused(lambda: start(importer, charged, amount=D("0"))).code == "payment_amount_invalid"
    assert not Payment.objects.exists()


def test_a_declaration_of_another_trader_account_is_refused(importer, charged):
    from accounts.access import account_add_member
    from tests.factories import TraderAccountFactory

    mine = TraderAccountFactory(eori="GB111111111111")
    account_add_member(account=mine, user=importer)
    refused = _refused(
        lambda: payment_start(
            user=importer,
            trader_account=mine,
            allocations=[(charged, None)],
            method=PaymentMethod.BANK_TRANSFER,
        )
    )
    assert refused.code == "payment_not_your_declaration"


def test_an_outsider_may_not_pay_for_the_account(outsider, charged):
    refused = _refused(lambda: start(outsider, charged))
    assert refused.code == "not_found" and refused.status == 404


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.INVALIDATED])
def test_a_cancelled_or_invalidated_declaration_is_refused(importer, charged, status):
    Declaration.objects.filter(pk=charged.pk).update(status=status)
    assert _refused(lambda: start(importer, charged)).code == "payment_declaration_closed"


def test_a_refused_declaration_whose_charges_are_still_owed_may_be_paid(importer, charged):
    # A refusal credits nothing back: what the ledger says is owed must be payable (on its own or
    # on a deferment statement), or the statement could never be paid and its facility is suspended.
    Declaration.objects.filter(pk=charged.pk).update(status=Status.REFUSED)
    assert start(importer, charged).amount == D("232.40")


def test_a_second_payment_while_the_first_is_under_way_is_refused_until_it_is_cancelled(importer, charged):
    first = start(importer, charged, PaymentMethod.CARD)
    refused = _refused(lambda: start(importer, charged))
    assert refused.code == "payment_in_progress" and refused.status == 409

    payments.payment_cancel(payment_id=first.pk, user=importer)
    assert start(importer, charged).amount == D("232.40")


def test_card_payments_are_refused_when_no_card_provider_is_configured(importer, charged, settings):
    settings.SW_PAYMENT_PROVIDERS = {}
    assert _refused(lambda: start(importer, charged, PaymentMethod.CARD)).code == "payment_method_unavailable"
    assert _refused(lambda: start(importer, charged, "cash")).code == "payment_method_unknown"


def test_one_payment_pays_several_declarations(importer, lodge):
    first, second = lodge("PAY-A"), lodge("PAY-B", charge=("10.00", "2.00"))
    payment = payment_start(
        user=importer,
        trader_account=first.trader_account,
        allocations=[(first, None), (second, None)],
        method=PaymentMethod.BANK_TRANSFER,
    )
    assert payment.amount == D("244.40")

    payments.payment_settle(payment_id=payment.pk, provider_reference="BANK-1", amount=D("244.40"))

    assert money_status(first).state is MoneyState.PAID and money_status(second).state is MoneyState.PAID
    assert OutboxMessage.objects.get(topic=payments.TOPIC_PAYMENT_SETTLED).payload == {
        "declarations": sorted([first.pk, second.pk])
    }


# --- settling ----------------------------------------------------------------------------------


def test_settling_posts_one_balanced_ledger_transaction_and_announces_it(importer, charged):
    payment = start(importer, charged, PaymentMethod.CARD)

    settled = payments.payment_settle(payment_id=payment.pk, provider_reference="ch_1", amount=D("232.40"))

    assert settled.status == PaymentStatus.SETTLED and settled.settled_at is not None
    txn = LedgerTransaction.objects.get(kind=TransactionKind.PAYMENT)
    assert settled.ledger_transaction == txn and txn.reference == payment.reference
    entries = {
        (e.account.kind, e.account.code, e.debit, e.credit, e.declaration_id) for e in txn.entries.all()
    }
    assert entries == {
        (LedgerAccountKind.PROVIDER, "testpay", D("232.40"), D(0), None),
        (LedgerAccountKind.TRADER, "", D(0), D("232.40"), charged.pk),
    }
    assert declaration_balance(charged.pk) == 0 and trader_balance(charged.trader_account) == 0
    assert money_status(charged).state is MoneyState.PAID
    message = OutboxMessage.objects.get(topic="payments.payment.settled")
    assert message.object_id == payment.pk and message.payload == {"declarations": [charged.pk]}
    assert actions(payment)[-1] == "payments.payment.settled"


def test_a_second_settle_changes_nothing(importer, charged):
    payment = start(importer, charged, PaymentMethod.CARD)
    payments.payment_settle(payment_id=payment.pk, provider_reference="ch_1", amount=D("232.40"))
    counts = (LedgerTransaction.objects.count(), Entry.objects.count(), AuditEvent.objects.count())

    again = payments.payment_settle(payment_id=payment.pk, provider_reference="ch_1", amount=D("232.40"))

    assert again.status == PaymentStatus.SETTLED
    assert (LedgerTransaction.objects.count(), Entry.objects.count(), AuditEvent.objects.count()) == counts
    assert OutboxMessage.objects.filter(topic="payments.payment.settled").count() == 1


def test_a_bank_transfer_settles_to_the_bank_account_with_its_value_date_and_cashier(importer, charged):
    from tests.factories import UserFactory

    cashier = UserFactory(username="cashier", role="cashier")
    payment = start(importer, charged)
    day = timezone.localdate() - timedelta(days=1)

    payments.payment_settle(
        payment_id=payment.pk, provider_reference="BACS-77", amount=D("232.40"), actor=cashier, value_date=day
    )

    payment.refresh_from_db()
    assert (
        payment.settled_by == cashier
        and payment.value_date == day
        and payment.provider_reference == "BACS-77"
    )
    debit = payment.ledger_transaction.entries.get(debit__gt=0)
    assert debit.account.kind == LedgerAccountKind.BANK


def test_a_different_amount_is_refused_and_recorded(importer, charged):
    payment = start(importer, charged, PaymentMethod.CARD)

    refused = _refused(
        lambda: payments.payment_settle(payment_id=payment.pk, provider_reference="ch_1", amount=D("232.39"))
    )

    assert refused.code == "payment_amount_mismatch"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AWAITING_CONFIRMATION
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.PAYMENT).exists()
    mismatch = AuditEvent.objects.get(action="payments.payment.amount_mismatch")
    assert mismatch.data["received"] == "232.39 GBP" and mismatch.data["expected"] == "232.400 GBP"


def test_a_declined_payment_is_never_settled(importer, charged):
    payment = start(importer, charged, PaymentMethod.CARD)
    payments.payment_decline(payment_id=payment.pk, reason="Card declined")
    payments.payment_decline(payment_id=payment.pk, reason="again")  # idempotent

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.DECLINED and payment.failure_reason == "Card declined"
    assert actions(payment).count("payments.payment.declined") == 1
    refused = _refused(
        lambda: payments.payment_settle(payment_id=payment.pk, provider_reference="ch_1", amount=D("232.40"))
    )
    assert refused.code == "payment_not_settleable"
    # The declaration may be paid again at once.
    assert payments.declaration_payable(charged) == D("232.40")


# --- timing out and cancelling -----------------------------------------------------------------


def test_the_sweep_times_out_card_payments_unconfirmed_too_long_and_nothing_else(importer, lodge, settings):
    settings.SW_PAYMENT_TIMEOUT_MINUTES = 30
    stale, fresh, transfer = lodge("PAY-OLD"), lodge("PAY-NEW"), lodge("PAY-BANK")
    old = start(importer, stale, PaymentMethod.CARD)
    new = start(importer, fresh, PaymentMethod.CARD)
    bank = start(importer, transfer)
    long_ago = timezone.now() - timedelta(minutes=31)
    Payment.objects.filter(pk__in=[old.pk, bank.pk]).update(status_changed_at=long_ago)

    assert payment_timeout_sweep() == 1
    assert payment_timeout_sweep() == 0

    statuses = dict(Payment.objects.values_list("pk", "status"))
    assert statuses == {
        old.pk: PaymentStatus.TIMED_OUT,
        new.pk: PaymentStatus.AWAITING_CONFIRMATION,
        bank.pk: PaymentStatus.AWAITING_FUNDS,
    }
    assert actions(old)[-1] == "payments.payment.timed_out"


def test_money_confirmed_after_a_time_out_is_still_booked(importer, charged):
    payment = start(importer, charged, PaymentMethod.CARD)
    payments.payment_time_out(payment_id=payment.pk)

    payments.payment_settle(payment_id=payment.pk, provider_reference="ch_late", amount=D("232.40"))

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED
    assert money_status(charged).state is MoneyState.PAID


def test_the_trader_cancels_an_unpaid_payment_but_not_a_paid_one_nor_someone_elses(
    importer, outsider, charged
):
    payment = start(importer, charged)

    not_theirs = _refused(lambda: payments.payment_cancel(payment_id=payment.pk, user=outsider))
    assert not_theirs.status == 404
    payments.payment_cancel(payment_id=payment.pk, user=importer)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and actions(payment)[-1] == "payments.payment.cancelled"

    paid = start(importer, charged)
    payments.payment_settle(payment_id=paid.pk, provider_reference="B-1", amount=D("232.40"))
    assert (
        _refused(lambda: payments.payment_cancel(payment_id=paid.pk, user=importer)).code
        == "payment_not_open"
    )
