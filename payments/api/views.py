"""The payments API: start a payment for a declaration (idempotent), read a payment."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from declarations.api.serializers import ErrorResponseSerializer
from declarations.selectors import access_declaration
from singlewindow.api import with_idempotency

from .. import payments
from ..models import Payment, PaymentMethod, PaymentStatus
from ..money import home_currency, quantize


class PaymentInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    amount = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="At most what may be paid now; leave out to pay all of it.",
    )
    currency = serializers.CharField(
        required=False,
        max_length=3,
        help_text="Optional: the administration's currency, in which every payment is made.",
    )

    def validate_currency(self, value: str) -> str:
        if value.upper() != home_currency():
            raise serializers.ValidationError(
                _("Payments are made in %(currency)s.") % {"currency": home_currency()}
            )
        return value.upper()


class AllocationSerializer(serializers.Serializer):
    mrn = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)


class BankDetailsSerializer(serializers.Serializer):
    account_name = serializers.CharField()
    bank_name = serializers.CharField()
    sort_code = serializers.CharField()
    account_number = serializers.CharField()
    iban = serializers.CharField()
    bic = serializers.CharField()


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="Quote it on a bank transfer.")
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField()
    redirect_url = serializers.URLField(
        allow_null=True, help_text="Card: where the payer confirms the payment with the provider."
    )
    bank_details = BankDetailsSerializer(allow_null=True, help_text="Bank transfer: where to send it.")
    declarations = AllocationSerializer(many=True)
    created_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)
    failure_reason = serializers.CharField(allow_blank=True)


def payment_payload(request: Request, payment: Payment) -> dict[str, Any]:
    allocations = payment.allocations.select_related("declaration").order_by("declaration_id")
    return dict(
        PaymentSerializer(
            {
                "id": payment.pk,
                "reference": payment.reference,
                "status": payment.status,
                "method": payment.method,
                "amount": quantize(payment.amount, payment.currency),
                "currency": payment.currency,
                "redirect_url": request.build_absolute_uri(payment.redirect_url)
                if payment.redirect_url and payment.status == PaymentStatus.AWAITING_CONFIRMATION
                else None,
                "bank_details": settings.SW_BANK_DETAILS
                if payment.method == PaymentMethod.BANK_TRANSFER
                and payment.status == PaymentStatus.AWAITING_FUNDS
                else None,
                "declarations": [
                    {"mrn": a.declaration.mrn, "amount": quantize(a.amount, payment.currency)}
                    for a in allocations
                ],
                "created_at": payment.created_at,
                "settled_at": payment.settled_at,
                "failure_reason": payment.failure_reason,
            }
        ).data
    )


class DeclarationPaymentsView(generics.GenericAPIView):
    serializer_class = PaymentInputSerializer

    @extend_schema(
        tags=["Payments"],
        operation_id="declarations_payments_create",
        summary="Start paying a declaration's duties, by card (then send the payer to redirect_url) "
        "or by bank transfer (quote the reference)",
        request=PaymentInputSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        responses={
            201: PaymentSerializer,
            400: ErrorResponseSerializer,
            404: ErrorResponseSerializer,
            409: ErrorResponseSerializer,
            422: ErrorResponseSerializer,
            502: ErrorResponseSerializer,
        },
    )
    def post(self, request: Request, mrn: str) -> Response:
        data: Any = request.data
        # Keyed by path and body: the same key on another declaration is another body, refused.
        body = request.path.encode() + json.dumps(data, sort_keys=True, default=str).encode()
        return with_idempotency(request, body, lambda: self._start(request, mrn, data))

    def _start(self, request: Request, mrn: str, data: Any) -> Response:
        user: User = request.user  # type: ignore[assignment]
        declaration = access_declaration(user, mrn)
        if not payments.may_pay(user, declaration.trader_account_id):
            raise Http404("No such declaration.")
        serializer = PaymentInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        payment = payments.payment_start(
            user=user,
            trader_account=declaration.trader_account,  # type: ignore[arg-type]
            allocations=[(declaration, serializer.validated_data.get("amount"))],
            method=serializer.validated_data["method"],
            return_url=reverse("declarations:detail", args=[declaration.mrn]),
        )
        return Response(payment_payload(request, payment), status=status.HTTP_201_CREATED)


class PaymentDetailView(generics.GenericAPIView):
    serializer_class = PaymentSerializer

    @extend_schema(
        tags=["Payments"],
        operation_id="payments_retrieve",
        summary="A payment and its status",
        responses={200: PaymentSerializer, 404: ErrorResponseSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        payment = Payment.objects.filter(pk=pk).first() if pk < 2**63 else None
        if payment is None or not payments.may_pay(user, payment.trader_account_id):
            raise Http404("No such payment.")
        return Response(payment_payload(request, payment))
