"""Template helpers for the portal's page frame (header identity, navigation by role)."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.access import accounts_member_of
from accounts.models import ROLE_LABELS, Role
from clearance.selectors import UNREAD_COUNT_CAP, notifications_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_identity(context: template.Context) -> dict[str, Any]:
    """Who is signed in, in what role, for which trader accounts, and what the navigation offers.

    Worked out once per request (the header and the navigation both ask): three queries, the
    third the unread notifications for the header's badge (counted up to a cap, "99+"). Only reads:
    the views mark notifications read (the tags-read-only import contract).
    """
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return {}
    request = context.get("request")
    cached = getattr(request, "_portal_identity", None)
    if cached is not None:
        return cached
    role = user.role
    accounts = list(accounts_member_of(user))
    unread = notifications_unread_count(user)
    identity = {
        "name": user.get_full_name() or user.get_username(),
        "role": ROLE_LABELS.get(role, "") if role else "",
        "accounts": accounts,
        # The header names the first account and counts the others, so it stays on one line.
        "first_account": accounts[0] if accounts else None,
        "more_accounts": accounts[1:],
        "can_lodge": role in (Role.TRADER, Role.BROKER),
        "is_officer": role is Role.OFFICER,
        "is_supervisor": role in (Role.SUPERVISOR, Role.ADMIN),
        # Supervisors may act as cashiers (confirm bank transfers) too.
        "is_cashier": role in (Role.CASHIER, Role.SUPERVISOR, Role.ADMIN),
        "is_admin": role is Role.ADMIN or user.is_staff,
        # Customs staff who work on money: the revenue page (payments.selectors.sees_revenue).
        "sees_revenue": role in (Role.SUPERVISOR, Role.ADMIN, Role.CASHIER),
        "unread": unread,
        "unread_more": unread > UNREAD_COUNT_CAP,
        "unread_cap": UNREAD_COUNT_CAP,
    }
    if request is not None:
        request._portal_identity = identity
    return identity
