"""What each user may see of a declaration's risk assessment (the API's ``risk`` section, the pages).

- Customs (supervisors, administrators, customs officers): score, lane, random selection, every
  reason with its rule, points and detail.
- Another agency's officer, a trader or a broker: the lane and the reasons of rules that are not
  confidential (without the officers' detail); never the score, never a confidential rule, its
  name or its points, and not whether the declaration was selected at random (that would tell a
  trader that no rule targets its goods).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from agencies.access import agency_ids_of
from agencies.routing import customs_agency
from declarations.models import Declaration

from ..models import Lane, RiskAssessment

CUSTOMS, AGENCY, TRADER = "customs", "agency", "trader"

# The lane in plain words, as the trader reads it.
LANE_WORDS = {
    Lane.GREEN.value: _("No check by customs: released on the data"),
    Lane.YELLOW.value: _("Documentary check by customs"),
    Lane.RED.value: _("Physical inspection"),
}


def risk_audience(user: Any) -> str | None:
    """Which view of risk ``user`` gets: customs', another agency's, the trader's; None: nothing."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.role in (Role.SUPERVISOR, Role.ADMIN):
        return CUSTOMS
    if user.role is Role.OFFICER:
        try:
            customs_id = customs_agency().pk
        except RuntimeError:  # no customs agency configured: nobody is customs' officer
            return AGENCY
        return CUSTOMS if customs_id in agency_ids_of(user) else AGENCY
    return TRADER


def sees_risk_rules(user: Any) -> bool:
    return risk_audience(user) == CUSTOMS


def risk_as_seen(assessment: RiskAssessment, user: Any) -> dict[str, Any] | None:
    """The assessment as ``user`` may see it (shape: ``declarations.api.serializers.
    RiskSummarySerializer``)."""
    audience = risk_audience(user)
    if audience is None:
        return None
    full = audience == CUSTOMS
    reasons = [
        {
            "rule": r.get("rule"),
            "name": str(r.get("name", "")),
            "reason": str(r.get("reason", "")),
            "points": int(r.get("points", 0)),
            "item": r.get("item"),
            "confidential": bool(r.get("confidential", False)),
            **({"detail": str(r.get("detail") or "")} if full else {}),
        }
        for r in assessment.reasons
        if full or not r.get("confidential", True)
    ]
    return {
        "version": assessment.version,
        "lane": assessment.lane,
        "lane_label": str(LANE_WORDS.get(assessment.lane, assessment.lane)),
        "score": assessment.score if full else None,
        "random_selected": assessment.random_selected if full else None,
        "assessed_at": assessment.assessed_at,
        "reasons": reasons,
    }


def risk_section(declaration: Declaration, user: Any) -> dict[str, Any] | None:
    """The ``risk`` section of ``GET declarations/{mrn}``: None before the declaration is routed."""
    if declaration.mrn is None:
        return None
    return risk_for_page(declaration, user)


def risk_for_page(declaration: Declaration, user: Any) -> dict[str, Any] | None:
    """The assessment as ``user`` sees it on a page (one query), or None before routing."""
    assessment = RiskAssessment.objects.filter(declaration=declaration).first()
    return risk_as_seen(assessment, user) if assessment is not None else None
