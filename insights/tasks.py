"""The Time Release Study's tasks: a declaration's facts after its release decision, and beat's
refresh of the recent histograms. The services are idempotent, so a task may run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import OperationalError

from . import services

_RETRY: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "max_retries": 5,
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}


@shared_task(**_RETRY)
def fact_record(self: Any, declaration_id: int) -> None:
    """Write the declaration's facts and refresh its day's histograms (``services.fact_record``)."""
    services.fact_record_and_refresh(declaration_id=declaration_id)


def on_release_decided(declaration_id: int, payload: dict[str, Any]) -> None:
    """Outbox handler of ``clearance.release.decided``."""
    fact_record.delay(declaration_id)


@shared_task(acks_late=True)
def stage_daily_refresh_recent() -> int:
    """Beat: facts missed by the outbox (decisions of the last two days without one), then today's
    and yesterday's histograms."""
    return services.stage_daily_refresh_recent()


# Service levels and trade statistics keep their tasks beside their services; imported here so the
# workers, which import each app's ``tasks``, know them (beat: ``insights-*`` in the settings).
from .service_levels_tasks import overdue_alerts_send, service_level_refresh_recent  # noqa: E402, F401
from .statistics_tasks import trade_monthly_refresh_recent  # noqa: E402, F401
