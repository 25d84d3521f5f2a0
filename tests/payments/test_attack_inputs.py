"""Odd query strings and form bodies on every payments page: an answer, never a server error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from payments.models import PaymentMethod
from payments.payments import payment_start
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ODD_QUERIES = [
    "date_from=9999-12-31&date_to=0001-01-01",
    "date_from=0001-01-01&date_to=9999-12-31",
    "date_from=2026-02-30",
    "from=0001-01-01&to=9999-12-31",
    "page=-1",
    "page=abc",
    "page=99999999999999999999999",
    "dpage=99999999999999999999999",
    "kind=%3Cscript%3E",
    "status=%00",
    "mrn=%00",
    "q=%00",
    "q=" + "x" * 5000,
    "status=all&q=%25",
]


@pytest.fixture
def cashier(db):
    return UserFactory(username="cashier-i", role="cashier")


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_queries_on_the_money_pages_are_no_server_error(client, importer, cashier, charged, query):
    transfer = payment_start(
        user=importer,
        trader_account=charged.trader_account,
        allocations=[(charged, None)],
        method=PaymentMethod.BANK_TRANSFER,
    )
    account = charged.trader_account_id
    client.force_login(cashier)
    for url in [
        reverse("payments:account", args=[account]),
        reverse("payments:account_ledger_csv", args=[account]),
        reverse("payments:revenue"),
        reverse("payments:revenue_csv", args=["revenue"]),
        reverse("payments:revenue_csv", args=["received"]),
        reverse("payments:revenue_csv", args=["debts"]),
        reverse("payments:cashier"),
        reverse("payments:detail", args=[transfer.pk]),
        f"/api/v1/accounts/{account}/ledger",
        f"/api/v1/accounts/{account}/statements",
    ]:
        answer = client.get(f"{url}?{query}")
        if hasattr(answer, "streaming_content"):
            b"".join(answer.streaming_content)
        assert answer.status_code < 500, (url, query, answer.status_code)


@pytest.mark.parametrize(
    "data",
    [
        {"amount": "1e400", "value_date": "2026-12-01", "bank_reference": "B"},
        {"amount": "-1", "value_date": "2026-12-01", "bank_reference": "B"},
        {"amount": "NaN", "value_date": "2026-12-01", "bank_reference": "B"},
        {"amount": "232.40", "value_date": "99999-01-01", "bank_reference": "B"},
        {"amount": "232.40", "value_date": "2026-12-01", "bank_reference": "B\x00"},
        {"amount": "232.40", "value_date": "2026-12-01", "bank_reference": "x" * 5000},
        {"amount": "0", "value_date": "2026-12-01", "bank_reference": "B"},
    ],
)
def test_odd_confirmations_at_the_cashiers_desk_book_nothing(client, importer, cashier, charged, data):
    transfer = payment_start(
        user=importer,
        trader_account=charged.trader_account,
        allocations=[(charged, None)],
        method=PaymentMethod.BANK_TRANSFER,
    )
    client.force_login(cashier)
    answer = client.post(reverse("payments:cashier-confirm", args=[transfer.pk]), data)

    assert answer.status_code == 200
    transfer.refresh_from_db()
    assert transfer.status == "awaiting_funds"


@pytest.mark.parametrize("method", ["", "cash", "card\x00", "bank_transfer" * 50])
def test_odd_methods_on_the_pay_page_start_nothing(client, importer, charged, method):
    client.force_login(importer)
    answer = client.post(reverse("payments:pay", args=[charged.mrn]), {"method": method})

    assert answer.status_code in (200, 400)
    assert not charged.payment_allocations.exists()


@pytest.mark.parametrize("token", ["abc%00def", "%00", "x" * 101, "..%2F..%2Fadmin"])
def test_an_odd_testpay_token_is_a_404(client, token):
    assert client.get(f"/payments/testpay/{token}/").status_code == 404
    assert client.post(f"/payments/testpay/{token}/", {"card_number": "4242424242424242"}).status_code == 404


@pytest.mark.parametrize("mrn", ["abc%00def", "%00", "x" * 300])
def test_an_odd_mrn_on_the_pay_page_and_the_api_is_a_404(client, importer, mrn):
    client.force_login(importer)
    assert client.get(f"/payments/declarations/{mrn}/pay/").status_code == 404
    answer = client.post(
        f"/api/v1/declarations/{mrn}/payments", {"method": "bank_transfer"}, content_type="application/json"
    )
    assert answer.status_code == 404


XSS = '<script>alert("x")</script>'


def test_a_trader_name_and_a_bank_reference_holding_markup_are_escaped_on_every_money_page(
    client, importer, importer_account, cashier, charged, supervisor
):
    from payments.payments import payment_settle

    importer_account.name = XSS
    importer_account.save(update_fields=["name"])
    paid = payment_start(
        user=importer,
        trader_account=importer_account,
        allocations=[(charged, "100.00")],
        method=PaymentMethod.BANK_TRANSFER,
    )
    payment_settle(payment_id=paid.pk, provider_reference=XSS, amount=paid.amount, actor=cashier)
    waiting = payment_start(
        user=importer, trader_account=importer_account, allocations=[(charged, None)], method="bank_transfer"
    )
    pages = {
        importer: [
            reverse("payments:account", args=[importer_account.pk]),
            reverse("payments:detail", args=[paid.pk]),
            reverse("payments:pay", args=[charged.mrn]),
            reverse("declarations:detail", args=[charged.mrn]),
        ],
        cashier: [
            reverse("payments:cashier") + "?status=all",
            reverse("payments:cashier-confirm", args=[waiting.pk]),
            reverse("payments:detail", args=[paid.pk]),
            reverse("payments:revenue"),
        ],
    }
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert XSS not in answer.content.decode(), url
    client.force_login(importer)
    assert (
        "&lt;script&gt;"
        in client.get(reverse("payments:account", args=[importer_account.pk])).content.decode()
    )
