"""The declaration API: lodge (JSON or XML), list, read, download as WCO DM XML."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, parsers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.models import User
from singlewindow.api import answer_after_commit, with_idempotency
from singlewindow.errors import DomainError
from singlewindow.parsers import BoundedJSONParser, read_capped

from .. import checking, selectors, services
from ..errors import LodgementRejected
from ..models import Channel, Declaration, Status
from ..responses import lodgement_rejection_record
from ..wco.writer import write_declaration
from .responses import DmsXmlRenderer, acceptance_of, response_link
from .serializers import (
    CheckResultSerializer,
    DeclarationDetailSerializer,
    DeclarationInputSerializer,
    DeclarationSummarySerializer,
    ErrorResponseSerializer,
)
from .throttling import LodgementThrottle, ValidationThrottle


def _read_capped(stream: Any) -> bytes:
    """Read at most the configured cap; refuse larger bodies before any parsing."""
    return read_capped(stream, settings.SW_MAX_XML_BYTES)


class XmlBodyParser(parsers.BaseParser):
    """Hands the raw bytes of an XML body to the view; the hardened WCO parser does the rest."""

    media_type = "application/xml"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return _read_capped(stream)  # bytes: request.data is the raw document


class TextXmlBodyParser(XmlBodyParser):
    media_type = "text/xml"


XML_MEDIA_TYPES = frozenset({XmlBodyParser.media_type, TextXmlBodyParser.media_type})


def _media_type(request: Request) -> str:
    return (request.content_type or "").partition(";")[0].strip().lower()


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, held in UTC.

    Python accepts offsets up to ±23:59 and PostgreSQL only up to ±15:59 (a DataError, a 500):
    in UTC no offset reaches the database. A time whose UTC equivalent falls outside years
    1–9999 (0001-01-01T00:00+05:00) cannot be a filter either: a 400.
    """

    def clean(self, value: Any) -> datetime | None:
        cleaned = super().clean(value)
        if cleaned is None or timezone.is_naive(cleaned):
            return cleaned
        try:
            return cleaned.astimezone(UTC)
        except OverflowError:
            raise ValidationError(_("This date and time is out of range."), code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class DeclarationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    lrn = django_filters.CharFilter()
    mrn = django_filters.CharFilter()
    accepted_from = UtcIsoDateTimeFilter(field_name="accepted_at", lookup_expr="gte")
    accepted_to = UtcIsoDateTimeFilter(field_name="accepted_at", lookup_expr="lte")
    direction = django_filters.CharFilter()
    # A broker's client: the account's id or EORI. The list is already limited to what the caller
    # may see, so another trader's account yields an empty page, never that trader's declarations.
    trader_account = django_filters.CharFilter(method="filter_trader_account")

    def filter_trader_account(
        self, queryset: QuerySet[Declaration], name: str, value: str
    ) -> QuerySet[Declaration]:
        value = value.strip()
        if value.isdigit():
            return queryset.filter(trader_account_id=int(value))
        return queryset.filter(trader_account__eori=value.upper())

    class Meta:
        model = Declaration
        fields = ["status", "lrn", "mrn", "direction"]


class DeclarationListCreateView(generics.GenericAPIView):
    parser_classes = [BoundedJSONParser, XmlBodyParser, TextXmlBodyParser]
    serializer_class = DeclarationSummarySerializer
    filterset_class = DeclarationFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]

    def get_throttles(self) -> list[Any]:
        # Lodging is counted per user; reading the list is not.
        return [LodgementThrottle()] if self.request.method == "POST" else []

    def get_renderers(self) -> list[Any]:
        # A lodgement may be answered in the trader's standard (Accept: application/xml). Not shown
        # to the schema generator: two renderers would add DRF's ``format`` query parameter to it.
        fake = getattr(self, "swagger_fake_view", False)
        if self.request is not None and self.request.method == "POST" and not fake:
            return [*super().get_renderers(), DmsXmlRenderer()]
        return super().get_renderers()

    def get_queryset(self) -> QuerySet[Declaration]:
        user: User = self.request.user  # type: ignore[assignment]
        return (
            selectors.declarations_visible_to(user)
            .select_related("declarant_account", "trader_account")
            .annotate(items_count=selectors.items_count(user))
            .order_by("-accepted_at", "-pk")
        )

    @extend_schema(
        tags=["Declarations"],
        summary="List the declarations you may see",
        responses=DeclarationSummarySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        serializer = DeclarationSummarySerializer(page, many=True, context={"request": request})
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        tags=["Declarations"],
        summary="Lodge a declaration (JSON, or WCO DM 3.6 XML with Content-Type application/xml)",
        request={"application/json": DeclarationInputSerializer, "application/xml": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Repeat a request safely: the same key replays the first answer.",
            ),
        ],
        responses={
            201: DeclarationDetailSerializer,
            200: OpenApiResponse(
                DeclarationDetailSerializer, description="Same LRN and content lodged before"
            ),
            400: ErrorResponseSerializer,
            409: ErrorResponseSerializer,
            413: ErrorResponseSerializer,
            429: OpenApiResponse(ErrorResponseSerializer, description="Too many lodgements: see Retry-After"),
        },
    )
    def post(self, request: Request) -> Response:
        data: Any = request.data
        if not isinstance(data, bytes) and _media_type(request) in XML_MEDIA_TYPES:
            # DRF runs no parser on an empty body and hands over {} whatever its Content-Type; an
            # empty XML message is answered by the XML channel ("empty"), not the JSON serializer.
            data = b""
        body = data if isinstance(data, bytes) else json.dumps(data, sort_keys=True, default=str).encode()
        return with_idempotency(request, body, lambda: self._lodge(request, data))

    def _lodge(self, request: Request, data: Any) -> Response:
        user: User = request.user  # type: ignore[assignment]
        try:
            if isinstance(data, bytes):
                # The upload page's script sends files here with the browser's session: an XML upload.
                browser = isinstance(request.successful_authenticator, SessionAuthentication)
                channel = Channel.WEB_XML if browser else Channel.API_XML
                from .. import amendments

                message = amendments.declaration_message_xml(user=user, body=data, channel=channel)
                if message.lodged is None:
                    # An amendment or cancellation (function code 13/14) addressed by its ID or LRN.
                    from .amendments import _answer

                    return _answer(request, message)
                result = message.lodged
            else:
                serializer = DeclarationInputSerializer(data=data)
                serializer.is_valid(raise_exception=True)
                result = services.declaration_lodge(
                    user=user,
                    data=serializer.to_declaration_data(),
                    channel=Channel.API_JSON,
                    source_body=json.dumps(data, default=str),
                    source_content_type="application/json",
                )
        except LodgementRejected as exc:
            # Nothing is stored of the declaration; its rejection (a DMS 03) is kept for the pull.
            rejection = lodgement_rejection_record(user=user, data=exc.data, issues=exc.issues)
            if rejection is not None:
                exc.extra["response"] = response_link(request, rejection)
            raise
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        warnings = [w.as_dict() for w in result.warnings]
        lodged = result.declaration

        def detail() -> Response:
            declaration = _with_details(lodged, user)
            payload = dict(DeclarationDetailSerializer(declaration, context={"request": request}).data)
            payload["warnings"] = warnings
            acceptance = acceptance_of(lodged)  # read back with the rest (retried with it)
            if acceptance is not None:
                payload["response"] = response_link(request, acceptance)
            return Response(payload, status=code)

        def accepted() -> Response:
            # Committed, but not readable back just now: the MRN is what the trader must not lose.
            url = reverse("api-declaration-detail", kwargs={"mrn": lodged.mrn}, request=request)
            payload = {
                "mrn": lodged.mrn,
                "lrn": lodged.lrn,
                "status": lodged.status,
                "accepted_at": lodged.accepted_at,
                "url": url,
                "warnings": warnings,
                "detail_unavailable": True,
            }
            return Response(payload, status=code, headers={"Location": url})

        return answer_after_commit(detail, accepted)


