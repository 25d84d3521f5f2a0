"""JSON shapes of the declaration API.

Input is the canonical declaration (``DeclarationData``) as JSON; field errors come back with
dotted, 1-based paths (``items.2.net_mass``) like the portal's own rule errors.

The input serializers parse; they do not repeat the portal's rules. Whether a number fits the
column it is stored in, or may be negative, is decided by ``declarations.rules`` for every channel,
so a JSON sender gets the same error (``value_too_large``, with the WCO pointer) as an XML sender.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from singlewindow.audit import action_label
from singlewindow.serializers import ErrorResponseSerializer, IssueSerializer  # noqa: F401  (imported from here)

from .. import selectors
from ..canonical import (
    DeclarationData,
    DocumentData,
    DocumentKind,
    ItemData,
    PartyData,
    PartyRole,
)
from ..models import Declaration, GoodsItem

# Numbers longer than this are refused while parsing (DRF's ``max_digits``): no column comes near
# it, and it stops an absurd value (``1e999999999`` is 11 characters) before anything formats it.
# Everything shorter reaches the rules, which state the real limits.
PARSE_MAX_DIGITS = 32


def _text(max_length: int, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length, required=False, allow_blank=True, default="", **kwargs
    )


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


def _decimal(model: type[models.Model], name: str) -> ColumnDecimalField:
    """The input field for the canonical decimal ``name``, stored in the same-named column of ``model``."""
    column = model._meta.get_field(name)
    assert isinstance(column, models.DecimalField), name
    return ColumnDecimalField(column.decimal_places, required=False, allow_null=True, default=None)


class PartySerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=[r.value for r in PartyRole])
    eori = _text(17)
    name = _text(70)
    street = _text(70)
    city = _text(35)
    postcode = _text(9)
    country = _text(2)


class DocumentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[k.value for k in DocumentKind], default=DocumentKind.ADDITIONAL.value
    )
    code = serializers.CharField(max_length=4)
    reference = _text(70)
    status = _text(2)
    line = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class ItemSerializer(serializers.Serializer):
    sequence = serializers.IntegerField(required=False, allow_null=True, default=None)
    description = _text(512)
    commodity_code = _text(10)
    taric_codes = serializers.ListField(
        child=serializers.CharField(max_length=4), required=False, default=list
    )
    origin_country = _text(2)
    origin_type = _text(1)
    procedure_code = _text(4)
    additional_procedure_codes = serializers.ListField(
        child=serializers.CharField(max_length=3), required=False, default=list
    )
    quantity = _decimal(GoodsItem, "quantity")
    quantity_unit = _text(10)
    net_mass = _decimal(GoodsItem, "net_mass")
    gross_mass = _decimal(GoodsItem, "gross_mass")
    value_amount = _decimal(GoodsItem, "value_amount")
    value_currency = _text(3)
    statistical_value = _decimal(GoodsItem, "statistical_value")
    statistical_currency = _text(3)
    valuation_method = _text(1)
    package_count = serializers.IntegerField(required=False, allow_null=True, default=None)
    package_type = _text(2)
    package_marks = _text(512)
    documents = DocumentSerializer(many=True, required=False, default=list)


class DeclarationInputSerializer(serializers.Serializer):
    """A goods declaration as JSON: the canonical model, field for field."""

    type_code = serializers.CharField(max_length=2)
    additional_type = _text(1)
    function_code = serializers.CharField(max_length=2, required=False, default="9")
    lrn = serializers.CharField(max_length=35)  # the 22-character limit is a rule with its own error
    goods_item_quantity = serializers.IntegerField(required=False, allow_null=True, default=None)
    total_package_quantity = serializers.IntegerField(required=False, allow_null=True, default=None)
    invoice_amount = _decimal(Declaration, "invoice_amount")
    invoice_currency = _text(3)
    exchange_rate = _decimal(Declaration, "exchange_rate")
    representation_code = _text(1)
    parties = PartySerializer(many=True)
    supervising_office = _text(8)
    presentation_office = _text(8)
    exit_office = _text(8)
    border_transport_mode = _text(1)
    border_transport_nationality = _text(2)
    inland_transport_mode = _text(1)
    arrival_transport_id = _text(35)
    arrival_transport_id_type = _text(2)
    departure_transport_id = _text(35)
    departure_transport_id_type = _text(2)
    container = serializers.BooleanField(required=False, allow_null=True, default=None)
    goods_location = _text(35)
    goods_location_type = _text(1)
    goods_location_qualifier = _text(1)
    goods_location_country = _text(2)
    destination_country = _text(2)
    export_country = _text(2)
    transaction_nature = _text(2)
    delivery_terms = _text(3)
    delivery_location = _text(35)
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
            ItemData(**{**i, "documents": [_document(d) for d in i["documents"]]})
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
