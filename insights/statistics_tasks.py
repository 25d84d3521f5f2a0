"""Beat's trade statistics task (registered through ``insights.tasks``); the refresh is idempotent."""

from __future__ import annotations

from celery import shared_task

from . import statistics


@shared_task(acks_late=True)
def trade_monthly_refresh_recent() -> int:
    """This month's and last month's trade statistics, rewritten."""
    return statistics.trade_monthly_refresh_recent()
