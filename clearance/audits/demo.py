"""The demo's audit selection: a 2 % random share and two criteria; and, where the database already
holds released declarations nobody has audited (a demo that has been worked through), up to two
audit cases on them — one selected by a criterion or at random, one opened by the supervisor."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import User
from declarations.models import Declaration, Status

from ..models import AuditCriterion, AuditSelection, AuditSettings, ComplianceKind, PostClearanceAudit
from .selection import audits_select
from .services import audit_open

DEMO_AUDIT_SHARE = Decimal("2")
DEMO_CRITERIA = (
    (
        "Tea from Sri Lanka above 20,000",
        "tea of heading 0902 from LK has been undervalued: check the sales contracts",
        {"hs_prefix": "0902", "origin_country": "LK", "min_value": Decimal("20000")},
    ),
    (
        "Traders found non-compliant at audit",
        "a non-compliant audit in the last 12 months: audit again",
        {"history_event": ComplianceKind.AUDIT_NON_COMPLIANT, "history_months": 12, "history_min_count": 1},
    ),
)


def seed_audit_demo(*, enabled: bool = True) -> list[int]:
    """Settings and criteria (idempotent); audit cases where released declarations allow. Returns
    the ids of the audits opened."""
    row = AuditSettings.objects.order_by("pk").first() or AuditSettings()
    row.random_share = DEMO_AUDIT_SHARE if enabled else Decimal(0)
    row.save()
    for name, reason, conditions in DEMO_CRITERIA:
        AuditCriterion.objects.update_or_create(
            name=name, defaults={"reason": reason, "is_active": enabled, **conditions}
        )
    if not enabled:
        return []
    opened = list(audits_select().opened)
    supervisor = User.objects.filter(username="supervisor").first()
    candidate = (
        Declaration.objects.filter(status=Status.RELEASED, trader_account__isnull=False)
        .exclude(pk__in=PostClearanceAudit.objects.values("declaration_id"))
        .order_by("-pk")
        .first()
    )
    if (
        supervisor is not None
        and candidate is not None
        and not PostClearanceAudit.objects.filter(opened_by=supervisor).exists()
    ):
        # Inside seed_demo's transaction: the non-durable writer (audit_open_by_hand is durable).
        audit = audit_open(
            declaration=candidate,
            selection=AuditSelection.MANUAL,
            reasons=[
                {
                    "criterion": None,
                    "name": "Opened by hand",
                    "reason": "Demo: check the invoice against the sales contract",
                }
            ],
            actor=supervisor,
        )
        opened.append(audit.pk)
    return opened
