"""WCO DMS responses over the API: the pull with a cursor, one response as XML, and answering a
lodgement in the trader's standard (``Accept: application/xml``).

``GET /api/v1/notifications`` stays what it was (the portal's own notifications, clearance); the
DMS responses are pulled from ``GET /api/v1/notifications/dms``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, renderers, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.models import User

from .. import selectors
from ..canonical import Issue
from ..models import Declaration, DeclarationResponse, ResponseKind
from ..responses import rejection_xml, responses_visible_to
from .serializers import ErrorResponseSerializer

XML = "application/xml"
PULL_LIMIT_DEFAULT = 100
PULL_LIMIT_MAX = 200


def response_link(request: Request, response: DeclarationResponse) -> dict[str, Any]:
    return {
        "id": response.pk,
        "kind": response.kind,
        "function_code": response.function_code,
        "url": reverse("api-dms-response", kwargs={"pk": response.pk}, request=request),
    }


def acceptance_of(declaration: Declaration) -> DeclarationResponse | None:
    """The 01 written when the declaration was accepted (its first acceptance): kept on the
    declaration lodgement just stored (``services._store``), read otherwise."""
    kept = getattr(declaration, "acceptance_response", None)
    if kept is not None:
        return kept
    return (
        DeclarationResponse.objects.filter(declaration=declaration, kind=ResponseKind.ACCEPTED)
        .only("pk", "kind", "function_code")
        .order_by("pk")
        .first()
    )


def _issues_of(data: Any) -> list[Issue]:
    errors = data.get("errors") if isinstance(data, dict) else None
    return [
        Issue(
            code=str(e.get("code", "")), message=str(e.get("message", "")), pointer=str(e.get("pointer", ""))
        )
        for e in errors or []
        if isinstance(e, dict)
    ]


class DmsXmlRenderer(renderers.BaseRenderer):
    """A lodgement answered in the trader's standard, for a client that sends ``Accept:
    application/xml``: the DMS response it produced (01 accepted, 03 rejected), with the status
    the JSON answer would have had.

    The stored response when the answer links one (``response``); an error that stored nothing (a
    message refused before it was read, a conflict, a refused token) gets a 03 made for it.
    """

    media_type = XML
    format = "xml"
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        link = data.get("response") if isinstance(data, dict) else None
        request = (renderer_context or {}).get("request")
        if isinstance(link, dict) and isinstance(link.get("id"), int) and request is not None:
            stored = responses_visible_to(request.user).filter(pk=link["id"]).values_list("body", flat=True)
            body = stored.first()
            if body is not None:
                return body.encode()
        if isinstance(data, dict) and "errors" in data:
            return rejection_xml(_issues_of(data))
        return json.dumps(data, default=str).encode()


# --- the pull ----------------------------------------------------------------------------------


class DmsResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    function_code = serializers.CharField()
    reference = serializers.CharField()
    mrn = serializers.CharField()
    lrn = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    issued_at = serializers.DateTimeField()
    url = serializers.CharField()
    xml = serializers.CharField(required=False, help_text="The message itself (in the pull only).")


class DmsResponsePageSerializer(serializers.Serializer):
    results = DmsResponseSerializer(many=True)
    after = serializers.IntegerField(help_text="Send this as `after` to get what follows.")
    more = serializers.BooleanField(help_text="Whether more responses follow now.")


def _row(request: Request, response: DeclarationResponse, *, with_xml: bool) -> dict[str, Any]:
    row = {
        "id": response.pk,
        "kind": response.kind,
        "function_code": response.function_code,
        "reference": response.reference,
        "mrn": response.mrn,
        "lrn": response.lrn,
        "version": response.version,
        "issued_at": response.issued_at,
        "url": reverse("api-dms-response", kwargs={"pk": response.pk}, request=request),
    }
    if with_xml:
        row["xml"] = response.body
    return row


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationError({name: [f"A whole number from {low} to {high:,}."]})
    return int(raw)


class DmsResponseListView(generics.GenericAPIView):
    serializer_class = DmsResponsePageSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[DeclarationResponse]:
        user: User = self.request.user  # type: ignore[assignment]
        return responses_visible_to(user)

    @extend_schema(
        tags=["DMS responses"],
        summary="Pull the WCO DMS responses you have not seen (after a cursor), oldest first",
        operation_id="dms_responses_pull",
        parameters=[
            OpenApiParameter("after", int, description="The `after` of the previous page (0 to start)."),
            OpenApiParameter(
                "limit", int, description=f"At most this many (default 100, at most {PULL_LIMIT_MAX})."
            ),
            OpenApiParameter("mrn", str, description="Only the responses about this declaration."),
            OpenApiParameter("lrn", str, description="Only the responses with this LRN."),
        ],
        responses={200: DmsResponsePageSerializer, 400: ErrorResponseSerializer},
    )
    def get(self, request: Request) -> Response:
        after = _int_param(request, "after", 0, 0, 2**63 - 1)
        limit = _int_param(request, "limit", PULL_LIMIT_DEFAULT, 1, PULL_LIMIT_MAX)
        settled = timezone.now() - timedelta(seconds=settings.SW_RESPONSE_PULL_SETTLE_SECONDS)
        queryset = self.get_queryset().filter(pk__gt=after, issued_at__lte=settled)
        for name in ("mrn", "lrn"):
            value = request.query_params.get(name)
            if value:
                if "\x00" in value:
                    raise ValidationError({name: ["Not a valid reference."]})
                queryset = queryset.filter(**{name: value})
        rows = list(queryset.order_by("pk")[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        return Response(
            {
                "results": [_row(request, r, with_xml=True) for r in rows],
                "after": rows[-1].pk if rows else after,
                "more": more,
            }
        )


class DmsResponseView(generics.GenericAPIView):
    serializer_class = DmsResponseSerializer  # for the schema generator only

    @extend_schema(
        tags=["DMS responses"],
        summary="One WCO DMS response message (application/xml)",
        operation_id="dms_response_retrieve",
        responses={(200, XML): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        user: User = request.user  # type: ignore[assignment]
        response = responses_visible_to(user).filter(pk=pk).only("body", "reference").first()
        if response is None:
            raise Http404("No such response.")
        out = HttpResponse(response.body.encode(), content_type=XML)
        out["Content-Disposition"] = f'attachment; filename="{response.reference}.xml"'
        return out


class DeclarationResponsesView(generics.GenericAPIView):
    serializer_class = DmsResponseSerializer
    pagination_class = None

    @extend_schema(
        tags=["DMS responses"],
        summary="The WCO DMS responses about one declaration, oldest first (without their XML)",
        operation_id="declaration_dms_responses_list",
        responses=DmsResponseSerializer(many=True),
    )
    def get(self, request: Request, mrn: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        declaration = selectors.access_declaration(user, mrn)
        rows = responses_visible_to(user).filter(declaration=declaration).defer("body").order_by("pk")
        return Response([_row(request, r, with_xml=False) for r in rows])
