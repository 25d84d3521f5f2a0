"""Declarations, charges and facilities for the guarantee, deferment and statement tests."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from declarations.api.serializers import DeclarationInputSerializer
from declarations.models import Channel, Declaration
from declarations.services import declaration_lodge
from payments.charges import declaration_charge
from payments.models import Facility, FacilityKind
from tests.declarations.payloads import import_payload

_lrns = itertools.count(1)


def lodged(user: Any, **changes: Any) -> Declaration:
    """An accepted import declaration of the importer's account (a new LRN each time)."""
    serializer = DeclarationInputSerializer(data=import_payload(lrn=f"DEF-{next(_lrns):06d}", **changes))
    assert serializer.is_valid(), serializer.errors
    return declaration_lodge(
        user=user, data=serializer.to_declaration_data(), channel=Channel.API_JSON
    ).declaration


def charged(declaration: Declaration, amount: str, **kwargs: Any) -> Declaration:
    declaration_charge(declaration=declaration, amounts={"A00": Decimal(amount)}, **kwargs)
    return declaration


def facility(
    account: Any, *, kind: str = FacilityKind.GUARANTEE, limit: str = "1000.00", **fields: Any
) -> Facility:
    prefix = "DAN" if kind == FacilityKind.DEFERMENT else "GUA"
    defaults: dict[str, Any] = {
        "reference": f"{prefix}{Facility.objects.count() + 1234567}",
        "currency": "GBP",
        "valid_from": date(2026, 1, 1),
    }
    defaults.update(fields)
    return Facility.objects.create(trader_account=account, kind=kind, limit=Decimal(limit), **defaults)
