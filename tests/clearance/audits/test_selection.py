"""Selecting released declarations for audit: by criterion and at random, once each."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from clearance.audits import selection
from clearance.audits.selection import audit_random_key, audit_randomly_selected, audits_select
from clearance.models import (
    AuditCriterion,
    AuditScreening,
    AuditSelection,
    AuditSettings,
    ComplianceEvent,
    ComplianceKind,
    Notification,
    NotificationKind,
    PostClearanceAudit,
)
from clearance.risk.engine import randomly_selected
from clearance.risk.services import random_key
from singlewindow.models import AuditEvent
from tests.agencies.fixtures import item

from .conftest import released_green

pytestmark = pytest.mark.django_db

TEA = "09021000"
ROSES = "06031100"


def settings_with(share: str = "0", lookback: int = 30) -> AuditSettings:
    AuditSettings.objects.all().delete()
    return AuditSettings.objects.create(random_share=Decimal(share), lookback_days=lookback)


def test_random_share_is_near_its_setting_and_the_same_on_every_run():
    mrns = [f"26GB{n:013d}X" for n in range(4000)]
    first = [m for m in mrns if audit_randomly_selected(m, Decimal(10))]
    again = [m for m in mrns if audit_randomly_selected(m, Decimal(10))]
    assert first == again
    assert 0.085 < len(first) / len(mrns) < 0.115


def test_audit_draw_uses_a_key_of_its_own_not_the_lane_selections():
    assert audit_random_key() != random_key()
    mrns = [f"26GB{n:013d}Y" for n in range(2000)]
    audit = {m for m in mrns if audit_randomly_selected(m, Decimal(10))}
    lane = {m for m in mrns if randomly_selected(random_key(), m, Decimal(10))}
    assert audit != lane
    # Independent draws: the overlap is about 10 % of 10 %, far from all of them.
    assert len(audit & lane) < len(audit) / 2


def test_each_released_declaration_is_considered_once_and_rerun_opens_nothing_more(
    importer, agencies, django_capture_on_commit_callbacks
):
    settings_with(share="50")
    declarations = [
        released_green(importer, f"AUD-R{n}", django_capture_on_commit_callbacks) for n in range(8)
    ]
    expected = {d.pk for d in declarations if audit_randomly_selected(d.mrn, Decimal(50))}
    first = audits_select()
    assert first.considered == 8
    opened = set(PostClearanceAudit.objects.values_list("declaration_id", flat=True))
    assert opened == expected
    assert all(a.selection == AuditSelection.RANDOM for a in PostClearanceAudit.objects.all())
    assert AuditScreening.objects.count() == 8
    second = audits_select()
    assert (second.considered, second.opened) == (0, [])
    assert PostClearanceAudit.objects.count() == len(expected)


def test_a_criterion_selects_the_matching_declaration_with_its_reason_and_the_trader_is_told_without_it(
    importer, agencies, django_capture_on_commit_callbacks
):
    settings_with(share="0")
    criterion = AuditCriterion.objects.create(
        name="Cut flowers from Colombia",
        reason="flowers undervalued last year",
        hs_prefix="0603",
        origin_country="CO",
    )
    capture = django_capture_on_commit_callbacks
    flowers = released_green(importer, "AUD-C1", capture, item(1, TEA), item(2, ROSES, origin="CO"))
    tea = released_green(importer, "AUD-C2", capture, item(1, TEA, origin="CO"))
    done = audits_select()
    assert done.considered == 2 and len(done.opened) == 1
    audit = PostClearanceAudit.objects.get()
    assert audit.declaration == flowers and audit.selection == AuditSelection.RULE
    assert audit.reasons == [
        {
            "criterion": criterion.pk,
            "name": "Cut flowers from Colombia",
            "reason": "flowers undervalued last year",
        }
    ]
    assert not PostClearanceAudit.objects.filter(declaration=tea).exists()
    notice = Notification.objects.get(kind=NotificationKind.AUDIT, declaration=flowers)
    assert "Cut flowers" not in notice.message and "undervalued" not in notice.message
    assert AuditEvent.objects.filter(action="clearance.audit.opened", object_id=audit.pk).exists()


def test_value_threshold_trader_and_history_conditions_all_must_hold(
    importer, importer_account, agencies, django_capture_on_commit_callbacks
):
    settings_with(share="0")
    capture = django_capture_on_commit_callbacks
    big = item(1, TEA)
    big.update(value_amount="90000.00", value_currency="GBP")
    small = item(1, TEA)
    small.update(value_amount="100.00", value_currency="GBP")
    high = released_green(importer, "AUD-V1", capture, big)
    low = released_green(importer, "AUD-V2", capture, small)
    AuditCriterion.objects.create(
        name="Large tea imports of a trader with a rejection",
        reason="value and history",
        trader_account=importer_account,
        min_value=Decimal("50000"),
        history_event=ComplianceKind.AGENCY_REJECTION,
        history_months=12,
    )
    # No rejection on the history yet: nothing selected, though the value is high.
    assert (
        selection.criterion_matches(
            AuditCriterion.objects.get(), high, list(high.items.all()), at=high.release_decision.decided_at
        )
        is False
    )
    ComplianceEvent.objects.create(
        trader_account=importer_account,
        kind=ComplianceKind.AGENCY_REJECTION,
        occurred_at=high.accepted_at,
        source="test:rejection",
    )
    done = audits_select()
    assert set(PostClearanceAudit.objects.values_list("declaration_id", flat=True)) == {high.pk}
    assert done.considered == 2 and low.pk not in done.opened


def test_declarations_released_before_the_window_are_not_considered(
    importer, agencies, django_capture_on_commit_callbacks
):
    settings_with(share="100", lookback=1)
    old = released_green(importer, "AUD-OLD", django_capture_on_commit_callbacks)
    from datetime import timedelta

    decision = old.release_decision
    decision.decided_at -= timedelta(days=3)
    decision.save(update_fields=["decided_at"])
    assert audits_select().considered == 0


def test_the_command_selects_like_the_beat_job(
    importer, agencies, django_capture_on_commit_callbacks, capsys
):
    settings_with(share="100")
    released_green(importer, "AUD-CMD", django_capture_on_commit_callbacks)
    call_command("audits_select")
    assert "1 released declarations considered, 1 audits opened." in capsys.readouterr().out
    call_command("audits_select")
    assert PostClearanceAudit.objects.count() == 1


def test_the_demo_seeds_criteria_and_settings_once_and_opens_cases_on_released_declarations(
    importer, supervisor, agencies, django_capture_on_commit_callbacks, monkeypatch
):
    from clearance.audits.demo import DEMO_AUDIT_SHARE, seed_audit_demo

    # The MRN is random: whether the 2 % draw picks it is not this test's business.
    monkeypatch.setattr(selection, "audit_randomly_selected", lambda *args, **kwargs: False)

    released_green(importer, "AUD-DEMO", django_capture_on_commit_callbacks)
    with transaction.atomic():  # seed_demo's own transaction: nothing durable may run inside it
        opened = seed_audit_demo()
    assert len(opened) == 1
    assert PostClearanceAudit.objects.filter(opened_by=supervisor).count() == 1
    assert seed_audit_demo() == []
    assert AuditCriterion.objects.count() == 2
    assert AuditSettings.objects.get().random_share == DEMO_AUDIT_SHARE
