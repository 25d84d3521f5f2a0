# ruff: noqa: F811 - the audit fixture comes from test_pages
"""Issue 11's post-clearance audit as an attacker tries it: absurd amounts are refused on the
form, never a server error half-way through posting the outcome."""

from __future__ import annotations

import pytest

from clearance.models import AuditStatus, PostClearanceAudit
from payments.ledger import trader_balance

from .test_pages import audit  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("amount", ["1000000000000", "9999999999999999.99"])
def test_an_amount_beyond_what_the_ledger_and_history_hold_is_a_form_error(
    client,
    supervisor,
    audit,
    amount,  # noqa: F811 - the fixture
):
    client.force_login(supervisor)
    client.post(
        f"/clearance/audits/{audit.pk}/findings/",
        {"item_sequence": "1", "kind": "valuation", "corrected_value": "2500.00", "note": "Contract."},
    )
    response = client.post(
        f"/clearance/audits/{audit.pk}/conclude/",
        {"outcome": "additional", "amount": amount, "tax_type": "A00", "reason": "Value corrected."},
    )
    assert response.status_code == 400
    assert 'href="#id_conclude_amount"' in response.content.decode()
    audit = PostClearanceAudit.objects.get(pk=audit.pk)
    assert audit.status == AuditStatus.OPEN
    assert trader_balance(audit.declaration.trader_account) == 0


def test_the_service_refuses_an_amount_its_history_cannot_hold(supervisor, audit):  # noqa: F811
    from decimal import Decimal

    from clearance.audits import services

    services.audit_finding_record(
        audit_id=audit.pk, auditor=supervisor, finding=services.Finding(kind="valuation", note="Contract.")
    )
    with pytest.raises(services.AuditError) as refused:
        services.audit_conclude(
            audit_id=audit.pk,
            auditor=supervisor,
            outcome="additional",
            reason="Value corrected.",
            amount=Decimal("1000000000000"),
            tax_type="A00",
        )
    assert refused.value.code == "audit_amount"
    assert PostClearanceAudit.objects.get(pk=audit.pk).status == AuditStatus.OPEN
