"""The review API: an agency's queue, one review, claim, decision; the trader's answer.

Officers and agencies' own systems (a user with the officer role of the agency, using its token)
see only their agency's reviews; anything else is the same 404 as a review that does not exist.
"""

from __future__ import annotations

import hashlib
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, parsers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.models import User
from declarations.api.serializers import ErrorResponseSerializer
from singlewindow.api import answer_after_commit, request_fingerprint, with_idempotency
from singlewindow.errors import DomainError
from singlewindow.parsers import BoundedJSONParser

from .. import selectors, services
from ..models import AgencyReview, ReviewStatus
from ..views import attachment_response
from .serializers import (
    AnswerInputSerializer,
    DecisionInputSerializer,
    InformationRequestSerializer,
    ReviewDetailSerializer,
    ReviewSummarySerializer,
)

TAGS = ["Reviews"]
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat a request safely: the same key replays the first answer.",
)
ERRORS = {
    400: ErrorResponseSerializer,
    403: ErrorResponseSerializer,  # a supervisor, who reads every review, may not take or decide one
    404: ErrorResponseSerializer,
    409: ErrorResponseSerializer,
}


class ReviewFilter(django_filters.FilterSet):
    view = django_filters.ChoiceFilter(
        choices=[(v.value, v.value) for v in selectors.QueueView],
        method="noop",
        help_text="pending (waiting, unclaimed), mine, overdue, decided, all (default).",
    )
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices, method="noop")
    mrn = django_filters.CharFilter(method="noop")
    trader = django_filters.CharFilter(method="noop", help_text="The trader's EORI.")
    hs = django_filters.CharFilter(method="noop", help_text="Prefix of a routed item's commodity code.")
    # Bounded: a timedelta of 1e309 hours overflows. Ten years is longer than any review waits.
    min_age_hours = django_filters.NumberFilter(
        method="noop", min_value=0, max_value=87_600, help_text="Waiting at least this long (hours)."
    )
    agency = django_filters.CharFilter(method="noop", help_text="Agency code (supervisors).")

    class Meta:
        model = AgencyReview
        fields: list[str] = []

    def noop(self, queryset: QuerySet[AgencyReview], name: str, value: Any) -> QuerySet[AgencyReview]:
        return queryset  # the selector applies the filters (see ReviewListView.get_queryset)


