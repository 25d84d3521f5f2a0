"""Declarations with duties charged to their trader account, ready to be paid."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from declarations.api.serializers import DeclarationInputSerializer
from declarations.models import Channel, Declaration
from declarations.services import declaration_lodge
from payments.charges import declaration_charge
from tests.declarations.payloads import import_payload
from tests.payments.tariff_fixtures import demo_agencies, uk_tariff  # noqa: F401 (the demo tariff)

D = Decimal


@pytest.fixture
def lodge(importer) -> Callable[..., Declaration]:
    """Lodge an import of the importer's account; ``charge`` posts duties (A00) and VAT (B00)."""

    def make(lrn: str, *, charge: tuple[str, str] | None = ("27.00", "205.40"), user=None) -> Declaration:
        serializer = DeclarationInputSerializer(data=import_payload(lrn=lrn))
        assert serializer.is_valid(), serializer.errors
        declaration = declaration_lodge(
            user=user or importer, data=serializer.to_declaration_data(), channel=Channel.API_JSON
        ).declaration
        if charge is not None:
            declaration_charge(declaration=declaration, amounts={"A00": D(charge[0]), "B00": D(charge[1])})
        declaration.refresh_from_db()
        return declaration

    return make


@pytest.fixture
def charged(lodge) -> Declaration:
    """An import with 232.40 GBP charged (27.00 duty, 205.40 VAT)."""
    return lodge("PAY-1")
