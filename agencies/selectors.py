"""Permission-scoped reads of agency reviews: the officers' queues, one review, a trader's history.

An officer sees the reviews of its own agencies only, and of a declaration only the goods items
routed to its agency; supervisors and administrators see every review. "Not yours" and "does not
exist" are the same 404. Every list here runs a fixed number of queries whatever its length.
"""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Role, User
from declarations import selectors as declaration_selectors
from declarations.models import Declaration, Document, GoodsItem

from .access import agencies_of, agency_ids_of
from .models import (
    DECIDED_STATUSES,
    OPEN_STATUSES,
    AgencyReview,
    Attachment,
    DeliveryStatus,
    InformationRequest,
    ReviewStatus,
    WebhookDelivery,
)


def _sees_all(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role in (Role.SUPERVISOR, Role.ADMIN)


def reviews_for_officer(user: User) -> QuerySet[AgencyReview]:
    """Reviews the user may see: its agencies' (an officer), every one (supervisor, admin), else none."""
    reviews = AgencyReview.objects.all()
    if not user.is_authenticated or not user.is_active:
        return reviews.none()
    role = user.role
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return reviews
    if role is not Role.OFFICER:
        return reviews.none()
    return reviews.filter(agency_id__in=agency_ids_of(user))


def access_review(user: User, review_id: int | str) -> AgencyReview:
    """The review if the user may see it; 404 otherwise, whether it is missing or not the user's."""
    try:
        return reviews_for_officer(user).select_related("agency", "declaration").get(pk=int(review_id))
    except (AgencyReview.DoesNotExist, ValueError, TypeError):
        raise Http404("No such review.") from None


def items_visible_to_officer(user: User, declaration: Declaration) -> QuerySet[GoodsItem]:
    """The goods items of ``declaration`` routed to the officer's agencies (all for supervisors)."""
    items = GoodsItem.objects.filter(declaration=declaration)
    if _sees_all(user):
        return items
    return items.filter(
        Exists(
            AgencyReview.items.through.objects.filter(
                goodsitem_id=OuterRef("pk"), agencyreview__agency__in=agencies_of(user)
            )
        )
    )


class QueueView(enum.StrEnum):
    PENDING = "pending"  # waiting, nobody has it
    MINE = "mine"  # held by the officer, not yet decided
    OVERDUE = "overdue"  # past the agency's service level and not decided
    DECIDED = "decided"  # approved, rejected or approved automatically
    ALL = "all"


def review_queue(
    user: User,
    *,
    view: QueueView | str = QueueView.PENDING,
    status: str = "",
    mrn: str = "",
    trader: str = "",
    hs_prefix: str = "",
    min_age_hours: float | None = None,
    agency: str = "",
) -> QuerySet[AgencyReview]:
    """A page of the officer's queue: two queries whatever the page size (reviews, then items).

    Open views (pending, mine, overdue) and ``all`` put the reviews of authorised economic operators
    first (``AgencyReview.priority``), then the most urgent (earliest due, so overdue first); the
    open views leave out declarations already closed by a supervisor; ``decided`` shows the latest
    first.
    Filters: ``status``, ``mrn`` (exact), ``trader`` (EORI, or part of the name), ``hs_prefix``
    (any routed item's commodity code starts with it), ``min_age_hours`` (waiting at least that
    long), ``agency`` (code; for supervisors). Prefetches the routed items (``items_count`` uses them).
    """
    now = timezone.now()
    reviews = reviews_for_officer(user)
    view = QueueView(view)
    if view is QueueView.PENDING:
        reviews = reviews.filter(status=ReviewStatus.PENDING)
    elif view is QueueView.MINE:
        reviews = reviews.filter(claimed_by=user, status__in=OPEN_STATUSES)
    elif view is QueueView.OVERDUE:
        reviews = reviews.filter(status__in=OPEN_STATUSES, due_at__lt=now)
    elif view is QueueView.DECIDED:
        reviews = reviews.filter(status__in=DECIDED_STATUSES)
    if view in (QueueView.PENDING, QueueView.MINE, QueueView.OVERDUE):
        # Not the declaration's status: that join kept PostgreSQL from the queue indexes.
        reviews = reviews.filter(withdrawn_at__isnull=True)
    if status:
        reviews = reviews.filter(status=status)
    if mrn:
        reviews = reviews.filter(declaration__mrn=mrn.strip().upper())
    if trader:
        text = trader.strip()
        reviews = reviews.filter(
            Q(declaration__trader_account__eori=text.upper())
            | Q(declaration__trader_account__name__icontains=text)
        )
    if agency:
        reviews = reviews.filter(agency__code=agency)
    if hs_prefix:
        reviews = reviews.filter(
            Exists(
                AgencyReview.items.through.objects.filter(
                    agencyreview_id=OuterRef("pk"), goodsitem__commodity_code__startswith=hs_prefix.strip()
                )
            )
        )
    if min_age_hours is not None:
        reviews = reviews.filter(created_at__lte=now - timedelta(hours=min_age_hours))
    # AEOs first: served by the (agency, status, -priority, due_at) and (agency, -priority, due_at)
    # indexes (AgencyReview.Meta).
    ordering = ["-decided_at", "-pk"] if view is QueueView.DECIDED else ["-priority", "due_at", "pk"]
    return (
        reviews.select_related("agency", "declaration__trader_account", "claimed_by", "decided_by")
        .prefetch_related(Prefetch("items", queryset=GoodsItem.objects.order_by("position")))
        .order_by(*ordering)
    )


# Tab counts stop at this many: an exact count of a busy agency's decided reviews reads every one
# of them on every page view; the tab then says "1,000+" (templates/agencies/queue.html).
QUEUE_COUNT_CAP = 1000


def queue_counts(user: User) -> dict[str, int]:
    """How many reviews each tab of the officer's queue holds, each capped: one query.

    A tab holding more than ``QUEUE_COUNT_CAP`` reviews counts ``QUEUE_COUNT_CAP + 1``: each
    count reads at most that many index entries (``SELECT count(*) FROM (… LIMIT cap + 1)``),
    whatever the size of the agency's history.
    """
    now = timezone.now()
    reviews = reviews_for_officer(user)
    open_reviews = reviews.filter(withdrawn_at__isnull=True)
    tabs = {
        "pending": open_reviews.filter(status=ReviewStatus.PENDING),
        "mine": open_reviews.filter(claimed_by=user, status__in=OPEN_STATUSES),
        "overdue": open_reviews.filter(status__in=OPEN_STATUSES, due_at__lt=now),
        "decided": reviews.filter(status__in=DECIDED_STATUSES),
    }
    parts: list[str] = []
    params: list[Any] = []
    for name, queryset in tabs.items():
        try:
            inner, inner_params = (
                queryset.order_by().values("pk")[: QUEUE_COUNT_CAP + 1].query.sql_with_params()
            )
        except EmptyResultSet:  # sees nothing (not an officer, or of no active agency)
            parts.append(f"0 AS {name}")
            continue
        # The tab names are ours and the inner SQL is Django's, its values passed as parameters.
        parts.append(f"(SELECT count(*) FROM ({inner}) AS {name}) AS {name}")  # noqa: S608
        params.extend(inner_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(tabs, row, strict=True))


def review_with_details(review: AgencyReview) -> AgencyReview:
    """The review with what an officer decides on, in a fixed number of queries.

    Its routed items with their documents, the declaration's header documents (as
    ``declaration.header_documents``), parties, the information requests with their attachments.
    """
    review = (
        AgencyReview.objects.select_related(
            "agency",
            "declaration__trader_account",
            "declaration__declarant_account",
            "claimed_by",
            "decided_by",
        )
        .prefetch_related(
            Prefetch(
                "items",
                queryset=GoodsItem.objects.order_by("position").prefetch_related(
                    Prefetch("documents", queryset=Document.objects.order_by("position"))
                ),
            ),
            "declaration__parties",
            Prefetch(
                "info_requests",
                queryset=InformationRequest.objects.select_related(
                    "asked_by", "answered_by"
                ).prefetch_related("attachments"),
            ),
        )
        .get(pk=review.pk)
    )
    review.declaration.header_documents = list(  # type: ignore[attr-defined]
        Document.objects.filter(declaration_id=review.declaration_id, item__isnull=True).order_by("position")
    )
    return review


def trader_history_with_agency(review: AgencyReview, *, limit: int = 20) -> QuerySet[AgencyReview]:
    """Earlier reviews by the same agency of declarations of the same trader account, latest first.

    One query; each row carries its declaration (MRN, status) and the agency's decision.
    """
    trader_id = review.declaration.trader_account_id
    if trader_id is None:
        return AgencyReview.objects.none()
    return (
        AgencyReview.objects.filter(agency_id=review.agency_id, declaration__trader_account_id=trader_id)
        .exclude(pk=review.pk)
        .filter(created_at__lte=review.created_at)
        .select_related("declaration", "decided_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def information_requests_for_declaration(
    user: User, declaration: Declaration
) -> QuerySet[InformationRequest]:
    """The agencies' questions on a declaration the user may see (traders answer them), oldest first."""
    visible = declaration_selectors.declarations_visible_to(user).filter(pk=declaration.pk)
    requests = InformationRequest.objects.filter(review__declaration__in=visible)
    if user.role is Role.OFFICER:
        requests = requests.filter(review__agency__in=agencies_of(user))
    return requests.select_related("review__agency", "asked_by", "answered_by").prefetch_related(
        "attachments"
    )


def access_information_request(user: User, request_id: int | str) -> InformationRequest:
    """A question on a declaration the user may see; the same 404 for missing and not-yours."""
    try:
        return (
            InformationRequest.objects.filter(
                review__declaration__in=declaration_selectors.declarations_visible_to(user)
            )
            .filter(Q(review__agency__in=agencies_of(user)) if user.role is Role.OFFICER else Q())
            .select_related("review__agency", "review__declaration")
            .get(pk=int(request_id))
        )
    except (InformationRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("No such information request.") from None


def access_attachment(user: User, attachment_id: int | str) -> Attachment:
    """An attachment of a question the user may see (the trader side, the agency's officers)."""
    try:
        attachment = Attachment.objects.select_related("request").get(pk=int(attachment_id))
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such attachment.") from None
    access_information_request(user, attachment.request_id)
    return attachment


def deliveries_failed() -> QuerySet[WebhookDelivery]:
    """Deliveries that gave up, newest first (for administrators)."""
    return WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).select_related("agency", "review")


# Hooks into declarations' reads (registered in AgenciesConfig.ready) -------------------------


def _officer_declarations(user: User, lodged: QuerySet[Declaration]) -> QuerySet[Declaration]:
    """An officer sees the declarations routed to one of its agencies."""
    return lodged.filter(
        Exists(AgencyReview.objects.filter(declaration=OuterRef("pk"), agency__in=agencies_of(user)))
    )


def _officer_partial_view(user: User, declaration: Declaration) -> declaration_selectors.PartialView | None:
    if not user.is_authenticated or user.role is not Role.OFFICER:
        return None
    agencies = agencies_of(user)
    return declaration_selectors.PartialView(
        items=items_visible_to_officer(user, declaration).order_by("position"),
        reviews=Q(agency__in=agencies),
    )


# Claims are internal to an agency: traders see decisions, not who picked up the work.
_INTERNAL_ACTIONS = ("agencies.review.claimed", "agencies.review.claim_released")


def _review_events(declaration: Declaration, user: User | None) -> Q:
    reviews = AgencyReview.objects.filter(declaration=declaration)
    condition = Q(object_type=AgencyReview._meta.label_lower)
    if user is not None and user.is_authenticated and user.role is Role.OFFICER:
        reviews = reviews.filter(agency__in=agencies_of(user))
    elif user is None or not _sees_all(user):
        condition &= ~Q(action__in=_INTERNAL_ACTIONS)
    # Literal ids, not a subquery: inside the timeline's OR a subquery became a hashed subplan
    # and PostgreSQL scanned the whole audit table for every declaration shown (and every 201 of a
    # lodgement). Read from the reviews declaration_with_details prefetched for the same user
    # (the same partial view: an officer's agencies), or with one small query otherwise.
    prefetched = getattr(declaration, "_prefetched_objects_cache", {}).get("reviews")
    if prefetched is not None:
        ids = [review.pk for review in prefetched]
    else:
        ids = list(reviews.values_list("pk", flat=True))
    return condition & Q(object_id__in=ids)


def register_declaration_hooks() -> None:
    declaration_selectors.register_role_scope(Role.OFFICER, _officer_declarations)
    declaration_selectors.register_items_filter(
        Role.OFFICER, lambda user: Q(items__reviews__agency_id__in=agency_ids_of(user))
    )
    declaration_selectors.register_partial_view(_officer_partial_view)
    declaration_selectors.register_timeline_source(_review_events)
