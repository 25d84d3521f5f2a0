from __future__ import annotations

from rest_framework import serializers

from ..models import ApiToken


class SignInSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(
        max_length=100,
        required=False,
        help_text="What the token is for, shown in the token list (default: API sign-in).",
    )
    otp = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="A code from the user's authenticator app, or one of its recovery codes: required for "
        "users with two-step verification (every officer, supervisor and administrator).",
    )


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="What the token is for, e.g. the system using it.")


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at"]


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(help_text="The key: shown this once, never again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
