"""Concluding an audit: an additional assessment charged once, a refund credited and paid back,
the ledger balanced, the compliance history written once, the trader told, everything audited."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clearance.audits import services
from clearance.audits.services import AuditError, Finding
from clearance.models import (
    AuditOutcome,
    AuditSelection,
    AuditStatus,
    ComplianceEvent,
    ComplianceKind,
    FindingKind,
    Notification,
    NotificationKind,
    PostClearanceAudit,
    RiskRule,
    RuleKind,
)
from clearance.risk.engine import rule_match
from clearance.risk.services import facts_for
from declarations.models import Declaration
from payments.ledger import declaration_balance, trader_balance
from payments.models import LedgerTransaction, TransactionKind
from payments.pipeline import declaration_recharge
from payments.refunds import revenue_by_code
from singlewindow.models import AuditEvent
from tests.concurrency import run_together

from .conftest import ledger_balances, released_paid

pytestmark = pytest.mark.django_db


def open_with_finding(declaration, supervisor, kind=FindingKind.VALUATION) -> PostClearanceAudit:
    audit = services.audit_open_by_hand(
        declaration_id=declaration.pk, supervisor=supervisor, reason="invoice check"
    )
    services.audit_finding_record(
        audit_id=audit.pk,
        auditor=supervisor,
        finding=Finding(
            kind=kind, note="Invoice shows 1,400.00", item_sequence=1, corrected_value=Decimal("1400")
        ),
    )
    return audit


def test_additional_assessment_is_charged_once_to_the_trader_and_the_ledger_balances(
    importer, supervisor, tariff, django_capture_on_commit_callbacks
):
    declaration = released_paid(importer, "AUD-ADD", django_capture_on_commit_callbacks)
    account = declaration.trader_account
    assert trader_balance(account) == 0
    audit = open_with_finding(declaration, supervisor)
    done = services.audit_conclude(
        audit_id=audit.pk,
        auditor=supervisor,
        outcome=AuditOutcome.ADDITIONAL,
        amount=Decimal("84.00"),
        tax_type="A00",
        reason="Value corrected to the invoice: duty on 400.00 more.",
    )
    assert (done.status, done.outcome, done.amount) == (AuditStatus.CONCLUDED, "additional", Decimal("84.00"))
    assert done.ledger_transaction.kind == TransactionKind.CHARGE
    assert trader_balance(account) == Decimal("84.00")
    assert declaration_balance(declaration.pk) == Decimal("84.00")
    assert ledger_balances()
    # Once: a second conclusion is refused and posts nothing.
    with pytest.raises(AuditError) as refused:
        services.audit_conclude(
            audit_id=audit.pk,
            auditor=supervisor,
            outcome=AuditOutcome.ADDITIONAL,
            amount=Decimal("84"),
            tax_type="A00",
            reason="again",
        )
    assert refused.value.code == "audit_concluded"
    assert LedgerTransaction.objects.filter(memo__startswith="Post-clearance audit").count() == 1
    event = ComplianceEvent.objects.get(source=f"audit:{audit.pk}")
    assert (event.kind, event.amount, event.trader_account_id) == (
        ComplianceKind.AUDIT_NON_COMPLIANT,
        Decimal("84.00"),
        account.pk,
    )
    notice = (
        Notification.objects.filter(kind=NotificationKind.AUDIT, declaration=declaration)
        .order_by("-pk")
        .first()
    )
    assert "84.00" in notice.message and "Value corrected" in notice.message
    actions = list(
        AuditEvent.objects.filter(object_id=audit.pk, action__startswith="clearance.audit.").values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "clearance.audit.opened",
        "clearance.audit.finding_recorded",
        "clearance.audit.concluded",
    ]


@pytest.mark.parametrize("outcome", [AuditOutcome.ADDITIONAL, AuditOutcome.REFUND])
def test_a_later_re_assessment_leaves_the_audits_amount_standing(
    outcome, importer, supervisor, tariff, django_capture_on_commit_callbacks
):
    declaration = released_paid(importer, f"AUD-RE-{outcome}", django_capture_on_commit_callbacks)
    duty = revenue_by_code(declaration.pk)["A00"]
    audit = open_with_finding(declaration, supervisor)
    services.audit_conclude(
        audit_id=audit.pk,
        auditor=supervisor,
        outcome=outcome,
        amount=Decimal("5.00"),
        tax_type="A00",
        reason="r",
    )
    after_audit = duty + Decimal("5.00") if outcome == AuditOutcome.ADDITIONAL else duty - Decimal("5.00")
    assert revenue_by_code(declaration.pk)["A00"] == after_audit

    # The declaration is assessed again (an amendment after release; here with the same goods):
    # the ledger is reconciled to the assessment, and the audit's amount is not part of it.
    assessed = declaration_recharge(declaration=Declaration.objects.get(pk=declaration.pk))

    assert assessed.posted is None
    assert revenue_by_code(declaration.pk)["A00"] == after_audit
    assert revenue_by_code(declaration.pk, assessed_only=True)["A00"] == duty
    assert ledger_balances()


def test_the_audit_outcome_counts_for_the_risk_engines_history_rules(
    importer, supervisor, tariff, django_capture_on_commit_callbacks
):
    declaration = released_paid(importer, "AUD-HIST", django_capture_on_commit_callbacks)
    audit = open_with_finding(declaration, supervisor)
    services.audit_conclude(
        audit_id=audit.pk,
        auditor=supervisor,
        outcome=AuditOutcome.ADDITIONAL,
        amount=Decimal("10"),
        tax_type="A00",
        reason="r",
    )
    rule = RiskRule(
        kind=RuleKind.HISTORY, history_event=ComplianceKind.AUDIT_NON_COMPLIANT, history_months=12
    )
    from django.utils import timezone

    now = timezone.now()
    facts = facts_for(declaration, [], [rule], at=now)
    assert rule_match(rule, declaration, [], facts, now)[0] is True


def test_refund_credits_the_duty_and_pays_back_what_was_paid_balanced(
    importer, supervisor, tariff, django_capture_on_commit_callbacks
):
    declaration = released_paid(importer, "AUD-REF", django_capture_on_commit_callbacks)
    duty = revenue_by_code(declaration.pk)["A00"]
    audit = open_with_finding(declaration, supervisor, kind=FindingKind.CLASSIFICATION)
    services.audit_conclude(
        audit_id=audit.pk,
        auditor=supervisor,
        outcome=AuditOutcome.REFUND,
        amount=Decimal("5.00"),
        tax_type="A00",
        reason="Classified under a lower duty rate.",
    )
    assert revenue_by_code(declaration.pk)["A00"] == duty - Decimal("5.00")
    kinds = list(
        LedgerTransaction.objects.filter(memo__startswith="Post-clearance audit").values_list(
            "kind", flat=True
        )
    )
    assert sorted(kinds) == [TransactionKind.ADJUSTMENT, TransactionKind.REFUND]
    assert declaration_balance(declaration.pk) == 0  # it had been paid: the credit is paid back
    assert trader_balance(declaration.trader_account) == 0
    assert ledger_balances()
    assert ComplianceEvent.objects.filter(source=f"audit:{audit.pk}").count() == 1


def test_refund_above_what_was_charged_is_refused_and_posts_nothing(
    importer, supervisor, tariff, django_capture_on_commit_callbacks
):
    declaration = released_paid(importer, "AUD-REF2", django_capture_on_commit_callbacks)
    audit = open_with_finding(declaration, supervisor)
    before = LedgerTransaction.objects.count()
    with pytest.raises(AuditError) as refused:
        services.audit_conclude(
            audit_id=audit.pk,
            auditor=supervisor,
            outcome=AuditOutcome.REFUND,
            amount=Decimal("999999"),
            tax_type="A00",
            reason="r",
        )
    assert refused.value.code == "audit_ledger"
    assert LedgerTransaction.objects.count() == before
    audit.refresh_from_db()
    assert audit.is_open


def test_compliant_audit_posts_nothing_and_records_a_compliant_event(
    importer, supervisor, tariff, django_capture_on_commit_callbacks
):
    declaration = released_paid(importer, "AUD-OK", django_capture_on_commit_callbacks)
    audit = open_with_finding(declaration, supervisor, kind=FindingKind.COMPLIANT)
    before = LedgerTransaction.objects.count()
    services.audit_conclude(
        audit_id=audit.pk,
        auditor=supervisor,
        outcome=AuditOutcome.COMPLIANT,
        amount=Decimal("3"),
        reason="All in order.",
    )
    audit.refresh_from_db()
    assert audit.amount is None and audit.ledger_transaction is None
    assert LedgerTransaction.objects.count() == before
    assert ComplianceEvent.objects.get(source=f"audit:{audit.pk}").kind == ComplianceKind.AUDIT_COMPLIANT


def test_concluding_needs_a_finding_and_opening_needs_a_released_declaration_once(
    importer, supervisor, tariff, django_capture_on_commit_callbacks
):
    declaration = released_paid(importer, "AUD-RULES", django_capture_on_commit_callbacks)
    audit = services.audit_open_by_hand(declaration_id=declaration.pk, supervisor=supervisor, reason="check")
    assert audit.selection == AuditSelection.MANUAL
    with pytest.raises(AuditError) as no_finding:
        services.audit_conclude(
            audit_id=audit.pk, auditor=supervisor, outcome=AuditOutcome.COMPLIANT, reason="ok"
        )
    assert no_finding.value.code == "audit_no_findings"
    with pytest.raises(AuditError) as twice:
        services.audit_open_by_hand(declaration_id=declaration.pk, supervisor=supervisor, reason="again")
    assert twice.value.code == "audit_already_open"
    with pytest.raises(AuditError) as no_reason:
        services.audit_open_by_hand(declaration_id=declaration.pk, supervisor=supervisor, reason=" ")
    assert no_reason.value.code == "audit_reason_required"


@pytest.mark.fullstack
@pytest.mark.django_db(transaction=True)
def test_two_auditors_concluding_at_once_post_one_charge(
    importer, supervisor, customs_officer, tariff, django_capture_on_commit_callbacks
):
    declaration = released_paid(importer, "AUD-RACE", django_capture_on_commit_callbacks)
    audit = open_with_finding(declaration, supervisor)
    results, failures = run_together(
        [
            lambda user=user: services.audit_conclude(
                audit_id=audit.pk,
                auditor=user,
                outcome=AuditOutcome.ADDITIONAL,
                amount=Decimal("50"),
                tax_type="A00",
                reason="race",
            )
            for user in (supervisor, customs_officer)
        ]
    )
    assert len(results) == 1 and len(failures) == 1
    assert isinstance(failures[0], AuditError) and failures[0].code == "audit_concluded"
    assert LedgerTransaction.objects.filter(memo__startswith="Post-clearance audit").count() == 1
    assert ComplianceEvent.objects.filter(source=f"audit:{audit.pk}").count() == 1
    assert ledger_balances()
