"""The payments sections of the declaration's API answer (``declarations.panels`` hooks)."""

from __future__ import annotations

from typing import Any

from declarations.models import Declaration

from ..money import quantize
from ..panels import declaration_payments
from ..status import money_status


def payment_section(declaration: Declaration, user: Any) -> dict[str, Any] | None:
    """The money condition: state, charged, outstanding, what secures it (shape:
    ``declarations.api.serializers.PaymentStatusSerializer``). None before acceptance."""
    if declaration.mrn is None:
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
