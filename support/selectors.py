"""Reads of the help desk: the trader's list, a request's thread as each side sees it, the queue."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from declarations.models import Declaration

from .access import requests_visible_to
from .models import RequestStatus, SatisfactionRating, ServiceRequest, ServiceRequestMessage


def requests_of(user: User) -> QuerySet[ServiceRequest]:
    """The trader's "My requests": what it may see, newest first, with what the list shows."""
    return (
        requests_visible_to(user)
        .select_related("trader_account", "declaration")
        .order_by("-created_at", "-pk")
    )


def thread_for_trader(request: ServiceRequest) -> QuerySet[ServiceRequestMessage]:
    """The messages the trader reads: never the help desk's internal notes."""
    return request.messages.filter(internal=False).select_related("author").order_by("created_at", "pk")


def thread_for_desk(request: ServiceRequest) -> QuerySet[ServiceRequestMessage]:
    return request.messages.select_related("author").order_by("created_at", "pk")


def desk_queue(
    *,
    user: User,
    status: str = "",
    category: str = "",
    overdue: bool = False,
    assigned: str = "",
) -> QuerySet[ServiceRequest]:
    """The help desk's queue, the soonest due first. ``status`` "" leaves out closed requests,
    "all" keeps them; ``assigned`` "me" or "nobody"."""
    queryset = ServiceRequest.objects.select_related(
        "trader_account", "declaration", "assigned_to", "opened_by"
    )
    if status == "all":
        pass
    elif status in RequestStatus.values:
        queryset = queryset.filter(status=status)
    else:
        queryset = queryset.exclude(status=RequestStatus.CLOSED)
    if category:
        queryset = queryset.filter(category=category)
    if overdue:
        queryset = queryset.overdue(timezone.now())
    if assigned == "me":
        queryset = queryset.filter(assigned_to=user)
    elif assigned == "nobody":
        queryset = queryset.filter(assigned_to__isnull=True)
    return queryset.annotate(message_count=Count("messages")).order_by("due_at", "pk")


def help_desk_staff() -> QuerySet[User]:
    """Who a request may be assigned to: active administrators, supervisors and holders of the
    help desk permission (``access.may_answer_requests`` checks each again)."""
    perm = Q(
        user_permissions__codename="answer_servicerequest",
        user_permissions__content_type__app_label="support",
    )
    group_perm = Q(
        groups__permissions__codename="answer_servicerequest",
        groups__permissions__content_type__app_label="support",
    )
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name__in=[Role.ADMIN.value, Role.SUPERVISOR.value]) | perm | group_perm)
        .exclude(groups__name__in=[Role.TRADER.value, Role.BROKER.value])
        .distinct()
        .order_by("username")
    )


def requests_about(user: User, declaration: Declaration) -> QuerySet[ServiceRequest]:
    """The requests about one declaration the user sees as a trader, newest first."""
    return requests_visible_to(user).filter(declaration=declaration).order_by("-created_at", "-pk")


def rating_of(declaration: Declaration) -> SatisfactionRating | None:
    return SatisfactionRating.objects.filter(declaration=declaration).first()
