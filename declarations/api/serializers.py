"""JSON shapes of the declaration API.

Input is the canonical declaration (``DeclarationData``) as JSON; field errors come back with
dotted, 1-based paths (``items.2.net_mass``) like the portal's own rule errors.

The input serializers parse; they do not repeat the portal's rules. Whether a number fits the
column it is stored in, or may be negative, is decided by ``declarations.rules`` for every channel,
so a JSON sender gets the same error (``value_too_large``, with the WCO pointer) as an XML sender.
"""

from __future__ import annotations

import dataclasses
import decimal
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from singlewindow.audit import action_label
from singlewindow.serializers import ErrorResponseSerializer, IssueSerializer  # noqa: F401  (imported from here)

from .. import catalogue, selectors
from ..canonical import (
    DeclarationData,
    DocumentData,
    DocumentKind,
    ItemData,
    PartyData,
    PartyRole,
    TaxLineData,
)
from ..models import Declaration
from ..panels import detail_section

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Numbers longer than this are refused while parsing (DRF's ``max_digits``): no column comes near
# it, and it stops an absurd value (``1e999999999`` is 11 characters) before anything formats it.
# Everything shorter reaches the rules, which state the real limits.
PARSE_MAX_DIGITS = 32


class ColumnDecimalField(serializers.DecimalField):
    """A decimal for a ``DecimalField`` column, given with the column's decimal places when it fits.

    ``1.5`` for a three-place column becomes ``1.500``, as the database keeps it (and as the JSON
    channel always gave it, so content hashes of earlier lodgements still match). A value with
    more places than the column is kept as sent, for the rules to refuse (``too_many_decimals``)
    rather than silently rounded.
    """

    def __init__(self, column_places: int, **kwargs: Any) -> None:
        self.column_places = column_places
        super().__init__(max_digits=PARSE_MAX_DIGITS, decimal_places=None, **kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        value: Decimal = super().to_internal_value(data)
        # Enough precision for any parsed value at the column's places: quantize cannot overflow.
        context = decimal.Context(prec=PARSE_MAX_DIGITS + self.column_places)
        padded = value.quantize(Decimal(1).scaleb(-self.column_places), context=context)
        return padded if padded == value else value


def catalogue_field(row: catalogue.Element) -> serializers.Field:
    """The input field for one catalogue element: its type, its label, its limit, its default."""
    kind = catalogue.value_type(row)
    default = next(f for f in dataclasses.fields(row.record) if f.name == row.attr).default
    common: dict[str, Any] = {"label": capfirst(row.label), "help_text": f"DE {row.de}" if row.de else ""}
    if not row.required:
        common.update(required=False)
    length = catalogue.json_length(row)
    # DRF formats the message with the limit; the label is the element's, as the rules name it.
    too_long: dict[str, StrOrPromise] = {
        "max_length": _("The {label} has more than {max_length} characters; shorten it.").replace(
            "{label}", str(row.label)
        )
    }
    if kind is str:
        assert length is not None, row.key
        if not row.required:
            common.update(default=default, allow_blank=default == "")
        return serializers.CharField(max_length=length, error_messages=too_long, **common)
    if kind == list[str]:
        assert length is not None, row.key
        child = serializers.CharField(max_length=length, error_messages=too_long)
        return serializers.ListField(child=child, default=list, **common)
    if not row.required:
        common.update(allow_null=True, default=None)
    if kind == Decimal | None:
        column = catalogue.column(row)
        assert isinstance(column, models.DecimalField), row.key
        return ColumnDecimalField(column.decimal_places, **common)
    if kind == int | None:
        if row.minimum is not None:
            common.update(min_value=row.minimum)
        return serializers.IntegerField(**common)
    if kind == bool | None:
        return serializers.BooleanField(**common)
    raise TypeError(f"{row.key}: no JSON field for {kind}")


class CatalogueSerializer(serializers.Serializer):
    """A canonical record as JSON: a field for each of its catalogue elements, then the declared ones.

    The fields come from the field catalogue (``declarations.catalogue``), so the JSON input takes
    every element with the label and the limit the form, the XML and the rules use.
    """

    record: ClassVar[catalogue.Record]

    def get_fields(self) -> dict[str, serializers.Field]:
        declared = super().get_fields()
        fields = {row.attr: catalogue_field(row) for row in catalogue.elements_of(self.record)}
        order = [f.name for f in dataclasses.fields(self.record)]
        merged = {**fields, **declared}
        return {name: merged[name] for name in sorted(merged, key=order.index)}


class PartySerializer(CatalogueSerializer):
    record = PartyData
    role = serializers.ChoiceField(choices=[r.value for r in PartyRole])


class DocumentSerializer(CatalogueSerializer):
    record = DocumentData
    kind = serializers.ChoiceField(
        choices=[k.value for k in DocumentKind], default=DocumentKind.ADDITIONAL.value
    )


class TaxLineSerializer(CatalogueSerializer):
    """One duty, tax or fee of a goods item (DE 4/3-4/8), as the trader calculated it."""

    record = TaxLineData


class ItemSerializer(CatalogueSerializer):
    record = ItemData
    documents = DocumentSerializer(many=True, required=False, default=list)
    tax_lines = TaxLineSerializer(many=True, required=False, default=list)


class DeclarationInputSerializer(CatalogueSerializer):
    """A goods declaration as JSON: the canonical model, field for field."""

    record = DeclarationData
    parties = PartySerializer(many=True)
    documents = DocumentSerializer(many=True, required=False, default=list)
    items = ItemSerializer(many=True)

    def validate_parties(self, parties: list[dict[str, Any]]) -> list[dict[str, Any]]:
        roles = [p["role"] for p in parties]
        duplicated = sorted({r for r in roles if roles.count(r) > 1})
        if duplicated:
            raise serializers.ValidationError(
                _("Each party role may appear once; repeated: %(roles)s.") % {"roles": ", ".join(duplicated)}
            )
        return parties

    def to_declaration_data(self) -> DeclarationData:
        values = dict(self.validated_data)
        parties = [PartyData(**{**p, "role": PartyRole(p["role"])}) for p in values.pop("parties")]
        documents = [_document(d) for d in values.pop("documents")]
        items = [
            ItemData(
                **{
                    **i,
                    "documents": [_document(d) for d in i["documents"]],
                    "tax_lines": [TaxLineData(**t) for t in i["tax_lines"]],
                }
            )
            for i in values.pop("items")
        ]
        return DeclarationData(**values, parties=parties, documents=documents, items=items)


def _document(values: dict[str, Any]) -> DocumentData:
    return DocumentData(**{**values, "kind": DocumentKind(values["kind"])})


class DeclarationSummarySerializer(serializers.ModelSerializer):
    """One row of the declarations list."""

    type = serializers.CharField(source="full_type")
    declarant = serializers.CharField(source="declarant_account.eori", default=None, allow_null=True)
    trader = serializers.CharField(source="trader_account.eori", default=None, allow_null=True)
    items_count = serializers.IntegerField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-declaration-detail", lookup_field="mrn")

    class Meta:
        model = Declaration
        fields = [
            "mrn",
            "lrn",
            "status",
            "type",
            "direction",
            "channel",
            "declarant",
            "trader",
            "accepted_at",
            "items_count",
            "url",
        ]


class TimelineEntrySerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the field, not Field.label
    at = serializers.DateTimeField()
    actor = serializers.CharField(
        allow_null=True,
        help_text="Who acted (null: the system). Traders and brokers see the agency, not an officer.",
    )
    data = serializers.DictField()  # type: ignore[assignment]  # the field, not Serializer.data


class AgencyReviewStatusSerializer(serializers.Serializer):
    """One agency's part: its status, when it is due and when it decided."""

    agency = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    due_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(source="decision_reason")


class ReleaseAgencyReasonSerializer(serializers.Serializer):
    agency = serializers.CharField()
    agency_name = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    decided_at = serializers.CharField(allow_null=True)


class ReleaseDecisionSummarySerializer(serializers.Serializer):
    """The one release decision, with each agency's part and any supervisor override."""

    outcome = serializers.CharField()
    automatic = serializers.BooleanField()
    decided_at = serializers.DateTimeField()
    reasons = ReleaseAgencyReasonSerializer(many=True)
    override = serializers.BooleanField()
    override_reason = serializers.CharField(allow_blank=True)


class AssessmentLineSerializer(serializers.Serializer):
    item = serializers.IntegerField(
        allow_null=True, help_text="Goods item sequence; null for a fee per declaration."
    )
    tax_type = serializers.CharField(help_text="DE 4/3 tax type (A00 customs duty, B00 VAT …) or FEE.")
    agency = serializers.CharField(allow_blank=True, help_text="The agency whose fee this is.")
    base_amount = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    base_quantity = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True)
    base_unit = serializers.CharField(allow_blank=True)
    rate = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    rate_kind = serializers.CharField(help_text="ad_valorem (percent), specific (per unit) or fixed.")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    explanation = serializers.CharField()
    declared_amount = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)


