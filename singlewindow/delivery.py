"""The one way a push leaves the portal, and its retry policy: shared by every kind of delivery.

A delivery is a row written in the transaction of the change it reports (an agency's
``WebhookDelivery``, a trader's ``declarations.ResponseDelivery``), published through the outbox
after commit, and sent by a task on the delivery worker's queues (never the pipeline's). Each
attempt takes the row for ``DELIVERY_LEASE`` first (compare-and-set), posts with ``signed_post``
and records the outcome; a failure is retried with exponential backoff and jitter, at most
``MAX_RETRIES`` times, each countdown capped at ``BACKOFF_MAX_SECONDS`` so it never outlives the
broker's visibility timeout. Delivery is at least once: receivers de-duplicate by the delivery id.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from . import egress
from .signing import signed_headers

MAX_RETRIES = 8
BACKOFF_MAX_SECONDS = 240
RETRY_BACKOFF = 2
# An attempt holds its row this long: longer than the task may run, so a live attempt is never
# doubled, and a crashed one lets go soon after.
DELIVERY_LEASE = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)
ERROR_CHARS = 1000


def signed_post(
    *,
    url: str,
    secret: str,
    body: bytes,
    content_type: str,
    event: str,
    delivery_id: str,
    user_agent: str = "SingleWindow-Webhook/1",
    extra_headers: dict[str, str] | None = None,
) -> tuple[str, int | None]:
    """One signed POST to ``url`` through ``egress``: (why it failed or "", the status answered).

    Never raises for the endpoint's faults: a refused destination, a network error, a redirect
    (not followed) or a non-2xx answer are returned as the reason the attempt failed.
    """
    import requests

    if not url:
        return "no endpoint", None
    if not secret:
        return "no secret: deliveries are not sent unsigned", None
    headers = signed_headers(
        secret=secret,
        body=body,
        event=event,
        delivery_id=delivery_id,
        content_type=content_type,
        user_agent=user_agent,
    )
    headers.update(extra_headers or {})
    timeout = (settings.SW_WEBHOOK_CONNECT_TIMEOUT, settings.SW_WEBHOOK_READ_TIMEOUT)
    try:
        answer = egress.webhook_post(url, data=body, headers=headers, timeout=timeout)
    except egress.UnsafeDestination as exc:
        return f"refused: {exc}"[:ERROR_CHARS], None
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS], None
    if 300 <= answer.status_code < 400:
        return (
            f"HTTP {answer.status_code}: redirects are not followed; give the final URL",
            answer.status_code,
        )
    if not 200 <= answer.status_code < 300:
        return f"HTTP {answer.status_code}: {answer.excerpt}", answer.status_code
    return "", answer.status_code
