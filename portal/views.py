"""The signed-in user's home page: what every role starts from."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import accounts_actable, accounts_member_of
from accounts.models import User
from clearance import selectors as clearance_selectors
from clearance import services as clearance_services
from declarations import selectors

RECENT = 10
UNREAD_SHOWN = 10


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A trader's accounts, recent declarations and drafts, the two ways to lodge, and the user's
    unread notifications, which are marked read here, now that they are shown."""
    user: User = request.user  # type: ignore[assignment]
    member = list(accounts_member_of(user))
    member_pks = {a.pk for a in member}
    represented = [a for a in accounts_actable(user) if a.pk not in member_pks]
    recent = list(
        selectors.declarations_visible_to(user)
        .select_related("trader_account")
        .annotate(items_count=selectors.items_count(user))
        .order_by("-accepted_at", "-pk")[:RECENT]
    )
    drafts = list(selectors.drafts_of(user).order_by("-updated_at")[:RECENT])
    notifications = list(clearance_selectors.notifications_for(user, unread_only=True)[:UNREAD_SHOWN])
    if notifications:
        clearance_services.notifications_mark_read(user=user, notification_ids=[n.pk for n in notifications])
    return render(
        request,
        "portal/home.html",
        {
            "nav": "home",
            "member_accounts": member,
            "represented_accounts": represented,
            "can_lodge": bool(member or represented),
            "recent": recent,
            "drafts": drafts,
            "notifications": notifications,
        },
    )
