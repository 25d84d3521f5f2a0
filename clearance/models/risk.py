"""Risk management: the rules customs supervisors keep, the score and lane of every declaration,
the watchlists every agency contributes to, and the trader accounts' compliance history.

Contract shared by the risk engine (``clearance.risk``), the inspections (``clearance.inspections``)
and the dashboards: a ``RiskAssessment`` per declaration says its lane; every point of its score is
a reason naming the ``RiskRule`` that gave it; a ``ComplianceEvent`` is one fact of a trader
account's history (an inspection's outcome, a seizure, a fine, a late payment, an agency's
rejection) that history rules read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Lane(models.TextChoices):
    GREEN = "green", _("Green")  # released on the data
    YELLOW = "yellow", _("Yellow")  # documentary check by customs
    RED = "red", _("Red")  # physical inspection


class RuleKind(models.TextChoices):
    GOODS = "goods", _("Goods (commodity, origin, procedure)")
    UNDERVALUATION = "undervaluation", _("Value per unit below the median")
    HISTORY = "history", _("Trader's compliance history")
    WATCHLIST = "watchlist", _("Trader or party on a watchlist")
    AEO = "aeo", _("Authorised economic operator")


class ComplianceKind(models.TextChoices):
    INSPECTION_COMPLIANT = "inspection_compliant", _("Inspection: compliant")
    INSPECTION_NON_COMPLIANT = "inspection_non_compliant", _("Inspection: non-compliant")
    SEIZURE = "seizure", _("Seizure")
    FINE = "fine", _("Fine")
    LATE_PAYMENT = "late_payment", _("Late payment")
    AGENCY_REJECTION = "agency_rejection", _("Rejected by an agency")
    # A post-clearance audit's outcome (clearance.audits).
    AUDIT_COMPLIANT = "audit_compliant", _("Post-clearance audit: compliant")
    AUDIT_NON_COMPLIANT = "audit_non_compliant", _("Post-clearance audit: non-compliant")


class RiskRule(models.Model):
    """One rule of a risk profile: when it matches a declaration, its weight is added to the score.

    A blank condition matches anything; every condition set must hold (for an item-level condition,
    on at least one goods item). ``kind`` says which conditions apply:

    - ``goods``: ``hs_prefix``, ``origin_country``, ``procedure_code`` (and ``direction``);
    - ``undervaluation``: the item's value per unit (net mass, or supplementary units) is below
      ``undervaluation_ratio`` × the median for its HS subheading (goods conditions narrow it);
    - ``history``: the trader account has at least ``history_min_count`` events of
      ``history_event`` in the last ``history_months`` months;
    - ``watchlist``: the trader account or a party of the declaration is on an active watchlist entry;
    - ``aeo``: the trader account holds a valid AEO authorisation of a tier in ``aeo_tiers``
      (any tier when empty); the weight is usually negative.

    ``confidential`` rules are never shown to traders (they see the lane, not the rules).
    """

    name = models.CharField(_("name"), max_length=200)
    reason = models.CharField(
        _("reason shown to officers"),
        max_length=300,
        help_text=_("Plain words, e.g. “plants of chapter 06 from a high-risk origin”."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices, default=RuleKind.GOODS)
    weight = models.SmallIntegerField(
        _("weight"), help_text=_("Points added to the score when the rule matches; negative lowers it.")
    )
    direction = models.CharField(_("direction"), max_length=10, blank=True)  # import | export | ""
    hs_prefix = models.CharField(_("HS code prefix"), max_length=10, blank=True)
    origin_country = models.CharField(_("country of origin"), max_length=2, blank=True)
    procedure_code = models.CharField(_("procedure code prefix"), max_length=4, blank=True)
    undervaluation_ratio = models.DecimalField(
        _("share of the median"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    history_event = models.CharField(
        _("history event"), max_length=30, choices=ComplianceKind.choices, blank=True
    )
    history_months = models.PositiveSmallIntegerField(_("within months"), null=True, blank=True)
    history_min_count = models.PositiveSmallIntegerField(_("at least (events)"), default=1)
    aeo_tiers = models.JSONField(_("AEO tiers"), default=list, blank=True)
    confidential = models.BooleanField(_("confidential"), default=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("risk rule")
        verbose_name_plural = _("risk rules")

    def __str__(self) -> str:
        return self.name


class RiskSettings(models.Model):
    """The lane thresholds and the random share of the green lane (one row, edited by supervisors)."""

    yellow_from = models.SmallIntegerField(_("yellow lane from (points)"), default=30)
    red_from = models.SmallIntegerField(_("red lane from (points)"), default=60)
    random_share = models.DecimalField(
        _("share of green declarations checked at random (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,  # a deployment configures it (the demo seed sets 5 %); 0 keeps scoring predictable
    )
    random_lane = models.CharField(
        _("lane of a random selection"), max_length=10, choices=Lane.choices, default=Lane.YELLOW
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("risk settings")
        verbose_name_plural = _("risk settings")

    def __str__(self) -> str:
        return f"yellow ≥ {self.yellow_from}, red ≥ {self.red_from}"


class RiskAssessment(models.Model):
    """Customs' risk assessment of one declaration (every declaration gets one when routed).

    ``reasons``: ``[{"rule": id, "name": str, "reason": str, "points": int, "item": seq | None,
    "confidential": bool}]``; ``score`` is the sum of their points. ``random_selected``: green by
    its score, sent to ``lane`` by the random selection of the green lane.
    """

    declaration = models.OneToOneField(
        "declarations.Declaration", on_delete=models.CASCADE, related_name="risk"
    )
    version = models.PositiveIntegerField(_("declaration version"), default=1)
    score = models.IntegerField(_("score"))
    lane = models.CharField(_("lane"), max_length=10, choices=Lane.choices)
    reasons = models.JSONField(default=list, blank=True)
    random_selected = models.BooleanField(_("selected at random"), default=False)
    assessed_at = models.DateTimeField(_("assessed at"))

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        indexes = [models.Index(fields=["lane", "assessed_at"], name="risk_lane_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lane__in=[lane.value for lane in Lane]), name="risk_lane_known"
            )
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.lane} ({self.score})"


class RuleHit(models.Model):
    """A rule that added points to a declaration's assessment: what hit rates are counted from.

    ``outcome`` is filled when the declaration's control ends: compliant, or non-compliant (a hit).
    """

    rule = models.ForeignKey(RiskRule, on_delete=models.PROTECT, related_name="hits")
    assessment = models.ForeignKey(RiskAssessment, on_delete=models.CASCADE, related_name="hits")
    points = models.SmallIntegerField()
    outcome = models.CharField(max_length=20, blank=True)  # "" | compliant | non_compliant

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "assessment"], name="rulehit_once_per_assessment")
        ]

    def __str__(self) -> str:
        return f"rule {self.rule_id} on {self.assessment_id}"


class WatchlistEntry(models.Model):
    """A trader or party some agency watches: who added it, when and why; removed, not deleted."""

    eori = models.CharField(_("EORI or party identifier"), max_length=35, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    trader_account = models.ForeignKey(
        "accounts.TraderAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="+", verbose_name=_("added by agency")
    )
    reason = models.TextField(_("reason"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removal_reason = models.TextField(_("reason for removal"), blank=True)

    class Meta:
        ordering = ["-added_at", "-pk"]
        verbose_name = _("watchlist entry")
        verbose_name_plural = _("watchlist entries")

    def __str__(self) -> str:
        return self.eori or self.name


class ComplianceEvent(models.Model):
    """One fact of a trader account's compliance history, across every agency."""

    trader_account = models.ForeignKey(
        "accounts.TraderAccount", on_delete=models.PROTECT, related_name="compliance_events"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=ComplianceKind.choices)
    declaration = models.ForeignKey(
        "declarations.Declaration", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(_("when"))
    details = models.TextField(_("details"), blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    # What recorded it, so a re-run records it once: e.g. "finding:12", "review:40", "statement:7".
    source = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("compliance event")
        verbose_name_plural = _("compliance events")
        indexes = [
            models.Index(fields=["trader_account", "kind", "occurred_at"], name="compliance_account_kind")
        ]

    def __str__(self) -> str:
        return f"{self.trader_account_id}: {self.kind}"


class ValueMedian(models.Model):
    """The median declared value per unit of an HS subheading: what undervaluation rules compare with.

    Pre-aggregated from accepted declarations' goods items (values converted to the national
    currency where a rate is known) by ``clearance.risk.medians.medians_refresh`` (a beat job and
    the ``risk_medians_refresh`` command), so scoring never scans past declarations. ``unit`` is
    ``kg`` (value per kilogram of net mass) or a supplementary unit's code (value per unit).
    Only subheadings with at least the minimum sample size are kept.
    """

    hs_subheading = models.CharField(_("HS subheading"), max_length=6)
    unit = models.CharField(_("unit"), max_length=10)
    median = models.DecimalField(_("median value per unit"), max_digits=20, decimal_places=6)
    currency = models.CharField(max_length=3)
    sample_size = models.PositiveIntegerField(_("sample size"))
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("median value per unit")
        verbose_name_plural = _("median values per unit")
        constraints = [
            models.UniqueConstraint(fields=["hs_subheading", "unit"], name="valuemedian_once_per_unit")
        ]

    def __str__(self) -> str:
        return f"{self.hs_subheading} per {self.unit}: {self.median} {self.currency}"
