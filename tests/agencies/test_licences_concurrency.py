"""Declarations routed at the same moment against one licence: its balance decides, never oversold."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agencies.models import AgencyReview, Licence, ReviewStatus, UsageKind
from clearance import services as clearance
from declarations.api.serializers import DeclarationInputSerializer
from declarations.models import Channel, Declaration
from declarations.services import declaration_lodge
from singlewindow import outbox
from tests.concurrency import run_together
from tests.conftest import IMPORTER_EORI

from .fixtures import item, payload_with
from .licence_fixtures import licence_for

pytestmark = [pytest.mark.fullstack, pytest.mark.django_db(transaction=True)]

ORE = "26121010"


def lodged(importer, lrn: str) -> Declaration:
    documents = [{"code": "9100", "reference": "GBOIL000002-0001", "status": "AC"}]
    serializer = DeclarationInputSerializer(data=payload_with(item(1, ORE, documents=documents), lrn=lrn))
    assert serializer.is_valid(), serializer.errors
    return declaration_lodge(
        user=importer, data=serializer.to_declaration_data(), channel=Channel.API_JSON
    ).declaration


def test_six_declarations_routed_at_once_against_room_for_three_approve_exactly_three(
    importer, licensing, monkeypatch
):
    # Each declaration's item has a net mass of 100 kg; the licence has 300 kg.
    licence = licence_for(
        licensing, code="9100", number="GBOIL000002-0001", holder=IMPORTER_EORI, hs=["26"], quantity="300"
    )
    monkeypatch.setitem(outbox._HANDLERS, "declarations.declaration.accepted", [])  # route by hand below
    declarations = [lodged(importer, f"LIC-RACE-{n}") for n in range(6)]
    results, failures = run_together(
        [lambda d=d: clearance.declaration_route(declaration_id=d.pk) for d in declarations]
    )
    assert failures == []
    assert all(r is not None for r in results)
    statuses = list(
        AgencyReview.objects.filter(agency=licensing, declaration__in=declarations).values_list(
            "status", flat=True
        )
    )
    assert sorted(statuses) == sorted([ReviewStatus.AUTO_APPROVED] * 3 + [ReviewStatus.PENDING] * 3)
    licence = Licence.objects.get(pk=licence.pk)
    assert licence.quantity_balance == Decimal(0)
    assert licence.usages.filter(kind=UsageKind.DECREMENT).count() == 3
    # The history's balances step down one write-off at a time: 200, 100, 0 (never the same twice).
    balances = list(
        licence.usages.filter(kind=UsageKind.DECREMENT)
        .order_by("pk")
        .values_list("quantity_balance", flat=True)
    )
    assert balances == [Decimal(200), Decimal(100), Decimal(0)]
