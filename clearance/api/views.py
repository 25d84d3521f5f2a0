"""Supervisor override, the release note, and the user's notifications."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role, User
from declarations.api.serializers import ErrorResponseSerializer
from declarations.models import PostReleaseRequest, RequestStatus
from declarations.selectors import access_declaration
from singlewindow.api import request_fingerprint, with_idempotency
from singlewindow.parsers import BoundedJSONParser

from .. import selectors, services
from ..models import Notification
from .serializers import NotificationSerializer, OverrideInputSerializer, ReleaseDecisionSerializer


class ReleaseOverrideView(generics.GenericAPIView):
    serializer_class = OverrideInputSerializer

    @extend_schema(
        tags=["Declarations"],
        summary="Customs supervisor: issue or override the release decision (reason required)",
        request=OverrideInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Repeat a request safely: the same key replays the first answer.",
            )
        ],
        responses={
            200: ReleaseDecisionSerializer,
            400: ErrorResponseSerializer,
            404: ErrorResponseSerializer,
            409: ErrorResponseSerializer,
        },
    )
    def post(self, request: Request, mrn: str) -> Response:
        body = request_fingerprint(request)
        return with_idempotency(request, body, lambda: self._override(request, mrn))

    def _override(self, request: Request, mrn: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        declaration = access_declaration(user, mrn)
        serializer = OverrideInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = services.release_override(
            declaration=declaration,
            supervisor=user,
            outcome=serializer.validated_data["outcome"],
            reason=serializer.validated_data["reason"],
        )
        return Response(ReleaseDecisionSerializer(decision).data)


class RequestDecisionInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["granted", "refused"])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=512)


class RequestSerializer(serializers.ModelSerializer):
    mrn = serializers.CharField(source="declaration.mrn")
    version = serializers.IntegerField(source="version.number", allow_null=True, default=None)

    class Meta:
        model = PostReleaseRequest
        fields = [
            "id",
            "mrn",
            "kind",
            "status",
            "version",
            "reason",
            "requested_at",
            "decided_at",
            "decision_reason",
        ]


class RequestListView(generics.ListAPIView):
    serializer_class = RequestSerializer

    def get_queryset(self) -> QuerySet[PostReleaseRequest]:
        user: User = self.request.user  # type: ignore[assignment]
        if not services.may_decide_requests(user):
            raise Http404("No such list.")
        queryset = PostReleaseRequest.objects.select_related("declaration", "version").order_by(
            "requested_at", "pk"
        )
        wanted = self.request.query_params.get("status", "pending")
        return queryset.filter(status=wanted) if wanted in RequestStatus.values else queryset

    @extend_schema(
        tags=["Declarations"],
        summary="Customs: requests after release (amendments, invalidations); status=pending by default",
        parameters=[OpenApiParameter("status", str, required=False, enum=["pending", "granted", "refused"])],
        responses={200: RequestSerializer(many=True), 404: ErrorResponseSerializer},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class RequestDecisionView(generics.GenericAPIView):
    serializer_class = RequestDecisionInputSerializer
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        tags=["Declarations"],
        summary="Customs: grant or refuse an amendment or invalidation after release (reason to refuse)",
        request=RequestDecisionInputSerializer,
        responses={
            200: RequestSerializer,
            400: ErrorResponseSerializer,
            404: ErrorResponseSerializer,
            409: ErrorResponseSerializer,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        body = request_fingerprint(request)
        return with_idempotency(request, body, lambda: self._decide(request, pk))

    def _decide(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        if pk > 2**63 - 1 or not services.may_decide_requests(user):
            raise Http404("No such request.")
        serializer = RequestDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decided = services.post_release_request_decide(
            request_id=pk,
            user=user,
            outcome=serializer.validated_data["outcome"],
            reason=serializer.validated_data.get("reason", ""),
        )
        decided = PostReleaseRequest.objects.select_related("declaration", "version").get(pk=decided.pk)
        return Response(RequestSerializer(decided).data)


class ReleaseNoteView(generics.GenericAPIView):
    serializer_class = ReleaseDecisionSerializer  # for the schema generator only

    @extend_schema(
        tags=["Declarations"],
        summary="Download the release note of a released declaration (plain text)",
        responses={(200, "text/plain"): OpenApiTypes.STR, 404: ErrorResponseSerializer},
    )
    def get(self, request: Request, mrn: str) -> HttpResponse:
        user: User = request.user  # type: ignore[assignment]
        if user.role is Role.OFFICER:
            # As on the page: the note lists every agency's decision, an officer sees only its part.
            raise Http404("No such declaration.")
        declaration = access_declaration(user, mrn)
        response = HttpResponse(
            selectors.release_note_text(declaration), content_type="text/plain; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="release-{declaration.mrn}.txt"'
        return response


class NotificationListView(generics.ListAPIView):
    serializer_class = NotificationSerializer

    def get_queryset(self) -> QuerySet[Notification]:
        user: User = self.request.user  # type: ignore[assignment]
        return selectors.notifications_for(user, unread_only=self.request.query_params.get("unread") == "1")

    @extend_schema(
        tags=["Notifications"],
        summary="Your portal notifications, newest first (unread=1 for unread only)",
        parameters=[OpenApiParameter("unread", str, required=False, enum=["1"])],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class NotificationReadView(generics.GenericAPIView):
    serializer_class = NotificationSerializer

    @extend_schema(tags=["Notifications"], summary="Mark a notification read", request=None)
    def post(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        notification = selectors.access_notification(user, pk)
        services.notification_mark_read(notification=notification, user=user)
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)
