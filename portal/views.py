"""The signed-in user's home page (what every role starts from) and the notification inbox."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import accounts_actable, accounts_member_of
from accounts.models import Role, User
from agencies.selectors import reviews_for_officer
from clearance import selectors as clearance_selectors
from clearance import services as clearance_services
from declarations import selectors

RECENT = 10
UNREAD_SHOWN = 10
INBOX_PAGE_SIZE = 25


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


def _notification_links(user: User, notifications: list[Any]) -> None:
    """Give each notification ``link``: where its reader acts on it, a page the reader may open.

    Traders and brokers: the declaration (questions are answered there). Supervisors: customs'
    page of the declaration. Officers: their agency's review of it (one query for the page), else
    the declaration as their agency sees it.
    """
    reviews: dict[int, int] = {}
    if user.role is Role.OFFICER:
        declaration_ids = {n.declaration_id for n in notifications if n.declaration_id}
        if declaration_ids:
            reviews = dict(
                reviews_for_officer(user)
                .filter(declaration_id__in=declaration_ids)
                .order_by("pk")
                .values_list("declaration_id", "pk")
            )
    for note in notifications:
        declaration = note.declaration
        if declaration is None or not declaration.mrn:
            note.link = ""
        elif declaration.pk in reviews:
            note.link = reverse("agencies:review", args=[reviews[declaration.pk]])
        elif user.role in (Role.SUPERVISOR, Role.ADMIN):
            note.link = reverse("clearance:declaration", args=[declaration.mrn])
        else:
            note.link = reverse("declarations:detail", args=[declaration.mrn])


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, 25 a page; the unread ones are highlighted.

    Those shown unread are marked read here, once the page has read them (as on the home page), so
    the header's count drops; "mark all as read" covers the other pages.
    """
    user: User = request.user  # type: ignore[assignment]
    page = Paginator(clearance_selectors.notifications_for(user), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    notifications = list(page.object_list)
    _notification_links(user, notifications)
    unread = [n.pk for n in notifications if n.read_at is None]
    if unread:
        clearance_services.notifications_mark_read(user=user, notification_ids=unread)
    newest = clearance_selectors.notifications_for(user).order_by("-pk").values_list("pk", flat=True).first()
    return render(
        request,
        "portal/inbox.html",
        {
            "nav": "inbox",
            "page": page,
            "notifications": notifications,
            "unread_shown": len(unread),
            # "Mark all as read" marks what existed when the page was drawn, not what came since.
            "newest": newest or 0,
        },
    )


@login_required
@require_POST
def inbox_mark_all_read(request: HttpRequest) -> HttpResponse:
    """Mark the user's unread notifications read, up to the newest the inbox showed (``upto``)."""
    user: User = request.user  # type: ignore[assignment]
    try:
        upto = int(request.POST.get("upto", ""))
    except ValueError:
        upto = None
    unread = clearance_selectors.notifications_for(user, unread_only=True)
    if upto is not None:
        unread = unread.filter(pk__lte=upto)
    marked = clearance_services.notifications_mark_read(
        user=user, notification_ids=list(unread.values_list("pk", flat=True))
    )
    if marked:
        messages.success(request, _("All your messages are marked as read."))
    else:
        messages.info(request, _("You have no unread messages."))
    return redirect("inbox")
