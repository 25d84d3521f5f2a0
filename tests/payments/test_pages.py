"""The money box on the declaration page, the trader's payment pages and the cashier's desk."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from payments import payments
from payments.models import LedgerTransaction, Payment, PaymentMethod, PaymentStatus, TransactionKind
from payments.payments import payment_start
from payments.status import MoneyState, money_status
from singlewindow.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def cashier(db):
    return UserFactory(username="cashier", role="cashier")


def detail(client, declaration) -> str:
    return client.get(reverse("declarations:detail", args=[declaration.mrn])).content.decode()


def transfer(user, declaration) -> Payment:
    return payment_start(
        user=user,
        trader_account=declaration.trader_account,
        allocations=[(declaration, None)],
        method=PaymentMethod.BANK_TRANSFER,
    )


# --- the money box -----------------------------------------------------------------------------


def test_the_trader_sees_what_is_owed_and_both_ways_to_pay(client, importer, charged):
    client.force_login(importer)
    page = detail(client, charged)
    assert "Duties and payment" in page and "Payment due" in page
    assert "232.40 GBP" in page
    assert "Pay now" in page and "Pay by bank transfer" in page


def test_a_broker_authorised_by_the_trader_sees_the_buttons_on_what_it_lodged(client, broker, lodge):
    lodged = lodge("PAY-BROKER", user=broker)
    client.force_login(broker)
    assert "Pay now" in detail(client, lodged)


def test_a_supervisor_sees_the_box_but_not_the_buttons(client, supervisor, charged):
    client.force_login(supervisor)
    page = detail(client, charged)
    assert "Duties and payment" in page and "232.40 GBP" in page
    assert "Pay now" not in page and "Pay by bank transfer" not in page


def test_a_payment_being_confirmed_is_shown_and_no_second_payment_offered(client, importer, charged):
    payment = payment_start(
        user=importer,
        trader_account=charged.trader_account,
        allocations=[(charged, None)],
        method=PaymentMethod.CARD,
    )
    client.force_login(importer)
    page = detail(client, charged)
    assert f"Payment {payment.reference} is being confirmed" in page
    assert "Pay now" not in page
    assert "js/payment-status.js" in page and f"/api/v1/payments/{payment.pk}" in page


def test_the_declaration_page_does_not_grow_in_queries_with_payments(
    client, importer, lodge, django_assert_max_num_queries
):
    one, many = lodge("PAY-Q1"), lodge("PAY-Q2")
    payments.payment_cancel(payment_id=transfer(importer, one).pk, user=importer)
    for _ in range(4):
        payments.payment_cancel(payment_id=transfer(importer, many).pk, user=importer)
    client.force_login(importer)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as with_one:
        client.get(reverse("declarations:detail", args=[one.mrn]))
    with django_assert_max_num_queries(len(with_one)):
        client.get(reverse("declarations:detail", args=[many.mrn]))


# --- paying in the browser ---------------------------------------------------------------------


def test_the_pay_page_confirms_the_amount_and_a_card_goes_to_the_providers_page(client, importer, charged):
    client.force_login(importer)
    url = reverse("payments:pay", args=[charged.mrn])
    page = client.get(url + "?method=card").content.decode()
    assert "Confirm and pay 232.40 GBP" in page and 'value="card" id="id_method_0" checked' in page

    answer = client.post(url, {"method": "card"})

    payment = Payment.objects.get()
    assert answer.status_code == 302 and answer["Location"] == payment.redirect_url
    assert payment.status == PaymentStatus.AWAITING_CONFIRMATION


def test_a_bank_transfer_shows_the_reference_and_the_bank_details(client, importer, charged):
    client.force_login(importer)
    answer = client.post(reverse("payments:pay", args=[charged.mrn]), {"method": "bank_transfer"})
    payment = Payment.objects.get()
    assert answer["Location"] == reverse("payments:detail", args=[payment.pk])

    page = client.get(answer["Location"]).content.decode()
    assert payment.reference in page and "GB45BKEN10539223456789" in page and "232.40 GBP" in page
    assert "Cancel this payment" in page


def test_the_pay_page_shows_a_refusal_in_the_error_summary(client, importer, charged):
    transfer(importer, charged)
    client.force_login(importer)
    page = client.post(reverse("payments:pay", args=[charged.mrn]), {"method": "card"}).content.decode()
    assert "There is nothing to pay on this declaration now" in page


def test_the_pay_page_without_a_choice_says_what_to_do(client, importer, charged):
    client.force_login(importer)
    page = client.post(reverse("payments:pay", args=[charged.mrn]), {}).content.decode()
    assert "There is a problem" in page and "Choose how you want to pay." in page


def test_the_trader_cancels_a_transfer_from_its_page(client, importer, charged):
    payment = transfer(importer, charged)
    client.force_login(importer)
    client.post(reverse("payments:cancel", args=[payment.pk]))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED


@pytest.mark.parametrize("persona", ["outsider", "supervisor"])
def test_only_the_traders_side_may_open_the_pay_page(client, request, charged, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("payments:pay", args=[charged.mrn])).status_code == 404


def test_an_outsider_gets_404_for_a_payment(client, importer, outsider, charged):
    payment = transfer(importer, charged)
    client.force_login(outsider)
    assert client.get(reverse("payments:detail", args=[payment.pk])).status_code == 404
    assert client.post(reverse("payments:cancel", args=[payment.pk])).status_code == 404


def test_an_agency_officer_gets_404_for_a_payment_and_no_money_box(client, importer, charged):
    payment = transfer(importer, charged)
    officer = UserFactory(username="an_officer", role="officer")
    client.force_login(officer)
    assert client.get(reverse("payments:detail", args=[payment.pk])).status_code == 404
    assert client.get(reverse("payments:cashier")).status_code == 404


# --- the cashier -------------------------------------------------------------------------------


def test_the_cashier_finds_a_transfer_by_reference_and_confirms_it(client, importer, cashier, lodge):
    first, second = transfer(importer, lodge("PAY-C1")), transfer(importer, lodge("PAY-C2"))
    client.force_login(cashier)

    listing = client.get(reverse("payments:cashier")).content.decode()
    assert first.reference in listing and second.reference in listing
    found = client.get(reverse("payments:cashier"), {"q": first.reference.lower()}).content.decode()
    assert first.reference in found and second.reference not in found

    answer = client.post(
        reverse("payments:cashier-confirm", args=[first.pk]),
        {"amount": "232.40", "value_date": timezone.localdate().isoformat(), "bank_reference": "BGC 0042"},
    )

    assert answer.status_code == 302
    first.refresh_from_db()
    assert first.status == PaymentStatus.SETTLED and first.settled_by == cashier
    assert first.provider_reference == "BGC 0042"
    assert money_status(first.allocations.get().declaration).state is MoneyState.PAID
    after = client.get(reverse("payments:cashier")).content.decode()
    assert f"Transfer {first.reference} confirmed" in after
    assert f'<a href="/payments/{first.pk}/">' not in after and f'<a href="/payments/{second.pk}/">' in after


def test_a_mismatching_amount_is_refused_with_a_clear_message_and_recorded(
    client, importer, cashier, charged
):
    payment = transfer(importer, charged)
    client.force_login(cashier)

    page = client.post(
        reverse("payments:cashier-confirm", args=[payment.pk]),
        {"amount": "230.00", "value_date": timezone.localdate().isoformat(), "bank_reference": "BGC 1"},
    ).content.decode()

    assert "There is a problem" in page
    assert "230.00 GBP does not match the 232.40 GBP of payment" in page
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AWAITING_FUNDS
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.PAYMENT).exists()
    assert AuditEvent.objects.filter(action="payments.payment.amount_mismatch", actor=cashier).exists()


def test_a_bank_reference_used_twice_or_a_future_value_date_is_refused(client, importer, cashier, lodge):
    first, second = transfer(importer, lodge("PAY-R1")), transfer(importer, lodge("PAY-R2"))
    payments.payment_settle(payment_id=first.pk, provider_reference="BGC 7", amount=D("232.40"))
    client.force_login(cashier)
    url = reverse("payments:cashier-confirm", args=[second.pk])

    reused = client.post(
        url, {"amount": "232.40", "value_date": timezone.localdate().isoformat(), "bank_reference": "BGC 7"}
    )
    future = client.post(
        url,
        {
            "amount": "232.40",
            "value_date": (timezone.localdate() + timedelta(days=2)).isoformat(),
            "bank_reference": "BGC 8",
        },
    )

    assert "already confirmed another payment" in reused.content.decode()
    assert "cannot be in the future" in future.content.decode()
    second.refresh_from_db()
    assert second.status == PaymentStatus.AWAITING_FUNDS


def test_a_supervisor_may_act_as_cashier_and_sees_the_link(client, supervisor):
    client.force_login(supervisor)
    page = client.get(reverse("payments:cashier")).content.decode()
    assert "Bank transfers" in page and 'aria-current="page"' in page


@pytest.mark.parametrize("persona", ["importer", "outsider"])
def test_traders_get_404_at_the_cashiers_desk(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("payments:cashier")).status_code == 404


def test_the_cashiers_list_does_not_grow_in_queries_with_transfers(
    client, importer, cashier, lodge, django_assert_max_num_queries
):
    transfer(importer, lodge("PAY-L1"))
    client.force_login(cashier)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as with_one:
        client.get(reverse("payments:cashier"))
    for n in range(2, 5):
        transfer(importer, lodge(f"PAY-L{n}"))
    with django_assert_max_num_queries(len(with_one)):
        client.get(reverse("payments:cashier"))
