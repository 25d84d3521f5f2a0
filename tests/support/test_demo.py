"""The demo's service requests: one answered in time, one waiting, one overdue; seeding twice adds none."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from support.models import ServiceRequest


@pytest.mark.django_db
def test_seed_demo_adds_three_requests_once_one_answered_in_time_and_one_overdue(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    requests = ServiceRequest.objects.all()
    assert requests.count() == 3
    assert all(r.reference and r.reference.startswith("SR-") for r in requests)
    assert requests.answered_within_service_level().count() == 1
    assert requests.overdue().count() == 1
    assert requests.filter(messages__internal=True).count() == 1
