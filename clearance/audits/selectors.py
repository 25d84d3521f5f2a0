"""Who may see and work post-clearance audits, and the reads the pages make.

Auditors: customs supervisors, administrators and customs officers (the officer role in the
customs agency). Selection criteria and settings, and opening an audit by hand: supervisors and
administrators. Everyone else — traders, brokers, other agencies' officers, cashiers — gets the
same 404 as for an audit that does not exist. A trader sees its declaration's audits only on the
declaration page (``panels``), without why they were selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Role, User

from ..inspections.selectors import is_customs_officer
from ..models import AuditSelection, AuditStatus, PostClearanceAudit

PAGE_SIZE = 50


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def is_audit_supervisor(user: User) -> bool:
    return _active(user) and user.role in (Role.SUPERVISOR, Role.ADMIN)


def is_auditor(user: User) -> bool:
    return is_audit_supervisor(user) or (_active(user) and is_customs_officer(user))


def require_auditor(user: User) -> User:
    if not is_auditor(user):
        raise Http404("No such page.")
    return user


def require_audit_supervisor(user: User) -> User:
    if not is_audit_supervisor(user):
        raise Http404("No such page.")
    return user


def access_audit(user: User, audit_id: int | str) -> PostClearanceAudit:
    """An audit the user may work on; the same 404 for missing and not allowed."""
    try:
        pk = int(audit_id)
    except (TypeError, ValueError):
        raise Http404("No such audit.") from None
    if not is_auditor(user) or not 0 < pk < 2**63:
        raise Http404("No such audit.")
    audit = (
        PostClearanceAudit.objects.filter(pk=pk)
        .select_related("declaration__trader_account", "opened_by", "concluded_by", "ledger_transaction")
        .first()
    )
    if audit is None:
        raise Http404("No such audit.")
    return audit


@dataclass(frozen=True)
class AuditFilters:
    status: str = ""  # "" | open | concluded
    selection: str = ""  # "" | rule | random | manual
    overdue: bool = False


def audit_list(
    user: User, filters: AuditFilters, *, today: date | None = None
) -> QuerySet[PostClearanceAudit]:
    """Audits as the list shows them: open ones by due date first, then concluded ones, newest
    first; each with its declaration, trader account and finding count (one query a page)."""
    if not is_auditor(user):
        return PostClearanceAudit.objects.none()
    today = today or timezone.localdate()
    audits = PostClearanceAudit.objects.select_related("declaration__trader_account").annotate(
        finding_count=Count("findings")
    )
    if filters.status in AuditStatus.values:
        audits = audits.filter(status=filters.status)
    if filters.selection in AuditSelection.values:
        audits = audits.filter(selection=filters.selection)
    if filters.overdue:
        audits = audits.filter(status=AuditStatus.OPEN, due_on__lt=today)
    return audits.order_by("-status", "due_on", "-opened_at", "-pk").defer("declaration__draft_payload")


def audit_counts(user: User, *, today: date | None = None) -> dict[str, int]:
    """Open, overdue and concluded audits, in one query."""
    if not is_auditor(user):
        return {"open": 0, "overdue": 0, "concluded": 0}
    today = today or timezone.localdate()
    return PostClearanceAudit.objects.aggregate(
        open=Count("pk", filter=Q(status=AuditStatus.OPEN)),
        overdue=Count("pk", filter=Q(status=AuditStatus.OPEN, due_on__lt=today)),
        concluded=Count("pk", filter=Q(status=AuditStatus.CONCLUDED)),
    )
