"""Payments tasks: a primary key in, one idempotent service call."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import OperationalError

from . import refunds

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
def declaration_refund(self: Any, declaration_id: int) -> None:
    """Credit back a cancelled or invalidated declaration's charges; refund what was paid."""
    refunds.declaration_refund(declaration_id=declaration_id)


def on_declaration_cancelled(declaration_id: int, payload: dict[str, Any]) -> None:
    declaration_refund.delay(declaration_id)


def on_request_decided(declaration_id: int, payload: dict[str, Any]) -> None:
    if payload.get("kind") == "invalidation" and payload.get("outcome") == "granted":
        declaration_refund.delay(declaration_id)
