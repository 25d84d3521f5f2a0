"""Agency reviews: opened by routing, claimed and decided by officers, answered by traders.

Every review status change goes through ``common.review_transition`` (a compare-and-set update plus
an audit event in the same transaction); declaration status changes go through
``declarations.services.declaration_transition``. What leaves the process (consolidation,
notifications, webhook deliveries) is written to the outbox in the same transaction and published
after commit:

- ``agencies.review.decided`` (object: the review; payload ``declaration_id``, ``outcome``):
  clearance consolidates the declaration, or tells the trader about a question.
- ``agencies.delivery.send`` (object: the ``WebhookDelivery``; payload ``queue``): the delivery task
  on the agency's own Celery queue.

Lock order, everywhere: the declaration row first, then the review row. Two officers acting on the
same declaration therefore serialise instead of deadlocking.

The modules, by concern (callers import from ``agencies.services``):

- ``common``: the topics, ``review_transition``, the officer guard, opening a delivery;
- ``reviews``: opening reviews, claim, release of a claim, decision;
- ``information``: the trader's answer to a question, with its attachments;
- ``deliveries``: sending one webhook delivery;
- ``circuit``: the circuit breaker of an agency's deliveries;
- ``sweeps``: re-driving lost deliveries, an administrator's replay.
"""

from .circuit import (
    agencies_parked_behind_closed_circuits,
    circuit_close,
    circuit_trial_candidate,
    circuits_due,
    deliveries_unpark,
)
from .common import (
    DECLARATION_UNDER_REVIEW,
    DELIVERY_LEASE,
    OUTCOMES,
    REASON_REQUIRED,
    TOPIC_DELIVERY_SEND,
    TOPIC_REVIEW_DECIDED,
)
from .deliveries import webhook_send
from .information import ATTACHMENT_TYPES, MAX_ATTACHMENTS, information_answer
from .reviews import review_claim, review_decide, review_priority, review_release_claim, reviews_open
from .sweeps import deliveries_stuck, delivery_replay

__all__ = [
    "ATTACHMENT_TYPES",
    "DECLARATION_UNDER_REVIEW",
    "DELIVERY_LEASE",
    "MAX_ATTACHMENTS",
    "OUTCOMES",
    "REASON_REQUIRED",
    "TOPIC_DELIVERY_SEND",
    "TOPIC_REVIEW_DECIDED",
    "agencies_parked_behind_closed_circuits",
    "circuit_close",
    "circuit_trial_candidate",
    "circuits_due",
    "deliveries_stuck",
    "deliveries_unpark",
    "delivery_replay",
    "information_answer",
    "review_claim",
    "review_decide",
    "review_release_claim",
    "review_priority",
    "reviews_open",
    "webhook_send",
]
