"""The portal's front door: sign in, sign out and the signed-in user's home page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from declarations import selectors

from .access import accounts_actable, accounts_member_of

RECENT = 10


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A trader's accounts, recent declarations and drafts, and the two ways to lodge."""
    user = request.user
    member = list(accounts_member_of(user))  # type: ignore[arg-type]
    member_pks = {a.pk for a in member}
    represented = [a for a in accounts_actable(user) if a.pk not in member_pks]  # type: ignore[arg-type]
    recent = list(
        selectors.declarations_visible_to(user)  # type: ignore[arg-type]
        .select_related("trader_account")
        .annotate(items_count=selectors.items_count(user))  # type: ignore[arg-type]
        .order_by("-accepted_at", "-pk")[:RECENT]
    )
    drafts = list(selectors.drafts_of(user).order_by("-updated_at")[:RECENT])  # type: ignore[arg-type]
    return render(
        request,
        "accounts/home.html",
        {
            "nav": "home",
            "member_accounts": member,
            "represented_accounts": represented,
            "can_lodge": bool(member or represented),
            "recent": recent,
            "drafts": drafts,
        },
    )
