"""The trader accounts' compliance history fed from what clearance sees: agencies' rejections and
late payments. (Inspection outcomes, seizures and fines are recorded by ``clearance.inspections``.)

Idempotent: each fact has a ``source`` ("review:<id>", "statement:<id>") unique in the table, and
is inserted with ``ON CONFLICT DO NOTHING``; a run records only what is missing. The beat job
``clearance.tasks.compliance_record`` runs it every few minutes, and a review decided "rejected"
triggers it for that review at once (``tasks.on_review_decided``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from agencies.models import AgencyReview, ReviewStatus
from payments.models import Statement, StatementStatus

from ..models import ComplianceEvent, ComplianceKind

BATCH = 1000


@dataclass(frozen=True)
class Recorded:
    rejections: int
    late_payments: int


def _not_recorded(prefix: str) -> Any:
    source = Concat(Value(prefix), Cast(OuterRef("pk"), output_field=CharField()))
    return ~Exists(ComplianceEvent.objects.filter(source=source))


def rejections_record(*, review_ids: list[int] | None = None) -> int:
    """An agency's rejection of a declaration goes on its trader account's history (once)."""
    reviews = (
        AgencyReview.objects.filter(status=ReviewStatus.REJECTED, declaration__trader_account__isnull=False)
        .filter(_not_recorded("review:"))
        .select_related("declaration", "agency")
        .order_by("pk")
    )
    if review_ids is not None:
        reviews = reviews.filter(pk__in=review_ids)
    events = [
        ComplianceEvent(
            trader_account_id=review.declaration.trader_account_id or 0,  # filtered: never None
            kind=ComplianceKind.AGENCY_REJECTION,
            declaration=review.declaration,
            agency=review.agency,
            occurred_at=review.decided_at or review.updated_at,
            details=(review.decision_reason or "")[:2000],
            source=f"review:{review.pk}",
        )
        for review in reviews[:BATCH]
    ]
    created = ComplianceEvent.objects.bulk_create(events, ignore_conflicts=True)
    return len(created)


def late_payments_record() -> int:
    """A statement gone overdue (or paid after its due day) is a late payment of its trader account."""
    statements = (
        Statement.objects.filter(
            Q(status=StatementStatus.OVERDUE) | Q(status=StatementStatus.PAID, paid_at__date__gt=F("due_on"))
        )
        .filter(_not_recorded("statement:"))
        .select_related("facility")
        .order_by("pk")
    )
    events = []
    for statement in statements[:BATCH]:
        late_from = timezone.make_aware(datetime.combine(statement.due_on + timedelta(days=1), time.min))
        events.append(
            ComplianceEvent(
                trader_account_id=statement.facility.trader_account_id,
                kind=ComplianceKind.LATE_PAYMENT,
                occurred_at=late_from,
                details=f"{statement.facility.reference} {statement.period_start:%Y-%m}",
                amount=statement.total,
                currency=statement.currency,
                source=f"statement:{statement.pk}",
            )
        )
    created = ComplianceEvent.objects.bulk_create(events, ignore_conflicts=True)
    return len(created)


def compliance_record() -> Recorded:
    """Record every rejection and late payment not yet on the history (the beat job)."""
    return Recorded(rejections=rejections_record(), late_payments=late_payments_record())
