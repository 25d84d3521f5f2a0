"""Beat's service-level tasks (registered through ``insights.tasks``): the overdue alerts and the
refresh of the recent days' figures. Both services are idempotent: a task may run twice, or two at once."""

from __future__ import annotations

from celery import shared_task

from . import service_levels, service_levels_alerts


@shared_task(acks_late=True)
def overdue_alerts_send() -> int:
    """Alert the agencies and the supervisors of reviews that fell overdue, once each."""
    total = 0
    while True:
        sent = service_levels_alerts.overdue_alerts_send()
        total += sent
        if sent < service_levels_alerts.BATCH:
            return total


@shared_task(acks_late=True)
def service_level_refresh_recent() -> int:
    """Today's and yesterday's service-level rows and breaches."""
    return service_levels.service_level_refresh_recent()
