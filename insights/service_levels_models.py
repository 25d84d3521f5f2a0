"""Service levels: per agency and day, how many reviews were decided and how many within their
service level (pre-aggregated), the reviews decided late, and the overdue alerts already sent.

Imported by ``insights.models`` (Django finds an app's models there).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceLevelDaily(models.Model):
    """The reviews an agency decided on one day (local date of ``decided_at``).

    ``within``: decided at or before their due time (``AgencyReview.due_at``, which the trader's
    answers push forward: the clock stops while the agency waits). ``net_buckets``: a histogram of
    the net review time (decided − created − time waiting for the trader) on ``insights.buckets``'
    edges, so percentiles over any period are sums of rows, not a scan of the reviews. Rewritten
    set-based by ``service_levels.service_level_refresh``.
    """

    day = models.DateField(_("day"))
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    decided = models.PositiveIntegerField(_("decided"), default=0)
    within = models.PositiveIntegerField(_("within the service level"), default=0)
    net_seconds = models.FloatField(_("net review time (seconds, sum)"), default=0)
    net_buckets = models.JSONField(default=list)
    refreshed_at = models.DateTimeField(_("refreshed"))

    class Meta:
        verbose_name = _("service level per day")
        verbose_name_plural = _("service levels per day")
        constraints = [models.UniqueConstraint(fields=["day", "agency"], name="service_level_daily_once")]
        indexes = [models.Index(fields=["agency", "day"], name="service_level_daily_agency")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day}: {self.within}/{self.decided}"


class ServiceLevelBreach(models.Model):
    """A review decided after its due time: the breaches list (few rows; read by page)."""

    review = models.OneToOneField(
        "agencies.AgencyReview", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    declaration = models.ForeignKey("declarations.Declaration", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day decided"))
    due_at = models.DateTimeField(_("due"))
    decided_at = models.DateTimeField(_("decided"))
    late_seconds = models.FloatField(_("late by (seconds)"))

    class Meta:
        verbose_name = _("service level breach")
        verbose_name_plural = _("service level breaches")
        indexes = [
            # The list: latest first within the period (an index scan backwards, stopped by LIMIT).
            models.Index(fields=["decided_at"], name="breach_by_decision"),
            models.Index(fields=["agency", "decided_at"], name="breach_by_agency_decision"),
            models.Index(fields=["day"], name="breach_by_day"),
        ]

    def __str__(self) -> str:
        return f"review {self.review_id} late by {self.late_seconds:.0f} s"


class OverdueAlert(models.Model):
    """The overdue alert of one review was sent: inserting the row is the claim, so however many
    sweeps run (again, or at once), each overdue review alerts its agency and the supervisors once."""

    review = models.OneToOneField(
        "agencies.AgencyReview", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    alerted_at = models.DateTimeField(_("alerted"))
    recipients = models.PositiveIntegerField(_("people alerted"), default=0)

    class Meta:
        verbose_name = _("overdue alert")
        verbose_name_plural = _("overdue alerts")

    def __str__(self) -> str:
        return f"review {self.review_id} alerted {self.alerted_at:%Y-%m-%d %H:%M}"