class ReviewListView(generics.ListAPIView):
    serializer_class = ReviewSummarySerializer
    filterset_class = ReviewFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[AgencyReview]:
        user: User = self.request.user  # type: ignore[assignment]
        form = ReviewFilter(self.request.query_params, queryset=AgencyReview.objects.none())
        if not form.is_valid():
            # As DjangoFilterBackend does for the declarations list: a filter that cannot apply is a 400.
            raise translate_validation(form.errors)
        values: dict[str, Any] = form.form.cleaned_data
        age = values.get("min_age_hours")
        return selectors.review_queue(
            user,
            view=values.get("view") or selectors.QueueView.ALL,
            status=values.get("status") or "",
            mrn=values.get("mrn") or "",
            trader=values.get("trader") or "",
            hs_prefix=values.get("hs") or "",
            min_age_hours=float(age) if age is not None else None,
            agency=values.get("agency") or "",
        )

    @extend_schema(
        tags=TAGS,
        summary="Your agency's review queue (officers and agency systems; supervisors see all)",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _review(request: Request, pk: int) -> AgencyReview:
    user: User = request.user  # type: ignore[assignment]
    return selectors.access_review(user, pk)


def _detail_response(request: Request, review: AgencyReview) -> Response:
    review = selectors.review_with_details(review)
    return Response(ReviewDetailSerializer(review, context={"request": request}).data)


class ReviewDetailView(generics.GenericAPIView):
    serializer_class = ReviewDetailSerializer

    @extend_schema(tags=TAGS, summary="Read one review: routed items, documents, questions, trader history")
    def get(self, request: Request, pk: int) -> Response:
        return _detail_response(request, _review(request, pk))


class ReviewClaimView(generics.GenericAPIView):
    serializer_class = ReviewDetailSerializer

    @extend_schema(
        tags=TAGS,
        summary="Take a waiting review (409 if another officer has it)",
        request=None,
        parameters=[IDEMPOTENCY],
        responses={200: ReviewDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        return with_idempotency(request, request.path.encode(), lambda: self._claim(request, pk))

    def _claim(self, request: Request, pk: int) -> Response:
        review = _review(request, pk)
        user: User = request.user  # type: ignore[assignment]
        return _detail_response(request, services.review_claim(review=review, officer=user))


class ReviewReleaseView(generics.GenericAPIView):
    serializer_class = ReviewDetailSerializer

    @extend_schema(
        tags=TAGS,
        summary="Put a review you hold back in the queue",
        request=None,
        parameters=[IDEMPOTENCY],
        responses={200: ReviewDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        return with_idempotency(request, request.path.encode(), lambda: self._release(request, pk))

    def _release(self, request: Request, pk: int) -> Response:
        review = _review(request, pk)
        user: User = request.user  # type: ignore[assignment]
        return _detail_response(request, services.review_release_claim(review=review, officer=user))


class ReviewDecisionView(generics.GenericAPIView):
    serializer_class = DecisionInputSerializer

    @extend_schema(
        tags=TAGS,
        summary="Decide: approved, rejected (reason), info_requested (question), inspection_required",
        request=DecisionInputSerializer,
        parameters=[IDEMPOTENCY],
        responses={200: ReviewDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        # The path is part of the fingerprint: one key reused for another review is a client error.
        body = request_fingerprint(request)
        return with_idempotency(request, body, lambda: self._decide(request, pk))

    def _decide(self, request: Request, pk: int) -> Response:
        review = _review(request, pk)
        serializer = DecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        decided = services.review_decide(
            review=review,
            officer=user,
            outcome=serializer.validated_data["outcome"],
            reason=serializer.validated_data["reason"],
        )

        def recorded() -> Response:
            # Committed, but not readable back just now: the decision as it was written.
            url = reverse("api-review-detail", kwargs={"pk": decided.pk}, request=request)
            payload = {
                "id": decided.pk,
                "url": url,
                "status": decided.status,
                "decision_reason": decided.decision_reason,
                "decided_at": decided.decided_at,
                "detail_unavailable": True,
            }
            return Response(payload)

        return answer_after_commit(lambda: _detail_response(request, decided), recorded)


class InformationAnswerView(generics.GenericAPIView):
    serializer_class = AnswerInputSerializer
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, BoundedJSONParser]

    @extend_schema(
        tags=["Declarations"],
        summary="Answer an agency's question (text, and files as multipart 'files')",
        request={"multipart/form-data": AnswerInputSerializer, "application/json": AnswerInputSerializer},
        parameters=[IDEMPOTENCY],
        responses={200: InformationRequestSerializer, **ERRORS, 413: ErrorResponseSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        # Not yours or not there: 404 before anything else is read of the request.
        information_request = selectors.access_information_request(user, pk)
        if not hasattr(request.data, "get"):
            message = _("Send the answer as a form or as a JSON object with an 'answer'.")
            raise DomainError(
                "invalid_body", message, errors=[{"pointer": "", "code": "invalid_body", "message": message}]
            )
        answer = str(request.data.get("answer", ""))
        files = request.FILES.getlist("files") if hasattr(request, "FILES") else []
        fingerprint = hashlib.sha256(request.path.encode())
        fingerprint.update(answer.encode())
        for upload in files:
            fingerprint.update(f"\0{upload.name}\0{upload.size}\0".encode())
            for chunk in upload.chunks():
                fingerprint.update(chunk)
            upload.seek(0)
        return with_idempotency(
            request,
            fingerprint.hexdigest().encode(),
            lambda: self._answer(request, information_request, answer, files),
        )

    def _answer(self, request: Request, information_request: Any, answer: str, files: list[Any]) -> Response:
        user: User = request.user  # type: ignore[assignment]
        serializer = AnswerInputSerializer(data={"answer": answer})
        serializer.is_valid(raise_exception=True)
        answered = services.information_answer(
            information_request=information_request,
            user=user,
            answer=serializer.validated_data["answer"],
            attachments=files,
        )
        answered = selectors.access_information_request(user, answered.pk)
        return Response(InformationRequestSerializer(answered, context={"request": request}).data)


class AttachmentDownloadView(generics.GenericAPIView):
    serializer_class = InformationRequestSerializer  # for the schema generator only

    @extend_schema(
        tags=["Reviews"],
        summary="Download a file the trader attached to an answer (the agency's officers, the trader)",
        # Served with the type it was uploaded as (PDF, PNG, JPEG, XML or text).
        responses={(200, "*/*"): OpenApiTypes.BINARY, 404: ErrorResponseSerializer},
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        user: User = request.user  # type: ignore[assignment]
        return attachment_response(selectors.access_attachment(user, pk))
