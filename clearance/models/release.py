"""The outcome of clearance: one release decision per declaration, and what the trader is told.

``ReleaseDecision`` rows are written only by ``clearance.services`` (consolidation, and a
supervisor's override through the same writer).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    RELEASED = "released", _("Released")
    REFUSED = "refused", _("Refused")


class ReleaseDecision(models.Model):
    """The single release decision, recorded against the declaration and so the trader's account."""

    declaration = models.OneToOneField(
        "declarations.Declaration", on_delete=models.PROTECT, related_name="release_decision"
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    automatic = models.BooleanField(_("decided by the system"), default=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Each agency's part: [{"agency", "agency_name", "status", "reason", "decided_at"}]
    reasons = models.JSONField(default=list, blank=True)
    override = models.BooleanField(_("overridden by a supervisor"), default=False)
    override_reason = models.TextField(_("override reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"))
    # Printed on the release note; a gate checks it at /verify/<code>. Set when the goods are
    # released (random, unguessable); null for a refusal.
    verification_code = models.CharField(
        _("verification code"), max_length=20, unique=True, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("release decision")
        verbose_name_plural = _("release decisions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=[o.value for o in Outcome]), name="release_outcome_known"
            ),
            # An override always says why and who.
            models.CheckConstraint(
                condition=models.Q(override=False)
                | (~models.Q(override_reason="") & models.Q(decided_by__isnull=False)),
                name="release_override_explained",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.outcome}"


class NotificationKind(models.TextChoices):
    RELEASED = "released", _("Released")
    REFUSED = "refused", _("Refused")
    INFO_REQUESTED = "info_requested", _("Information requested")
    INSPECTION = "inspection", _("Inspection")
    # Issue 11: a review past its service level (to the agency's officers and the supervisors), the
    # help desk's answer to a service request, a post-clearance audit of the trader's declaration.
    OVERDUE = "overdue", _("Review overdue")
    SERVICE_REQUEST = "service_request", _("Service request")
    AUDIT = "audit", _("Post-clearance audit")


class Notification(models.Model):
    """A message in a user's portal inbox about one of its declarations."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    trader_account = models.ForeignKey(
        "accounts.TraderAccount",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    declaration = models.ForeignKey(
        "declarations.Declaration",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class RedriveKind(models.TextChoices):
    ROUTE = "route", _("Route")
    CONSOLIDATE = "consolidate", _("Consolidate")
    NOTIFY = "notify", _("Notify")


class Redrive(models.Model):
    """The clearance sweep re-enqueued this work at ``requeued_at``; it waits as long again.

    While the workers are behind, what the sweep re-enqueued is still in the queue: re-enqueuing it
    on every sweep only grows the queue. One row per (kind, object): inserting it is the sweep's
    claim, so two sweeps running at once re-enqueue each object once.
    """

    kind = models.CharField(max_length=12, choices=RedriveKind.choices)
    object_id = models.BigIntegerField()  # a declaration (route, consolidate) or an information request
    requeued_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="redrive_once_per_object")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.object_id}"
