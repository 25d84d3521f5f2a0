"""The help desk API for traders' own software: ``GET/POST /api/v1/service-requests`` and
``GET /api/v1/service-requests/{reference}``.

What a user sees is what "My requests" shows (``access.requests_visible_to``): missing and not-yours
are the same 404; the help desk's internal notes and its officials' names are never in it. A new
request may name an account the user may act for (EORI) and a declaration it may see (MRN);
anything else is a 404. ``POST`` accepts an ``Idempotency-Key`` like the API's other writes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from declarations.api.serializers import ErrorResponseSerializer
from declarations.selectors import access_declaration
from singlewindow.api import request_fingerprint, with_idempotency
from singlewindow.parsers import BoundedJSONParser

from . import selectors, services
from .access import access_request, accounts_for_requests
from .models import Category, ServiceRequest, ServiceRequestMessage, safe_local_path

TAGS = ["Help desk"]
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat a request safely: the same key replays the first answer.",
)


class ServiceRequestMessageSerializer(serializers.ModelSerializer):
    from_help_desk = serializers.BooleanField(source="from_staff")
    author = serializers.SerializerMethodField(help_text="The trader's username; null for the help desk.")

    class Meta:
        model = ServiceRequestMessage
        fields = ["from_help_desk", "author", "body", "created_at"]

    def get_author(self, message: ServiceRequestMessage) -> str | None:
        return None if message.from_staff else message.author.get_username()


class ServiceRequestSerializer(serializers.ModelSerializer):
    trader_account = serializers.CharField(source="trader_account.eori", default=None, allow_null=True)
    declaration = serializers.CharField(source="declaration.mrn", default=None, allow_null=True)
    answered_within_service_level = serializers.BooleanField(
        allow_null=True, read_only=True, help_text="Null until the help desk first answers."
    )

    class Meta:
        model = ServiceRequest
        fields = [
            "reference",
            "category",
            "subject",
            "status",
            "trader_account",
            "declaration",
            "page",
            "created_at",
            "due_at",
            "first_response_at",
            "closed_at",
            "answered_within_service_level",
        ]


class ServiceRequestDetailSerializer(ServiceRequestSerializer):
    messages = serializers.SerializerMethodField()

    class Meta(ServiceRequestSerializer.Meta):
        fields = [*ServiceRequestSerializer.Meta.fields, "messages"]

    @extend_schema_field(ServiceRequestMessageSerializer(many=True))
    def get_messages(self, request: ServiceRequest) -> list[dict[str, Any]]:
        """What the trader reads: never the help desk's internal notes."""
        thread = selectors.thread_for_trader(request)
        return ServiceRequestMessageSerializer(thread, many=True).data  # type: ignore[return-value]


class ServiceRequestCreateSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=5000, help_text="The question.")
    trader_account = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=17,
        help_text="EORI of an account you act for.",
    )
    declaration = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=18, help_text="MRN of a declaration you see."
    )
    page = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=500, help_text="A path on this site."
    )


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


class ServiceRequestListView(generics.ListAPIView):
    serializer_class = ServiceRequestSerializer
    parser_classes = [BoundedJSONParser]

    def get_queryset(self) -> QuerySet[ServiceRequest]:
        return selectors.requests_of(_user(self.request))

    @extend_schema(
        tags=TAGS,
        summary="Your service requests to the help desk, newest first",
        responses={200: ServiceRequestSerializer(many=True)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Open a service request (due within its category's service level)",
        request=ServiceRequestCreateSerializer,
        parameters=[IDEMPOTENCY],
        responses={
            201: ServiceRequestDetailSerializer,
            400: ErrorResponseSerializer,
            404: ErrorResponseSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        return with_idempotency(request, request_fingerprint(request), lambda: self._open(request))

    def _open(self, request: Request) -> Response:
        user = _user(request)
        serializer = ServiceRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = None
        if data["trader_account"]:
            account = accounts_for_requests(user).filter(eori=data["trader_account"].strip().upper()).first()
            if account is None:
                raise Http404("No such trader account.")
        declaration = (
            access_declaration(user, data["declaration"].strip().upper()) if data["declaration"] else None
        )
        created = services.service_request_open(
            user=user,
            category=data["category"],
            subject=data["subject"],
            body=data["body"],
            trader_account=account,
            declaration=declaration,
            page=safe_local_path(data["page"]),
        )
        created = selectors.requests_of(user).get(pk=created.pk)
        return Response(ServiceRequestDetailSerializer(created).data, status=status.HTTP_201_CREATED)


class ServiceRequestDetailView(generics.GenericAPIView):
    serializer_class = ServiceRequestDetailSerializer

    @extend_schema(
        tags=TAGS,
        summary="One of your service requests with its messages (the help desk's answers included)",
        responses={200: ServiceRequestDetailSerializer, 404: ErrorResponseSerializer},
    )
    def get(self, request: Request, reference: str) -> Response:
        service_request = access_request(_user(request), reference)
        return Response(ServiceRequestDetailSerializer(service_request).data)
