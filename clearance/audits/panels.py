"""The audit part of the declaration page (``declarations.panels``): whether the declaration is
under post-clearance audit and its outcome with the auditor's reason. Never why it was selected
(a criterion's name, or that it was drawn at random). Auditors get a link to the case; other
agencies' officers see nothing."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from accounts.models import Role, User
from declarations.models import Declaration

from ..models import PostClearanceAudit
from .selectors import is_auditor


def audit_panel(request: HttpRequest, declaration: Declaration) -> SafeString:
    """One query (the declaration's audits); nothing for a declaration never audited."""
    user: User = request.user  # type: ignore[assignment]
    if declaration.mrn is None or not user.is_authenticated:
        return SafeString("")
    auditor = is_auditor(user)
    if not auditor and user.role not in (Role.TRADER, Role.BROKER):
        return SafeString("")
    audits = list(
        PostClearanceAudit.objects.filter(declaration=declaration)
        .only(
            "pk",
            "status",
            "opened_at",
            "due_on",
            "outcome",
            "amount",
            "currency",
            "outcome_reason",
            "concluded_at",
            "declaration_id",
        )
        .order_by("-opened_at", "-pk")
    )
    if not audits:
        return SafeString("")
    return render_to_string(
        "clearance/audits/_declaration_panel.html", {"audits": audits, "auditor": auditor}, request=request
    )