class AssessmentTotalSerializer(serializers.Serializer):
    tax_type = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)


class AssessmentDifferenceSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    tax_type = serializers.CharField()
    declared = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    assessed = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)


class AssessmentSummarySerializer(serializers.Serializer):
    """The portal's assessment of the declaration's version in force (filled by payments)."""

    version = serializers.IntegerField()
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=18, decimal_places=2)
    assessed_at = serializers.DateTimeField()
    totals = AssessmentTotalSerializer(many=True)
    lines = AssessmentLineSerializer(many=True)
    differences = AssessmentDifferenceSerializer(
        many=True, help_text="Where the declared tax lines (DE 4/3–4/6) differ from the assessment."
    )


class PaymentSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    method = serializers.CharField()
    status = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)


class PaymentStatusSerializer(serializers.Serializer):
    """Whether the declaration's money lets the goods go (filled by payments)."""

    state = serializers.ChoiceField(choices=["nothing_due", "due", "paid", "secured"])
    state_label = serializers.CharField()
    charged = serializers.DecimalField(max_digits=18, decimal_places=2)
    outstanding = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField()
    secured_by = serializers.CharField(
        allow_null=True, help_text="The guarantee or deferment account holding it."
    )
    open_condition = serializers.CharField(allow_blank=True)
    payments = PaymentSummarySerializer(many=True)


