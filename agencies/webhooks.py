"""What an agency's own system receives: the review as JSON, signed with the agency's secret.

Each delivery is a POST of ``application/json`` with these headers:

- ``X-SingleWindow-Event``: ``review.created`` (a new review: the routed goods items), or
  ``review.answered`` (the trader answered the agency's question: the answer and its files, each
  downloadable with the agency's token from ``GET /api/v1/attachments/{id}``)
- ``X-SingleWindow-Delivery``: the delivery id (the same on every retry: de-duplicate by it)
- ``X-SingleWindow-Timestamp``: Unix seconds when this attempt was signed
- ``X-SingleWindow-Signature``: ``sha256=<hex>``, the HMAC-SHA256 with the agency's secret of
  ``<timestamp>.<body>`` (the timestamp, a full stop, then the exact body bytes)

(``singlewindow.signing`` signs every push of the portal this way.)

The receiver recomputes the HMAC over the raw body, compares in constant time and refuses
timestamps older than a few minutes (``signature_verify`` does all three). It answers any 2xx to
acknowledge; anything else (a redirect too: none is followed), or no answer within the timeout, is
retried with backoff, until the agency's circuit breaker parks its deliveries (``services``). It
is reached only at a public https address (``egress``). It decides
through the API (``POST /api/v1/reviews/{id}/decision``) with the token of a user who is an officer
of the agency.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.urls import reverse

from declarations.models import Declaration, GoodsItem
from singlewindow.signing import (  # noqa: F401  (receivers' helpers, re-exported)
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_for,
    signature_verify,
    signed_headers,
)

from .models import AgencyReview, InformationRequest, WebhookDelivery


def review_payload(
    *, review: AgencyReview, declaration: Declaration, items: Iterable[GoodsItem]
) -> dict[str, Any]:
    """The review as the agency's system sees it: only the goods items routed to the agency."""
    documents_by_item: dict[int, list[dict[str, str]]] = {}
    for doc in declaration.documents.all():
        if doc.item_id is not None:
            documents_by_item.setdefault(doc.item_id, []).append(
                {"code": doc.code, "reference": doc.reference, "status": doc.status}
            )
    return {
        "event": WebhookDelivery.EVENT_REVIEW_CREATED,
        "review": {
            "id": review.pk,
            "agency": review.agency.code,
            "status": review.status,
            "created_at": review.created_at.isoformat(),
            "due_at": review.due_at.isoformat(),
            "reasons": review.reasons,
            "missing_documents": review.missing_documents,
            "decision_url": reverse("api-review-decision", kwargs={"pk": review.pk}),
        },
        "declaration": {
            "mrn": declaration.mrn,
            "type": declaration.full_type,
            "direction": declaration.direction,
            "trader": declaration.trader_account.eori if declaration.trader_account else None,
            "accepted_at": declaration.accepted_at.isoformat() if declaration.accepted_at else None,
            "destination_country": declaration.destination_country,
            "export_country": declaration.export_country,
        },
        "items": [
            {
                "sequence": item.sequence,
                "description": item.description,
                "commodity_code": item.commodity_code,
                "origin_country": item.origin_country,
                "procedure_code": item.procedure_code,
                "net_mass": str(item.net_mass) if item.net_mass is not None else None,
                "documents": documents_by_item.get(item.pk, []),
            }
            for item in sorted(items, key=lambda i: i.position)
        ],
    }


def answer_payload(*, information_request: InformationRequest) -> dict[str, Any]:
    """The trader's answer as the agency's system sees it: the question, the answer, the files."""
    review = information_request.review
    return {
        "event": WebhookDelivery.EVENT_REVIEW_ANSWERED,
        "review": {
            "id": review.pk,
            "agency": review.agency.code,
            "status": review.status,
            "decision_url": reverse("api-review-decision", kwargs={"pk": review.pk}),
        },
        "declaration": {"mrn": review.declaration.mrn},
        "information_request": {
            "id": information_request.pk,
            "question": information_request.question,
            "asked_at": information_request.asked_at.isoformat(),
            "answer": information_request.answer,
            "answered_at": (
                information_request.answered_at.isoformat() if information_request.answered_at else None
            ),
            "attachments": [
                {
                    "id": attachment.pk,
                    "name": attachment.original_name,
                    "content_type": attachment.content_type,
                    "size": attachment.size,
                    "url": reverse("api-attachment", kwargs={"pk": attachment.pk}),
                }
                for attachment in information_request.attachments.order_by("pk")
            ],
        },
    }


def webhook_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes posted (and signed): the payload as compact JSON with sorted keys."""
    return json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()


def signed_request(delivery: WebhookDelivery, *, now: float | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt, signed afresh (the timestamp is the attempt's)."""
    body = webhook_body(delivery)
    headers = signed_headers(
        secret=delivery.agency.webhook_secret,
        body=body,
        event=delivery.event,
        delivery_id=str(delivery.pk),
        content_type="application/json",
        user_agent="SingleWindow-Webhook/1",
        now=now,
    )
    return body, headers
