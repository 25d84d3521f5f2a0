"""Government agencies that have a say over goods, the rules that route goods to them, and their reviews.

An ``AgencyReview`` is one agency's part of one declaration: the goods items that concern it, why
(the rules that matched), and its decision. The review queue is this table, not a broker queue:
officers page, filter and claim from it. Statuses change only through ``agencies.services``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

PERM_OFFICER = "officer_of_agency"


def agency_queue(code: str) -> str:
    """The Celery queue that carries an agency's outgoing deliveries (``agency.<code>``)."""
    return f"agency.{code}"


class Agency(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    is_customs = models.BooleanField(
        _("customs administration"), default=False, help_text=_("Customs issues the single release decision.")
    )
    service_level_hours = models.PositiveIntegerField(_("service level (hours)"), default=24)
    is_active = models.BooleanField(_("active"), default=True)
    auto_decide = models.BooleanField(
        _("decide automatically"),
        default=False,
        help_text=_(
            "Every review of this agency is approved by the system as soon as it is routed "
            "(demonstrations and load tests; not for production)."
        ),
    )
    webhook_url = models.URLField(
        _("webhook endpoint"),
        blank=True,
        help_text=_(
            "The agency's own back-office system: new reviews are delivered there as signed JSON. "
            "An https:// URL whose host resolves to public addresses only."
        ),
    )
    # Write-only in the admin (agencies.forms.AgencyAdminForm): shown as set or not set, never read back.
    webhook_secret = models.CharField(
        _("webhook secret"),
        max_length=200,
        blank=True,
        help_text=_("Shared secret for the HMAC-SHA256 signature of each delivery."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        permissions = [(PERM_OFFICER, "Works the review queue of this agency")]
        constraints = [
            models.UniqueConstraint(
                fields=["is_customs"], condition=models.Q(is_customs=True), name="one_customs"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def queue_name(self) -> str:
        return agency_queue(self.code)


class AgencyUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Agency, on_delete=models.CASCADE)


class AgencyGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Agency, on_delete=models.CASCADE)


class RuleDirection(models.TextChoices):
    ANY = "any", _("Any")
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")
    TRANSIT = "transit", _("Transit")


hs_prefix_validator = RegexValidator(
    r"^([0-9]{2}|[0-9]{4}|[0-9]{6})$",
    _("An HS prefix is a chapter (2 digits), a heading (4) or a subheading (6)."),
)
country_validator = RegexValidator(r"^[A-Z]{2}$", _("A country is a two-letter ISO code, e.g. CN."))
procedure_validator = RegexValidator(r"^[0-9]{1,4}$", _("A procedure code prefix is 1 to 4 digits."))


class RoutingRule(models.Model):
    """Goods an agency has a say over. Every non-blank condition must hold for a goods item.

    A blank condition matches anything. ``required_documents`` lists DE 2/3 document codes
    (``N851``): they are listed for the officer, with those the goods item lacks. Declaring a code
    never approves a review by itself (a typed code is not a licence).
    """

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="rules", verbose_name=_("agency")
    )
    name = models.CharField(_("name"), max_length=200)
    hs_prefix = models.CharField(
        _("HS code prefix"),
        max_length=6,
        blank=True,
        validators=[hs_prefix_validator],
        help_text=_("Chapter (2 digits), heading (4) or subheading (6). Blank: any goods."),
    )
    direction = models.CharField(
        _("direction"), max_length=10, choices=RuleDirection.choices, default=RuleDirection.ANY
    )
    origin_country = models.CharField(
        _("country of origin"),
        max_length=2,
        blank=True,
        validators=[country_validator],
        help_text=_("The goods item's country of origin. Blank: any."),
    )
    destination_country = models.CharField(
        _("country of destination"),
        max_length=2,
        blank=True,
        validators=[country_validator],
        help_text=_("The declaration's country of destination. Blank: any."),
    )
    procedure_code = models.CharField(
        _("procedure code prefix"),
        max_length=4,
        blank=True,
        validators=[procedure_validator],
        help_text=_("Prefix of the goods item's procedure code (DE 1/10), e.g. 40. Blank: any."),
    )
    required_documents = models.JSONField(
        _("required documents"),
        default=list,
        blank=True,
        help_text=_('DE 2/3 document codes the agency requires, as a list, e.g. ["N851", "C085"].'),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["agency__name", "name", "pk"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        indexes = [models.Index(fields=["is_active", "agency"])]

    def __str__(self) -> str:
        return f"{self.agency.code}: {self.name}"

    def clean_fields(self, exclude: Any = None) -> None:
        # Normalise before the field validators run: "cn" is CN, " 06 " is 06.
        self.origin_country = (self.origin_country or "").strip().upper()
        self.destination_country = (self.destination_country or "").strip().upper()
        self.hs_prefix = (self.hs_prefix or "").strip()
        self.procedure_code = (self.procedure_code or "").strip()
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        docs = self.required_documents
        if docs is None or docs == "":
            docs = []  # a cleared field: no document required
        if not isinstance(docs, list) or not all(isinstance(c, str) and c.strip() for c in docs):
            raise ValidationError({"required_documents": _('Give a list of document codes, e.g. ["N851"].')})
        self.required_documents = sorted({c.strip().upper() for c in docs})


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    IN_REVIEW = "in_review", _("In review")
    INFO_REQUESTED = "info_requested", _("Information requested")
    INSPECTION_REQUIRED = "inspection_required", _("Inspection required")
    APPROVED = "approved", _("Approved")
    AUTO_APPROVED = "auto_approved", _("Approved automatically")
    REJECTED = "rejected", _("Rejected")


class DecisionOutcome(models.TextChoices):
    """What an officer (or an agency's system) may decide on a review."""

    APPROVED = "approved", _("Approve")
    REJECTED = "rejected", _("Reject")
    INFO_REQUESTED = "info_requested", _("Request information")
    INSPECTION_REQUIRED = "inspection_required", _("Require inspection")


# A review in one of these states has its agency's final word.
DECIDED_STATUSES = frozenset({ReviewStatus.APPROVED, ReviewStatus.AUTO_APPROVED, ReviewStatus.REJECTED})
OPEN_STATUSES = frozenset(
    {
        ReviewStatus.PENDING,
        ReviewStatus.IN_REVIEW,
        ReviewStatus.INFO_REQUESTED,
        ReviewStatus.INSPECTION_REQUIRED,
    }
)
APPROVED_STATUSES = frozenset({ReviewStatus.APPROVED, ReviewStatus.AUTO_APPROVED})
# A review in one of these states is decided by the officer who holds it.
HOLDER_DECIDES = frozenset({ReviewStatus.IN_REVIEW, ReviewStatus.INSPECTION_REQUIRED})


# ``AgencyReview.priority`` of the reviews of an AEO's declaration (0: everyone else).
AEO_PRIORITY = 1


class AgencyReview(models.Model):
    """One agency's part of one declaration: the items that concern it and its decision."""

    declaration = models.ForeignKey(
        "declarations.Declaration", on_delete=models.CASCADE, related_name="reviews"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="reviews")
    status = models.CharField(
        _("status"), max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    items = models.ManyToManyField("declarations.GoodsItem", related_name="reviews", blank=True)
    # Why the agency got it: [{"rule": id, "rule_name": str, "item": sequence}] ("default" for customs).
    reasons = models.JSONField(default=list, blank=True)
    missing_documents = models.JSONField(default=list, blank=True)  # required codes absent at routing
    # What the licences on file said of each routed item that declares one (``agencies.licences``):
    # [{"item", "code", "number", "licence", "covered", "reason", "message", ...}].
    licence_findings = models.JSONField(default=list, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    updated_at = models.DateTimeField(auto_now=True)
    # Set when a supervisor closed the declaration while this review was still open: the review
    # keeps its status (the agency never decided) but leaves the queues. The queues filter on
    # this column instead of joining the declaration for its status (clearance._decision_record).
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Queue priority, set when the review is opened (``review_priority``): the reviews of an
    # authorised economic operator's declaration (AEO valid on the acceptance date) come first in
    # every agency's queue, then by due time. Denormalised so the queue orders by an index of its
    # own table instead of joining the trader account.
    priority = models.PositiveSmallIntegerField(_("queue priority"), default=0)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("agency review")
        verbose_name_plural = _("agency reviews")
        constraints = [
            # Routing is idempotent: one review per declaration and agency, whatever runs twice.
            models.UniqueConstraint(fields=["declaration", "agency"], name="review_once_per_agency"),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in ReviewStatus]), name="review_status_known"
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "status", "due_at"], name="review_queue"),
            # The open tabs (pending, mine, overdue) and their counts: no withdrawn rows in it, so a
            # count reads the index alone (index-only scan) instead of checking each row.
            models.Index(
                fields=["agency", "status", "due_at"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="review_open_queue",
            ),
            # The open tabs' order: AEOs' reviews first, then the most urgent (``review_queue``).
            models.Index(
                fields=["agency", "status", "-priority", "due_at"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="review_open_priority",
            ),
            # The "all" tab and the review API's default: every review of the agency, AEOs first,
            # then in due order.
            models.Index(fields=["agency", "-priority", "due_at"], name="review_all_priority"),
            models.Index(fields=["agency", "claimed_by"], name="review_mine"),
            models.Index(fields=["agency", "-decided_at"], name="review_decided"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.declaration_id}: {self.status}"

    @property
    def is_aeo_priority(self) -> bool:
        """The declaration's trader was an authorised economic operator: first in the queue."""
        return self.priority >= AEO_PRIORITY

    @staticmethod
    def due_for(agency: Agency, created_at: datetime) -> datetime:
        return created_at + timedelta(hours=agency.service_level_hours)

    @property
    def items_count(self) -> int:
        """How many goods items are routed to the agency (uses the prefetched items when loaded)."""
        return len(self.items.all())

    # State predicates: every check of where a review stands goes through these (and the status sets
    # above, for queries). They read the row's own fields only: no query.

    @property
    def is_decided(self) -> bool:
        """The agency has given its final word (approved, automatically or not, or rejected)."""
        return self.status in DECIDED_STATUSES

    @property
    def is_open(self) -> bool:
        """Not yet decided: waiting, in review, waiting for the trader's answer or for an inspection."""
        return self.status in OPEN_STATUSES

    @property
    def is_approved(self) -> bool:
        return self.status in APPROVED_STATUSES

    @property
    def is_rejected(self) -> bool:
        return self.status == ReviewStatus.REJECTED

    @property
    def is_in_review(self) -> bool:
        """Claimed by an officer, who is looking at it."""
        return self.status == ReviewStatus.IN_REVIEW

    @property
    def awaits_answer(self) -> bool:
        """The agency asked the trader a question and waits for the answer."""
        return self.status == ReviewStatus.INFO_REQUESTED

    @property
    def requires_inspection(self) -> bool:
        return self.status == ReviewStatus.INSPECTION_REQUIRED

    @property
    def can_claim(self) -> bool:
        """Waiting in its agency's queue, taken by nobody, not withdrawn by a supervisor's decision."""
        unclaimed = self.claimed_by_id is None and self.withdrawn_at is None
        return self.status == ReviewStatus.PENDING and unclaimed

    def is_held_by(self, user: Any) -> bool:
        """The user has claimed it (whatever its status now)."""
        return self.claimed_by_id is not None and self.claimed_by_id == user.pk

    def can_release_claim(self, user: Any) -> bool:
        """The user holds it and has not decided anything yet: it may go back to the queue."""
        return self.is_in_review and self.is_held_by(user)

    def can_decide(self, user: Any) -> bool:
        """The user holds it, in review or after an inspection: the holder's decision is due.

        Whether the user is an officer of the agency and the declaration still under review are
        the caller's to check (``may_decide_for``, ``Declaration.is_under_review``).
        """
        return self.status in HOLDER_DECIDES and self.is_held_by(user)

    @property
    def is_overdue(self) -> bool:
        return not self.is_decided and self.due_at < timezone.now()

    @property
    def time_left(self) -> timedelta | None:
        """Until the service level runs out (negative when overdue); None once decided."""
        return None if self.is_decided else self.due_at - timezone.now()


class InformationRequest(models.Model):
    """An officer's question to the trader; the review waits until it is answered."""

    review = models.ForeignKey(AgencyReview, on_delete=models.CASCADE, related_name="info_requests")
    question = models.TextField(_("question"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "pk"]
        verbose_name = _("information request")
        verbose_name_plural = _("information requests")
        constraints = [
            # At most one open question per review: the officer asks again after the answer.
            models.UniqueConstraint(
                fields=["review"],
                condition=models.Q(answered_at__isnull=True),
                name="one_open_request_per_review",
            )
        ]

    def __str__(self) -> str:
        return f"request {self.pk} on review {self.review_id}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never trusts the uploaded one beyond its extension.
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:8]
    return f"info-requests/{instance.request_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A file the trader sent with an answer (PDF, PNG, JPEG, XML or plain text, size-capped)."""

    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class CircuitState(models.TextChoices):
    CLOSED = "closed", _("Closed: deliveries go out")
    OPEN = "open", _("Open: deliveries are parked")
    HALF_OPEN = "half_open", _("Half-open: one trial delivery")


class DeliveryCircuit(models.Model):
    """The circuit breaker of one agency's deliveries (``agencies.services.webhook_send``).

    ``failures`` consecutive failed attempts open it (``opened_at``): the agency's deliveries are
    then parked, pending and unattempted, until ``SW_WEBHOOK_CIRCUIT_COOLOFF_SECONDS`` have
    passed; then one trial delivery (``trial_until``: its lease) is let through. Success closes it
    and releases the parked deliveries; failure opens it again. No row: closed. Its own table, not
    columns on ``Agency``: counting a failure must not change the agency row, whose version the
    routing cache watches (``agencies.routing``).
    """

    agency = models.OneToOneField(
        Agency, primary_key=True, on_delete=models.CASCADE, related_name="circuit", verbose_name=_("agency")
    )
    failures = models.PositiveIntegerField(_("consecutive failed attempts"), default=0)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    trial_until = models.DateTimeField(_("trial delivery running until"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery circuit")
        verbose_name_plural = _("delivery circuits")

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.state}"

    @property
    def retry_at(self) -> datetime | None:
        """When the cool-off ends and a trial delivery may go (None while closed)."""
        if self.opened_at is None:
            return None
        return self.opened_at + timedelta(seconds=settings.SW_WEBHOOK_CIRCUIT_COOLOFF_SECONDS)

    @property
    def state(self) -> CircuitState:
        retry_at = self.retry_at
        if retry_at is None:
            return CircuitState.CLOSED
        return CircuitState.OPEN if timezone.now() < retry_at else CircuitState.HALF_OPEN


class WebhookDelivery(models.Model):
    """A review sent to an agency's own system; every attempt and the last error are kept."""

    EVENT_REVIEW_CREATED = "review.created"
    EVENT_REVIEW_ANSWERED = "review.answered"  # the trader answered the agency's question

    review = models.ForeignKey(AgencyReview, on_delete=models.CASCADE, related_name="deliveries")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=50, default=EVENT_REVIEW_CREATED)
    # The answered question, for ``review.answered`` (a review may ask several in turn).
    information_request = models.ForeignKey(
        "InformationRequest", on_delete=models.CASCADE, related_name="deliveries", null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    payload = models.JSONField(default=dict)
    attempts = models.PositiveIntegerField(default=0)
    # Why the last attempt failed; of an endpoint's answer only a short excerpt (singlewindow.egress).
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Set while an attempt is being sent: a second copy of the task leaves the row alone until then.
    sending_until = models.DateTimeField(null=True, blank=True, editable=False)
    # When the sweep last put it back on its queue (its task was lost): the sweep waits from here.
    requeued_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set while the agency's circuit is open: pending, not attempted, in no queue, until released.
    parked_at = models.DateTimeField(_("parked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            # Enqueuing is idempotent: one delivery per review and event (per question answered),
            # replays reuse the row.
            models.UniqueConstraint(
                fields=["review", "event"],
                condition=models.Q(information_request__isnull=True),
                name="delivery_once_per_event",
            ),
            models.UniqueConstraint(
                fields=["information_request", "event"],
                condition=models.Q(information_request__isnull=False),
                name="delivery_once_per_answer",
            ),
        ]
        indexes = [models.Index(fields=["agency", "status", "created_at"], name="delivery_by_status")]

    def __str__(self) -> str:
        return f"{self.event} → {self.agency_id} ({self.status})"


class Licence(models.Model):
    """A licence, permit or certificate (LPCO) an agency issued to a trader, with what is left of it.

    Shared data: every agency and customs read it (issuer, validity, balance history). Declared in
    DE 2/3 with ``document_code`` (category + type, ``9100``, ``L001``) and ``number`` as its ID.
    The balances change only in ``agencies.licences`` under this row's lock, and never go below
    zero (a check constraint holds that whatever the code does).
    """

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="licences")
    document_code = models.CharField(_("document code"), max_length=4)
    number = models.CharField(_("licence number"), max_length=70)
    holder = models.ForeignKey("accounts.TraderAccount", on_delete=models.PROTECT, related_name="licences")
    # Commodity code prefixes it covers (``2612``, ``350219``); empty: any goods.
    hs_prefixes = models.JSONField(_("commodity codes covered"), default=list, blank=True)
    quantity_allowance = models.DecimalField(
        _("quantity allowed"), max_digits=22, decimal_places=6, null=True, blank=True
    )
    quantity_unit = models.CharField(_("unit"), max_length=5, blank=True)
    quantity_balance = models.DecimalField(
        _("quantity left"), max_digits=22, decimal_places=6, null=True, blank=True
    )
    value_allowance = models.DecimalField(
        _("value allowed"), max_digits=19, decimal_places=3, null=True, blank=True
    )
    value_currency = models.CharField(_("currency"), max_length=3, blank=True)
    value_balance = models.DecimalField(
        _("value left"), max_digits=19, decimal_places=3, null=True, blank=True
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "document_code", "number"], name="licence_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity_balance__isnull=True) | models.Q(quantity_balance__gte=0),
                name="licence_quantity_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(value_balance__isnull=True) | models.Q(value_balance__gte=0),
                name="licence_value_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity_allowance__isnull=False)
                | models.Q(value_allowance__isnull=False),
                name="licence_has_an_allowance",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")), name="licence_validity_ordered"
            ),
        ]
        indexes = [models.Index(fields=["document_code", "number"], name="licence_declared_as")]

    def __str__(self) -> str:
        return self.number

    def state_on(self, day: Any) -> str:
        """``revoked``, ``not_yet_valid``, ``expired``, ``exhausted`` or ``valid`` on ``day``."""
        if self.revoked_at is not None:
            return LicenceState.REVOKED
        if day < self.valid_from:
            return LicenceState.NOT_YET_VALID
        if day > self.valid_until:
            return LicenceState.EXPIRED
        if self.is_exhausted:
            return LicenceState.EXHAUSTED
        return LicenceState.VALID

    @property
    def state(self) -> str:
        return self.state_on(timezone.localdate())

    @property
    def is_exhausted(self) -> bool:
        return (self.quantity_balance is not None and self.quantity_balance <= 0) or (
            self.value_balance is not None and self.value_balance <= 0
        )


class LicenceState(models.TextChoices):
    VALID = "valid", _("Valid")
    EXHAUSTED = "exhausted", _("Exhausted")
    EXPIRED = "expired", _("Expired")
    NOT_YET_VALID = "not_yet_valid", _("Not yet valid")
    REVOKED = "revoked", _("Revoked")


class UsageKind(models.TextChoices):
    ISSUE = "issue", _("Issued")
    DECREMENT = "decrement", _("Written off")
    RESTORE = "restore", _("Restored")
    # A restore undone: the refused declaration was released by a supervisor after all.
    REINSTATE = "reinstate", _("Written off again")
    REVOKE = "revoke", _("Revoked")


WRITE_OFF_KINDS = (UsageKind.DECREMENT, UsageKind.REINSTATE)


class LicenceUsage(models.Model):
    """One line of a licence's balance history; append-only (rows are never updated or deleted).

    A decrement is for one goods item (its number) of one version of a declaration; a restore
    gives one decrement back (``reverses``, at most once), and a reinstatement takes one restore
    back when a refused declaration is released after all (``reverses`` the restore; it can be
    restored in its turn). Quantities and values are the change (positive), the balances what was
    left after it.
    """

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="usages")
    kind = models.CharField(max_length=10, choices=UsageKind.choices)
    declaration = models.ForeignKey(
        "declarations.Declaration", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(null=True, blank=True)
    item = models.PositiveIntegerField(_("goods item"), null=True, blank=True)
    quantity = models.DecimalField(max_digits=22, decimal_places=6, null=True, blank=True)
    value = models.DecimalField(max_digits=19, decimal_places=3, null=True, blank=True)
    quantity_balance = models.DecimalField(max_digits=22, decimal_places=6, null=True, blank=True)
    value_balance = models.DecimalField(max_digits=19, decimal_places=3, null=True, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="restored_by"
    )
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            # The routing task may run twice: one decrement per licence, declaration version and item.
            models.UniqueConstraint(
                fields=["licence", "declaration", "version", "item"],
                condition=models.Q(kind="decrement"),
                name="licence_decrement_once",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["issue", "decrement", "restore", "reinstate", "revoke"]),
                name="licence_usage_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.licence_id} {self.kind}"

    @property
    def is_write_off(self) -> bool:
        """The balance went down for a declaration's goods (written off, or written off again)."""
        return self.kind in WRITE_OFF_KINDS

    @property
    def is_give_back(self) -> bool:
        return self.kind == UsageKind.RESTORE
