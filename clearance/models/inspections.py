"""Controls: documentary checks (yellow lane) and physical inspections (red lane, or an agency's
"inspection required"), one joint inspection per declaration that every agency requiring one
attends, and each agency's findings from the quay.

Contract: a ``ControlTask`` per control a declaration needs (customs' lane control, or one per
agency review that required an inspection); physical ones are attached to the declaration's
``JointInspection`` when a supervisor schedules it; each attending agency records an
``InspectionFinding`` (with photos). Consolidation reads the tasks (``clearance.inspections``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ControlKind(models.TextChoices):
    DOCUMENTARY = "documentary", _("Documentary check")
    PHYSICAL = "physical", _("Physical inspection")


class ControlStatus(models.TextChoices):
    OPEN = "open", _("To do")
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ControlOutcome(models.TextChoices):
    COMPLIANT = "compliant", _("Compliant")
    NON_COMPLIANT = "non_compliant", _("Non-compliant")


class InspectionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class JointInspection(models.Model):
    """One physical inspection of a declaration's goods, scheduled once, attended by every agency."""

    declaration = models.ForeignKey(
        "declarations.Declaration", on_delete=models.PROTECT, related_name="inspections"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=InspectionStatus.choices, default=InspectionStatus.SCHEDULED
    )
    scheduled_for = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200)
    goods_location = models.CharField(_("location of goods"), max_length=200, blank=True)
    instructions = models.TextField(_("what to present"), blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField(_("scheduled at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        ordering = ["scheduled_for", "pk"]
        verbose_name = _("joint inspection")
        verbose_name_plural = _("joint inspections")
        constraints = [
            # One live inspection per declaration: scheduled once, for every agency.
            models.UniqueConstraint(
                fields=["declaration"],
                condition=models.Q(status="scheduled"),
                name="one_scheduled_inspection_per_declaration",
            )
        ]

    def __str__(self) -> str:
        return f"inspection of {self.declaration_id} at {self.scheduled_for:%Y-%m-%d %H:%M}"


class ControlTask(models.Model):
    """One control a declaration needs before release: customs' (its lane) or an agency's."""

    declaration = models.ForeignKey(
        "declarations.Declaration", on_delete=models.PROTECT, related_name="control_tasks"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ControlKind.choices)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    # The agency review that required the inspection; empty for customs' lane control.
    review = models.ForeignKey(
        "agencies.AgencyReview", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("why"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ControlStatus.choices, default=ControlStatus.OPEN
    )
    inspection = models.ForeignKey(
        JointInspection, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    outcome = models.CharField(_("outcome"), max_length=15, choices=ControlOutcome.choices, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("control task")
        verbose_name_plural = _("control tasks")
        indexes = [models.Index(fields=["status", "kind", "created_at"], name="control_open")]
        constraints = [
            # Opened once: customs' lane control per kind, an agency's inspection per review.
            models.UniqueConstraint(
                fields=["declaration", "kind"],
                condition=models.Q(review__isnull=True) & ~models.Q(status="cancelled"),
                name="one_lane_control_per_kind",
            ),
            models.UniqueConstraint(
                fields=["review"],
                condition=models.Q(review__isnull=False) & ~models.Q(status="cancelled"),
                name="one_control_per_review",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="done") | ~models.Q(outcome=""), name="control_done_has_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.declaration_id} ({self.status})"


class InspectionFinding(models.Model):
    """One agency's findings at a joint inspection, recorded by its officer (from a phone)."""

    inspection = models.ForeignKey(JointInspection, on_delete=models.PROTECT, related_name="findings")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=15, choices=ControlOutcome.choices)
    findings = models.TextField(_("findings"), blank=True)
    seizure = models.BooleanField(_("goods seized"), default=False)
    fine_amount = models.DecimalField(_("fine"), max_digits=14, decimal_places=2, null=True, blank=True)
    fine_currency = models.CharField(max_length=3, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name = _("inspection finding")
        verbose_name_plural = _("inspection findings")
        constraints = [
            models.UniqueConstraint(fields=["inspection", "agency"], name="one_finding_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} at {self.inspection_id}: {self.outcome}"


class FindingPhoto(models.Model):
    """A photo taken at the inspection, attached to one agency's findings (checked image, size-capped)."""

    finding = models.ForeignKey(InspectionFinding, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="inspections/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"photo {self.pk} of finding {self.finding_id}"
