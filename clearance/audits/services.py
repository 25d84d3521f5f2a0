"""Post-clearance audit workflows: open (by the selection or by hand), record findings, conclude.

Concluding posts the outcome to the trader's account through ``payments`` (an additional
assessment: ``payments.charges.declaration_charge``; a refund:
``payments.refunds.declaration_overcharge_refund``) — never the ledger directly — records the
outcome on the trader account's compliance history and tells the trader, once: under the
declaration's row lock, then the audit's, the audit moves ``open → concluded`` in one conditional
update; two auditors concluding at once — the second waits for the first's commit, finds the
audit concluded and is refused (``audit_concluded``), so one charge is posted.

What the trader is told: that the declaration is audited (customs may ask for documents) and the
outcome with the auditor's reason; never why it was selected (a criterion's name, or that it was
drawn at random: that would tell the trader no criterion targets its goods).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from declarations.models import Declaration, Status
from payments.charges import declaration_charge
from payments.ledger import LedgerError
from payments.models import TransactionKind
from payments.money import home_currency, quantize
from payments.refunds import declaration_overcharge_refund
from singlewindow.audit import audit_log
from singlewindow.errors import DomainError

from ..models import (
    AuditFinding,
    AuditOutcome,
    AuditSelection,
    AuditStatus,
    ComplianceEvent,
    ComplianceKind,
    FindingKind,
    NotificationKind,
    PostClearanceAudit,
)
from ..services import trader_notify
from .selection import audit_settings

MAX_AMOUNT = Decimal(10**12)  # ComplianceEvent.amount: 14 digits, 2 after the point


class AuditError(DomainError):
    """An audit step the domain refuses (not released, already concluded, an amount that makes no sense)."""


@dataclass(frozen=True)
class Finding:
    kind: str
    note: str
    item_sequence: int | None = None
    corrected_commodity_code: str = ""
    corrected_value: Decimal | None = None
    corrected_origin: str = ""


def audit_open(
    *,
    declaration: Declaration,
    selection: str,
    reasons: list[dict[str, Any]],
    actor: User | None,
    locked: bool = True,
) -> PostClearanceAudit:
    """Open an audit of a released declaration, in the caller's transaction; audited; the trader is
    told (without the reason). The partial unique constraint refuses a second open audit."""
    now = timezone.now()
    audit = PostClearanceAudit.objects.create(
        declaration=declaration,
        selection=selection,
        reasons=reasons,
        opened_by=actor,
        opened_at=now,
        due_on=timezone.localdate() + timedelta(days=int(audit_settings().due_days)),
    )
    audit_log(
        action="clearance.audit.opened",
        obj=audit,
        actor=actor,
        data={
            "declaration": declaration.pk,
            "selection": selection,
            "criteria": [r.get("criterion") for r in reasons if r.get("criterion")],
            "reason": "; ".join(str(r.get("reason", "")) for r in reasons),
        },
    )
    trader_notify(
        declaration=declaration,
        kind=NotificationKind.AUDIT,
        message=_(
            "Declaration %(mrn)s has been selected for a post-clearance audit. Customs may ask you "
            "for documents about it."
        )
        % {"mrn": declaration.mrn},
    )
    return audit


@transaction.atomic(durable=True)
def audit_open_by_hand(*, declaration_id: int, supervisor: User, reason: str) -> PostClearanceAudit:
    """A supervisor opens an audit of a released declaration, with a reason (kept from the trader)."""
    reason = (reason or "").strip()
    if not reason:
        raise AuditError("audit_reason_required", _("Say why the declaration is audited."))
    declaration = Declaration.objects.select_for_update(of=("self",)).filter(pk=declaration_id).first()
    if declaration is None or declaration.status != Status.RELEASED:
        raise AuditError("audit_not_released", _("Only a released declaration can be audited."))
    if declaration.trader_account_id is None:
        raise AuditError("audit_no_account", _("The declaration has no trader account to audit."))
    if PostClearanceAudit.objects.filter(declaration=declaration, status=AuditStatus.OPEN).exists():
        raise AuditError("audit_already_open", _("An audit of this declaration is already open."), status=409)
    return audit_open(
        declaration=declaration,
        selection=AuditSelection.MANUAL,
        reasons=[{"criterion": None, "name": _("Opened by hand"), "reason": reason}],
        actor=supervisor,
    )


def _locked_open_audit(audit_id: int) -> PostClearanceAudit:
    audit = (
        PostClearanceAudit.objects.select_for_update(of=("self",))
        .select_related("declaration__trader_account")
        .filter(pk=audit_id)
        .first()
    )
    if audit is None:
        raise AuditError("audit_missing", _("No such audit."), status=404)
    if not audit.is_open:
        raise AuditError("audit_concluded", _("This audit has already been concluded."), status=409)
    return audit


@transaction.atomic(durable=True)
def audit_finding_record(*, audit_id: int, auditor: User, finding: Finding) -> AuditFinding:
    """Record one finding (a goods item's or the whole declaration's) on an open audit; audited."""
    audit = _locked_open_audit(audit_id)
    if finding.kind not in FindingKind.values:
        raise AuditError("audit_finding_kind", _("Choose what was found."))
    if not finding.note.strip():
        raise AuditError("audit_finding_note", _("Describe the finding."))
    if (
        finding.item_sequence is not None
        and not audit.declaration.items.filter(sequence=finding.item_sequence).exists()
    ):
        raise AuditError("audit_finding_item", _("The declaration has no such goods item."))
    record = AuditFinding.objects.create(
        audit=audit,
        item_sequence=finding.item_sequence,
        kind=finding.kind,
        corrected_commodity_code=finding.corrected_commodity_code,
        corrected_value=finding.corrected_value,
        corrected_origin=finding.corrected_origin.upper(),
        note=finding.note.strip(),
        recorded_by=auditor,
    )
    audit_log(
        action="clearance.audit.finding_recorded",
        obj=audit,
        actor=auditor,
        data={
            "finding": record.pk,
            "item": finding.item_sequence,
            "kind": finding.kind,
            "corrected_commodity_code": finding.corrected_commodity_code,
            "corrected_value": str(finding.corrected_value) if finding.corrected_value is not None else None,
            "corrected_origin": record.corrected_origin,
            "note": record.note,
        },
    )
    return record


def _outcome_message(audit: PostClearanceAudit, amount: Decimal | None, currency: str, reason: str) -> str:
    mrn = audit.declaration.mrn
    if audit.outcome == AuditOutcome.ADDITIONAL:
        text = _(
            "The post-clearance audit of declaration %(mrn)s is concluded: an additional assessment of "
            "%(amount)s %(currency)s is charged to your account. %(reason)s"
        )
    elif audit.outcome == AuditOutcome.REFUND:
        text = _(
            "The post-clearance audit of declaration %(mrn)s is concluded: %(amount)s %(currency)s is "
            "credited to your account. %(reason)s"
        )
    else:
        text = _("The post-clearance audit of declaration %(mrn)s is concluded: compliant. %(reason)s")
    return text % {"mrn": mrn, "amount": amount, "currency": currency, "reason": reason}


@transaction.atomic(durable=True)
def audit_conclude(
    *,
    audit_id: int,
    auditor: User,
    outcome: str,
    reason: str,
    amount: Decimal | None = None,
    tax_type: str = "",
) -> PostClearanceAudit:
    """Conclude an open audit once: post an additional assessment or a refund to the trader's
    account (through payments), record the compliance event, audit it, tell the trader.

    Lock order: the declaration (what the ledger services expect the caller to hold), then the audit.
    """
    reason = (reason or "").strip()
    if outcome not in AuditOutcome.values:
        raise AuditError("audit_outcome", _("Choose the outcome."))
    if not reason:
        raise AuditError("audit_reason_required", _("Give the reason the trader will read."))
    currency = home_currency()
    if outcome == AuditOutcome.COMPLIANT:
        amount = None
        tax_type = ""
    else:
        if amount is None or quantize(amount, currency) <= 0:
            raise AuditError("audit_amount", _("Give the amount, more than zero."))
        if amount >= MAX_AMOUNT:  # the compliance history's column would overflow after the posting
            raise AuditError("audit_amount", _("Give an amount below %(max)s.") % {"max": MAX_AMOUNT})
        amount = quantize(amount, currency)
        if not tax_type:
            raise AuditError("audit_tax_type", _("Choose the duty or tax concerned."))
    declaration_id = (
        PostClearanceAudit.objects.filter(pk=audit_id).values_list("declaration_id", flat=True).first()
    )
    if declaration_id is None:
        raise AuditError("audit_missing", _("No such audit."), status=404)
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("trader_account")
        .get(pk=declaration_id)
    )
    audit = _locked_open_audit(audit_id)
    audit.declaration = declaration
    if not audit.findings.exists():
        raise AuditError("audit_no_findings", _("Record at least one finding before concluding."))
    memo = _("Post-clearance audit of declaration %(mrn)s: %(reason)s") % {
        "mrn": declaration.mrn,
        "reason": reason,
    }
    txn = None
    try:
        if outcome == AuditOutcome.ADDITIONAL:
            assert amount is not None  # checked above
            txn = declaration_charge(
                declaration=declaration,
                amounts={tax_type: amount},
                kind=TransactionKind.CHARGE,
                memo=memo,
                actor=auditor,
                beyond_assessment=True,
            )
        elif outcome == AuditOutcome.REFUND:
            assert amount is not None  # checked above
            refund = declaration_overcharge_refund(
                declaration=declaration, amounts={tax_type: amount}, memo=memo, actor=auditor
            )
            txn = refund.credited
    except LedgerError as exc:
        raise AuditError("audit_ledger", exc.message) from exc
    now = timezone.now()
    updated = PostClearanceAudit.objects.filter(pk=audit.pk, status=AuditStatus.OPEN).update(
        status=AuditStatus.CONCLUDED,
        outcome=outcome,
        amount=amount,
        currency=currency if amount is not None else "",
        tax_type=tax_type,
        outcome_reason=reason,
        concluded_by=auditor,
        concluded_at=now,
        ledger_transaction=txn,
    )
    if updated != 1:  # pragma: no cover - the row lock makes this unreachable
        raise AuditError("audit_concluded", _("This audit has already been concluded."), status=409)
    audit.refresh_from_db()
    audit.declaration = declaration
    non_compliant = outcome != AuditOutcome.COMPLIANT
    # Once: the source is unique ("audit:<id>"), a conflict inserts nothing.
    ComplianceEvent.objects.bulk_create(
        [
            ComplianceEvent(
                trader_account_id=declaration.trader_account_id or 0,  # checked when opened: never None
                kind=ComplianceKind.AUDIT_NON_COMPLIANT if non_compliant else ComplianceKind.AUDIT_COMPLIANT,
                declaration=declaration,
                occurred_at=now,
                details=reason[:2000],
                amount=amount,
                currency=currency if amount is not None else "",
                source=f"audit:{audit.pk}",
            )
        ],
        ignore_conflicts=True,
    )
    audit_log(
        action="clearance.audit.concluded",
        obj=audit,
        actor=auditor,
        data={
            "declaration": declaration.pk,
            "outcome": outcome,
            "amount": str(amount) if amount is not None else None,
            "currency": audit.currency,
            "tax_type": tax_type,
            "reason": reason,
            "ledger_transaction": txn.pk if txn is not None else None,
        },
    )
    trader_notify(
        declaration=declaration,
        kind=NotificationKind.AUDIT,
        message=_outcome_message(audit, amount, currency, reason),
    )
    return audit