class DeclarationValidateView(generics.GenericAPIView):
    """What lodging this message would answer, worked out without storing anything."""

    parser_classes = [BoundedJSONParser, XmlBodyParser, TextXmlBodyParser]
    serializer_class = CheckResultSerializer
    throttle_classes = [ValidationThrottle]

    @extend_schema(
        tags=["Declarations"],
        summary="Validate a declaration (JSON or WCO DM 3.6 XML) without lodging it",
        description=(
            "Runs every check of lodgement and stores nothing. Answers 200 whenever the message could "
            "be looked at: `valid`, `lodgement_status` (what POST /api/v1/declarations would answer), "
            "`errors` and `warnings` with their pointers, and the `summary`. An LRN is said to be taken "
            "only when you may read the declaration holding it. `Idempotency-Key` is ignored."
        ),
        request={"application/json": DeclarationInputSerializer, "application/xml": OpenApiTypes.BINARY},
        responses={
            200: CheckResultSerializer,
            429: OpenApiResponse(
                ErrorResponseSerializer, description="Too many validations: see Retry-After"
            ),
        },
    )
    def post(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        try:
            data: Any = request.data
        except DomainError as exc:  # the body is too large, or not JSON: that is the verdict too
            return Response(checking.refused(exc.errors, status=exc.status).as_dict())
        if not isinstance(data, bytes) and _media_type(request) in XML_MEDIA_TYPES:
            data = b""  # an empty XML body, as lodgement treats it
        if isinstance(data, bytes):
            result = checking.declaration_check_xml(body=data, user=user)
        else:
            result = checking.declaration_check_json(payload=data, user=user)
        return Response(result.as_dict())


class DeclarationDetailView(generics.GenericAPIView):
    serializer_class = DeclarationDetailSerializer

    @extend_schema(tags=["Declarations"], summary="Read one declaration: status, content and timeline")
    def get(self, request: Request, mrn: str) -> Response:
        from .amendments import versions_payload

        declaration = _detail(request, mrn)
        payload = dict(DeclarationDetailSerializer(declaration, context={"request": request}).data)
        payload["versions"] = versions_payload(declaration)
        return Response(payload)


class DeclarationXmlView(generics.GenericAPIView):
    serializer_class = DeclarationDetailSerializer  # for the schema generator only

    @extend_schema(
        tags=["Declarations"],
        summary="Download the declaration as WCO DM 3.6 XML",
        responses={(200, "application/xml"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, mrn: str) -> HttpResponse:
        declaration = _detail(request, mrn)
        response = HttpResponse(write_declaration(declaration.to_data()), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{declaration.mrn}.xml"'
        return response


def _detail(request: Request, mrn: str) -> Declaration:
    user: User = request.user  # type: ignore[assignment]
    return _with_details(selectors.access_declaration(user, mrn), user)


def _with_details(declaration: Declaration, user: User) -> Declaration:
    """Loaded for ``user``: an agency officer gets only the items and review of its agency.

    A declaration lodgement just stored keeps its parts in memory (``services._store``): they are
    answered from there, and its status, reviews, decision and timeline are read."""
    declaration = selectors.declaration_with_details(declaration, user=user, parts_from=declaration)
    declaration.items_count = len(declaration.items.all())  # type: ignore[attr-defined]
    return declaration
