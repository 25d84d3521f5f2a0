"""The audit pages as users work them, and as attackers try them: who reaches what (404 for
everyone else), the list's query count, findings and the outcome through the forms, and the
trader's panel (the outcome, never why it was selected)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clearance.audits.selection import audits_select
from clearance.models import AuditCriterion, AuditSettings, AuditStatus, PostClearanceAudit
from payments.ledger import trader_balance
from singlewindow.models import AuditEvent
from tests.agencies.fixtures import item
from tests.factories import UserFactory

from .conftest import released_green

pytestmark = pytest.mark.django_db

TEA = "09021000"


@pytest.fixture
def audit(importer, supervisor, agencies, django_capture_on_commit_callbacks) -> PostClearanceAudit:
    """A released tea declaration selected by a confidential criterion."""
    AuditSettings.objects.create(random_share=0)
    AuditCriterion.objects.create(name="Tea watch 0902", reason="tea undervalued in 2026", hs_prefix="0902")
    released_green(importer, "AUD-PAGE", django_capture_on_commit_callbacks, item(1, TEA))
    audits_select()
    return PostClearanceAudit.objects.get()


def urls(audit: PostClearanceAudit) -> list[str]:
    return [
        "/clearance/audits/",
        f"/clearance/audits/{audit.pk}/",
        "/clearance/audits/criteria/",
        "/clearance/audits/criteria/new/",
    ]


@pytest.mark.parametrize("who", ["importer", "broker", "outsider", "plant_officer", "cashier"])
def test_traders_brokers_other_agencies_officers_and_cashiers_get_404(client, audit, who, request):
    user = UserFactory(role="cashier") if who == "cashier" else request.getfixturevalue(who)
    client.force_login(user)
    for url in urls(audit):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/clearance/audits/{audit.pk}/findings/", {"kind": "compliant", "note": "x"}).status_code
        == 404
    )
    conclude = {"outcome": "additional", "amount": "10", "tax_type": "A00", "reason": "x"}
    assert client.post(f"/clearance/audits/{audit.pk}/conclude/", conclude).status_code == 404
    assert (
        client.post("/clearance/audits/open/", {"mrn": audit.declaration.mrn, "reason": "x"}).status_code
        == 404
    )
    audit.refresh_from_db()
    assert audit.is_open and not audit.findings.exists()


def test_customs_officers_work_cases_but_not_the_criteria(client, audit, customs_officer):
    client.force_login(customs_officer)
    assert client.get("/clearance/audits/").status_code == 200
    assert client.get(f"/clearance/audits/{audit.pk}/").status_code == 200
    assert client.get("/clearance/audits/criteria/").status_code == 404
    assert (
        client.post("/clearance/audits/open/", {"mrn": audit.declaration.mrn, "reason": "x"}).status_code
        == 404
    )


def test_a_forged_audit_id_is_404(client, supervisor, audit):
    client.force_login(supervisor)
    assert client.get(f"/clearance/audits/{audit.pk + 1000}/").status_code == 404
    assert client.get("/clearance/audits/99999999999999999999/").status_code == 404


def test_the_list_filters_and_its_query_count_does_not_grow_with_rows(
    client, supervisor, importer, audit, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client.force_login(supervisor)
    with django_assert_max_num_queries(12):
        first = client.get("/clearance/audits/")
    assert audit.declaration.mrn in first.content.decode()
    for n in range(3):
        declaration = released_green(
            importer, f"AUD-MORE{n}", django_capture_on_commit_callbacks, item(1, TEA)
        )
        client.post("/clearance/audits/open/", {"mrn": declaration.mrn, "reason": "sample"})
    with django_assert_max_num_queries(12):
        page = client.get("/clearance/audits/")
    assert page.content.decode().count("/clearance/audits/") >= 4
    assert "Tea watch 0902" in page.content.decode()
    manual = client.get("/clearance/audits/?selection=manual").content.decode()
    assert audit.declaration.mrn not in manual and manual.count('class="mono" href') == 3
    assert client.get("/clearance/audits/?overdue=1").content.decode().count('class="mono" href') == 0


def test_supervisor_records_findings_and_concludes_and_the_trader_sees_the_outcome_without_the_rule(
    client, supervisor, importer, audit
):
    client.force_login(supervisor)
    page = client.get(f"/clearance/audits/{audit.pk}/").content.decode()
    assert "Tea watch 0902" in page and "tea undervalued in 2026" in page
    response = client.post(
        f"/clearance/audits/{audit.pk}/conclude/", {"outcome": "compliant", "reason": "ok", "tax_type": ""}
    )
    assert response.status_code == 400
    assert "Record at least one finding" in response.content.decode()
    response = client.post(
        f"/clearance/audits/{audit.pk}/findings/",
        {
            "item_sequence": "1",
            "kind": "valuation",
            "corrected_value": "2500.00",
            "note": "Sales contract says 2,500.",
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/clearance/audits/{audit.pk}/conclude/",
        {
            "outcome": "additional",
            "amount": "120.50",
            "tax_type": "A00",
            "reason": "Customs value corrected to 2,500.00.",
        },
    )
    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.status == AuditStatus.CONCLUDED and audit.amount == Decimal("120.50")
    assert trader_balance(audit.declaration.trader_account) == Decimal("120.50")
    # Concluding again through the page changes nothing.
    again = client.post(
        f"/clearance/audits/{audit.pk}/conclude/",
        {"outcome": "refund", "amount": "1", "tax_type": "A00", "reason": "x"},
    )
    assert again.status_code == 302
    assert trader_balance(audit.declaration.trader_account) == Decimal("120.50")

    client.force_login(importer)
    declaration_page = client.get(f"/declarations/{audit.declaration.mrn}/").content.decode()
    assert "Post-clearance audit" in declaration_page
    assert "120.50" in declaration_page and "Customs value corrected" in declaration_page
    assert "Tea watch 0902" not in declaration_page and "undervalued in 2026" not in declaration_page
    assert "/clearance/audits/" not in declaration_page


def test_the_trader_is_never_told_a_declaration_was_drawn_at_random(
    client, importer, agencies, django_capture_on_commit_callbacks
):
    AuditSettings.objects.create(random_share=100)
    declaration = released_green(importer, "AUD-RAND", django_capture_on_commit_callbacks, item(1, TEA))
    audits_select()
    client.force_login(importer)
    page = client.get(f"/declarations/{declaration.mrn}/").content.decode()
    assert "Under audit" in page and "random" not in page.lower()


def test_supervisor_opens_an_audit_by_hand_and_a_wrong_mrn_says_so(
    client, supervisor, audit, importer, agencies, django_capture_on_commit_callbacks
):
    client.force_login(supervisor)
    response = client.post("/clearance/audits/open/", {"mrn": "26GB0000000000000", "reason": "tip-off"})
    assert response.status_code == 400 and "No released declaration has this MRN" in response.content.decode()
    response = client.post("/clearance/audits/open/", {"mrn": audit.declaration.mrn, "reason": "tip-off"})
    assert response.status_code == 400 and "already open" in response.content.decode()
    declaration = released_green(importer, "AUD-HAND", django_capture_on_commit_callbacks, item(1, TEA))
    response = client.post("/clearance/audits/open/", {"mrn": declaration.mrn.lower(), "reason": "tip-off"})
    assert response.status_code == 302
    opened = PostClearanceAudit.objects.get(declaration=declaration)
    assert opened.selection == "manual" and opened.opened_by == supervisor


def test_supervisor_keeps_criteria_and_settings_with_an_audit_trail(client, supervisor, importer_account):
    client.force_login(supervisor)
    response = client.post(
        "/clearance/audits/criteria/new/", {"name": "Empty", "reason": "nothing", "history_min_count": "1"}
    )
    assert response.status_code == 400 and "Set at least one condition" in response.content.decode()
    response = client.post(
        "/clearance/audits/criteria/new/",
        {
            "name": "Big importer",
            "reason": "large values",
            "trader_eori": importer_account.eori,
            "min_value": "50000",
            "history_min_count": "1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    criterion = AuditCriterion.objects.get(name="Big importer")
    assert criterion.trader_account == importer_account and criterion.min_value == Decimal("50000")
    response = client.post(
        "/clearance/audits/criteria/", {"random_share": "2.5", "lookback_days": "14", "due_days": "45"}
    )
    assert response.status_code == 302
    assert AuditSettings.objects.get().random_share == Decimal("2.5")
    assert set(
        AuditEvent.objects.filter(action__startswith="clearance.audit.").values_list("action", flat=True)
    ) == {
        "clearance.audit.criterion_saved",
        "clearance.audit.settings_changed",
    }
