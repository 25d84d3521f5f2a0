"""A trader account's ledger and statements for the trader's own software.

``GET /api/v1/accounts/{id}/ledger``: the entries on the account, newest first, each with the
account's balance after it (the same rows as the account page and its CSV), paginated like every
list; ``from``, ``to`` and ``kind`` filter them without changing the running balance.
``GET /api/v1/accounts/{id}/statements``: its deferment accounts' monthly statements with their
lines. Access is the page's (``selectors.access_trader_account``): 404 for anyone else.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import TraderAccount, User
from declarations.api.serializers import ErrorResponseSerializer

from .. import selectors
from ..models import Statement, StatementLine, TransactionKind
from ..statements import statements_for
from .ledger_serializers import LedgerEntrySerializer, LedgerQuerySerializer, StatementSerializer


def _account(request: Request, account_id: int) -> TraderAccount:
    user: User = request.user  # type: ignore[assignment]
    return selectors.access_trader_account(user, account_id)


class AccountLedgerView(generics.GenericAPIView):
    serializer_class = LedgerEntrySerializer

    @extend_schema(
        tags=["Trader accounts"],
        summary="The entries on a trader account, newest first, each with the running balance",
        operation_id="account_ledger",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="Booked on or after this day."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Booked on or before this day."),
            OpenApiParameter(
                "kind", str, enum=[k.value for k in TransactionKind], description="Only entries of this kind."
            ),
        ],
        responses={
            200: LedgerEntrySerializer(many=True),
            400: ErrorResponseSerializer,
            404: ErrorResponseSerializer,
        },
    )
    def get(self, request: Request, id: int) -> Response:
        account = _account(request, id)
        query = LedgerQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = selectors.LedgerFilter(
            date_from=query.validated_data.get("from"),
            date_to=query.validated_data.get("to"),
            kind=query.validated_data.get("kind", ""),
        )
        page = self.paginate_queryset(selectors.ledger_entries(account, filters))
        rows = list(selectors.ledger_rows(page or []))
        return self.get_paginated_response(LedgerEntrySerializer(rows, many=True).data)


class AccountStatementsView(generics.GenericAPIView):
    serializer_class = StatementSerializer

    def statements(self, account: TraderAccount) -> QuerySet[Statement]:
        lines = StatementLine.objects.select_related("declaration").order_by("charged_on", "pk")
        return statements_for(account).prefetch_related(Prefetch("lines", queryset=lines))

    @extend_schema(
        tags=["Trader accounts"],
        summary="The monthly statements of a trader account's deferment accounts, newest first",
        operation_id="account_statements",
        responses={200: StatementSerializer(many=True), 404: ErrorResponseSerializer},
    )
    def get(self, request: Request, id: int) -> Response:
        account = _account(request, id)
        page = self.paginate_queryset(self.statements(account))
        return self.get_paginated_response(StatementSerializer(page, many=True).data)
