"""How the portal signs what it pushes to systems outside it, and how a receiver checks it.

Every push (an agency's webhook, a WCO DMS response to a trader's endpoint) is a POST whose
headers say what it is and prove who sent it:

- ``X-SingleWindow-Event``: what happened (``review.created``, ``dms.response`` …)
- ``X-SingleWindow-Delivery``: the delivery id, the same on every retry: de-duplicate by it
- ``X-SingleWindow-Timestamp``: Unix seconds when this attempt was signed
- ``X-SingleWindow-Signature``: ``sha256=<hex>``, the HMAC-SHA256 with the receiver's secret of
  ``<timestamp>.<body>`` (the timestamp, a full stop, then the exact body bytes)

The receiver recomputes the HMAC over the raw body, compares in constant time and refuses
timestamps older than a few minutes (``signature_verify`` does all three).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-SingleWindow-Signature"
TIMESTAMP_HEADER = "X-SingleWindow-Timestamp"
DELIVERY_HEADER = "X-SingleWindow-Delivery"
EVENT_HEADER = "X-SingleWindow-Event"


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, ``<timestamp>.<body>``)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_verify(
    *,
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """What a receiver does: constant-time compare, and no replay of old messages."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    if age > tolerance:
        return False
    # compare_digest refuses (TypeError) a str with non-ASCII characters: a forged header may hold any
    return hmac.compare_digest(
        signature_for(secret, timestamp, body).encode(), signature.encode(errors="replace")
    )


def signed_headers(
    *,
    secret: str,
    body: bytes,
    event: str,
    delivery_id: str,
    content_type: str,
    user_agent: str,
    now: float | None = None,
) -> dict[str, str]:
    """The headers of one attempt, signed afresh (the timestamp is the attempt's)."""
    timestamp = str(int(now if now is not None else time.time()))
    return {
        "Content-Type": content_type,
        "User-Agent": user_agent,
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature_for(secret, timestamp, body),
    }
