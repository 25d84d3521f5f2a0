"""Cross-cutting records: the audit trail, the outbox and API idempotency keys."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """Who did what, when, to which object: written in the same transaction as the change.

    Append-only (on PostgreSQL a trigger refuses UPDATE and DELETE) and hash-chained: ``seq`` is the
    event's place in the one chain, ``hash`` seals the event's content with the previous event's
    ``hash`` (``singlewindow.auditchain``); ``manage.py audit_verify`` recomputes the chain.
    """

    action = models.CharField(max_length=100, db_index=True)  # dotted: declarations.declaration.accepted
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    # Set by the chain writer under the chain's lock (not auto_now_add: the time is sealed in the hash).
    at = models.DateTimeField(default=timezone.now, db_index=True)
    object_type = models.CharField(max_length=60)  # app_label.model
    object_id = models.BigIntegerField(null=True, blank=True)  # none: a failed sign-in of no user
    data = models.JSONField(default=dict, blank=True)  # before, after, reason, channel ...
    seq = models.PositiveBigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"


class OutboxMessage(models.Model):
    """Work that must leave the process after commit; written with the change it follows.

    The relay publishes rows after commit and marks them; a periodic sweep re-publishes rows that
    stay unpublished (broker down, process killed between commit and publish).
    """

    topic = models.CharField(max_length=100)  # declarations.declaration.accepted
    object_id = models.BigIntegerField()
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # A relay publishing the row holds it until then, so two relays (the one after commit and a
    # sweep, or two sweeps) never publish it twice; a relay that died lets go when it passes.
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_unpublished",
                condition=models.Q(published_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.object_id}"


class IdempotencyKey(models.Model):
    """The first answer to an API write with an ``Idempotency-Key``; a repeat replays it.

    The row is written (committed) before the write runs, as a reservation: ``status_code`` is null
    while the first request is in progress, and a second request with the same key waits for it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # null: in progress
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return self.key
