"""The declaration aggregate: header, parties, documents and goods items.

Fields mirror ``declarations.canonical.DeclarationData``; ``Declaration.to_data()`` gives the
canonical form back, which is what the XML writer and the API serializers use.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .canonical import (
    DeclarationData,
    DocumentData,
    DocumentKind,
    ItemData,
    PartyData,
    PartyRole,
    TaxLineData,
)


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACCEPTED = "accepted", _("Accepted")
    IN_REVIEW = "in_review", _("In review")
    INFO_REQUESTED = "info_requested", _("Information requested")
    RELEASED = "released", _("Released")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")
    INVALIDATED = "invalidated", _("Invalidated")


# Where the agencies still decide; after release or refusal their reviews are moot.
UNDER_REVIEW = frozenset({Status.IN_REVIEW, Status.INFO_REQUESTED})
# Decided for good by the agencies or customs (or withdrawn by the trader).
CLOSED = frozenset({Status.RELEASED, Status.REFUSED, Status.CANCELLED, Status.INVALIDATED})
# Where a customs supervisor's release decision may replace the agencies': releasing also reverses a
# refusal; refusing only stops a declaration still under review.
OVERRIDE_TO_RELEASE = UNDER_REVIEW | {Status.REFUSED}
OVERRIDE_TO_REFUSE = UNDER_REVIEW


class Channel(models.TextChoices):
    WEB_FORM = "web_form", _("Browser form")
    WEB_XML = "web_xml", _("XML upload")
    API_JSON = "api_json", _("API (JSON)")
    API_XML = "api_xml", _("API (XML)")
    BULK = "bulk", _("Bulk import")


class DirectionChoice(models.TextChoices):
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")


class Declaration(models.Model):
    mrn = models.CharField(_("MRN"), max_length=18, unique=True, null=True, blank=True)
    lrn = models.CharField(_("LRN"), max_length=22, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=DirectionChoice.choices, blank=True)

    # Who: the declarant's account, the account the goods belong to (importer or exporter), the user.
    declarant_account = models.ForeignKey(
        "accounts.TraderAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="declared"
    )
    trader_account = models.ForeignKey(
        "accounts.TraderAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="declarations"
    )
    lodged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True, db_index=True)
    content_hash = models.CharField(max_length=64, blank=True)
    # A draft keeps the form's raw input so it can be resumed exactly as left.
    draft_payload = models.JSONField(null=True, blank=True)

    type_code = models.CharField(_("declaration type"), max_length=2, blank=True)
    additional_type = models.CharField(_("additional declaration type"), max_length=1, blank=True)
    function_code = models.CharField(max_length=2, default="9")
    goods_item_quantity = models.PositiveIntegerField(null=True, blank=True)
    total_package_quantity = models.PositiveIntegerField(null=True, blank=True)
    invoice_amount = models.DecimalField(
        _("invoice amount"), max_digits=18, decimal_places=3, null=True, blank=True
    )
    invoice_currency = models.CharField(_("invoice currency"), max_length=3, blank=True)
    exchange_rate = models.DecimalField(max_digits=16, decimal_places=6, null=True, blank=True)
    freight_amount = models.DecimalField(
        _("transport costs"), max_digits=16, decimal_places=3, null=True, blank=True
    )
    freight_currency = models.CharField(_("currency of the transport costs"), max_length=3, blank=True)
    representation_code = models.CharField(max_length=1, blank=True)
    supervising_office = models.CharField(max_length=8, blank=True)
    presentation_office = models.CharField(max_length=8, blank=True)
    exit_office = models.CharField(_("office of exit"), max_length=8, blank=True)
    border_transport_mode = models.CharField(max_length=1, blank=True)
    border_transport_nationality = models.CharField(max_length=2, blank=True)
    inland_transport_mode = models.CharField(max_length=1, blank=True)
    arrival_transport_id = models.CharField(max_length=35, blank=True)
    arrival_transport_id_type = models.CharField(max_length=2, blank=True)
    departure_transport_id = models.CharField(max_length=35, blank=True)
    departure_transport_id_type = models.CharField(max_length=2, blank=True)
    container = models.BooleanField(null=True, blank=True)
    goods_location = models.CharField(max_length=35, blank=True)
    goods_location_type = models.CharField(max_length=1, blank=True)
    goods_location_qualifier = models.CharField(max_length=1, blank=True)
    goods_location_country = models.CharField(max_length=2, blank=True)
    destination_country = models.CharField(max_length=2, blank=True)
    export_country = models.CharField(max_length=2, blank=True)
    transaction_nature = models.CharField(max_length=2, blank=True)
    delivery_terms = models.CharField(max_length=3, blank=True)
    delivery_location = models.CharField(max_length=35, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A repeated LRN from the same declarant never creates a second declaration.
            models.UniqueConstraint(
                fields=["declarant_account", "lrn"],
                condition=~models.Q(status="draft"),
                name="declaration_unique_lrn_per_declarant",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(mrn__isnull=False),
                name="declaration_mrn_once_lodged",
            ),
        ]
        indexes = [
            models.Index(fields=["trader_account", "-created_at"]),
            models.Index(fields=["declarant_account", "-created_at"]),
            models.Index(fields=["lodged_by", "-created_at"]),
            models.Index(fields=["status", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.mrn or f"draft {self.lrn or self.pk}"

    @property
    def full_type(self) -> str:
        return f"{self.type_code}{self.additional_type}"

    # State predicates: every check of where a declaration stands goes through these (and the sets
    # above, for queries). They read ``status`` only: no query.

    @property
    def awaits_routing(self) -> bool:
        """Accepted, not yet routed to the agencies."""
        return self.status == Status.ACCEPTED

    @property
    def is_under_review(self) -> bool:
        """Routed and not yet decided: agencies decide, traders answer, a supervisor may override."""
        return self.status in UNDER_REVIEW

    @property
    def is_in_review(self) -> bool:
        """Under review with no agency question open to the trader (what consolidation waits for)."""
        return self.status == Status.IN_REVIEW

    @property
    def awaits_information(self) -> bool:
        """Under review, with at least one agency question to the trader unanswered."""
        return self.status == Status.INFO_REQUESTED

    @property
    def is_closed(self) -> bool:
        """Released, refused or cancelled: nothing is asked or decided on it any more."""
        return self.status in CLOSED

    @property
    def may_be_released_by_override(self) -> bool:
        return self.status in OVERRIDE_TO_RELEASE

    @property
    def may_be_refused_by_override(self) -> bool:
        return self.status in OVERRIDE_TO_REFUSE

    @property
    def may_be_overridden(self) -> bool:
        """A customs supervisor may still give a release decision in place of the agencies'."""
        return self.may_be_released_by_override or self.may_be_refused_by_override

    def to_data(self) -> DeclarationData:
        """The canonical form of this declaration (parties, documents, items prefetched or not)."""
        header_docs = [d for d in self.documents.all() if d.item_id is None]
        items = list(self.items.all())
        item_docs: dict[int, list[Document]] = {}
        for doc in self.documents.all():
            if doc.item_id is not None:
                item_docs.setdefault(doc.item_id, []).append(doc)
        return DeclarationData(
            type_code=self.type_code,
            additional_type=self.additional_type,
            function_code=self.function_code,
            lrn=self.lrn,
            goods_item_quantity=self.goods_item_quantity,
            total_package_quantity=self.total_package_quantity,
            invoice_amount=_norm(self.invoice_amount),
            invoice_currency=self.invoice_currency,
            exchange_rate=_norm(self.exchange_rate),
            freight_amount=_norm(self.freight_amount),
            freight_currency=self.freight_currency,
            representation_code=self.representation_code,
            parties=[p.to_data() for p in self.parties.all()],
            supervising_office=self.supervising_office,
            presentation_office=self.presentation_office,
            exit_office=self.exit_office,
            border_transport_mode=self.border_transport_mode,
            border_transport_nationality=self.border_transport_nationality,
            inland_transport_mode=self.inland_transport_mode,
            arrival_transport_id=self.arrival_transport_id,
            arrival_transport_id_type=self.arrival_transport_id_type,
            departure_transport_id=self.departure_transport_id,
            departure_transport_id_type=self.departure_transport_id_type,
            container=self.container,
            goods_location=self.goods_location,
            goods_location_type=self.goods_location_type,
            goods_location_qualifier=self.goods_location_qualifier,
            goods_location_country=self.goods_location_country,
            destination_country=self.destination_country,
            export_country=self.export_country,
            transaction_nature=self.transaction_nature,
            delivery_terms=self.delivery_terms,
            delivery_location=self.delivery_location,
            documents=[d.to_data() for d in sorted(header_docs, key=lambda d: d.position)],
            items=[
                i.to_data(sorted(item_docs.get(i.pk, []), key=lambda d: d.position))
                for i in sorted(items, key=lambda i: i.position)
            ],
        )


