"""The API's one error shape, for the schema (``singlewindow.api.exception_handler`` produces it)."""

from __future__ import annotations

from rest_framework import serializers


class IssueSerializer(serializers.Serializer):
    pointer = serializers.CharField()
    field = serializers.CharField(required=False)
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorResponseSerializer(serializers.Serializer):
    errors = IssueSerializer(many=True)  # type: ignore[assignment]  # the field, not Serializer.errors
