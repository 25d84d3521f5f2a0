"""The API of a declaration's versions: amend, cancel, read versions and their differences."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from singlewindow.api import with_idempotency
from singlewindow.errors import DomainError
from singlewindow.parsers import BoundedJSONParser

from .. import amendments, selectors
from ..models import Channel, Declaration, DeclarationVersion
from ..versions import diff
from .serializers import DeclarationInputSerializer, ErrorResponseSerializer
from .views import XML_MEDIA_TYPES, TextXmlBodyParser, XmlBodyParser, _media_type

# Version numbers are PostgreSQL integers; a larger number in a URL is no version, not a 500.
MAX_VERSION = 2**31 - 1


class AmendmentInputSerializer(serializers.Serializer):
    declaration = serializers.JSONField(
        help_text="The whole declaration as amended (as lodged with POST declarations)."
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=amendments.REASON_MAX)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you amended: refused with 409 if another is now in force.",
    )


class CancellationInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=amendments.REASON_MAX)


class VersionSerializer(serializers.ModelSerializer):
    by = serializers.SerializerMethodField()

    class Meta:
        model = DeclarationVersion
        fields = [
            "number",
            "kind",
            "created_at",
            "by",
            "channel",
            "reason",
            "reason_code",
            "message_reference",
        ]

    def get_by(self, version: DeclarationVersion) -> str:
        # Versions are written by the trader side (members and brokers), never by an officer.
        return str(version.created_by.get_username())


class ChangeSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="Canonical path: items.2.net_mass, parties.exporter.name")
    label = serializers.CharField()  # type: ignore[assignment]
    before = serializers.CharField(allow_blank=True)
    after = serializers.CharField(allow_blank=True)


class VersionListSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version in force.")
    versions = VersionSerializer(many=True)


class VersionDetailSerializer(VersionSerializer):
    in_force = serializers.BooleanField()
    data = serializers.JSONField(help_text="The version's content, as lodged with POST declarations.")  # type: ignore[assignment]
    previous = serializers.IntegerField(allow_null=True)
    changes = ChangeSerializer(many=True, help_text="What this version changed from the previous one.")

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "in_force", "data", "previous", "changes"]


class DiffSerializer(serializers.Serializer):
    from_version = serializers.IntegerField()
    to_version = serializers.IntegerField()
    changes = ChangeSerializer(many=True)


def _seen(user: User, declaration: Declaration) -> set[int] | None:
    return amendments.items_seen(user, declaration)


def _changes_seen(changes: list[Any], seen: set[int] | None) -> list[dict[str, str]]:
    return [c.as_dict() for c in amendments.changes_seen(changes, seen)]


def _data_seen(data: dict[str, Any], seen: set[int] | None) -> dict[str, Any]:
    if seen is None:
        return data
    return {**data, "items": [i for i in data.get("items", []) if i.get("sequence") in seen]}


def versions_payload(declaration: Declaration) -> list[dict[str, Any]]:
    return list(VersionSerializer(amendments.versions_of(declaration), many=True).data)


def _answer(
    request: Request, result: amendments.MessageResult | amendments.AmendResult | amendments.CancelResult
) -> Response:
    """The declaration as it stands now, with what the request did (version, changes, request)."""
    from .serializers import DeclarationDetailSerializer
    from .views import _with_details

    user: User = request.user  # type: ignore[assignment]
    declaration = result.declaration
    declaration.refresh_from_db()
    payload = dict(
        DeclarationDetailSerializer(_with_details(declaration, user), context={"request": request}).data
    )
    payload["versions"] = versions_payload(declaration)
    amended = (
        result.amended
        if isinstance(result, amendments.MessageResult)
        else result
        if isinstance(result, amendments.AmendResult)
        else None
    )
    cancelled = (
        result.cancelled
        if isinstance(result, amendments.MessageResult)
        else result
        if isinstance(result, amendments.CancelResult)
        else None
    )
    code: int = status.HTTP_200_OK
    if amended is not None:
        payload["amendment"] = {
            "version": amended.version.number,
            "kind": amended.version.kind,
            "in_force": amended.request is None,
            "changes": [c.as_dict() for c in amended.changes],
        }
        payload["warnings"] = [w.as_dict() for w in amended.warnings]
        code = status.HTTP_201_CREATED if amended.request is None else status.HTTP_202_ACCEPTED
    request_row = (amended.request if amended is not None else None) or (
        cancelled.request if cancelled is not None else None
    )
    if request_row is not None:
        payload["request"] = {"id": request_row.pk, "kind": request_row.kind, "status": request_row.status}
        code = status.HTTP_202_ACCEPTED
    return Response(payload, status=code)


def _idempotent(request: Request, handler: Callable[[Any], Response]) -> Response:
    """Run ``handler`` on the request's body under its ``Idempotency-Key`` (keyed by path and body)."""
    data: Any = request.data
    if not isinstance(data, bytes) and _media_type(request) in XML_MEDIA_TYPES:
        data = b""
    body = request.path.encode() + (
        data if isinstance(data, bytes) else json.dumps(data, sort_keys=True, default=str).encode()
    )
    return with_idempotency(request, body, lambda: handler(data))