def _norm(value: Decimal | None) -> Decimal | None:
    """Drop the trailing zeros the database adds, so stored and declared values compare equal."""
    if value is None:
        return None
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


class Party(models.Model):
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=20, choices=[(r.value, r.value) for r in PartyRole])
    eori = models.CharField(_("EORI"), max_length=17, blank=True)
    name = models.CharField(_("name"), max_length=70, blank=True)
    street = models.CharField(_("street"), max_length=70, blank=True)
    city = models.CharField(_("city"), max_length=35, blank=True)
    postcode = models.CharField(_("postcode"), max_length=9, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["declaration", "role"], name="party_role_once")]

    def __str__(self) -> str:
        return f"{self.role}: {self.eori or self.name}"

    def to_data(self) -> PartyData:
        return PartyData(
            role=PartyRole(self.role),
            eori=self.eori,
            name=self.name,
            street=self.street,
            city=self.city,
            postcode=self.postcode,
            country=self.country,
        )


class GoodsItem(models.Model):
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()  # order as declared
    sequence = models.PositiveIntegerField(_("item number"))
    description = models.CharField(_("description"), max_length=512)
    commodity_code = models.CharField(_("commodity code"), max_length=10)
    hs_subheading = models.CharField(_("HS subheading"), max_length=6, db_index=True)
    taric_codes = models.JSONField(default=list, blank=True)
    origin_country = models.CharField(_("country of origin"), max_length=2, blank=True)
    origin_type = models.CharField(max_length=1, blank=True)
    procedure_code = models.CharField(_("procedure code"), max_length=4, blank=True)
    additional_procedure_codes = models.JSONField(default=list, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=16, decimal_places=3, null=True, blank=True)
    quantity_unit = models.CharField(_("unit"), max_length=10, blank=True)
    net_mass = models.DecimalField(_("net mass (kg)"), max_digits=16, decimal_places=3, null=True, blank=True)
    gross_mass = models.DecimalField(
        _("gross mass (kg)"), max_digits=16, decimal_places=3, null=True, blank=True
    )
    value_amount = models.DecimalField(_("value"), max_digits=18, decimal_places=3, null=True, blank=True)
    value_currency = models.CharField(_("currency"), max_length=3, blank=True)
    statistical_value = models.DecimalField(max_digits=18, decimal_places=3, null=True, blank=True)
    statistical_currency = models.CharField(max_length=3, blank=True)
    valuation_method = models.CharField(max_length=1, blank=True)
    valuation_indicator = models.CharField(_("valuation indicator"), max_length=4, blank=True)
    preference = models.CharField(_("preference"), max_length=3, blank=True)
    package_count = models.PositiveIntegerField(null=True, blank=True)
    package_type = models.CharField(max_length=2, blank=True)
    package_marks = models.CharField(max_length=512, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["declaration", "sequence"], name="item_sequence_unique"),
            models.CheckConstraint(
                condition=models.Q(sequence__gte=1, sequence__lte=999), name="item_sequence_1_999"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sequence}: {self.commodity_code}"

    def to_data(self, documents: list[Document]) -> ItemData:
        return ItemData(
            sequence=self.sequence,
            description=self.description,
            commodity_code=self.commodity_code,
            taric_codes=list(self.taric_codes),
            origin_country=self.origin_country,
            origin_type=self.origin_type,
            procedure_code=self.procedure_code,
            additional_procedure_codes=list(self.additional_procedure_codes),
            quantity=_norm(self.quantity),
            quantity_unit=self.quantity_unit,
            net_mass=_norm(self.net_mass),
            gross_mass=_norm(self.gross_mass),
            value_amount=_norm(self.value_amount),
            value_currency=self.value_currency,
            statistical_value=_norm(self.statistical_value),
            statistical_currency=self.statistical_currency,
            valuation_method=self.valuation_method,
            valuation_indicator=self.valuation_indicator,
            preference=self.preference,
            package_count=self.package_count,
            package_type=self.package_type,
            package_marks=self.package_marks,
            documents=[d.to_data() for d in documents],
            # Prefetched with the items where items are read (``selectors.declaration_with_details``).
            tax_lines=[t.to_data() for t in sorted(self.tax_lines.all(), key=lambda t: t.sequence)],
        )


