"""The browser form's "Duties and taxes" part of each goods item: shown, saved, refused where wrong."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from declarations.amend_form import payload_from_data
from declarations.amendments import version_diff
from declarations.models import Channel, Declaration, DeclarationVersion, ItemTaxLine

from ..conftest import SAMPLES
from .test_views import form_post, item_row

pytestmark = pytest.mark.django_db

IM079A = SAMPLES / "imports" / "TT_IM079a__TT_IM079a.xml"


def with_duties(**overrides: str) -> dict[str, str]:
    row = item_row(
        preference="100",
        valuation_indicator="0000",
        tax_1_tax_type="A00",
        tax_1_base_amount="750",
        tax_1_base_currency="GBP",
        tax_1_rate="2",
        tax_1_payable_amount="15",
        tax_1_method_of_payment="e",
        tax_2_tax_type="B00",
        tax_2_method_of_payment="E",
        tax_2_payable_amount="153",
    )
    row.update(overrides)
    return row


def test_new_form_shows_a_duties_and_taxes_part_with_two_tax_lines_per_item(client, importer):
    client.force_login(importer)
    response = client.get(reverse("declarations:new"))
    page = response.content.decode()
    assert "Duties and taxes" in page
    (item,) = response.context["formset"].forms
    assert item.tax_row_count == 2
    for name in ("preference", "valuation_indicator", "tax_1_tax_type", "tax_2_method_of_payment"):
        assert f'name="items-0-{name}"' in page
    assert 'name="items-0-tax_3_tax_type"' not in page
    # The tax type and method of payment are picked from their code lists.
    assert "/declarations/code-lists/tax-type/" in page
    assert "/declarations/code-lists/payment-method/" in page
    assert 'value="add_tax_line:items-0"' in page


def test_form_lodges_the_items_tax_lines_preference_and_transport_costs(client, importer):
    client.force_login(importer)
    data = form_post(lrn="WEB-TAX", items=[with_duties()], freight_amount="9", freight_currency="gbp")

    response = client.post(reverse("declarations:new"), data, follow=True)

    declaration = Declaration.objects.get(lrn="WEB-TAX")
    assert response.redirect_chain, response.context and response.context.get("summary")
    assert declaration.channel == Channel.WEB_FORM
    assert (declaration.freight_amount, declaration.freight_currency) == (Decimal("9"), "GBP")
    item = declaration.items.get()
    assert (item.preference, item.valuation_indicator) == ("100", "0000")
    lines = ItemTaxLine.objects.filter(item=item).order_by("sequence")
    assert [(t.sequence, t.tax_type, t.method_of_payment, t.payable_amount) for t in lines] == [
        (1, "A00", "E", Decimal("15")),
        (2, "B00", "E", Decimal("153")),
    ]
    assert (lines[0].base_amount, lines[0].base_currency, lines[0].rate) == (
        Decimal("750"),
        "GBP",
        Decimal(2),
    )


def test_blank_tax_line_rows_are_not_tax_lines(client, importer):
    client.force_login(importer)
    row = with_duties(tax_1_tax_type="", tax_1_base_amount="", tax_1_base_currency="", tax_1_rate="")
    row.update(tax_1_payable_amount="", tax_1_method_of_payment="")
    client.post(reverse("declarations:new"), form_post(lrn="WEB-TAX2", items=[row]))
    item = Declaration.objects.get(lrn="WEB-TAX2").items.get()
    assert [t.tax_type for t in item.tax_lines.all()] == ["B00"]


def test_a_wrong_method_of_payment_is_shown_beside_its_tax_line_field(client, importer):
    client.force_login(importer)
    data = form_post(items=[with_duties(tax_2_method_of_payment="7")])

    response = client.post(reverse("declarations:new"), data)

    assert response.status_code == 400
    assert not Declaration.objects.exists()
    (item,) = response.context["formset"].forms
    (message,) = item.errors["tax_2_method_of_payment"]
    assert message.startswith("Goods item 1, tax line 2: the method of payment 7 is not valid")
    summary = [entry.anchor for entry in response.context["errors"]]
    assert "id_items-0-tax_2_method_of_payment" in summary


def test_a_tax_line_issue_lands_on_its_row_when_rows_above_are_blank(client, importer):
    client.force_login(importer)
    row = with_duties(tax_1_tax_type="", tax_1_base_amount="", tax_1_base_currency="", tax_1_rate="")
    row.update(tax_1_payable_amount="", tax_1_method_of_payment="", tax_2_method_of_payment="7")

    response = client.post(reverse("declarations:new"), form_post(items=[row]))

    (item,) = response.context["formset"].forms
    assert "tax_2_method_of_payment" in item.errors  # tax line 1 as lodged is the page's row 2
    assert "tax_1_method_of_payment" not in item.errors


def test_add_another_tax_line_without_javascript_adds_a_row_to_that_item(client, importer):
    client.force_login(importer)
    data = form_post(items=[with_duties(), item_row(description="Trimmers")], action="add_tax_line:items-1")

    response = client.post(reverse("declarations:new"), data)

    first, second = response.context["formset"].forms
    assert (first.tax_row_count, second.tax_row_count) == (2, 3)
    page = response.content.decode()
    assert re.search(r'<input[^>]*name="items-1-tax_3_tax_type"[^>]*autofocus', page)
    assert first.initial["tax_1_tax_type"] == "A00"
    assert not Declaration.objects.exists()


def test_a_draft_keeps_every_tax_line_row(client, importer):
    client.force_login(importer)
    row = with_duties(tax_3_tax_type="A30", tax_3_method_of_payment="E")
    client.post(reverse("declarations:new"), form_post(lrn="WEB-DRAFT", items=[row], action="save_draft"))
    draft = Declaration.objects.get(lrn="WEB-DRAFT")

    response = client.get(reverse("declarations:draft", args=[draft.pk]))

    (item,) = response.context["formset"].forms
    assert item.tax_row_count == 3
    assert item.initial["tax_3_tax_type"] == "A30"


def _amend_post(values: dict[str, object], **changes: str) -> dict[str, str]:
    """What the amend page posts for a declaration's form values (``amend_form.payload_from_data``)."""
    items = values.pop("items")
    assert isinstance(items, list)
    data = {k: str(v) for k, v in values.items() if not k.startswith("_")}
    data.update(
        {
            "items-TOTAL_FORMS": str(len(items)),
            "items-INITIAL_FORMS": str(len(items)),
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "999",
            "action": "submit",
            "reason": "Deferment account instead of cash",
        }
    )
    for index, row in enumerate(items):
        data.update({f"items-{index}-{name}": str(value) for name, value in row.items()})
    data.update(changes)
    return data


