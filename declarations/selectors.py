"""Permission-scoped reads of declarations. Views, the API and tasks obtain declarations here only.

Apps downstream of ``declarations`` (agencies, clearance) widen or narrow what a role sees by
registering hooks here at start-up (``register_role_scope``, ``register_partial_view``,
``register_timeline_source``), so this module never imports them (ARCHITECTURE §4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.access import accounts_actable, accounts_member_of
from accounts.models import Role, User
from singlewindow.models import AuditEvent

from .models import Declaration, Document, GoodsItem, Status

RoleScope = Callable[[User, QuerySet[Declaration]], QuerySet[Declaration]]


@dataclass(frozen=True)
class PartialView:
    """What a user who may see only part of a declaration sees of it (an agency officer).

    ``items``: the goods items shown (documents follow their items; header documents stay).
    ``reviews``: a filter on the declaration's ``reviews`` (string lookups, so no import here).
    """

    items: QuerySet[GoodsItem]
    reviews: Q


PartialViewHook = Callable[[User, Declaration], PartialView | None]
# For lists: the condition on a declaration's ``items`` that limits them to what the user sees.
ItemsFilter = Callable[[User], Q]
TimelineSource = Callable[[Declaration, User | None], Q | None]

_ROLE_SCOPES: dict[Role, RoleScope] = {}
_PARTIAL_VIEWS: list[PartialViewHook] = []
_TIMELINE_SOURCES: list[TimelineSource] = []
_ITEMS_FILTERS: dict[Role, ItemsFilter] = {}


def register_role_scope(role: Role, scope: RoleScope) -> None:
    """Let an app decide which lodged declarations users of ``role`` see (agencies: officers)."""
    _ROLE_SCOPES[role] = scope


def register_partial_view(hook: PartialViewHook) -> None:
    """Let an app limit what a user sees inside a declaration; the first hook that answers wins."""
    if hook not in _PARTIAL_VIEWS:
        _PARTIAL_VIEWS.append(hook)


def register_items_filter(role: Role, items_filter: ItemsFilter) -> None:
    """Let an app limit the goods items users of ``role`` see in lists (agencies: officers)."""
    _ITEMS_FILTERS[role] = items_filter


def items_count(user: User) -> Count:
    """The number of goods items of each declaration in a list, as far as the user may see them."""
    role = user.role if user.is_authenticated else None
    items_filter = _ITEMS_FILTERS.get(role) if role is not None else None
    if items_filter is None:
        return Count("items")
    return Count("items", filter=items_filter(user), distinct=True)


def register_timeline_source(source: TimelineSource) -> None:
    """Add audit events of related objects (reviews, requests) to a declaration's timeline."""
    if source not in _TIMELINE_SOURCES:
        _TIMELINE_SOURCES.append(source)


def declarations_visible_to(user: User) -> QuerySet[Declaration]:
    """Lodged declarations the user may see: its accounts' (as declarant or trader), and what it
    lodged for an account it may still act for (a member, or an authorised representative).

    Supervisors and administrators see all. Agency officers see those routed to their agency (the
    scope ``agencies`` registers). Drafts are personal and listed by ``drafts_of``.
    """
    lodged = Declaration.objects.exclude(status=Status.DRAFT)
    if not user.is_authenticated or not user.is_active:
        return lodged.none()
    role = user.role
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return lodged
    if role is not None and role in _ROLE_SCOPES:
        return _ROLE_SCOPES[role](user, lodged)
    if role is Role.OFFICER:
        return lodged.none()  # no agency app registered: an officer sees nothing
    accounts = accounts_member_of(user).values("pk")
    # What the user lodged stays visible only while it may still act for one side of it: a
    # broker whose representation of the account was revoked (or a former member) loses it.
    actable = accounts_actable(user).values("pk")
    return lodged.filter(
        Q(trader_account__in=accounts)
        | Q(declarant_account__in=accounts)
        | (Q(lodged_by=user) & (Q(trader_account__in=actable) | Q(declarant_account__in=actable)))
    )


def drafts_of(user: User) -> QuerySet[Declaration]:
    return Declaration.objects.filter(status=Status.DRAFT, lodged_by=user)


def access_declaration(user: User, mrn: str) -> Declaration:
    """The lodged declaration with this MRN if the user may see it; 404 otherwise, whichever it is."""
    if "\x00" in mrn:  # no MRN holds a NUL, and PostgreSQL refuses one in a query
        raise Http404("No such declaration.")
    try:
        return declarations_visible_to(user).get(mrn=mrn)
    except Declaration.DoesNotExist:
        raise Http404("No such declaration.") from None


def access_draft(user: User, pk: int) -> Declaration:
    try:
        return drafts_of(user).get(pk=pk)
    except Declaration.DoesNotExist:
        raise Http404("No such draft.") from None


def partial_view(user: User | None, declaration: Declaration) -> PartialView | None:
    """The part of ``declaration`` a user limited to part of it may see; None: the whole of it."""
    if user is None:
        return None
    for hook in _PARTIAL_VIEWS:
        view = hook(user, declaration)
        if view is not None:
            return view
    return None


def items_visible_to(user: User | None, declaration: Declaration) -> QuerySet[GoodsItem]:
    """The goods items of ``declaration`` the user may see (an officer: only those routed to it)."""
    view = partial_view(user, declaration)
    return view.items if view is not None else GoodsItem.objects.filter(declaration=declaration)


# The parts of a declaration that never change once lodged (an amendment makes a new version).
_PARTS = ("parties", "items", "documents")


