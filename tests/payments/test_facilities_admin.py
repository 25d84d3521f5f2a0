"""Administrators create guarantees and deferment accounts and see their headroom in the admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import User
from payments import facilities
from payments.facilities import declaration_secure
from payments.models import Facility, FacilityKind, FacilityStatus
from singlewindow.models import AuditEvent
from tests.factories import TraderAccountFactory, UserFactory
from tests.payments.facilities_support import facility, lodged

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:payments_facility_changelist"


@pytest.fixture
def administrator(db: None) -> User:
    return UserFactory(username="administrator", role="admin", is_staff=True, is_superuser=True)


def test_an_administrator_creates_a_deferment_account_with_its_limit_and_validity(client, administrator):
    account = TraderAccountFactory(eori="GB123456789000")
    client.force_login(administrator)
    response = client.post(
        reverse("admin:payments_facility_add"),
        {
            "trader_account": account.pk,
            "kind": FacilityKind.DEFERMENT,
            "reference": "DAN7000001",
            "limit": "25000.00",
            "currency": "gbp",
            "valid_from": "2026-01-01",
            "valid_to": "",
            "securities-TOTAL_FORMS": "0",
            "securities-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Facility.objects.get(reference="DAN7000001")
    assert (created.limit, created.currency, created.status) == (
        Decimal("25000"),
        "GBP",
        FacilityStatus.ACTIVE,
    )
    assert AuditEvent.objects.filter(action="payments.facility.created", object_id=created.pk).exists()


def test_the_list_shows_used_and_headroom_in_fixed_queries(
    client, administrator, importer, importer_account, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: set())
    facility(importer_account, reference="GUA0000001", limit="1000.00")
    declaration_secure(declaration=lodged(importer), amount=Decimal("250.00"))
    client.force_login(administrator)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    row = response.content.decode()
    assert "GUA0000001" in row and "250.00 GBP" in row and "750.00 GBP" in row

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(CHANGELIST)).status_code == 200
        return len(queries)

    one = count()
    for n in range(5):
        facility(TraderAccountFactory(), reference=f"GUA100000{n}", kind=FacilityKind.DEFERMENT)
    assert count() == one


def test_the_limit_cannot_go_below_what_the_facility_secures(
    client, administrator, importer, importer_account, monkeypatch
):
    monkeypatch.setattr(facilities, "declared_methods", lambda declaration: set())
    guarantee = facility(importer_account, reference="GUA0000002", limit="1000.00")
    declaration_secure(declaration=lodged(importer), amount=Decimal("600.00"))
    client.force_login(administrator)
    response = client.post(
        reverse("admin:payments_facility_change", args=[guarantee.pk]),
        {
            "trader_account": importer_account.pk,
            "kind": FacilityKind.GUARANTEE,
            "reference": "GUA0000002",
            "limit": "500.00",
            "currency": "GBP",
            "valid_from": "2026-01-01",
            "valid_to": "",
        },
    )
    assert response.status_code == 200
    assert "the limit cannot be lower" in response.content.decode()
    guarantee.refresh_from_db()
    assert guarantee.limit == Decimal("1000.00")


def test_the_suspend_and_reactivate_actions_go_through_the_services(client, administrator, importer_account):
    guarantee = facility(importer_account, reference="GUA0000003")
    client.force_login(administrator)
    for action, status in (("suspend", FacilityStatus.SUSPENDED), ("reactivate", FacilityStatus.ACTIVE)):
        response = client.post(reverse(CHANGELIST), {"action": action, "_selected_action": [guarantee.pk]})
        assert response.status_code == 302
        guarantee.refresh_from_db()
        assert guarantee.status == status
    actions = list(AuditEvent.objects.filter(object_id=guarantee.pk).values_list("action", flat=True))
    assert "payments.facility.suspended" in actions and "payments.facility.reactivated" in actions
