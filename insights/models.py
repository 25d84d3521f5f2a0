"""The Time Release Study's tables: one fact per decided declaration, one per agency review, and the
daily histograms the pages read.

Facts are derived, never edited by hand: ``insights.services`` writes them when a declaration is
decided (the outbox topic of the release decision) and ``manage.py insights_rebuild`` rewrites them
from the clearance records. ``StageDaily`` is computed from the facts, set-based, one day at a time.

Stages of a released declaration, in the order the time passes (each ≥ 0; they add up to ``total``):

- ``routing``: lodgement (acceptance) → routing to the agencies (the first review opened);
- ``review``: routing → the last agency's decision;
- ``payment``: the agencies done → duties paid or secured (0 when paid earlier, or nothing owed);
- ``release``: all of the above → the release decision;
- ``total``: lodgement → release.

And per agency review: ``agency`` (review opened → decided) and ``agency_net`` (the same less the
time the agency waited on the trader's answers), in every dimension (the review's declaration's).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Stage(models.TextChoices):
    ROUTING = "routing", pgettext_lazy("time release stage", "Lodgement to routing")
    REVIEW = "review", pgettext_lazy("time release stage", "Routing to the agencies' decisions")
    PAYMENT = "payment", pgettext_lazy("time release stage", "Waiting for payment")
    RELEASE = "release", pgettext_lazy("time release stage", "Decisions to release")
    TOTAL = "total", pgettext_lazy("time release stage", "Lodgement to release")
    AGENCY = "agency", pgettext_lazy("time release stage", "Agency review")
    AGENCY_NET = (
        "agency_net",
        pgettext_lazy("time release stage", "Agency review, less waiting on the trader"),
    )


# The stages one after the other: their means add up to the mean total ("where the time goes").
SEQUENTIAL_STAGES = (Stage.ROUTING, Stage.REVIEW, Stage.PAYMENT, Stage.RELEASE)
DECLARATION_STAGES = (*SEQUENTIAL_STAGES, Stage.TOTAL)
REVIEW_STAGES = (Stage.AGENCY, Stage.AGENCY_NET)


class Dimension(models.TextChoices):
    ALL = "all", pgettext_lazy("insights dimension", "All declarations")
    AGENCY = "agency", pgettext_lazy("insights dimension", "Agency")
    LANE = "lane", pgettext_lazy("insights dimension", "Lane")
    TYPE = "type", pgettext_lazy("insights dimension", "Declaration type")
    OFFICE = "office", pgettext_lazy("insights dimension", "Office")
    DIRECTION = "direction", pgettext_lazy("insights dimension", "Direction")


class ClearanceFact(models.Model):
    """One decided declaration: when each stage ended, and what it was (lane, type, office).

    Times are copied from the clearance records; the ``*_seconds`` columns are the stages above
    (null when the stage did not happen, e.g. a refusal before payment). ``day`` is the local date
    of the decision: the day whose histograms count it.
    """

    declaration = models.OneToOneField(
        "declarations.Declaration", on_delete=models.CASCADE, related_name="+", verbose_name=_("declaration")
    )
    outcome = models.CharField(_("outcome"), max_length=10)  # released | refused
    direction = models.CharField(_("direction"), max_length=10, blank=True)
    declaration_type = models.CharField(_("declaration type"), max_length=3, blank=True)  # DE 1/1 + 1/2
    office = models.CharField(_("office"), max_length=8, blank=True)
    lane = models.CharField(_("lane"), max_length=10, blank=True)
    lodged_at = models.DateTimeField(_("lodged"))
    routed_at = models.DateTimeField(_("routed"), null=True, blank=True)
    reviews_done_at = models.DateTimeField(_("agencies decided"), null=True, blank=True)
    payment_at = models.DateTimeField(_("paid or secured"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"))
    day = models.DateField(_("day"))
    routing_seconds = models.BigIntegerField(null=True, blank=True)
    review_seconds = models.BigIntegerField(null=True, blank=True)
    payment_seconds = models.BigIntegerField(null=True, blank=True)
    release_seconds = models.BigIntegerField(null=True, blank=True)
    total_seconds = models.BigIntegerField()
    refreshed_at = models.DateTimeField(_("refreshed"), auto_now=True)

    class Meta:
        verbose_name = _("clearance fact")
        verbose_name_plural = _("clearance facts")
        indexes = [
            models.Index(fields=["day", "outcome"], name="insights_fact_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_seconds__gte=0), name="insights_fact_total_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.outcome} on {self.day}"


class ReviewFact(models.Model):
    """One agency review of a decided declaration: gross time, and net of waiting on the trader."""

    review = models.OneToOneField(
        "agencies.AgencyReview", on_delete=models.CASCADE, related_name="+", verbose_name=_("review")
    )
    declaration = models.ForeignKey(
        "declarations.Declaration", on_delete=models.CASCADE, related_name="+", verbose_name=_("declaration")
    )
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    status = models.CharField(_("status"), max_length=20)
    started_at = models.DateTimeField(_("opened"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    day = models.DateField(_("day"))  # the declaration's decision day, as its ClearanceFact
    gross_seconds = models.BigIntegerField(null=True, blank=True)
    waiting_seconds = models.BigIntegerField(_("waiting on the trader (seconds)"), default=0)
    net_seconds = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("review fact")
        verbose_name_plural = _("review facts")
        indexes = [models.Index(fields=["day", "agency"], name="insights_reviewfact_day")]

    def __str__(self) -> str:
        return f"{self.review_id}: {self.status}"


class StageDaily(models.Model):
    """How long one stage took for the declarations released on one day, for one key of one
    dimension: a count, a sum and a histogram over the fixed buckets of ``insights.buckets``.

    ``dimension`` ``all`` has key ``""``; ``agency`` an agency's code; ``lane``, ``type``,
    ``office``, ``direction`` the fact's value ("" when unknown). Percentiles over a date range add
    the histograms of its days (``insights.selectors``). Only released declarations are counted.
    """

    day = models.DateField(_("day"))
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    dimension = models.CharField(_("dimension"), max_length=10, choices=Dimension.choices)
    key = models.CharField(_("key"), max_length=30, blank=True)
    count = models.PositiveIntegerField(_("count"))
    sum_seconds = models.BigIntegerField(_("sum (seconds)"))
    buckets = models.JSONField(_("histogram"), default=list)
    refreshed_at = models.DateTimeField(_("refreshed"), auto_now=True)

    class Meta:
        verbose_name = _("daily stage histogram")
        verbose_name_plural = _("daily stage histograms")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "stage", "dimension", "key"], name="insights_stagedaily_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "dimension", "day"], name="insights_stagedaily_read"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.stage} {self.dimension}={self.key}: {self.count}"


# Service levels and trade statistics (their own modules; Django finds an app's models here).
from insights.service_levels_models import OverdueAlert, ServiceLevelBreach, ServiceLevelDaily  # noqa: E402, F401
from insights.statistics_models import TradeMonthly  # noqa: E402, F401


class StageWeekly(models.Model):
    """The same histograms added up per week (``week``: its Monday), so a long period reads a
    seventh of the rows: whole weeks from here, the days at its edges from ``StageDaily``.
    Rewritten from the daily rows whenever a day of the week is (``stage_daily_refresh``)."""

    week = models.DateField(_("week"))
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    dimension = models.CharField(_("dimension"), max_length=10, choices=Dimension.choices)
    key = models.CharField(_("key"), max_length=30, blank=True)
    count = models.PositiveIntegerField(_("count"))
    sum_seconds = models.BigIntegerField(_("sum (seconds)"))
    buckets = models.JSONField(_("histogram"), default=list)
    refreshed_at = models.DateTimeField(_("refreshed"), auto_now=True)

    class Meta:
        verbose_name = _("weekly stage histogram")
        verbose_name_plural = _("weekly stage histograms")
        constraints = [
            models.UniqueConstraint(
                fields=["week", "stage", "dimension", "key"], name="insights_stageweekly_unique"
            ),
            models.CheckConstraint(condition=models.Q(week__week_day=2), name="insights_stageweekly_monday"),
        ]
        indexes = [models.Index(fields=["stage", "dimension", "week"], name="insights_stageweekly_read")]

    def __str__(self) -> str:
        return f"week of {self.week} {self.stage} {self.dimension}={self.key}: {self.count}"