class RiskReasonSerializer(serializers.Serializer):
    rule = serializers.IntegerField(
        allow_null=True, help_text="The risk rule; null: random selection, a note."
    )
    name = serializers.CharField()
    reason = serializers.CharField()
    points = serializers.IntegerField()
    item = serializers.IntegerField(allow_null=True, help_text="The goods item that triggered the rule.")
    confidential = serializers.BooleanField()
    detail = serializers.CharField(required=False, help_text="Customs only: what matched (a value, a party).")


class RiskSummarySerializer(serializers.Serializer):
    """Customs' risk assessment (filled by clearance). Customs sees the score and every reason; an
    agency officer, a trader or a broker sees the lane and the reasons of rules that are not
    confidential, never the score."""

    version = serializers.IntegerField()
    lane = serializers.ChoiceField(choices=["green", "yellow", "red"])
    lane_label = serializers.CharField()
    score = serializers.IntegerField(allow_null=True, help_text="Null unless you are customs.")
    random_selected = serializers.BooleanField(
        allow_null=True, help_text="Selected at random for control; null unless you are customs."
    )
    assessed_at = serializers.DateTimeField()
    reasons = RiskReasonSerializer(many=True)


class DeclarationDetailSerializer(DeclarationSummarySerializer):
    """The declaration with its content, agencies' reviews, release decision, timeline, warnings.

    Reviews and the release decision are read through the reverse relations ``reviews`` and
    ``release_decision`` (string lookups: declarations does not import agencies or clearance),
    prefetched by ``selectors.declaration_with_details``. An officer sees only its agency's items
    and review, and the timeline of its own review.
    """

    version = serializers.IntegerField()
    lodged_by = serializers.CharField(source="lodged_by.username")
    declaration = serializers.SerializerMethodField()
    reviews = serializers.SerializerMethodField()
    release_decision = serializers.SerializerMethodField()
    assessment = serializers.SerializerMethodField()
    payment = serializers.SerializerMethodField()
    risk = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    xml_url = serializers.HyperlinkedIdentityField(view_name="api-declaration-xml", lookup_field="mrn")

    class Meta(DeclarationSummarySerializer.Meta):
        fields = [
            *DeclarationSummarySerializer.Meta.fields,
            "version",
            "lodged_by",
            "declaration",
            "reviews",
            "release_decision",
            "assessment",
            "payment",
            "risk",
            "timeline",
            "xml_url",
        ]

    @extend_schema_field(AgencyReviewStatusSerializer(many=True))
    def get_reviews(self, obj: Declaration) -> list[dict[str, Any]]:
        related = getattr(obj, "reviews", None)
        if related is None:
            return []
        return AgencyReviewStatusSerializer(related.all(), many=True).data  # type: ignore[return-value]

    @extend_schema_field(ReleaseDecisionSummarySerializer(allow_null=True))
    def get_release_decision(self, obj: Declaration) -> dict[str, Any] | None:
        decision = getattr(obj, "release_decision", None)  # the reverse one-to-one raises if absent
        if decision is None:
            return None
        data = dict(ReleaseDecisionSummarySerializer(decision).data)
        visible = self._visible_agencies(obj)
        if visible is not None:
            data["reasons"] = [r for r in data["reasons"] if r["agency"] in visible]
        return data

    @extend_schema_field(AssessmentSummarySerializer(allow_null=True))
    def get_assessment(self, obj: Declaration) -> dict[str, Any] | None:
        return detail_section("assessment", obj, self._user())

    @extend_schema_field(PaymentStatusSerializer(allow_null=True))
    def get_payment(self, obj: Declaration) -> dict[str, Any] | None:
        return detail_section("payment", obj, self._user())

    @extend_schema_field(RiskSummarySerializer(allow_null=True))
    def get_risk(self, obj: Declaration) -> dict[str, Any] | None:
        return detail_section("risk", obj, self._user())

    @extend_schema_field(DeclarationInputSerializer)
    def get_declaration(self, obj: Declaration) -> dict[str, Any]:
        return obj.to_data().to_dict()

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, obj: Declaration) -> list[dict[str, Any]]:
        visible = self._visible_agencies(obj)
        user = self._user()
        related = getattr(obj, "reviews", None)
        agency_names = {r.agency.code: r.agency.name for r in related.all()} if related is not None else {}
        entries = []
        for e in selectors.declaration_timeline(obj, user=user):
            data, actor_shown = selectors.event_as_seen(e.data, visible)
            agency = agency_names.get(str(e.data.get("agency") or ""), "")
            entries.append(
                {
                    "action": e.action,
                    "label": action_label(e.action),
                    "at": e.at,
                    # A trader sees the agency that acted, never an officer's username.
                    "actor": selectors.actor_name(e, viewer=user, agency_name=agency)
                    if actor_shown
                    else None,
                    "data": data,
                }
            )
        return entries

    def _visible_agencies(self, obj: Declaration) -> set[str] | None:
        return selectors.visible_agencies(self._user(), obj)

    def _user(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None) if request is not None else None


class CheckSummarySerializer(serializers.Serializer):
    type = serializers.CharField()
    lrn = serializers.CharField()
    items = serializers.IntegerField()
    commodity_codes = serializers.ListField(child=serializers.CharField())
    totals = serializers.DictField()


class CheckResultSerializer(serializers.Serializer):
    """The answer of POST /api/v1/declarations/validate (``declarations.checking.CheckResult``)."""

    valid = serializers.BooleanField()
    lodgement_status = serializers.ChoiceField(choices=[201, 200, 400, 409, 413])
    errors = IssueSerializer(many=True)  # type: ignore[assignment]  # the field, not Serializer.errors
    warnings = IssueSerializer(many=True)
    summary = CheckSummarySerializer(allow_null=True)
    mrn = serializers.CharField(required=False, help_text="The declaration lodged before (status 200)")
