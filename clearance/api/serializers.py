"""JSON shapes of the clearance API: the release decision, overrides, notifications."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Notification, Outcome, ReleaseDecision


class AgencyReasonSerializer(serializers.Serializer):
    agency = serializers.CharField()
    agency_name = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    decided_at = serializers.CharField(allow_null=True)


class ReleaseDecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)
    reasons = AgencyReasonSerializer(many=True)

    class Meta:
        model = ReleaseDecision
        fields = [
            "outcome",
            "automatic",
            "decided_by",
            "decided_at",
            "reasons",
            "override",
            "override_reason",
        ]


class OverrideInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    reason = serializers.CharField(max_length=4000, allow_blank=True)


class NotificationSerializer(serializers.ModelSerializer):
    mrn = serializers.CharField(source="declaration.mrn", default=None, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "mrn", "created_at", "read_at"]
