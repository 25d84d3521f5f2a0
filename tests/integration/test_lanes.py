"""Risk lanes on the full stack: the worker routes and scores, a control holds the release.

A rule scores every declaration of the test's goods into the red lane. Routing, scoring and the
control task run in the real Celery worker; the supervisor schedules the joint inspection and
customs records its findings in this process, which consolidates in the same transaction.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from clearance.inspections.services import Appointment, Finding, finding_record, inspection_schedule
from clearance.models import (
    ControlKind,
    ControlOutcome,
    ControlStatus,
    ControlTask,
    Lane,
    RiskAssessment,
    RiskRule,
    RuleHit,
)
from declarations.models import Declaration
from declarations.models import Status as DeclarationStatus

from .conftest import Stack
from .test_pipeline import api_as, auto_decide_everywhere, demo, lodge, released, status_of  # noqa: F401

pytestmark = [
    pytest.mark.fullstack,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("fullstack"),
]


def red_rule() -> RiskRule:
    """Shavers and clippers (the payload's 8510 goods) scored far above the red threshold."""
    return RiskRule.objects.create(
        name="Shavers under watch",
        reason="shavers of heading 8510: seizures this year",
        kind="goods",
        weight=90,
        hs_prefix="8510",
        valid_from=timezone.localdate() - timedelta(days=1),
    )


def test_a_red_lane_declaration_waits_for_its_inspection_and_is_released_once_it_is_compliant(
    demo: dict[str, str],  # noqa: F811 - the pipeline tests' demo set-up
    stack: Stack,
):
    auto_decide_everywhere()
    rule = red_rule()
    declaration: Declaration = lodge(api_as("broker", demo))

    # Every agency approves at once, but the red lane holds the goods until they are inspected.
    stack.wait_until(
        lambda: ControlTask.objects.filter(declaration=declaration, kind=ControlKind.PHYSICAL).exists(),
        what="the worker routes, scores and opens the physical control",
    )
    stack.wait_idle()
    risk = RiskAssessment.objects.get(declaration=declaration)
    assert (risk.lane, risk.score) == (Lane.RED, 90)
    assert [r["rule"] for r in risk.reasons if r["points"]] == [rule.pk]
    assert status_of(declaration) == DeclarationStatus.IN_REVIEW
    assert not released(declaration)

    supervisor = User.objects.get(username="supervisor")
    inspection = inspection_schedule(
        declaration=declaration,
        supervisor=supervisor,
        appointment=Appointment(
            scheduled_for=timezone.now() + timedelta(hours=3), place="Quay 4, Felixstowe"
        ),
    )
    assert not released(declaration)

    finding_record(
        inspection_id=inspection.pk,
        officer=User.objects.get(username="customs_officer"),
        finding=Finding(outcome=ControlOutcome.COMPLIANT, findings="Goods as declared."),
    )
    assert released(declaration)
    assert status_of(declaration) == DeclarationStatus.RELEASED
    task = ControlTask.objects.get(declaration=declaration, kind=ControlKind.PHYSICAL)
    assert (task.status, task.outcome) == (ControlStatus.DONE, ControlOutcome.COMPLIANT)
    # The rule's hit now counts as a compliant control for its hit rate.
    assert RuleHit.objects.get(rule=rule, assessment=risk).outcome == ControlOutcome.COMPLIANT
    stack.wait_idle()
    assert status_of(declaration) == DeclarationStatus.RELEASED