class ItemTaxLine(models.Model):
    """One duty, tax or fee a goods item declares (WCO DutyTaxFee, 50A): the trader's own figures."""

    item = models.ForeignKey(GoodsItem, on_delete=models.CASCADE, related_name="tax_lines")
    sequence = models.PositiveIntegerField(_("tax line"))  # 1..n within the item, in the order declared
    tax_type = models.CharField(_("tax type"), max_length=3, blank=True)
    base_quantity = models.DecimalField(
        _("tax base quantity"), max_digits=16, decimal_places=6, null=True, blank=True
    )
    base_unit = models.CharField(_("unit of the tax base"), max_length=5, blank=True)
    base_amount = models.DecimalField(
        _("tax base amount"), max_digits=16, decimal_places=3, null=True, blank=True
    )
    base_currency = models.CharField(_("currency of the tax base"), max_length=3, blank=True)
    rate = models.DecimalField(_("tax rate"), max_digits=17, decimal_places=6, null=True, blank=True)
    assessed_amount = models.DecimalField(
        _("total taxes"), max_digits=16, decimal_places=3, null=True, blank=True
    )
    payable_amount = models.DecimalField(
        _("payable tax amount"), max_digits=16, decimal_places=3, null=True, blank=True
    )
    method_of_payment = models.CharField(_("method of payment"), max_length=1, blank=True)
    quota_order = models.CharField(_("quota order number"), max_length=6, blank=True)

    class Meta:
        ordering = ["item", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["item", "sequence"], name="item_tax_line_sequence_unique"),
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="item_tax_line_sequence_from_1"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.sequence}: {self.tax_type}"

    def to_data(self) -> TaxLineData:
        return TaxLineData(
            tax_type=self.tax_type,
            base_quantity=_norm(self.base_quantity),
            base_unit=self.base_unit,
            base_amount=_norm(self.base_amount),
            base_currency=self.base_currency,
            rate=_norm(self.rate),
            assessed_amount=_norm(self.assessed_amount),
            payable_amount=_norm(self.payable_amount),
            method_of_payment=self.method_of_payment,
            quota_order=self.quota_order,
        )


