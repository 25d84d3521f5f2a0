"""The shapes of a trader account's ledger and statements in the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import StatementStatus, TransactionKind
from ..money import home_currency, quantize, to_decimal


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$", "example": "1234.50"}
)
class AmountField(serializers.Field):
    """An amount as a plain decimal string with every digit of its currency's minor unit
    (``"1234.50"``, ``"-3.00"``): never a float, never grouped."""

    def get_attribute(self, instance: Any) -> Decimal:
        # Rounded to the currency of the object it belongs to (the database keeps three places).
        value = super().get_attribute(instance)
        return quantize(to_decimal(value), getattr(instance, "currency", "") or home_currency())

    def to_representation(self, value: Decimal) -> str:
        return f"{value:f}"

    def to_internal_value(self, data: Any) -> Any:  # pragma: no cover - read only
        raise NotImplementedError


class LedgerQuerySerializer(serializers.Serializer):
    """The ledger's filters: ``from`` and ``to`` (booking dates, inclusive) and ``kind``."""

    to = serializers.DateField(required=False)
    kind = serializers.ChoiceField(choices=TransactionKind.choices, required=False)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False)  # a keyword in Python
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError(
                {"to": ["The end date must be the same as or after the start date."]}
            )
        return attrs


class LedgerEntrySerializer(serializers.Serializer):
    """One entry on the trader's account, with the account's balance after it."""

    id = serializers.IntegerField(source="entry_id", help_text="The ledger entry.")
    transaction = serializers.IntegerField(source="transaction_id", help_text="The ledger transaction.")
    booked_on = serializers.DateField()
    due_on = serializers.DateField(allow_null=True)
    kind = serializers.ChoiceField(choices=TransactionKind.choices)
    reference = serializers.CharField(help_text="The declaration's MRN, a payment or statement reference.")
    description = serializers.CharField()
    mrn = serializers.CharField(allow_null=True, help_text="The declaration the entry is for, if any.")
    debit = AmountField(help_text="Owed by the trader (a charge); 0 when a credit.")
    credit = AmountField(help_text="Paid or credited to the trader; 0 when a debit.")
    balance = AmountField(
        help_text="The account's balance after this entry, in booking order over every entry: "
        "positive owed, negative in credit."
    )
    currency = serializers.CharField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["mrn"] = data["mrn"] or None
        return data


class StatementLineSerializer(serializers.Serializer):
    mrn = serializers.CharField(source="declaration.mrn", allow_null=True)
    charged_on = serializers.DateField()
    due_on = serializers.DateField()
    amount = AmountField(help_text="Negative: a credit.")


class StatementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    facility = serializers.CharField(source="facility.reference", help_text="The deferment account.")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    due_on = serializers.DateField()
    total = AmountField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=StatementStatus.choices)
    paid_at = serializers.DateTimeField(allow_null=True)
    lines = StatementLineSerializer(many=True, source="lines.all")
