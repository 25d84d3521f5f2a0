"""The declaration's timeline shows its payments (``declarations.selectors.register_timeline_source``).

A payment's own events (started, sent for confirmation, awaiting the transfer, settled, declined,
timed out, cancelled) appear on the timeline of every declaration it pays, for the people who may
see the trader's money: the trader's users and brokers, customs supervisors, cashiers and
administrators. Agency officers do not (the trader's money is not an agency's business), and the
provider's refused callbacks stay in the audit log for staff.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.models import Role, User
from declarations.models import Declaration

from .models import Payment, PaymentAllocation

PUBLIC_ACTIONS = (
    "payments.payment.initiated",
    "payments.payment.awaiting_confirmation",
    "payments.payment.awaiting_funds",
    "payments.payment.settled",
    "payments.payment.declined",
    "payments.payment.timed_out",
    "payments.payment.cancelled",
)


def payment_events(declaration: Declaration, user: User | None) -> Q | None:
    """The audit events of the payments allocated to the declaration (one query for their ids)."""
    if user is None or not user.is_authenticated or user.role is Role.OFFICER:
        return None
    # Literal ids, not a subquery, as the reviews' source does (a subquery inside the timeline's OR
    # made PostgreSQL scan the whole audit table).
    ids = list(
        PaymentAllocation.objects.filter(declaration=declaration)
        .values_list("payment_id", flat=True)
        .distinct()
    )
    if not ids:
        return None
    return Q(object_type=Payment._meta.label_lower, object_id__in=ids, action__in=PUBLIC_ACTIONS)
