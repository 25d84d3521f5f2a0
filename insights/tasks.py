"""The Time Release Study's tasks: a declaration's facts after its release decision, and beat's
refresh of the recent histograms. The services are idempotent, so a task may run twice."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task
from django.core.cache import cache
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


# A day's histograms are recomputed from all its facts: at a hundred decisions a second, one
# refresh per decision would redo the whole day a hundred times a second. The decisions of a few
# seconds share one refresh instead: the first schedules it (a cache key marks it pending), the
# others find it pending; the refresh clears the mark before it reads, so a decision arriving
# while it runs schedules the next one. Beat's refresh (every five minutes) catches a lost one.
# Eager mode (tests, the embedded portal) runs the refresh at once, as before.
REFRESH_DELAY_SECONDS = 5


def _pending_key(day: str) -> str:
    return f"insights:stage-daily-refresh-pending:{day}"


@shared_task(**_RETRY)
def fact_record(self: Any, declaration_id: int) -> None:
    """Write the declaration's facts (``services.fact_record``) and schedule its days' refresh."""
    days = sorted(day.isoformat() for day in services.fact_record(declaration_id=declaration_id))
    due = [day for day in days if cache.add(_pending_key(day), 1, timeout=REFRESH_DELAY_SECONDS * 60)]
    if due:
        stage_days_refresh.apply_async((due,), countdown=REFRESH_DELAY_SECONDS)


@shared_task(**_RETRY)
def stage_days_refresh(self: Any, days: list[str]) -> int:
    """Recompute the histograms of ``days`` (ISO dates) from their facts."""
    cache.delete_many([_pending_key(day) for day in days])
    return services.stage_daily_refresh(days={date.fromisoformat(day) for day in days})


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
