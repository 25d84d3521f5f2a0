"""A known data set for the risk dashboard: declarations with an assessment, a control, a hit."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from clearance.models import ControlKind, ControlStatus, ControlTask, Lane, RiskAssessment, RiskRule, RuleHit
from declarations.models import Channel, Declaration, Status

_SEQ = iter(range(1, 10**6))


def assessed(user, customs, *, lane, random=False, control=None, days_ago=3, rule=None, hit_outcome=""):
    """One declaration with its assessment, its customs control (done with ``control`` outcome)
    and the rule's hit."""
    n = next(_SEQ)
    when = timezone.now() - timedelta(days=days_ago)
    declaration = Declaration.objects.create(
        mrn=f"26GBDASH{n:010d}", lrn=f"D-{n}", status=Status.IN_REVIEW, channel=Channel.API_JSON,
        lodged_by=user, accepted_at=when,
    )  # fmt: skip
    assessment = RiskAssessment.objects.create(
        declaration=declaration, score=0, lane=lane, random_selected=random, assessed_at=when
    )
    if control is not None:
        ControlTask.objects.create(
            declaration=declaration, kind=ControlKind.DOCUMENTARY, agency=customs,
            status=ControlStatus.DONE if control else ControlStatus.OPEN, outcome=control or "",
        )  # fmt: skip
    if rule is not None:
        RuleHit.objects.create(rule=rule, assessment=assessment, points=40, outcome=hit_outcome)
    return declaration


def known_data_set(supervisor: Any, customs: Any) -> RiskRule:
    """The data set of ``test_dashboard`` (its docstring says what it holds); returns the rule."""
    roses = RiskRule.objects.create(
        name="Roses from KE", reason="roses", weight=40, valid_from=date(2020, 1, 1)
    )
    RiskRule.objects.create(name="Unused", reason="never", weight=10, valid_from=date(2020, 1, 1))
    for _ in range(8):
        assessed(supervisor, customs, lane=Lane.GREEN)
    assessed(supervisor, customs, lane=Lane.YELLOW, random=True, control="compliant")
    assessed(supervisor, customs, lane=Lane.YELLOW, random=True, control="non_compliant")
    yellow = ["compliant", "compliant", "non_compliant", "compliant", None]
    for k, outcome in enumerate(yellow):
        hit = k < 2
        assessed(
            supervisor, customs, lane=Lane.YELLOW, control=outcome if outcome else "",
            rule=roses if hit else None, hit_outcome=outcome if hit and outcome else "",
        )  # fmt: skip
    for outcome in ("non_compliant", "non_compliant", "compliant"):
        assessed(supervisor, customs, lane=Lane.RED, control=outcome, rule=roses, hit_outcome=outcome)
    assessed(supervisor, customs, lane=Lane.RED, control="non_compliant", days_ago=200, rule=roses,
             hit_outcome="non_compliant")  # fmt: skip
    return roses
