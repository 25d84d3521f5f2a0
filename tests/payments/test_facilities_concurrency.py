"""Headroom never goes negative: declarations racing for the last room of a facility (PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments import facilities
from payments.facilities import declaration_secure, facility_headroom
from payments.models import Security
from tests.concurrency import run_together
from tests.payments.facilities_support import facility, lodged

pytestmark = [pytest.mark.fullstack, pytest.mark.django_db(transaction=True)]


def test_twenty_declarations_secured_at_once_against_room_for_ten_secure_exactly_ten(
    importer, importer_account, monkeypatch
):
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: set())
    guarantee = facility(importer_account, limit="1000.00")
    declarations = [lodged(importer) for _ in range(20)]

    results, failures = run_together(
        [lambda d=d: declaration_secure(declaration=d, amount=Decimal("100.00")) for d in declarations]
    )

    assert failures == []
    assert sum(result.secured for result in results) == 10
    refused = [result.reason for result in results if not result.secured]
    assert len(refused) == 10
    assert all(reason.endswith("has 0.00 GBP left, 100.00 GBP needed") for reason in refused)
    assert Security.objects.filter(released_at__isnull=True).count() == 10
    assert facility_headroom(guarantee) == Decimal("0.00")


def test_one_declaration_secured_ten_times_at_once_holds_one_security(
    importer, importer_account, monkeypatch
):
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: set())
    guarantee = facility(importer_account, limit="1000.00")
    declaration = lodged(importer)

    results, failures = run_together(
        [lambda: declaration_secure(declaration=declaration, amount=Decimal("100.00")) for _ in range(10)]
    )

    assert failures == []
    assert len({result.security.pk for result in results}) == 1
    assert facility_headroom(guarantee) == Decimal("900.00")
