"""Permission-scoped reads of declarations. Views, the API and tasks obtain declarations here only."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.access import accounts_member_of
from accounts.models import Role, User

from .models import Declaration, Status


def declarations_visible_to(user: User) -> QuerySet[Declaration]:
    """Lodged declarations the user may see: its accounts' (as declarant or trader), and what it lodged.

    Supervisors see all. Agency officers see those routed to their agency (clearance, next issue):
    until then none. Drafts are personal and listed by ``drafts_of``.
    """
    lodged = Declaration.objects.exclude(status=Status.DRAFT)
    if not user.is_authenticated or not user.is_active:
        return lodged.none()
    if user.role in (Role.SUPERVISOR, Role.ADMIN):
        return lodged
    accounts = accounts_member_of(user).values("pk")
    return lodged.filter(
        Q(trader_account__in=accounts) | Q(declarant_account__in=accounts) | Q(lodged_by=user)
    )


def drafts_of(user: User) -> QuerySet[Declaration]:
    return Declaration.objects.filter(status=Status.DRAFT, lodged_by=user)


def access_declaration(user: User, mrn: str) -> Declaration:
    """The lodged declaration with this MRN if the user may see it; 404 otherwise, whichever it is."""
    try:
        return declarations_visible_to(user).get(mrn=mrn)
    except Declaration.DoesNotExist:
        raise Http404("No such declaration.") from None


def access_draft(user: User, pk: int) -> Declaration:
    try:
        return drafts_of(user).get(pk=pk)
    except Declaration.DoesNotExist:
        raise Http404("No such draft.") from None


def declaration_with_details(declaration: Declaration) -> Declaration:
    """The same declaration with parties, items and documents loaded in three queries."""
    return (
        Declaration.objects.select_related("declarant_account", "trader_account", "lodged_by")
        .prefetch_related("parties", "items", "documents")
        .get(pk=declaration.pk)
    )
