"""Numbers the database cannot hold, negative numbers and quantities without a unit.

Every channel maps into the canonical declaration, so these go through the validation entry point
(``declarations.validation.validate``) the form, the API and ``validate_declarations`` all use;
``test_api_limits`` shows the same through the API.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import models

from declarations import rules
from declarations.canonical import DeclarationData, DocumentData, DocumentKind, Issue
from declarations.models import Channel, Declaration, GoodsItem
from declarations.services import declaration_lodge
from declarations.validation import validate

from .builders import build_import

pytestmark = pytest.mark.django_db

LARGEST_AMOUNT = Decimal("999999999999.999")  # 15 digits: the most SQLite gives back exactly


def errors(data: DeclarationData) -> list[Issue]:
    issues = validate(data, unregistered_parties_are_errors=False)
    return [i for i in issues if i.severity == "error"]


def found(data: DeclarationData) -> list[tuple[str, str, str]]:
    return [(i.code, i.field, i.pointer) for i in errors(data)]


# --- too large ---------------------------------------------------------------------------------


def test_mass_over_column_limit_is_rejected_with_pointer(valid_import: DeclarationData) -> None:
    valid_import.items[0].net_mass = Decimal("99999999999999.999")
    valid_import.items[0].gross_mass = Decimal("99999999999999.999")
    assert found(valid_import) == [
        ("value_too_large", "items.1.net_mass", "67A/68A[1]/23A/65A NetNetWeightMeasure"),
        ("value_too_large", "items.1.gross_mass", "67A/68A[1]/23A/65A GrossMassMeasure"),
    ]


def test_too_large_message_names_the_field_and_the_limit(valid_import: DeclarationData) -> None:
    valid_import.items[0].gross_mass = Decimal("99999999999999")
    (issue,) = errors(valid_import)
    assert issue.message == (
        "Goods item 1: the gross mass is larger than the portal can store; declare at most 999999999999.999."
    )


def test_invoice_amount_over_column_limit_is_rejected_with_pointer(valid_import: DeclarationData) -> None:
    valid_import.invoice_amount = Decimal("999999999999999.999")
    assert found(valid_import) == [("value_too_large", "invoice_amount", "42A InvoiceAmount")]


def test_sixteen_digit_amount_is_rejected_because_sqlite_cannot_read_it_back(
    valid_import: DeclarationData,
) -> None:
    # The column (18,3) would take it; SQLite's REAL would give back 10000000000000.000.
    valid_import.items[0].value_amount = Decimal("9999999999999.999")
    assert found(valid_import) == [
        ("value_too_large", "items.1.value_amount", "67A/68A[1]/23A/79A ItemChargeAmount")
    ]


def test_largest_storable_amount_is_accepted(valid_import: DeclarationData) -> None:
    valid_import.items[0].value_amount = LARGEST_AMOUNT
    valid_import.items[0].statistical_value = LARGEST_AMOUNT
    valid_import.invoice_amount = LARGEST_AMOUNT
    assert errors(valid_import) == []


def test_package_count_beyond_the_integer_column_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].package_count = 2**63
    valid_import.total_package_quantity = None
    assert found(valid_import) == [
        ("value_too_large", "items.1.package_count", "67A/68A[1]/93A[1] QuantityQuantity")
    ]


def test_total_package_quantity_beyond_the_integer_column_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.total_package_quantity = 10**30
    issue = errors(valid_import)[0]
    assert (issue.code, issue.field, issue.pointer) == (
        "value_too_large",
        "total_package_quantity",
        "42A TotalPackageQuantity",
    )
    assert "declare at most 99999999." in issue.message  # the schema's eight digits, not the column's


def test_previous_document_line_beyond_the_integer_column_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.documents[0].line = 10**30
    valid_import.items[0].documents.append(DocumentData(kind=DocumentKind.PREVIOUS, code="Z355", line=10**30))
    assert found(valid_import) == [
        ("value_too_large", "documents.1.line", "67A/99A[1] LineNumeric"),
        ("value_too_large", "items.1.documents.2.line", "67A/68A[1]/99A[1] LineNumeric"),
    ]


# --- negative and decimals ---------------------------------------------------------------------


def test_negative_quantity_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].quantity = Decimal("-5")
    valid_import.items[0].quantity_unit = "NAR"
    (issue,) = errors(valid_import)
    assert (issue.code, issue.field, issue.pointer) == (
        "value_negative",
        "items.1.quantity",
        "67A/68A[1]/23A/65A TariffQuantity",
    )
    assert issue.message == "Goods item 1: the quantity cannot be negative; declare zero or more."


def test_negative_total_package_quantity_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.total_package_quantity = -1
    assert found(valid_import) == [("value_negative", "total_package_quantity", "42A TotalPackageQuantity")]


def test_negative_mass_keeps_its_own_error_only(valid_import: DeclarationData) -> None:
    valid_import.items[0].net_mass = Decimal("-1")
    assert [i.code for i in errors(valid_import)] == ["mass_negative"]


def test_more_decimal_places_than_the_column_keeps_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].net_mass = Decimal("100.0005")  # the schema allows 6, the column keeps 3
    (issue,) = errors(valid_import)
    assert (issue.code, issue.field) == ("too_many_decimals", "items.1.net_mass")
    assert "100.0005" in issue.message and "3 decimal places" in issue.message


def test_trailing_zeros_beyond_the_column_places_are_not_decimals(valid_import: DeclarationData) -> None:
    valid_import.items[0].net_mass = Decimal("100.000000")
    assert errors(valid_import) == []


# --- quantities and units ------------------------------------------------------------------------


def test_quantity_without_a_unit_is_accepted_with_a_commodity_code(valid_import: DeclarationData) -> None:
    # CDS practice: 15 items of HMRC's accepted samples send TariffQuantity without unitCode, the
    # unit being the supplementary unit the tariff lays down for the commodity code.
    valid_import.items[0].quantity = Decimal("10")
    assert errors(valid_import) == []


def test_quantity_without_a_unit_or_commodity_code_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.additional_type = "C"  # simplified, regular use (I1 C&F): no commodity code required
    valid_import.items[0].commodity_code = ""
    valid_import.items[0].quantity = Decimal("10")
    (issue,) = errors(valid_import)
    assert (issue.code, issue.field) == ("quantity_unit_missing", "items.1.quantity_unit")
    assert "(for example NAR)" in issue.message


def test_unit_without_a_quantity_is_rejected(valid_import: DeclarationData) -> None:
    valid_import.items[0].quantity_unit = "NAR"
    assert [(i.code, i.field) for i in errors(valid_import)] == [("quantity_missing", "items.1.quantity")]


# --- the limits come from the model --------------------------------------------------------------


def test_limits_follow_the_model_columns_capped_at_fifteen_digits() -> None:
    net_mass = GoodsItem._meta.get_field("net_mass")
    assert isinstance(net_mass, models.DecimalField)
    assert rules.number_limit(net_mass) == rules.NumberLimit(LARGEST_AMOUNT, net_mass.decimal_places)
    narrow = models.DecimalField(max_digits=8, decimal_places=2)
    assert rules.number_limit(narrow) == rules.NumberLimit(Decimal("999999.99"), 2)
    assert rules.number_limit(models.PositiveIntegerField()) == rules.NumberLimit(2147483647, 0)
    assert rules.number_limit(models.CharField(max_length=3)) is None


def test_largest_accepted_numbers_are_stored_and_read_back_unchanged(broker) -> None:
    # Runs on whichever database the suite uses: SQLite (REAL) or PostgreSQL (numeric).
    data = build_import()
    data.invoice_amount = LARGEST_AMOUNT
    # The column's limits where the WCO schema takes as much; the schema's where it takes less.
    data.exchange_rate = Decimal("999999999.999")  # the schema's 12 digits
    data.total_package_quantity = 99999999  # the schema's 8 digits
    data.documents[0].line = 99999  # the schema's 5 digits
    item = data.items[0]
    item.quantity, item.quantity_unit = LARGEST_AMOUNT, "NAR"
    item.net_mass = Decimal("999999999999.998")
    item.gross_mass = item.value_amount = item.statistical_value = LARGEST_AMOUNT
    item.package_count = 99999999
    result = declaration_lodge(user=broker, data=data, channel=Channel.API_JSON)
    stored = Declaration.objects.get(pk=result.declaration.pk).to_data()
    assert stored.invoice_amount == LARGEST_AMOUNT
    assert stored.exchange_rate == Decimal("999999999.999")
    assert stored.total_package_quantity == 99999999
    assert stored.documents[0].line == 99999
    read = stored.items[0]
    assert (read.quantity, read.net_mass, read.gross_mass) == (
        LARGEST_AMOUNT,
        Decimal("999999999999.998"),
        LARGEST_AMOUNT,
    )
    assert (read.value_amount, read.statistical_value, read.package_count) == (
        LARGEST_AMOUNT,
        LARGEST_AMOUNT,
        99999999,
    )
