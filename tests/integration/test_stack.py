"""The harness itself: the worker process works on the test database through the private Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from singlewindow.models import OutboxMessage
from singlewindow.tasks import outbox_sweep

from .conftest import Stack

pytestmark = [
    pytest.mark.fullstack,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("fullstack"),
]


def test_worker_runs_published_tasks_against_the_test_database(stack: Stack):
    message = OutboxMessage.objects.create(topic="tests.no-handler", object_id=1)
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    outbox_sweep.delay()

    stack.wait_until(
        lambda: OutboxMessage.objects.filter(pk=message.pk, published_at__isnull=False).exists(),
        what="the worker's sweep to mark the row published",
    )
