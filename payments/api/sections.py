"""The payments sections of the declaration's API answer (``declarations.panels`` hooks)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from accounts.models import Role
from declarations.models import Declaration

from ..assessment import declared_differences
from ..assessment_panel import lines_as_seen
from ..models import Assessment
from ..money import quantize
from ..panels import declaration_payments
from ..status import money_status


def payment_section(declaration: Declaration, user: Any) -> dict[str, Any] | None:
    """The money condition: state, charged, outstanding, what secures it (shape:
    ``declarations.api.serializers.PaymentStatusSerializer``). None before acceptance, and for an
    agency officer: the trader's money is not its business (as on the page, ``panels.money_panel``),
    and the charged total would undo the assessment's partial view."""
    if declaration.mrn is None or getattr(user, "role", None) is Role.OFFICER:
        return None
    status = money_status(declaration)
    return {
        "state": status.state.value,
        "state_label": str(status.label),
        "charged": str(status.charged),
        "outstanding": str(status.outstanding),
        "currency": status.currency,
        "secured_by": str(status.security.facility) if status.security is not None else None,
        "open_condition": status.open_condition,
        "payments": [
            {
                "id": p.pk,
                "reference": p.reference,
                "method": p.method,
                "status": p.status,
                "amount": str(quantize(p.allocated, p.currency)),  # type: ignore[attr-defined]
                "currency": p.currency,
                "created_at": p.created_at,
                "settled_at": p.settled_at,
            }
            for p in declaration_payments(declaration)
        ],
    }


def assessment_section(declaration: Declaration, user: Any) -> dict[str, Any] | None:
    """The current assessment as ``user`` may see it: every line explained, totals per tax type,
    differences with the declared amounts (shape: ``declarations.api.serializers.
    AssessmentSummarySerializer``). None before the declaration is assessed. An officer who sees
    part of the declaration gets its lines only, and their sum as the total."""
    assessment = Assessment.objects.filter(declaration=declaration, is_current=True).first()
    if assessment is None:
        return None
    lines, partial = lines_as_seen(assessment, declaration, user)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.is_charged:
            totals[line.revenue_code] += line.amount
    shown = {line.item_sequence for line in lines}
    differences = [
        d for d in declared_differences(assessment, lines) if not partial or d.item_sequence in shown
    ]
    return {
        "version": assessment.version,
        "currency": assessment.currency,
        "total": str(sum(totals.values(), Decimal("0.00")) if partial else assessment.total),
        "assessed_at": assessment.created_at,
        "totals": [{"tax_type": code, "amount": str(amount)} for code, amount in sorted(totals.items())],
        "lines": [
            {
                "item": line.item_sequence,
                "tax_type": line.tax_type or "FEE",
                "agency": line.agency_code,
                "base_amount": _text(line.base_amount),
                "base_quantity": _text(line.base_quantity),
                "base_unit": line.base_unit,
                "rate": _text(line.rate_percent if line.rate_percent is not None else line.specific_rate),
                "rate_kind": line.kind,
                "amount": str(line.amount),
                "explanation": line.explanation,
                "declared_amount": _text(line.declared_amount),
            }
            for line in lines
            if line.is_charged
        ],
        "differences": [
            {
                "item": d.item_sequence,
                "tax_type": d.tax_type,
                "declared": str(d.declared),
                "assessed": str(d.assessed),
            }
            for d in differences
        ],
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
