"""Post-clearance audit: released declarations checked again after the goods have gone.

Contract (``clearance.audits``): supervisors keep ``AuditCriterion`` rows (what to select: goods,
origin, procedure, a trader account, a value threshold, the trader's compliance history) and the
``AuditSettings`` (the random share, the look-back window, the days an audit has). The selection
considers each released declaration once (``AuditScreening``, one row per declaration) and opens a
``PostClearanceAudit`` for those a criterion or the random draw picks; a supervisor may open one by
hand. Auditors record ``AuditFinding``s (per goods item or overall) and conclude the audit once:
compliant, an additional assessment (charged to the trader account) or a refund (credited).

Why a model of its own rather than a purpose flag on ``RiskRule``: a risk rule adds points to a
score at routing, in a cached, benchmarked path with hit rates; an audit criterion selects or not,
after release, and has conditions the lane has no use for (a named trader account, a value
threshold). The criterion's goods and history conditions are judged by the risk engine's own
functions (``clearance.audits.selection``), so both speak the same language.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .risk import ComplianceKind


class AuditCriterion(models.Model):
    """What selects a released declaration for audit; every condition set must hold (goods
    conditions on at least one goods item). A blank condition matches anything."""

    name = models.CharField(_("name"), max_length=200)
    reason = models.CharField(
        _("reason shown to auditors"),
        max_length=300,
        help_text=_("Plain words, e.g. “tea from Sri Lanka declared below the usual value”."),
    )
    hs_prefix = models.CharField(_("HS code prefix"), max_length=10, blank=True)
    origin_country = models.CharField(_("country of origin"), max_length=2, blank=True)
    procedure_code = models.CharField(_("procedure code prefix"), max_length=4, blank=True)
    trader_account = models.ForeignKey(
        "accounts.TraderAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("trader account"),
    )
    min_value = models.DecimalField(
        _("declared value at least"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("In the national currency: the sum of the goods items' values."),
    )
    history_event = models.CharField(
        _("history event"), max_length=30, choices=ComplianceKind.choices, blank=True
    )
    history_months = models.PositiveSmallIntegerField(_("within months"), null=True, blank=True)
    history_min_count = models.PositiveSmallIntegerField(_("at least (events)"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("audit criterion")
        verbose_name_plural = _("audit criteria")

    def __str__(self) -> str:
        return self.name


class AuditSettings(models.Model):
    """The random share of released declarations audited, the look-back window and the time an
    audit has (one row, edited by supervisors)."""

    random_share = models.DecimalField(
        _("share of released declarations audited at random (%)"), max_digits=5, decimal_places=2, default=0
    )
    lookback_days = models.PositiveSmallIntegerField(
        _("consider declarations released in the last (days)"), default=30
    )
    due_days = models.PositiveSmallIntegerField(_("days to conclude an audit"), default=60)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("audit settings")
        verbose_name_plural = _("audit settings")

    def __str__(self) -> str:
        return f"random {self.random_share} %, {self.lookback_days} days"


class AuditScreening(models.Model):
    """A released declaration the selection has considered: once each, selected or not."""

    declaration = models.OneToOneField(
        "declarations.Declaration", on_delete=models.CASCADE, related_name="audit_screening"
    )
    screened_at = models.DateTimeField()
    selected = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.declaration_id}: {'selected' if self.selected else 'not selected'}"


class AuditSelection(models.TextChoices):
    RULE = "rule", _("Criterion")
    RANDOM = "random", _("Random")
    MANUAL = "manual", _("Opened by hand")


class AuditStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONCLUDED = "concluded", _("Concluded")


class AuditOutcome(models.TextChoices):
    COMPLIANT = "compliant", _("Compliant")
    ADDITIONAL = "additional", _("Additional assessment")
    REFUND = "refund", _("Refund")


class FindingKind(models.TextChoices):
    COMPLIANT = "compliant", _("Compliant")
    CLASSIFICATION = "classification", _("Wrong classification")
    VALUATION = "valuation", _("Undervaluation or wrong value")
    ORIGIN = "origin", _("Wrong origin or preference")
    DOCUMENTS = "documents", _("Documents missing or invalid")
    OTHER = "other", _("Other")


class PostClearanceAudit(models.Model):
    """One audit of a released declaration.

    ``reasons``: ``[{"criterion": id | None, "name": str, "reason": str}]`` — why it was selected,
    for customs only (a random draw is a reason too; never shown to the trader). Concluded once:
    ``outcome``, ``amount`` (an additional assessment or a refund, in ``currency``, on revenue code
    ``tax_type``) and ``outcome_reason`` (shown to the trader); ``ledger_transaction`` is what the
    outcome posted (unique: a second conclusion cannot post twice).
    """

    declaration = models.ForeignKey(
        "declarations.Declaration", on_delete=models.PROTECT, related_name="audits"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AuditStatus.choices, default=AuditStatus.OPEN
    )
    selection = models.CharField(_("selected by"), max_length=10, choices=AuditSelection.choices)
    reasons = models.JSONField(default=list, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"))
    due_on = models.DateField(_("due"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=AuditOutcome.choices, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    tax_type = models.CharField(_("revenue code"), max_length=30, blank=True)
    outcome_reason = models.TextField(_("reason"), blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    concluded_at = models.DateTimeField(_("concluded"), null=True, blank=True)
    ledger_transaction = models.OneToOneField(
        "payments.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("post-clearance audit")
        verbose_name_plural = _("post-clearance audits")
        indexes = [models.Index(fields=["status", "due_on"], name="audit_status_due")]
        constraints = [
            # One open audit per declaration: a second one while it runs is refused.
            models.UniqueConstraint(
                fields=["declaration"],
                condition=models.Q(status="open"),
                name="audit_one_open_per_declaration",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", outcome="")
                | (
                    models.Q(status="concluded")
                    & ~models.Q(outcome="")
                    & models.Q(concluded_at__isnull=False)
                ),
                name="audit_outcome_iff_concluded",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=["", "compliant"], amount__isnull=True)
                | models.Q(outcome__in=["additional", "refund"], amount__gt=0),
                name="audit_amount_with_money_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"audit {self.pk} of {self.declaration_id}: {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status == AuditStatus.OPEN


class AuditFinding(models.Model):
    """One finding of an audit: on a goods item (``item_sequence``) or on the whole declaration."""

    audit = models.ForeignKey(PostClearanceAudit, on_delete=models.CASCADE, related_name="findings")
    item_sequence = models.PositiveIntegerField(_("goods item"), null=True, blank=True)
    kind = models.CharField(_("finding"), max_length=20, choices=FindingKind.choices)
    corrected_commodity_code = models.CharField(_("corrected commodity code"), max_length=10, blank=True)
    corrected_value = models.DecimalField(
        _("corrected value"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    corrected_origin = models.CharField(_("corrected origin"), max_length=2, blank=True)
    note = models.TextField(_("note"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name = _("audit finding")
        verbose_name_plural = _("audit findings")

    def __str__(self) -> str:
        return f"{self.audit_id}: {self.kind}"

    @property
    def is_compliant(self) -> bool:
        return self.kind == FindingKind.COMPLIANT
