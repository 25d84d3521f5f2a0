"""JSON shapes of the review API (officers and agencies' own systems)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from declarations.selectors import sees_authority_names

from ..models import AgencyReview, Attachment, DecisionOutcome, InformationRequest


class RoutedItemSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    commodity_code = serializers.CharField()
    description = serializers.CharField()


class ReviewSummarySerializer(serializers.ModelSerializer):
    """One row of an agency's queue."""

    url = serializers.HyperlinkedIdentityField(view_name="api-review-detail")
    agency = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")
    mrn = serializers.CharField(source="declaration.mrn")
    trader = serializers.CharField(source="declaration.trader_account.eori", default=None, allow_null=True)
    items = RoutedItemSerializer(many=True)
    items_count = serializers.IntegerField(read_only=True)
    claimed_by = serializers.CharField(source="claimed_by.username", default=None, allow_null=True)
    overdue = serializers.BooleanField(source="is_overdue")
    seconds_left = serializers.SerializerMethodField()

    class Meta:
        model = AgencyReview
        fields = [
            "id",
            "url",
            "agency",
            "agency_name",
            "status",
            "mrn",
            "trader",
            "items",
            "items_count",
            "claimed_by",
            "created_at",
            "due_at",
            "overdue",
            "seconds_left",
            "decided_at",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_seconds_left(self, obj: AgencyReview) -> int | None:
        """Until the agency's service level runs out; negative when overdue, null once decided."""
        left = obj.time_left
        return int(left.total_seconds()) if left is not None else None


class DocumentOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.CharField()


class ReviewItemSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    description = serializers.CharField()
    commodity_code = serializers.CharField()
    origin_country = serializers.CharField()
    procedure_code = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=16, decimal_places=3, allow_null=True)
    quantity_unit = serializers.CharField()
    net_mass = serializers.DecimalField(max_digits=16, decimal_places=3, allow_null=True)
    value_amount = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True)
    value_currency = serializers.CharField()
    documents = DocumentOutSerializer(many=True, source="documents.all")


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "uploaded_at"]


class InformationRequestSerializer(serializers.ModelSerializer):
    asked_by = serializers.SerializerMethodField(
        help_text="The officer who asked; traders and brokers see the agency's name instead."
    )
    answered_by = serializers.CharField(source="answered_by.username", default=None, allow_null=True)
    attachments = AttachmentSerializer(many=True)

    class Meta:
        model = InformationRequest
        fields = [
            "id",
            "question",
            "asked_by",
            "asked_at",
            "answer",
            "answered_by",
            "answered_at",
            "attachments",
        ]

    def get_asked_by(self, obj: InformationRequest) -> str:
        # Without a viewer in the context (webhook payloads to the agency's own system) the
        # agency's own staff are reading: the username.
        request = self.context.get("request")
        viewer = getattr(request, "user", None)
        if viewer is None or sees_authority_names(viewer):
            return str(obj.asked_by.get_username())
        return str(obj.review.agency.name)


class ReviewDeclarationSerializer(serializers.Serializer):
    mrn = serializers.CharField()
    type = serializers.CharField(source="full_type")
    direction = serializers.CharField()
    status = serializers.CharField()
    trader = serializers.CharField(source="trader_account.eori", default=None, allow_null=True)
    trader_name = serializers.CharField(source="trader_account.name", default=None, allow_null=True)
    declarant = serializers.CharField(source="declarant_account.eori", default=None, allow_null=True)
    accepted_at = serializers.DateTimeField()
    export_country = serializers.CharField()
    destination_country = serializers.CharField()
    documents = DocumentOutSerializer(many=True, source="header_documents")


class HistoryEntrySerializer(serializers.Serializer):
    mrn = serializers.CharField(source="declaration.mrn")
    declaration_status = serializers.CharField(source="declaration.status")
    status = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()


class ReviewDetailSerializer(ReviewSummarySerializer):
    """A review with what the officer decides on: its items, the trader's history with the agency."""

    declaration = ReviewDeclarationSerializer()
    items = ReviewItemSerializer(many=True)  # type: ignore[assignment]
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)
    information_requests = InformationRequestSerializer(many=True, source="info_requests")
    trader_history = serializers.SerializerMethodField()

    class Meta(ReviewSummarySerializer.Meta):
        fields = [
            *ReviewSummarySerializer.Meta.fields,
            "claimed_at",
            "reasons",
            "missing_documents",
            "licence_findings",
            "decided_by",
            "decision_reason",
            "declaration",
            "information_requests",
            "trader_history",
        ]

    @extend_schema_field(HistoryEntrySerializer(many=True))
    def get_trader_history(self, obj: AgencyReview) -> list[dict[str, Any]]:
        from ..selectors import trader_history_with_agency

        return HistoryEntrySerializer(trader_history_with_agency(obj), many=True).data  # type: ignore[return-value]


class DecisionInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=DecisionOutcome.choices)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=4000,
        help_text="Required to reject (why) and to request information (the question to the trader).",
    )


class AnswerInputSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=10000)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)