def test_an_amendment_in_the_browser_changes_a_method_of_payment_and_names_it_by_its_label(client, importer):
    client.force_login(importer)
    client.post(reverse("declarations:new"), form_post(lrn="WEB-AMEND-TAX", items=[with_duties()]))
    declaration = Declaration.objects.get(lrn="WEB-AMEND-TAX")
    data = declaration.to_data()
    url = reverse("declarations:amend", args=[declaration.mrn])
    page = client.get(url)
    first = page.context["formset"].forms[0]
    assert first.initial["tax_1_tax_type"] == "A00"
    assert first.initial["tax_1_method_of_payment"] == "E"

    post = _amend_post(payload_from_data(data), **{"items-0-tax_1_method_of_payment": "R"})
    response = client.post(url, post)

    assert response.status_code == 302, response.context and [e.message for e in response.context["errors"]]
    (version,) = DeclarationVersion.objects.filter(declaration=declaration, number=2)
    changes = [(c.path, c.label, c.before, c.after) for c in version_diff(declaration, 1, 2)]
    assert changes == [
        ("items.1.tax_lines.1.method_of_payment", "Goods item 1, tax line 1, method of payment", "E", "R")
    ]
    versions = client.get(
        reverse("declarations:detail", args=[declaration.mrn]) + "?version=2"
    ).content.decode()
    assert "Goods item 1, tax line 1, method of payment" in versions
