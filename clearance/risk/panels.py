"""The risk part of the declaration page (``declarations.panels``): the lane in plain words for the
trader ("Documentary check by customs", "Physical inspection"), without rules; customs also sees
the score and the reasons. Another agency's officer sees the lane."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from accounts.models import Role, User
from declarations.models import Declaration

from ..models import RiskAssessment
from .selectors import CUSTOMS, risk_as_seen, risk_audience


def risk_panel(request: HttpRequest, declaration: Declaration) -> SafeString:
    """One query (the assessment); nothing before the declaration is routed."""
    if declaration.mrn is None:
        return SafeString("")
    assessment = RiskAssessment.objects.filter(declaration=declaration).first()
    if assessment is None:
        return SafeString("")
    risk = risk_as_seen(assessment, request.user)
    if risk is None:
        return SafeString("")
    full = risk_audience(request.user) == CUSTOMS
    user: User = request.user  # type: ignore[assignment]
    return render_to_string(
        "clearance/risk/_assessment.html",
        {
            "risk": risk,
            "full": full,
            "rules_link": full and user.role in (Role.SUPERVISOR, Role.ADMIN),
        },
        request=request,
    )
