from __future__ import annotations

from celery import shared_task

from . import outbox


@shared_task(acks_late=True)
def outbox_sweep() -> int:
    """Beat runs this periodically: re-publish outbox rows the broker missed."""
    return outbox.outbox_sweep()
