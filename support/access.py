"""Who sees which service request, who works at the help desk, who may rate a declaration.

The only way views and the API obtain a request: ``access_request`` (the trader's side) and
``access_desk_request`` (the help desk's), each the same 404 for missing and not-yours.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.access import accounts_actable, accounts_member_of
from accounts.models import Role, TraderAccount, User
from declarations.models import Declaration, Status

from .models import ServiceRequest

HELP_DESK_ROLES = (Role.ADMIN, Role.SUPERVISOR)
PERM_ANSWER = "support.answer_servicerequest"


def may_answer_requests(user: User) -> bool:
    """The help desk: administrators and customs supervisors, and anyone else the administration
    gave the permission "May answer service requests" (a help desk agent who is neither)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role in HELP_DESK_ROLES:
        return True
    # Traders and brokers never answer the administration's desk, whatever they were granted.
    return user.role not in (Role.TRADER, Role.BROKER) and user.has_perm(PERM_ANSWER)


def accounts_for_requests(user: User) -> QuerySet[TraderAccount]:
    """Accounts a user may open a request for: those it may act for (member or representative)."""
    return accounts_actable(user)


def requests_visible_to(user: User) -> QuerySet[ServiceRequest]:
    """The trader's side: requests of the accounts the user is a member of, and those it opened
    itself while it may still act for their account (a broker whose representation ended no
    longer sees what it asked for that account; its own account's requests stay), or with no account."""
    if not user.is_authenticated or not user.is_active:
        return ServiceRequest.objects.none()
    members = accounts_member_of(user).values("pk")
    actable = accounts_actable(user).values("pk")
    return ServiceRequest.objects.filter(
        Q(trader_account__in=members)
        | (Q(opened_by=user) & (Q(trader_account__in=actable) | Q(trader_account__isnull=True)))
    )


def _by_reference(queryset: QuerySet[ServiceRequest], reference: str) -> ServiceRequest:
    if "\x00" in reference:
        raise Http404("No such request.")
    try:
        return queryset.get(reference=reference)
    except ServiceRequest.DoesNotExist:
        raise Http404("No such request.") from None


def access_request(user: User, reference: str) -> ServiceRequest:
    """The request with this reference if the user may see it as a trader; 404 otherwise."""
    return _by_reference(requests_visible_to(user), reference)


def access_desk_request(user: User, reference: str) -> ServiceRequest:
    """Any request, for the help desk; 404 for everyone else (as for a missing one)."""
    if not may_answer_requests(user):
        raise Http404("No such request.")
    return _by_reference(ServiceRequest.objects.all(), reference)


def may_rate(user: User, declaration: Declaration) -> bool:
    """Offered to traders and brokers (never officers or staff) on a released declaration they
    may see: ``declaration`` comes from ``access_declaration``."""
    return (
        user.is_authenticated
        and user.role in (Role.TRADER, Role.BROKER)
        and declaration.status == Status.RELEASED
    )
