"""The declaration form's own fields: countries and currencies picked from their lists, numbers in
the page's language, nothing cut."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from declarations.models import Declaration

from .test_views import form_post, item_row

pytestmark = pytest.mark.django_db


def post(client, data, language: str = "en"):
    client.cookies["django_language"] = language
    return client.post(reverse("declarations:new"), data)


def test_a_country_name_is_refused_not_cut_to_its_first_letters(client, importer):
    client.force_login(importer)

    response = post(client, form_post(destination_country="France", items=[item_row(origin_country="China")]))

    assert response.status_code == 400
    header_error = response.context["form"].errors["destination_country"][0]
    assert header_error.startswith("“FRANCE” is not a country code of the list. Did you mean FR (France")
    item_error = response.context["formset"].forms[0].errors["origin_country"][0]
    assert "CN (China" in item_error
    page = response.content.decode()
    assert 'value="France"' in page and 'value="China"' in page
    assert not Declaration.objects.exists()


def test_a_currency_off_the_list_is_refused(client, importer):
    client.force_login(importer)
    response = post(client, form_post(invoice_currency="Euro"))
    assert "EUR (Euro)" in response.context["form"].errors["invoice_currency"][0]


def test_pickers_carry_their_code_list(client, importer):
    client.force_login(importer)
    page = client.get(reverse("declarations:new")).content.decode()
    for name in ("country", "currency", "procedure", "goods-location", "document"):
        assert f'data-code-list="/declarations/code-lists/{name}/"' in page
    assert "maxlength" not in page


@pytest.mark.parametrize(
    ("language", "amount", "mass"),
    [("en", "1,234.5", "1,250"), ("fr", "1 234,5", "1 250"), ("fr", "1.234,5", "1.250,0")],
)
def test_numbers_are_lodged_as_the_page_language_writes_them(client, importer, language, amount, mass):
    client.force_login(importer)
    data = form_post(
        lrn=f"NUM-{language}-{len(amount)}",
        invoice_amount=amount,
        items=[item_row(net_mass=mass, gross_mass=mass)],
    )

    response = post(client, data, language)

    assert response.status_code == 302, response.context and response.context["errors"]
    declaration = Declaration.objects.get(lrn=data["lrn"])
    assert declaration.invoice_amount == Decimal("1234.5")
    assert declaration.items.get().net_mass == Decimal("1250")


@pytest.mark.parametrize(
    ("language", "typed", "readings"),
    [
        ("en", "1.234,5", ("1,234.5", "1.2345")),
        ("fr", "1,234.5", ("1\u00a0234,5", "1,2345")),
        ("fr", "1.250", ("1,25", "1\u00a0250")),
    ],
)
def test_a_number_that_could_be_misread_is_refused_with_its_readings(
    client, importer, language, typed, readings
):
    client.force_login(importer)
    response = post(client, form_post(invoice_amount=typed), language)
    assert response.status_code == 400
    message = response.context["form"].errors["invoice_amount"][0]
    assert all(reading in message for reading in readings), message
    assert not Declaration.objects.exists()
