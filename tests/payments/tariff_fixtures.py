"""The demo tariff and small declarations built directly for the assessment tests.

Declarations here are stored rows, not lodgements: the engine reads the stored aggregate, and a
test states exactly the fields that matter (price, origin, preference, documents, freight).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import TraderAccount, User
from agencies.models import Agency
from declarations.canonical import DocumentKind
from declarations.models import (
    Channel,
    Declaration,
    DirectionChoice,
    Document,
    GoodsItem,
    ItemTaxLine,
    Status,
)
from payments.refdata.loader import DEMO_TARIFF, tariff_load
from tests.factories import AgencyFactory

DEMO_AGENCIES = ("customs", "plant-health", "food-safety", "standards", "veterinary")
ACCEPTED = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
_MRN = itertools.count(1)


@pytest.fixture
def demo_agencies(db: None) -> dict[str, Agency]:
    return {code: AgencyFactory(code=code, name=code.replace("-", " ").title()) for code in DEMO_AGENCIES}


@pytest.fixture
def uk_tariff(demo_agencies: dict[str, Agency]) -> dict[str, Agency]:
    """The demo tariff loaded (with the demo agencies its fees need)."""
    tariff_load(DEMO_TARIFF.read_text(encoding="utf-8"), source=DEMO_TARIFF.name)
    return demo_agencies


def item(sequence: int = 1, code: str = "85109000", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sequence": sequence,
        "commodity_code": code,
        "description": f"goods {code}",
        "origin_country": "US",
        "value_amount": Decimal("1000"),
        "value_currency": "GBP",
        "net_mass": Decimal("100"),
        "procedure_code": "4000",
    }
    base.update(fields)
    return base


def declaration_with(
    user: User,
    account: TraderAccount,
    *items: dict[str, Any],
    documents: tuple[tuple[int | None, str], ...] = (),
    tax_lines: tuple[tuple[Any, ...], ...] = (),
    **header: Any,
) -> Declaration:
    """An accepted import declaration of ``account`` with these items, (item sequence or None for
    the header, DE 2/3 code) documents and the trader's own tax lines (item sequence, tax type,
    assessed amount[, base quantity, base unit])."""
    fields: dict[str, Any] = {
        "mrn": f"26GB{next(_MRN):014d}",
        "lrn": f"PAY-{next(_MRN)}",
        "status": Status.ACCEPTED,
        "channel": Channel.API_JSON,
        "direction": DirectionChoice.IMPORT,
        "type_code": "IM",
        "additional_type": "A",
        "declarant_account": account,
        "trader_account": account,
        "lodged_by": user,
        "accepted_at": ACCEPTED,
        "invoice_currency": "GBP",
        "delivery_terms": "CIF",
    }
    fields.update(header)
    declaration = Declaration.objects.create(**fields)
    stored = {}
    for position, data in enumerate(items or (item(),), start=1):
        data = dict(data)
        data.setdefault("hs_subheading", data["commodity_code"][:6])
        stored[data["sequence"]] = GoodsItem.objects.create(
            declaration=declaration, position=position, **data
        )
    for position, (sequence, code) in enumerate(documents, start=1):
        Document.objects.create(
            declaration=declaration,
            item=stored[sequence] if sequence is not None else None,
            position=position,
            kind=DocumentKind.ADDITIONAL,
            code=code,
            reference=f"REF-{code}",
        )
    for number, (sequence, tax_type, amount, *base) in enumerate(tax_lines, start=1):
        ItemTaxLine.objects.create(
            item=stored[sequence],
            sequence=number,
            tax_type=tax_type,
            assessed_amount=Decimal(amount) if amount is not None else None,
            base_quantity=Decimal(base[0]) if base else None,
            base_unit=base[1] if base else "",
        )
    return declaration
