"""DE 2/3 writing-off (WCO AdditionalDocument/WriteOff) is read, stored, written and read back whole.

Every real sample that writes off a licence is checked against the message itself: each item
document's quantity with its unitCode and amount with its currencyID, as the XML gives them.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from declarations.canonical import DocumentKind
from declarations.wco.namespaces import DEC_NS
from declarations.wco.reader import read_declaration
from declarations.wco.writer import write_declaration

from .samples import CONFORMANCE, TT42, ids

WITH_WRITE_OFF = [p for p in [*CONFORMANCE, *TT42] if b"<WriteOff>" in p.read_bytes()]


def _declared(path: Path) -> list[list[tuple[Decimal | None, str, Decimal | None, str]]]:
    """Per goods item, the writing-off of each additional document, straight from the XML."""
    tree = etree.fromstring(path.read_bytes())
    ns = {"d": DEC_NS}
    found = []
    for item in tree.iterfind(".//d:GovernmentAgencyGoodsItem", ns):
        per_item = []
        for document in item.iterfind("d:AdditionalDocument", ns):
            quantity = document.find("d:WriteOff/d:QuantityQuantity", ns)
            amount = document.find("d:WriteOff/d:AmountAmount", ns)
            per_item.append(
                (
                    Decimal(quantity.text.strip()) if quantity is not None else None,
                    quantity.get("unitCode", "") if quantity is not None else "",
                    Decimal(amount.text.strip()) if amount is not None else None,
                    amount.get("currencyID", "") if amount is not None else "",
                )
            )
        found.append(per_item)
    return found


def _read(data) -> list[list[tuple[Decimal | None, str, Decimal | None, str]]]:
    return [
        [
            (d.write_off_quantity, d.write_off_unit, d.write_off_amount, d.write_off_currency)
            for d in item.documents
            if d.kind is DocumentKind.ADDITIONAL
        ]
        for item in data.items
    ]


def test_the_samples_that_write_off_a_licence_are_the_six_known_ones():
    assert len(WITH_WRITE_OFF) == 6, [p.name for p in WITH_WRITE_OFF]


@pytest.mark.parametrize("path", WITH_WRITE_OFF, ids=ids(WITH_WRITE_OFF))
def test_write_off_is_read_as_declared_and_survives_writing_and_reading_again(path: Path):
    result = read_declaration(path.read_bytes())
    assert result.data is not None
    declared = _declared(path)
    assert _read(result.data) == declared
    assert any(entry != (None, "", None, "") for item in declared for entry in item)
    again = read_declaration(write_declaration(result.data))
    assert again.data is not None
    assert _read(again.data) == declared


def test_tc021_writes_off_ten_pounds_and_no_quantity_on_its_rpa_licence():
    (path,) = [p for p in TT42 if "TC021" in p.name]
    data = read_declaration(path.read_bytes()).data
    assert data is not None
    (licence,) = [d for d in data.items[0].documents if d.reference == "GBCPI000004-0001"]
    assert (licence.code, licence.status) == ("L001", "AC")
    assert (licence.write_off_quantity, licence.write_off_unit) == (None, "")  # commented out in the file
    assert (licence.write_off_amount, licence.write_off_currency) == (Decimal("10.00"), "GBP")