def declaration_with_details(
    declaration: Declaration, *, user: User | None = None, parts_from: Declaration | None = None
) -> Declaration:
    """The same declaration with parties, items (and their tax lines), documents, reviews and
    release decision loaded.

    Six queries whatever its size. With ``user``, items, their documents and tax lines and the
    agency reviews are limited to what that user may see (an officer: its agency's items and review).

    ``parts_from``: the declaration as lodgement just stored it, its parties, items (with tax lines)
    and documents kept in memory (``services._store``): for a user who sees the whole declaration
    they are used as they are and only the rest is read (two queries).
    """
    view = partial_view(user, declaration)
    cached = getattr(parts_from, "_prefetched_objects_cache", {}) if parts_from is not None else {}
    if (
        view is None
        and parts_from is not None
        and parts_from.pk == declaration.pk
        and all(name in cached for name in _PARTS)
    ):
        review_model = Declaration._meta.get_field("reviews").related_model
        found = (
            Declaration.objects.select_related(
                "declarant_account", "trader_account", "lodged_by", "release_decision__decided_by"
            )
            .prefetch_related(
                Prefetch(
                    "reviews",
                    queryset=review_model._default_manager.select_related(  # type: ignore[union-attr]
                        "agency", "claimed_by", "decided_by"
                    ).order_by("agency__name"),
                )
            )
            .get(pk=declaration.pk)
        )
        found.__dict__.setdefault("_prefetched_objects_cache", {}).update(
            {name: cached[name] for name in _PARTS}
        )
        return found
    items = GoodsItem.objects.all()
    documents = Document.objects.all()
    reviews = Q()
    if view is not None:
        items = view.items
        documents = documents.filter(Q(item__isnull=True) | Q(item__in=view.items.values("pk")))
        reviews = view.reviews
    review_model = Declaration._meta.get_field("reviews").related_model
    return (
        Declaration.objects.select_related(
            "declarant_account", "trader_account", "lodged_by", "release_decision__decided_by"
        )
        .prefetch_related(
            "parties",
            Prefetch("items", queryset=items.prefetch_related("tax_lines")),
            Prefetch("documents", queryset=documents),
            Prefetch(
                "reviews",
                queryset=review_model._default_manager.filter(reviews)  # type: ignore[union-attr]
                .select_related("agency", "claimed_by", "decided_by")
                .order_by("agency__name"),
            ),
        )
        .get(pk=declaration.pk)
    )


def visible_agencies(user: User | None, declaration: Declaration) -> set[str] | None:
    """None when the user sees the whole declaration; else the codes of the agencies it sees.

    ``declaration`` comes from ``declaration_with_details(…, user=user)``: an officer's reviews
    there are already limited to its agencies.
    """
    if partial_view(user, declaration) is None:
        return None
    related = getattr(declaration, "reviews", None)
    return {review.agency.code for review in related.all()} if related is not None else set()


def event_as_seen(data: dict[str, Any], visible: set[str] | None) -> tuple[dict[str, Any], bool]:
    """An event's data as a user who sees only the ``visible`` agencies may see it, and whether
    it may see who acted (``visible`` None: everything).

    Declaration events name other agencies (``agencies``: the routing's codes, the release's
    reasons; ``agency``: whose question moved the declaration): an officer sees its own agencies'
    part only, and not the officers of another agency.
    """
    if visible is None:
        return data, True
    if "changes" in data:
        # An amendment's field-by-field changes name every goods item: an officer sees that the
        # declaration was amended and, on its own review, whether its goods were.
        data = {key: value for key, value in data.items() if key != "changes"}
    agency = data.get("agency")
    if agency is not None and agency not in visible:
        return {key: data[key] for key in ("from", "to") if key in data}, False
    if isinstance(data.get("agencies"), list):
        data = {
            **data,
            "agencies": [
                entry
                for entry in data["agencies"]
                if (entry.get("agency") if isinstance(entry, dict) else entry) in visible
            ],
        }
    return data, True


# Roles that act for the authorities; their users' names are shown to each other, never to traders.
AUTHORITY_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN})


def sees_authority_names(viewer: Any) -> bool:
    """Whether ``viewer`` may see which officer or supervisor acted (only the authorities' staff)."""
    return viewer is not None and viewer.is_authenticated and viewer.role in AUTHORITY_ROLES


def actor_name(event: AuditEvent, *, viewer: Any, agency_name: str = "") -> str | None:
    """Who acted in ``event`` (from ``declaration_timeline``), as ``viewer`` may see it; None: the system.

    The trader side (traders, brokers) sees the agency that acted (``agency_name``; "Customs"
    for a supervisor's decision), never an officer's username: officers are not to be contacted,
    pressed or singled out outside the agency's own channels.
    """
    actor = event.actor
    if actor is None:
        return None
    if sees_authority_names(viewer) or not getattr(event, "actor_is_authority", True):
        return str(actor.get_username())
    return agency_name or str(_("Customs"))


def declaration_timeline(declaration: Declaration, *, user: User | None = None) -> QuerySet[AuditEvent]:
    """Audit events of the declaration and, through registered sources, of its reviews, oldest first."""
    condition = Q(object_type=Declaration._meta.label_lower, object_id=declaration.pk)
    for source in _TIMELINE_SOURCES:
        extra = source(declaration, user)
        if extra is not None:
            condition |= extra
    # Whether each actor acts for the authorities (actor_name), in the same one query.
    authority_groups = User.groups.through.objects.filter(
        user_id=OuterRef("actor_id"), group__name__in=[role.value for role in AUTHORITY_ROLES]
    )
    return (
        AuditEvent.objects.filter(condition)
        .select_related("actor")
        .annotate(actor_is_authority=Exists(authority_groups) | Q(actor__is_superuser=True))
        .order_by("at", "pk")
    )
