"""The trader's duty and tax data (DE 4/3-4/8, 4/13, 4/17, 4/19) read from and written to real messages.

Every DutyTaxFee (50A), ValuationAdjustment (39B) and goods-shipment CustomsValuation (41A) of
HMRC's samples is scanned here directly with lxml and compared with what the reader made of it;
the totals are pinned, so a sample the reader starts to skip fails a count. The writer puts them
back: each sample reads, writes and reads again to equal data.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from declarations.canonical import DeclarationData, TaxLineData
from declarations.wco.namespaces import DEC_NS
from declarations.wco.reader import read_declaration
from declarations.wco.writer import write_declaration

from ..rules.builders import build_import
from .samples import (
    EXPORTS,
    IMPORTS,
    PLACEHOLDER,
    SAMPLES,
    TT1_ACCEPTED,
    TT1_REJECTED,
    TT4_TEMPLATES,
    TT42,
    ids,
)

AMENDMENTS = sorted((SAMPLES / "amendments_cancellations").glob("*.xml"))
SAMPLE_FILES = IMPORTS + EXPORTS + AMENDMENTS
TT1_FILES = TT1_ACCEPTED + TT1_REJECTED + TT42 + TT4_TEMPLATES
ALL = SAMPLE_FILES + TT1_FILES


def body_of(path: Path) -> bytes:
    # The Trade Test 4 templates leave the tester's EORI as a placeholder.
    return path.read_bytes().replace(PLACEHOLDER, b"GB553202734852")


def dec(name: str) -> str:
    return f"{{{DEC_NS}}}{name}"


def _text(element: etree._Element, *path: str) -> str:
    for step in path:
        found = element.find(dec(step))
        if found is None:
            return ""
        element = found
    return (element.text or "").strip()


def _amount(element: etree._Element, *path: str) -> Decimal | None:
    text = _text(element, *path)
    return Decimal(text) if text else None


def scanned_items(body: bytes) -> list[tuple[str, str, list[TaxLineData]]]:
    """Each goods item's (preference, valuation indicator, tax lines), straight from the XML.

    A DutyTaxFee that carries only a DutyRegimeCode declares the preference, no duty or tax.
    """
    items = []
    for item in etree.fromstring(body).iter(dec("GovernmentAgencyGoodsItem")):
        fees = item.findall(f"{dec('Commodity')}/{dec('DutyTaxFee')}")
        regimes = [_text(fee, "DutyRegimeCode") for fee in fees if _text(fee, "DutyRegimeCode")]
        lines = []
        for fee in fees:
            if all(etree.QName(child).localname == "DutyRegimeCode" for child in fee.iterchildren("*")):
                continue
            quantity = fee.find(dec("SpecificTaxBaseQuantity"))
            amount = fee.find(dec("AdValoremTaxBaseAmount"))
            lines.append(
                TaxLineData(
                    tax_type=_text(fee, "TypeCode"),
                    base_quantity=_amount(fee, "SpecificTaxBaseQuantity"),
                    base_unit=quantity.get("unitCode", "") if quantity is not None else "",
                    base_amount=_amount(fee, "AdValoremTaxBaseAmount"),
                    base_currency=amount.get("currencyID", "") if amount is not None else "",
                    rate=_amount(fee, "TaxRateNumeric"),
                    assessed_amount=_amount(fee, "Payment", "TaxAssessedAmount"),
                    payable_amount=_amount(fee, "Payment", "PaymentAmount"),
                    method_of_payment=_text(fee, "Payment", "MethodCode"),
                    quota_order=_text(fee, "QuotaOrderID"),
                )
            )
        items.append(
            (regimes[0] if regimes else "", _text(item, "ValuationAdjustment", "AdditionCode"), lines)
        )
    return items


def read(path: Path) -> DeclarationData:
    result = read_declaration(body_of(path))
    assert result.data is not None, result.issues
    assert [i for i in result.issues if i.severity == "error"] == []
    return result.data


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_every_duty_tax_fee_valuation_indicator_and_preference_of_every_sample_is_read(path: Path) -> None:
    data = read(path)
    assert [(i.preference, i.valuation_indicator, i.tax_lines) for i in data.items] == scanned_items(
        body_of(path)
    )


def _count(paths: list[Path]) -> dict[str, object]:
    fees = lines = 0
    methods: Counter[str] = Counter()
    types: Counter[str] = Counter()
    preferences: Counter[str] = Counter()
    for path in paths:
        fees += sum(1 for _fee in etree.fromstring(body_of(path)).iter(dec("DutyTaxFee")))
        for item in read(path).items:
            lines += len(item.tax_lines)
            preferences.update([item.preference] if item.preference else [])
            methods.update(line.method_of_payment for line in item.tax_lines if line.method_of_payment)
            types.update(line.tax_type for line in item.tax_lines if line.tax_type)
    return {"fees": fees, "lines": lines, "methods": methods, "types": types, "preferences": preferences}


def test_the_samples_declare_57_duty_tax_fees_read_as_51_tax_lines_and_their_codes() -> None:
    # Imports 53, amendments 4 (TT_IM016a), exports none; 6 import DutyTaxFees carry only the
    # preference (DE 4/17) and make no tax line.
    assert _count(SAMPLE_FILES) == {
        "fees": 57,
        "lines": 51,
        "methods": {"E": 37, "R": 11, "Z": 2},
        "types": {"A00": 23, "B00": 19, "A50": 4, "B05": 3},
        "preferences": {"100": 25, "140": 2, "300": 2, "120": 1, "110": 1},
    }


def test_hmrc_tt1_declares_11_duty_tax_fees_each_a_tax_line() -> None:
    assert _count(TT1_FILES) == {
        "fees": 11,
        "lines": 11,
        "methods": {"E": 11},
        "types": {"A30": 3},
        "preferences": {"100": 11},
    }


def test_quota_order_manual_amounts_and_excise_base_units_are_read() -> None:
    quota = [line for path in ALL for item in read(path).items for line in item.tax_lines]
    assert [line.quota_order for line in quota if line.quota_order] == ["094067"]
    # HMRC sends a value as the specific base with the unit GBP, and excise bases in their units.
    units = Counter(line.base_unit for line in quota if line.base_unit)
    assert units == {"GBP": 7, "DTN": 1}
    # Manual tax calculations (statement OVR01): the total and the payable amount, in GBP.
    assert sum(1 for line in quota if line.assessed_amount is not None) == 6
    assert sum(1 for line in quota if line.payable_amount is not None) == 10
    # No sample sends an ad valorem base amount or a rate: the portal's tariff gives the rates.
    assert all(line.base_amount is None and line.rate is None for line in quota)


def test_valuation_indicators_of_23_samples_are_read() -> None:
    indicators = Counter(
        i.valuation_indicator for path in ALL for i in read(path).items if i.valuation_indicator
    )
    assert indicators == {"0000": 29}


def test_transport_costs_are_read_from_the_goods_shipments_customs_valuation() -> None:
    im079a = read(SAMPLES / "imports" / "TT_IM079a__TT_IM079a.xml")
    im124a = read(SAMPLES / "imports" / "TT_IM124a__Step1_TT_IM124a.xml")
    found = {
        (im079a.freight_amount, im079a.freight_currency),
        (im124a.freight_amount, im124a.freight_currency),
    }
    assert found == {(Decimal("9"), "GBP"), (Decimal("13.75"), "USD")}
    others = [
        read(path) for path in ALL if path.stem not in {"TT_IM079a__TT_IM079a", "TT_IM124a__Step1_TT_IM124a"}
    ]
    assert all(d.freight_amount is None and d.freight_currency == "" for d in others)


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_every_sample_writes_its_duties_back_and_reads_back_equal(path: Path) -> None:
    data = read(path)
    written = write_declaration(data)
    again = read_declaration(written)
    assert again.issues == []
    assert again.data == data
    # Each tax line is a DutyTaxFee of its own; a preference without tax lines one more.
    fees = sum(1 for _fee in etree.fromstring(written).iter(dec("DutyTaxFee")))
    alone = sum(1 for item in data.items if item.preference and not item.tax_lines)
    assert fees == sum(len(item.tax_lines) for item in data.items) + alone


def _written_with(*lines: TaxLineData) -> etree._Element:
    """An import whose goods item 1 declares ``lines``, as the writer puts it (parsed)."""
    data = build_import()
    data.items[0].tax_lines = list(lines)
    return etree.fromstring(write_declaration(data))


def _regime(fee: etree._Element, code: str) -> None:
    """Give a DutyTaxFee a DutyRegimeCode, before its TypeCode as the schema orders them."""
    regime = etree.Element(dec("DutyRegimeCode"))
    regime.text = code
    fee.insert(0, regime)


def test_a_preference_in_a_later_duty_tax_fee_is_read_and_written_back_in_the_first() -> None:
    root = _written_with(TaxLineData(tax_type="A00"), TaxLineData(tax_type="B00"))
    _regime(list(root.iter(dec("DutyTaxFee")))[1], "300")
    data = read_declaration(etree.tostring(root)).data
    assert data is not None
    assert data.items[0].preference == "300"
    assert [line.tax_type for line in data.items[0].tax_lines] == ["A00", "B00"]
    first, second = etree.fromstring(write_declaration(data)).iter(dec("DutyTaxFee"))
    assert (_text(first, "DutyRegimeCode"), _text(second, "DutyRegimeCode")) == ("300", "")


def test_two_different_preferences_on_one_item_are_an_error_pointing_at_the_second() -> None:
    root = _written_with(TaxLineData(tax_type="A00"), TaxLineData(tax_type="B00"))
    for fee, code in zip(root.iter(dec("DutyTaxFee")), ("100", "300"), strict=True):
        _regime(fee, code)
    (issue,) = read_declaration(etree.tostring(root)).issues
    assert (issue.code, issue.field, issue.pointer) == (
        "invalid_value",
        "items.1.preference",
        "67A/68A[1]/23A/50A[2] DutyRegimeCode",
    )
    assert "(100, 300)" in issue.message


def test_a_preference_without_tax_lines_is_a_duty_tax_fee_of_its_own_and_no_tax_line() -> None:
    data = build_import()
    data.items[0].preference = "100"
    root = etree.fromstring(write_declaration(data))
    (fee,) = root.iter(dec("DutyTaxFee"))
    assert [etree.QName(child).localname for child in fee] == ["DutyRegimeCode"]
    again = read_declaration(etree.tostring(root)).data
    assert again is not None
    assert (again.items[0].preference, again.items[0].tax_lines) == ("100", [])


def test_every_part_of_a_tax_line_is_written_where_the_schema_puts_it() -> None:
    line = TaxLineData(
        tax_type="B00",
        base_quantity=Decimal("2.5"),
        base_unit="HLT",
        base_amount=Decimal("1000"),
        base_currency="GBP",
        rate=Decimal(20),
        assessed_amount=Decimal("200"),
        payable_amount=Decimal("200"),
        method_of_payment="E",
        quota_order="094067",
    )
    root = _written_with(line)
    (fee,) = root.iter(dec("DutyTaxFee"))
    assert [etree.QName(child).localname for child in fee] == [
        "AdValoremTaxBaseAmount",
        "SpecificTaxBaseQuantity",
        "TaxRateNumeric",
        "TypeCode",
        "QuotaOrderID",
        "Payment",
    ]
    assert fee.find(dec("SpecificTaxBaseQuantity")).get("unitCode") == "HLT"  # type: ignore[union-attr]
    assert fee.find(dec("AdValoremTaxBaseAmount")).get("currencyID") == "GBP"  # type: ignore[union-attr]
    assert [etree.QName(child).localname for child in fee.find(dec("Payment"))] == [  # type: ignore[union-attr]
        "MethodCode",
        "TaxAssessedAmount",
        "PaymentAmount",
    ]
    data = read_declaration(etree.tostring(root)).data
    assert data is not None and data.items[0].tax_lines == [line]