class Document(models.Model):
    """A supporting or previous document, at header level (``item`` empty) or on one goods item."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="documents")
    item = models.ForeignKey(
        GoodsItem, null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=[(k.value, k.value) for k in DocumentKind])
    code = models.CharField(_("document type"), max_length=4)
    reference = models.CharField(_("reference"), max_length=70, blank=True)
    status = models.CharField(_("status"), max_length=2, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    # DE 2/3 writing-off: what the goods item takes off the licence or permit the document names.
    write_off_quantity = models.DecimalField(
        _("quantity written off"), max_digits=22, decimal_places=6, null=True, blank=True
    )
    write_off_unit = models.CharField(_("unit written off"), max_length=5, blank=True)
    write_off_amount = models.DecimalField(
        _("amount written off"), max_digits=19, decimal_places=3, null=True, blank=True
    )
    write_off_currency = models.CharField(_("currency written off"), max_length=3, blank=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.code} {self.reference}"

    def to_data(self) -> DocumentData:
        return DocumentData(
            kind=DocumentKind(self.kind),
            code=self.code,
            reference=self.reference,
            status=self.status,
            line=self.line,
            write_off_quantity=self.write_off_quantity,
            write_off_unit=self.write_off_unit,
            write_off_amount=self.write_off_amount,
            write_off_currency=self.write_off_currency,
        )


class SourceMessage(models.Model):
    """The message as received (XML or JSON), kept with the declaration it produced."""

    declaration = models.OneToOneField(Declaration, on_delete=models.CASCADE, related_name="source")
    content_type = models.CharField(max_length=60)
    body = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"source of {self.declaration_id}"


class VersionKind(models.TextChoices):
    ORIGINAL = "original", _("Original")
    AMENDMENT = "amendment", _("Amendment")
    POST_RELEASE_AMENDMENT = "post_release_amendment", _("Amendment after release")
    RESUBMISSION = "resubmission", _("Resubmission after refusal")


class DeclarationVersion(models.Model):
    """One version of a declaration's content, as it stood; written once, never changed.

    ``data`` is the canonical form (``DeclarationData.to_dict()``). Version 1 is what was lodged
    (its message is the declaration's ``SourceMessage``); every amendment or resubmission adds the
    next number with the message it came in. ``Declaration.version`` names the version in force: an
    amendment after release waits for customs (``PostReleaseRequest``) and is in force only once
    granted. On PostgreSQL a trigger refuses UPDATE and DELETE on the table (migration 0005).
    """

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=30, choices=VersionKind.choices)
    data = models.JSONField()
    content_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    reason = models.TextField(_("reason"), blank=True)
    reason_code = models.CharField(_("change reason code"), max_length=3, blank=True)
    message_reference = models.CharField(_("message reference"), max_length=35, blank=True)
    source_content_type = models.CharField(max_length=60, blank=True)
    source_body = models.TextField(blank=True)

    class Meta:
        ordering = ["declaration", "number"]
        verbose_name = _("declaration version")
        verbose_name_plural = _("declaration versions")
        constraints = [
            models.UniqueConstraint(fields=["declaration", "number"], name="declaration_version_once"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="declaration_version_from_1"),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id} v{self.number}"

    def to_data(self) -> DeclarationData:
        from .versions import data_from_dict

        return data_from_dict(self.data)


class RequestKind(models.TextChoices):
    AMENDMENT = "amendment", _("Amendment after release")
    INVALIDATION = "invalidation", _("Invalidation after release")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for customs")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class PostReleaseRequest(models.Model):
    """A trader's request about a released declaration, which customs grants or refuses.

    An amendment after release names the version it would put in force; an invalidation the
    reason. One request is open per declaration at a time (a partial unique constraint).
    """

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="requests")
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    version = models.ForeignKey(
        DeclarationVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("request after release")
        verbose_name_plural = _("requests after release")
        constraints = [
            models.UniqueConstraint(
                fields=["declaration"],
                condition=models.Q(status="pending"),
                name="post_release_request_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.declaration_id}: {self.status}"


class ReferenceCodeList(models.TextChoices):
    """The code lists the rules check, one per lookup family of ``declarations.refdata``."""

    HS = "hs", _("HS 2022 nomenclature")
    COUNTRY = "country", _("Country")
    CURRENCY = "currency", _("Currency")
    CUSTOMS_OFFICE = "customs_office", _("Customs office")
    EXIT_OFFICE = "exit_office", _("Office of exit")
    PACKAGE_TYPE = "package_type", _("Package type")
    PROCEDURE = "procedure", _("Procedure code")
    ADDITIONAL_PROCEDURE = "additional_procedure", _("Additional procedure code")
    DOCUMENT = "document", _("Document code")
    HEADER_DOCUMENT = "header_document", _("Document code covering every goods item at header level")
    GOODS_LOCATION = "goods_location", _("Location of goods")
    TAX_TYPE = "tax_type", _("Tax type")
    PAYMENT_METHOD = "payment_method", _("Method of payment")


# What a code looks like in each list, as the shipped files write it: HS chapters, headings and
# subheadings; ISO/HMRC country and currency codes; HMRC office codes (GBLBA001, GB000093,
# GBREX001); UN/ECE package types (BX, 1A, 43); a two-digit procedure (either half of DE 1/10)
# or a combined four-digit one; three-character additional procedure codes (000, 1CS, C07); and
# four-character document codes (N935, C506, 1DAN); a location of goods by its identification.
REFERENCE_CODE_PATTERNS: dict[str, str] = {
    ReferenceCodeList.HS: r"[0-9]{2}(?:[0-9]{2}){0,2}",
    ReferenceCodeList.COUNTRY: r"[A-Z]{2}",
    ReferenceCodeList.CURRENCY: r"[A-Z]{3}",
    ReferenceCodeList.CUSTOMS_OFFICE: r"[A-Z]{2}[A-Z0-9]{6}",
    ReferenceCodeList.EXIT_OFFICE: r"[A-Z]{2}[A-Z0-9]{6}",
    ReferenceCodeList.PACKAGE_TYPE: r"[A-Z0-9]{2}",
    ReferenceCodeList.PROCEDURE: r"[0-9]{2}(?:[0-9]{2})?",
    ReferenceCodeList.ADDITIONAL_PROCEDURE: r"[0-9A-Z]{3}",
    ReferenceCodeList.DOCUMENT: r"[0-9A-Z]{4}",
    ReferenceCodeList.HEADER_DOCUMENT: r"[0-9A-Z]{4}",
    # The identification after country, type and qualifier (``BELBFSBEL``); at most the code column.
    ReferenceCodeList.GOODS_LOCATION: r"[0-9A-Z]{3,10}",
    # DE 4/3: three letters or digits (A00, B00, an excise code 411); DE 4/8: one letter.
    ReferenceCodeList.TAX_TYPE: r"[0-9A-Z]{3}",
    ReferenceCodeList.PAYMENT_METHOD: r"[A-Z]",
}


class ReferenceCode(models.Model):
    """An administrator's change to the reference data shipped in ``declarations/refdata``.

    The shipped files stay the facts; a row here is layered on top by the loader: an active row
    adds a code or renames one (its description wins), an inactive row withdraws a code the files
    carry (an office that closed). Deleting the row restores what the files say.
    """

    code_list = models.CharField(_("code list"), max_length=20, choices=ReferenceCodeList.choices)
    code = models.CharField(_("code"), max_length=10)
    description = models.CharField(
        _("description"),
        max_length=512,
        blank=True,
        help_text=_("The name messages give the code. Required for an active code."),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "Active: the code is accepted, with this description. Inactive: the code is withdrawn and "
            "declarations using it are refused, even if the shipped data lists it."
        ),
    )
    note = models.TextField(
        _("note"), blank=True, help_text=_("Why the change was made, for the audit trail.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # PROTECT, like AuditEvent.actor: who changed a code the rules apply is part of the audit trail.
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("reference code")
        verbose_name_plural = _("reference codes")
        ordering = ["code_list", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code_list", "code"], name="reference_code_once_per_list"),
            models.CheckConstraint(
                condition=models.Q(code_list__in=ReferenceCodeList.values), name="reference_code_list_known"
            ),
            # An added or renamed code is named in messages; only a withdrawal may leave it blank.
            models.CheckConstraint(
                condition=models.Q(is_active=False) | ~models.Q(description=""),
                name="reference_code_active_described",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code_list} {self.code}"

    def clean(self) -> None:
        import re

        from django.core.exceptions import ValidationError

        self.code = self.code.strip().upper()
        self.description = self.description.strip()
        errors: dict[str, object] = {}
        pattern = REFERENCE_CODE_PATTERNS.get(self.code_list)
        if pattern is not None and not re.fullmatch(pattern, self.code):
            errors["code"] = _("%(code)s is not a valid code for the list “%(list)s”.") % {
                "code": self.code,
                "list": self.get_code_list_display(),
            }
        if self.is_active and not self.description:
            errors["description"] = _(
                "Describe an active code: messages name it by this description. To withdraw a code, "
                "untick “active” instead."
            )
        if errors:
            raise ValidationError(errors)


def _reference_code_changed(**kwargs: object) -> None:
    # Another process notices a change within SW_REFDATA_REFRESH_SECONDS (the loader's freshness
    # check); this process must see it at once, so the administrator's next lodgement test agrees
    # with what they just saved. Imported here: refdata reads this model lazily, not at import.
    from . import refdata

    refdata.overrides_reset()


models.signals.post_save.connect(
    _reference_code_changed, sender=ReferenceCode, dispatch_uid="declarations.reference_code.saved"
)
models.signals.post_delete.connect(
    _reference_code_changed, sender=ReferenceCode, dispatch_uid="declarations.reference_code.deleted"
)


class ResponseKind(models.TextChoices):
    """What a WCO DMS response says; each kind has its DMS function code (``RESPONSE_FUNCTION_CODES``)."""

    ACCEPTED = "accepted", _("Accepted (DMSACC)")
    REJECTED = "rejected", _("Rejected (DMSREJ)")
    CONTROL = "control", _("Goods to be inspected (DMSCTL)")
    DOCUMENTS_REQUIRED = "documents_required", _("Additional documents required (DMSDOC)")
    RELEASED = "released", _("Goods released (DMSROG)")
    CLEARED = "cleared", _("Cleared (DMSCLE)")
    REFUSED = "refused", _("Release refused (DMSREJ)")
    CANCELLED = "cancelled", _("Cancelled or invalidated (DMSINV)")
    REQUEST_GRANTED = "request_granted", _("Request granted (DMSREQ)")
    REQUEST_DENIED = "request_denied", _("Request denied (DMSREQ)")


# The DMS function code (Response/FunctionCode) of each kind, as the national system uses them.
RESPONSE_FUNCTION_CODES = {
    ResponseKind.ACCEPTED: "01",
    ResponseKind.REJECTED: "03",
    ResponseKind.CONTROL: "05",
    ResponseKind.DOCUMENTS_REQUIRED: "06",
    ResponseKind.RELEASED: "08",
    ResponseKind.CLEARED: "09",
    ResponseKind.REFUSED: "03",
    ResponseKind.CANCELLED: "10",
    ResponseKind.REQUEST_GRANTED: "11",
    ResponseKind.REQUEST_DENIED: "11",
}


class DeclarationResponse(models.Model):
    """One WCO DMS response message to the trader, as sent (``body``), written with its cause.

    A rejected lodgement stores no declaration: its response has no ``declaration`` and is kept
    against the declarant's account (when the sender may act for it) and the LRN, and the user
    who sent it. ``pk`` orders responses for the pull API's cursor.
    """

    declaration = models.ForeignKey(
        Declaration, null=True, blank=True, on_delete=models.CASCADE, related_name="responses"
    )
    declarant_account = models.ForeignKey(
        "accounts.TraderAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ResponseKind.choices)
    function_code = models.CharField(_("function code"), max_length=2)
    # The response's own FunctionalReferenceID (32 hex digits), unique.
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    lrn = models.CharField(_("LRN"), max_length=35, blank=True)
    mrn = models.CharField(_("MRN"), max_length=18, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"))
    body = models.TextField()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("DMS response")
        verbose_name_plural = _("DMS responses")
        indexes = [
            models.Index(fields=["declaration", "id"], name="response_declaration"),
            models.Index(fields=["declarant_account", "id"], name="response_declarant"),
            models.Index(fields=["lodged_by", "id"], name="response_lodged_by"),
        ]

    def __str__(self) -> str:
        return f"{self.function_code} {self.mrn or self.lrn} ({self.reference})"


class ResponseDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class ResponseDelivery(models.Model):
    """A response pushed to a trader account's own endpoint: one row per response and account.

    Written with the response (same transaction) and sent after commit through the outbox; the
    attempts follow ``singlewindow.delivery`` (lease, retries, at least once, de-duplicated by the
    delivery id).
    """

    response = models.ForeignKey(DeclarationResponse, on_delete=models.CASCADE, related_name="deliveries")
    account = models.ForeignKey("accounts.TraderAccount", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=ResponseDeliveryStatus.choices, default=ResponseDeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("DMS response delivery")
        verbose_name_plural = _("DMS response deliveries")
        constraints = [
            models.UniqueConstraint(fields=["response", "account"], name="response_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="response_delivery_pending",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"response {self.response_id} to account {self.account_id}"
