"""The licences API: shared licences and permits on file, registered and revoked by their agency.

Every agency officer (and an agency's own system, a user with the officer role), supervisors and
administrators read every licence; a trader reads the licences its accounts hold; anything else is
the same 404 as a licence that does not exist. Only an officer of the issuing agency registers
(for its own agency) and revokes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from singlewindow.api import request_fingerprint, with_idempotency
from singlewindow.errors import DomainError
from singlewindow.serializers import ErrorResponseSerializer

from .. import licences
from ..models import Licence, LicenceState, LicenceUsage

TAGS = ["Licences"]
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat a request safely: the same key replays the first answer.",
)
ERRORS = {
    400: ErrorResponseSerializer,
    403: ErrorResponseSerializer,  # not an officer of an agency: registers and revokes nothing
    404: ErrorResponseSerializer,
    409: ErrorResponseSerializer,
}


class LicenceSerializer(serializers.ModelSerializer):
    """A licence on file: issuer, holder, scope, allowance, validity, what is left, its state today."""

    url = serializers.HyperlinkedIdentityField(view_name="api-licence-detail")
    agency = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")
    holder = serializers.CharField(source="holder.eori", help_text="The holder's EORI.")
    holder_name = serializers.CharField(source="holder.name")
    hs_prefixes = serializers.ListField(child=serializers.CharField(), help_text="Commodity codes covered.")
    state = serializers.ChoiceField(choices=LicenceState.choices, help_text="On today's date.")

    class Meta:
        model = Licence
        fields = [
            "id",
            "url",
            "agency",
            "agency_name",
            "document_code",
            "number",
            "holder",
            "holder_name",
            "hs_prefixes",
            "quantity_allowance",
            "quantity_unit",
            "quantity_balance",
            "value_allowance",
            "value_currency",
            "value_balance",
            "valid_from",
            "valid_until",
            "state",
            "revoked_at",
            "revoke_reason",
            "created_at",
        ]


class UsageSerializer(serializers.ModelSerializer):
    """One line of the balance history: the change and what was left after it."""

    mrn = serializers.CharField(source="declaration.mrn", default=None, allow_null=True)
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True)

    class Meta:
        model = LicenceUsage
        fields = [
            "id",
            "kind",
            "at",
            "mrn",
            "version",
            "item",
            "quantity",
            "value",
            "quantity_balance",
            "value_balance",
            "reverses",
            "reason",
        ]


class LicenceDetailSerializer(LicenceSerializer):
    history = serializers.SerializerMethodField()

    class Meta(LicenceSerializer.Meta):
        fields = [*LicenceSerializer.Meta.fields, "history"]

    @extend_schema_field(UsageSerializer(many=True))
    def get_history(self, licence: Licence) -> list[dict[str, Any]]:
        return list(UsageSerializer(licences.licence_history(licence), many=True).data)


class LicenceInputSerializer(serializers.Serializer):
    agency = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=30,
        help_text="Your agency's code; may be left out when you work for one agency.",
    )
    document_code = serializers.CharField(max_length=4, help_text="DE 2/3 category and type (9100, L001).")
    number = serializers.CharField(max_length=70, help_text="The licence number as declared in DE 2/3 ID.")
    holder = serializers.CharField(max_length=17, help_text="The holder's EORI.")
    hs_prefixes = serializers.ListField(
        child=serializers.RegexField(r"^[0-9]{2,10}$", max_length=10),
        max_length=50,
        required=False,
        default=list,
        help_text="Commodity code prefixes covered (empty: any goods).",
    )
    quantity_allowance = serializers.DecimalField(
        max_digits=22, decimal_places=6, required=False, allow_null=True, min_value=0
    )
    quantity_unit = serializers.CharField(max_length=5, required=False, allow_blank=True, default="")
    value_allowance = serializers.DecimalField(
        max_digits=19, decimal_places=3, required=False, allow_null=True, min_value=0
    )
    value_currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()


class RevokeInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


class LicenceListView(generics.ListCreateAPIView):
    serializer_class = LicenceSerializer

    def get_queryset(self) -> QuerySet[Licence]:
        params = self.request.query_params
        visible = licences.licences_visible(_user(self.request))
        found = licences.licences_search(
            agency=params.get("agency", "")[:30],
            holder=params.get("holder", "")[:17],
            number=params.get("number", "")[:70],
            state=params.get("state", "")[:20],
        )
        return found.filter(pk__in=visible.values("pk")).order_by("-created_at", "-pk")

    @extend_schema(
        tags=TAGS,
        summary="Licences on file (every agency reads all; a trader its own)",
        parameters=[
            OpenApiParameter("holder", str, description="The holder's EORI."),
            OpenApiParameter("number", str, description="Part of the licence number."),
            OpenApiParameter("agency", str, description="The issuing agency's code."),
            OpenApiParameter("state", str, enum=[s.value for s in LicenceState]),
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Register a licence your agency issued",
        request=LicenceInputSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: LicenceDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = request_fingerprint(request)
        return with_idempotency(request, body, lambda: self._register(request))

    def _register(self, request: Request) -> Response:
        user = _user(request)
        agencies = licences.registering_agencies(user)
        if not agencies:
            raise DomainError(
                "licence_not_allowed",
                _("Only an officer of the issuing agency registers its licences."),
                status=403,
            )
        serializer = LicenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        code = values.pop("agency", "")
        if code:
            agency = next((a for a in agencies if a.code == code), None)
        else:
            agency = agencies[0] if len(agencies) == 1 else None
        if agency is None:
            message = _("Name your own agency's code: you register licences for your agency only.")
            raise DomainError(
                "licence_agency",
                message,
                errors=[{"pointer": "agency", "code": "licence_agency", "message": message}],
            )
        licence = licences.licence_register(
            agency=agency,
            actor=user,
            data=licences.LicenceInput(holder_eori=values.pop("holder"), **values),
        )
        data = LicenceDetailSerializer(licence, context={"request": request}).data
        return Response(data, status=201)


class LicenceDetailView(generics.GenericAPIView):
    serializer_class = LicenceDetailSerializer

    @extend_schema(
        tags=TAGS,
        summary="One licence with its balance history",
        responses={200: LicenceDetailSerializer, 404: ErrorResponseSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        licence = licences.access_licence(_user(request), pk)
        return Response(LicenceDetailSerializer(licence, context={"request": request}).data)


class LicenceRevokeView(generics.GenericAPIView):
    serializer_class = RevokeInputSerializer

    @extend_schema(
        tags=TAGS,
        summary="Revoke a licence of your agency (reason required)",
        request=RevokeInputSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: LicenceDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        body = request_fingerprint(request)
        return with_idempotency(request, body, lambda: self._revoke(request, pk))

    def _revoke(self, request: Request, pk: int) -> Response:
        user = _user(request)
        licence = licences.access_licence_to_revoke(user, pk)
        serializer = RevokeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        revoked = licences.licence_revoke(
            licence=licence, actor=user, reason=serializer.validated_data["reason"]
        )
        return Response(LicenceDetailSerializer(revoked, context={"request": request}).data)
