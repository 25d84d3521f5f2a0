"""A declaration's versions on its page: who changed what, when, and the way to amend or cancel."""

from __future__ import annotations

from typing import Any

from django import template

from declarations import amendments
from declarations.models import PostReleaseRequest, RequestStatus, Status
from declarations.versions import diff

register = template.Library()


@register.inclusion_tag("declarations/_version_actions.html", takes_context=True)
def version_actions(context: template.Context, declaration: Any) -> dict[str, Any]:
    """Amend, cancel (or ask customs to) for whoever may, and the request waiting for customs."""
    user = context["request"].user
    open_request = (
        PostReleaseRequest.objects.filter(declaration=declaration, status=RequestStatus.PENDING)
        .select_related("version")
        .first()
    )
    may_change = open_request is None and amendments.may_act_on(user, declaration)
    return {
        "declaration": declaration,
        "open_request": open_request,
        "may_amend": may_change
        and declaration.status in {*amendments.BEFORE_RELEASE, Status.RELEASED, Status.REFUSED},
        "may_cancel": may_change and declaration.status in {*amendments.CANCELLABLE, Status.RELEASED},
        "released": declaration.status == Status.RELEASED,
        "refused": declaration.status == Status.REFUSED,
    }


@register.inclusion_tag("declarations/_versions.html", takes_context=True)
def versions_panel(context: template.Context, declaration: Any) -> dict[str, Any]:
    """The versions table and the difference a version made (``?version=N``: from N-1 to N).

    One query (the versions with their authors), plus the partial view's for an officer, who sees
    the changes to its own goods items and to the header only.
    """
    request = context["request"]
    user = request.user
    versions = amendments.versions_of(declaration)
    by_number = {v.number: v for v in versions}
    wanted = request.GET.get("version", "")
    shown = (
        int(wanted)
        if wanted.isdigit() and len(wanted) < 10 and int(wanted) in by_number
        else declaration.version
    )
    changes: list[Any] = []
    previous = max((n for n in by_number if n < shown), default=None)
    if previous is not None:
        changes = amendments.changes_seen(
            diff(by_number[previous].data, by_number[shown].data), amendments.items_seen(user, declaration)
        )
    return {
        "declaration": declaration,
        "versions": versions,
        "shown": by_number.get(shown),
        "previous": previous,
        "changes": changes,
    }
