"""Pipeline tasks: a primary key in, one service call; the services are idempotent.

Retries are for transient database trouble only (a lost connection, a deadlock victim); a
service's own refusal is not retried.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
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
def declaration_route(self: Any, declaration_id: int) -> None:
    """Route an accepted declaration to its agencies (``clearance.services.declaration_route``)."""
    services.declaration_route(declaration_id=declaration_id)


@shared_task(**_RETRY)
def declaration_consolidate(self: Any, declaration_id: int) -> None:
    """Record the release decision once every review is in (``services.declaration_consolidate``)."""
    services.declaration_consolidate(declaration_id=declaration_id)


def on_payment_settled(payment_id: int, payload: dict[str, Any]) -> None:
    """A payment settled: each declaration it paid may now be released (payments fits the
    security on the same topic; consolidation reads the ledger, so the order does not matter)."""
    for declaration_id in payload.get("declarations", []):
        declaration_consolidate.delay(int(declaration_id))


@shared_task(**_RETRY)
def declaration_replan(self: Any, declaration_id: int, payload: dict[str, Any]) -> None:
    """Route an amended declaration again (``services.declaration_replan``)."""
    services.declaration_replan(declaration_id=declaration_id, payload=payload)


@shared_task(**_RETRY)
def declaration_reviews_withdraw(self: Any, declaration_id: int) -> None:
    """Withdraw the open reviews of a cancelled or invalidated declaration."""
    services.declaration_reviews_withdraw(declaration_id=declaration_id)


@shared_task(**_RETRY)
def information_request_notify(self: Any, request_id: int) -> None:
    """Tell the trader about an agency's question (portal and e-mail)."""
    services.information_request_notify(request_id=request_id)


@shared_task(acks_late=True)
def clearance_sweep() -> dict[str, int]:
    """Beat runs this periodically: re-drive what the pipeline left behind (the tasks are idempotent).

    What it re-enqueues is stamped (``Redrive``) and not re-enqueued again for
    ``SW_REDRIVE_WAIT_SECONDS``: while the workers are behind it is still in the queue.
    """
    from datetime import timedelta

    from .models import RedriveKind

    wait = timedelta(seconds=settings.SW_REDRIVE_WAIT_SECONDS)
    stuck = services.declarations_stuck(
        older_than=timedelta(seconds=settings.SW_STUCK_SECONDS), requeued_within=wait
    )
    counts: dict[str, int] = {}
    for kind, ids, task, name in (
        (RedriveKind.ROUTE, stuck.to_route, declaration_route, "routed"),
        (RedriveKind.CONSOLIDATE, stuck.to_consolidate, declaration_consolidate, "consolidated"),
        (RedriveKind.NOTIFY, stuck.to_notify, information_request_notify, "notified"),
    ):
        claimed = services.redrive_claim(kind=kind, object_ids=ids, wait=wait)
        for pk in claimed:
            task.delay(pk)
        counts[name] = len(claimed)
    return counts


@shared_task(acks_late=True)
def compliance_record() -> dict[str, int]:
    """Beat: agencies' rejections and late payments not yet on the traders' compliance history."""
    from .risk.compliance import compliance_record as record

    done = record()
    return {"rejections": done.rejections, "late_payments": done.late_payments}


@shared_task(**_RETRY)
def compliance_review_record(self: Any, review_id: int) -> None:
    """A review just decided "rejected" goes on the trader's history at once (idempotent)."""
    from .risk.compliance import rejections_record

    rejections_record(review_ids=[review_id])


@shared_task(acks_late=True)
def risk_medians_refresh() -> int:
    """Beat, nightly: the medians of declared value per unit (``clearance.risk.medians``)."""
    from .risk.medians import medians_refresh

    return medians_refresh().kept


@shared_task(acks_late=True)
def audits_select() -> dict[str, int]:
    """Beat: released declarations of the look-back window not yet considered for post-clearance audit."""
    from .audits.selection import audits_select as select

    done = select()
    return {"considered": done.considered, "opened": len(done.opened)}


# Outbox handlers (registered in ClearanceConfig.ready): enqueue after commit, pk only.


def on_declaration_accepted(declaration_id: int, payload: dict[str, Any]) -> None:
    declaration_route.delay(declaration_id)


def on_declaration_amended(declaration_id: int, payload: dict[str, Any]) -> None:
    declaration_replan.delay(declaration_id, payload)


def on_declaration_cancelled(declaration_id: int, payload: dict[str, Any]) -> None:
    declaration_reviews_withdraw.delay(declaration_id)


def on_request_decided(declaration_id: int, payload: dict[str, Any]) -> None:
    if payload.get("kind") == "invalidation" and payload.get("outcome") == "granted":
        declaration_reviews_withdraw.delay(declaration_id)


def on_review_decided(review_id: int, payload: dict[str, Any]) -> None:
    if payload.get("outcome") == "rejected":
        compliance_review_record.delay(review_id)
    if payload.get("outcome") == "info_requested":
        from agencies.models import InformationRequest

        request_id = (
            InformationRequest.objects.filter(review_id=review_id, answered_at__isnull=True)
            .values_list("pk", flat=True)
            .first()
        )
        if request_id is not None:
            information_request_notify.delay(request_id)
        return
    declaration_consolidate.delay(int(payload["declaration_id"]))