class DeclarationAmendmentView(generics.GenericAPIView):
    parser_classes = [BoundedJSONParser, XmlBodyParser, TextXmlBodyParser]
    serializer_class = AmendmentInputSerializer

    @extend_schema(
        tags=["Declarations"],
        summary="Amend a declaration (JSON, or a WCO DMS amendment: FunctionCode 13, TypeCode COR, pointers)",
        request={"application/json": AmendmentInputSerializer, "application/xml": OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        responses={
            201: OpenApiTypes.OBJECT,
            202: OpenApiTypes.OBJECT,
            400: ErrorResponseSerializer,
            404: ErrorResponseSerializer,
            409: ErrorResponseSerializer,
        },
    )
    def post(self, request: Request, mrn: str) -> Response:
        return _idempotent(request, lambda data: self._amend(request, mrn, data))

    def _amend(self, request: Request, mrn: str, data: Any) -> Response:
        user: User = request.user  # type: ignore[assignment]
        if isinstance(data, bytes):
            return _answer(
                request,
                amendments.declaration_message_xml(user=user, body=data, channel=Channel.API_XML, mrn=mrn),
            )
        declaration = amendments.declaration_for_change(user, mrn)
        outer = AmendmentInputSerializer(data=data)
        outer.is_valid(raise_exception=True)
        inner = DeclarationInputSerializer(data=outer.validated_data["declaration"])
        inner.is_valid(raise_exception=True)
        result = amendments.declaration_amend(
            user=user,
            declaration=declaration,
            data=inner.to_declaration_data(),
            channel=Channel.API_JSON,
            reason=outer.validated_data.get("reason", ""),
            expected_version=outer.validated_data.get("version"),
            source_body=json.dumps(data, default=str),
            source_content_type="application/json",
        )
        return _answer(request, result)


class DeclarationCancellationView(generics.GenericAPIView):
    parser_classes = [BoundedJSONParser, XmlBodyParser, TextXmlBodyParser]
    serializer_class = CancellationInputSerializer

    @extend_schema(
        tags=["Declarations"],
        summary="Cancel before release, or ask customs to invalidate after (JSON, or WCO INV / 14)",
        request={"application/json": CancellationInputSerializer, "application/xml": OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        responses={
            200: OpenApiTypes.OBJECT,
            202: OpenApiTypes.OBJECT,
            400: ErrorResponseSerializer,
            404: ErrorResponseSerializer,
            409: ErrorResponseSerializer,
        },
    )
    def post(self, request: Request, mrn: str) -> Response:
        return _idempotent(request, lambda data: self._cancel(request, mrn, data))

    def _cancel(self, request: Request, mrn: str, data: Any) -> Response:
        user: User = request.user  # type: ignore[assignment]
        if isinstance(data, bytes):
            result = amendments.declaration_message_xml(
                user=user, body=data, channel=Channel.API_XML, mrn=mrn
            )
            if result.kind != "cancellation":
                raise DomainError(
                    "not_a_cancellation",
                    _("This message is not a cancellation (TypeCode INV or FunctionCode 14)."),
                )
            return _answer(request, result)
        declaration = amendments.declaration_for_change(user, mrn)
        serializer = CancellationInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        return _answer(
            request,
            amendments.declaration_cancel(
                user=user,
                declaration=declaration,
                reason=serializer.validated_data["reason"],
                channel=Channel.API_JSON,
            ),
        )


class DeclarationVersionsView(generics.GenericAPIView):
    serializer_class = VersionSerializer

    @extend_schema(
        tags=["Declarations"],
        operation_id="declarations_versions_list",
        summary="The declaration's versions (who, when, why, through which channel)",
        responses={200: VersionListSerializer, 404: ErrorResponseSerializer},
    )
    def get(self, request: Request, mrn: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        declaration = selectors.access_declaration(user, mrn)
        return Response({"version": declaration.version, "versions": versions_payload(declaration)})


class DeclarationVersionView(generics.GenericAPIView):
    serializer_class = VersionSerializer

    @extend_schema(
        tags=["Declarations"],
        operation_id="declarations_version_retrieve",
        summary="One version's content, and what it changed from the version before",
        responses={200: VersionDetailSerializer, 404: ErrorResponseSerializer},
    )
    def get(self, request: Request, mrn: str, number: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        declaration = selectors.access_declaration(user, mrn)
        if number > MAX_VERSION:
            raise DomainError("not_found", _("No such version."), status=404)
        version = (
            DeclarationVersion.objects.filter(declaration=declaration, number=number)
            .select_related("created_by")
            .first()
        )
        if version is None:
            raise DomainError("not_found", _("No such version."), status=404)
        previous = (
            DeclarationVersion.objects.filter(declaration=declaration, number__lt=number)
            .order_by("-number")
            .first()
        )
        changes = diff(previous.data, version.data) if previous is not None else []
        seen = _seen(user, declaration)
        return Response(
            {
                **VersionSerializer(version).data,
                "in_force": version.number == declaration.version,
                "data": _data_seen(version.data, seen),
                "previous": previous.number if previous is not None else None,
                "changes": _changes_seen(changes, seen),
            }
        )


class DeclarationDiffView(generics.GenericAPIView):
    serializer_class = VersionSerializer

    @extend_schema(
        tags=["Declarations"],
        summary="Field-by-field difference between two versions",
        parameters=[OpenApiParameter("from", int, required=True), OpenApiParameter("to", int, required=True)],
        responses={200: DiffSerializer, 400: ErrorResponseSerializer, 404: ErrorResponseSerializer},
    )
    def get(self, request: Request, mrn: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        declaration = selectors.access_declaration(user, mrn)
        try:
            a, b = int(request.query_params.get("from", "")), int(request.query_params.get("to", ""))
        except ValueError:
            a = b = 0
        if not (0 < a <= MAX_VERSION and 0 < b <= MAX_VERSION):
            raise DomainError("invalid_version", _("Give two version numbers: ?from=1&to=2."))
        changes = amendments.version_diff(declaration, a, b)
        seen = _seen(user, declaration)
        return Response({"from_version": a, "to_version": b, "changes": _changes_seen(changes, seen)})
