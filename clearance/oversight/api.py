"""The watchlist API for agencies' systems: ``GET/POST /api/v1/watchlist``,
``POST /api/v1/watchlist/{id}/remove``.

Readers: agency officers (and their systems' tokens), customs supervisors, administrators; anyone
else gets 404. Writes are for the token user's own agency (customs for a supervisor) and accept an
``Idempotency-Key``, like the API's other writes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User, eori_validator
from declarations.api.serializers import ErrorResponseSerializer
from singlewindow.api import request_fingerprint, with_idempotency
from singlewindow.errors import DomainError
from singlewindow.parsers import BoundedJSONParser

from ..models import WatchlistEntry
from . import access, selectors, services

TAGS = ["Watchlists"]
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat a request safely: the same key replays the first answer.",
)
ERRORS = {400: ErrorResponseSerializer, 404: ErrorResponseSerializer, 409: ErrorResponseSerializer}


class WatchlistEntrySerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.code")
    added_by = serializers.CharField(source="added_by.username")
    removed_by = serializers.CharField(source="removed_by.username", default=None, allow_null=True)
    trader_account = serializers.CharField(source="trader_account.eori", default=None, allow_null=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = WatchlistEntry
        fields = [
            "id",
            "eori",
            "name",
            "trader_account",
            "agency",
            "reason",
            "added_by",
            "added_at",
            "valid_until",
            "active",
            "removed_at",
            "removed_by",
            "removal_reason",
        ]

    def get_active(self, entry: WatchlistEntry) -> bool:
        return entry.removed_at is None and (
            entry.valid_until is None or entry.valid_until >= self.context["today"]
        )


class WatchlistAddSerializer(serializers.Serializer):
    eori = serializers.CharField(required=False, allow_blank=True, max_length=17, default="")
    name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    reason = serializers.CharField(max_length=2000)
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)
    agency = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Agency code; only needed by an officer of several agencies.",
    )

    def validate_eori(self, value: str) -> str:
        value = value.strip().upper()
        if value:
            try:
                eori_validator(value)
            except Exception as exc:  # Django's ValidationError: the message as DRF's
                raise serializers.ValidationError(
                    "An EORI is a two-letter country code followed by up to 15 letters or digits.",
                    code="eori_invalid",
                ) from exc
        return value


class WatchlistFilterSerializer(serializers.Serializer):
    show = serializers.ChoiceField(
        choices=[v.value for v in selectors.WatchlistShow], required=False, default="active"
    )
    eori = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    agency = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")


class WatchlistRemoveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


def _user(request: Request) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not access.sees_watchlists(user):
        raise Http404("No such list.")
    return user


class WatchlistView(generics.ListAPIView):
    serializer_class = WatchlistEntrySerializer
    parser_classes = [BoundedJSONParser]

    def get_queryset(self) -> QuerySet[WatchlistEntry]:
        _user(self.request)
        # A filter that cannot apply (an unknown ``show``, a NUL character) is a 400.
        params = WatchlistFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        f = params.validated_data
        return selectors.watchlist_entries(show=f["show"], text=f["eori"], agency=f["agency"])

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(
        tags=TAGS,
        summary="Every agency's watchlist entries, newest first (show=active by default)",
        parameters=[
            OpenApiParameter("show", str, required=False, enum=["active", "expired", "removed", "all"]),
            OpenApiParameter("eori", str, required=False, description="EORI, or part of the name."),
            OpenApiParameter("agency", str, required=False, description="Code of the agency that added it."),
        ],
        responses={200: WatchlistEntrySerializer(many=True), 404: ErrorResponseSerializer},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Put a trader or party on your agency's watchlist (reason required; 409 if already on it)",
        request=WatchlistAddSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: WatchlistEntrySerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        body = request_fingerprint(request)
        return with_idempotency(request, body, lambda: self._add(request))

    def _add(self, request: Request) -> Response:
        user = _user(request)
        serializer = WatchlistAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        own = access.watchlist_agencies_of(user)
        if data["agency"]:
            matching = [a for a in own if a.code == data["agency"]]
        else:
            matching = own if len(own) == 1 else []
        if not own:
            raise Http404("No agency to add for.")
        if not matching:
            message = "Give the code of one of your agencies."
            raise DomainError(
                "agency_required",
                message,
                errors=[{"pointer": "agency", "code": "agency_required", "message": message}],
            )
        entry = services.watchlist_add(
            user=user,
            agency=matching[0],
            eori=data["eori"],
            name=data["name"],
            reason=data["reason"],
            valid_until=data["valid_until"],
        )
        entry = selectors.watchlist_entries(show=selectors.WatchlistShow.ALL).get(pk=entry.pk)
        return Response(
            WatchlistEntrySerializer(entry, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class WatchlistRemoveView(generics.GenericAPIView):
    serializer_class = WatchlistRemoveSerializer
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Take an entry of your agency off its watchlist (reason required; kept as removed)",
        request=WatchlistRemoveSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: WatchlistEntrySerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        body = request_fingerprint(request)
        return with_idempotency(request, body, lambda: self._remove(request, pk))

    def _remove(self, request: Request, pk: int) -> Response:
        user = _user(request)
        entry = access.access_watchlist_entry_to_remove(user, pk)
        serializer = WatchlistRemoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.watchlist_remove(user=user, entry_id=entry.pk, reason=serializer.validated_data["reason"])
        entry = selectors.watchlist_entries(show=selectors.WatchlistShow.ALL).get(pk=entry.pk)
        return Response(WatchlistEntrySerializer(entry, context={"today": timezone.localdate()}).data)
