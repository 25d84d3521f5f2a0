"""Small reads the agency and clearance pages need on top of ``agencies.selectors``.

Kept apart from the backend's selectors so the pages do not edit them; each is a plain read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import TraderAccount


def trader_accounts_matching(text: str) -> QuerySet[TraderAccount, Any]:
    """Trader accounts whose EORI is ``text`` or whose name contains it (the "trader" filter).

    Used as a subquery (``declaration__trader_account__in=``), so it adds no query of its own.
    """
    text = text.strip()
    return TraderAccount.objects.filter(Q(eori=text.upper()) | Q(name__icontains=text)).values("pk")


def reasons_by_rule(reasons: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A review's routing reasons (one per rule and goods item) grouped per rule, in first-seen order.

    ``[{"rule_name", "items": [sequence, …], "required_documents": [code, …]}]``.
    """
    grouped: dict[Any, dict[str, Any]] = {}
    for reason in reasons:
        key = (reason.get("rule"), reason.get("rule_name"))
        entry = grouped.setdefault(
            key,
            {
                "rule_name": reason.get("rule_name") or "",
                "items": [],
                "required_documents": list(reason.get("required_documents") or []),
            },
        )
        if reason.get("item") is not None and reason["item"] not in entry["items"]:
            entry["items"].append(reason["item"])
    return list(grouped.values())
