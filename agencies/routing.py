"""Which agencies a declaration concerns, and why: routing rules evaluated against goods items.

Pure reads: nothing here writes. ``routing_plan`` is what the pipeline acts on
(``clearance.services.declaration_route``); ``routing_dry_run`` shows an administrator the same
answer without acting on it.

A rule matches a goods item when every condition it sets holds (a blank condition matches
anything): the item's commodity code starts with ``hs_prefix``; the declaration's direction is
``direction`` (``transit``: goods passing through, i.e. both the country of export and the country
of destination are set and neither is this country, ``SW_MRN_COUNTRY``); the item's country of
origin is ``origin_country``; the declaration's country of destination is
``destination_country``; the item's procedure code starts with ``procedure_code``.

No goods leave unseen: every goods item is covered by a review that can stop it. An item that no
rule claims goes to customs, whatever other items of the declaration were claimed by others.
Declaring a document code never approves anything by itself (a typed code is not a licence): the
rule's required documents are listed for the officer, who checks them. A document declared at
header level counts for an item only when its code is one that covers the whole declaration
(``declarations.refdata.document_covers_every_item``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from declarations.canonical import DocumentKind
from declarations.models import Declaration, Document, GoodsItem
from declarations.refdata import document_covers_every_item

from .models import Agency, RoutingRule, RuleDirection


@dataclass
class AgencyRoute:
    """One agency's part of a declaration: its items, the rules that put them there, the documents."""

    agency: Agency
    items: list[GoodsItem] = field(default_factory=list)
    # {"rule": id | None, "rule_name": str, "item": sequence, "required_documents": [code, ...]};
    # rule None: claimed by no agency's rule, so customs reviews it.
    reasons: list[dict[str, Any]] = field(default_factory=list)
    # {"item": sequence, "code": document code, "rule": id}: required by a rule, absent on the item.
    missing_documents: list[dict[str, Any]] = field(default_factory=list)
    # Set by ``agencies.licences.licences_apply``: what the licences on file said of each item;
    # True when every item is covered by a valid licence of the agency, False when one is not,
    # None when no declared document concerns a licence of the agency.
    licence_findings: list[dict[str, Any]] = field(default_factory=list)
    licence_covered: bool | None = None
    licence_reason: str = ""

    @property
    def auto_approve(self) -> bool:
        """The system decides for an agency whose licences on file cover every item of the route,
        or that decides automatically, where that is allowed; never when a licence declared fails.

        ``auto_decide`` serves demonstrations and load tests: outside the embedded mode it counts
        only with ``SW_AUTO_DECIDE_ALLOWED`` set on purpose, so a flag left on in production
        cannot wave goods through. Documents the trader declares never approve a review by
        themselves: only a licence the agency registered, checked against the goods, does.
        """
        if self.licence_covered is not None:
            return self.licence_covered
        return self.agency.auto_decide and settings.SW_AUTO_DECIDE_ALLOWED

    @property
    def auto_reason(self) -> str:
        if self.licence_covered:
            return self.licence_reason
        return _("The agency decides automatically.")

    def add(self, rule: RoutingRule | None, item: GoodsItem, present_codes: set[str]) -> None:
        if all(i.pk != item.pk for i in self.items):
            self.items.append(item)
        required = list(rule.required_documents) if rule is not None else []
        self.reasons.append(
            {
                "rule": rule.pk if rule is not None else None,
                "rule_name": rule.name
                if rule is not None
                else _("Not claimed by any agency: customs reviews"),
                "item": item.sequence,
                "required_documents": required,
            }
        )
        missing = [code for code in required if code not in present_codes]
        self.missing_documents.extend(
            {"item": item.sequence, "code": code, "rule": rule.pk if rule is not None else None}
            for code in missing
        )


def is_transit(declaration: Declaration) -> bool:
    here = settings.SW_MRN_COUNTRY
    return bool(
        declaration.export_country
        and declaration.destination_country
        and declaration.export_country != here
        and declaration.destination_country != here
    )


def rule_matches(rule: RoutingRule, item: GoodsItem, declaration: Declaration) -> bool:
    """Whether every condition the rule sets holds for this goods item of this declaration."""
    if rule.hs_prefix and not item.commodity_code.startswith(rule.hs_prefix):
        return False
    if rule.direction == RuleDirection.TRANSIT:
        if not is_transit(declaration):
            return False
    elif rule.direction != RuleDirection.ANY and rule.direction != declaration.direction:
        return False
    if rule.origin_country and item.origin_country != rule.origin_country:
        return False
    if rule.destination_country and declaration.destination_country != rule.destination_country:
        return False
    return not (rule.procedure_code and not item.procedure_code.startswith(rule.procedure_code))


# Rules and agencies change rarely (an administrator edits them) but are read for every routed
# declaration: each process keeps them, checked for freshness before use (see ``_routing_data``).
DEFAULT_REFRESH_SECONDS = 0.0
# Read through this name so tests can move the clock without sleeping.
_clock: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class _RoutingData:
    rules: tuple[RoutingRule, ...]
    customs: Agency | None
    stamp: tuple[Any, ...] | None  # None: not cacheable (not PostgreSQL)
    checked_at: float


_state: _RoutingData | None = None


def routing_cache_reset(**_kwargs: Any) -> None:
    """Forget the cached rules and agencies (connected to save and delete of both models)."""
    global _state
    _state = None


# Every INSERT and UPDATE writes a new row version with a new transaction id (xmin), so count and
# sum of xmin change with any write to either table, including a queryset ``update()`` or a flush
# and reseed (which send no signal and need not touch ``updated_at``). One statement, two tiny
# tables.
_STAMP_SQL = """
SELECT (SELECT count(*) FROM agencies_agency),
       (SELECT coalesce(sum(xmin::text::bigint), 0) FROM agencies_agency),
       (SELECT count(*) FROM agencies_routingrule),
       (SELECT coalesce(sum(xmin::text::bigint), 0) FROM agencies_routingrule)
"""


def _read_stamp() -> tuple[Any, ...] | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def _refresh_seconds() -> float:
    return float(getattr(settings, "SW_ROUTING_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS))


def _routing_data() -> _RoutingData:
    """The active rules (with their agencies) and the customs agency, read at most when changed.

    Within ``SW_ROUTING_REFRESH_SECONDS`` of the last check nothing is read (default 0: every
    routing checks, since an administrator's change must apply to the next declaration). Then one
    statement compares the tables' stamp (count and row versions, PostgreSQL) with the cached one;
    only a change reloads the rows (two queries). A save or delete in this process resets the
    cache at once; other processes see it through the stamp. Not PostgreSQL: read every time.
    """
    global _state
    now = _clock()
    state = _state
    if state is not None and state.stamp is not None and now - state.checked_at < _refresh_seconds():
        return state
    stamp = _read_stamp()
    if state is not None and stamp is not None and stamp == state.stamp:
        state = _RoutingData(rules=state.rules, customs=state.customs, stamp=stamp, checked_at=now)
    else:
        rules = tuple(
            RoutingRule.objects.filter(is_active=True, agency__is_active=True)
            .select_related("agency")
            .order_by("agency__name", "pk")
        )
        customs = Agency.objects.filter(is_customs=True, is_active=True).first()
        state = _RoutingData(rules=rules, customs=customs, stamp=stamp, checked_at=now)
    _state = state
    return state


def active_rules() -> list[RoutingRule]:
    """The active rules of active agencies, in agency name order (cached per process, see above)."""
    return list(_routing_data().rules)


def customs_agency() -> Agency:
    """The customs administration, which reviews what no other agency claims."""
    customs = _routing_data().customs
    if customs is None:
        raise RuntimeError("No active customs agency: create one (is_customs) before routing.")
    return customs


def routing_plan(
    declaration: Declaration,
    *,
    items: Iterable[GoodsItem] | None = None,
    documents: Iterable[Document] | None = None,
    rules: Iterable[RoutingRule] | None = None,
) -> list[AgencyRoute]:
    """One route per agency with goods items to review, in agency name order.

    Every goods item is on at least one route: an item no rule matches goes to customs (joining
    customs' own route when its rules claimed other items). ``items``, ``documents`` and ``rules``
    may be passed when the caller already loaded them; otherwise they are read (items, documents,
    and the rules' freshness check, which also covers the customs agency for unclaimed items).
    """
    items = sorted(
        list(items) if items is not None else list(declaration.items.all()), key=lambda i: i.position
    )
    documents = list(documents) if documents is not None else list(declaration.documents.all())
    # One freshness check for the rules and the customs agency together (one snapshot of both).
    cached = _routing_data() if rules is None else None
    rules = list(rules) if rules is not None else list(cached.rules)  # type: ignore[union-attr]
    additional = [d for d in documents if d.kind == DocumentKind.ADDITIONAL]
    header_codes = {d.code for d in additional if d.item_id is None and document_covers_every_item(d.code)}
    codes_by_item: dict[int, set[str]] = {item.pk: set(header_codes) for item in items}
    for doc in additional:
        if doc.item_id is not None and doc.item_id in codes_by_item:
            codes_by_item[doc.item_id].add(doc.code)

    routes: dict[int, AgencyRoute] = {}
    unclaimed: list[GoodsItem] = []
    for item in items:
        claimed = False
        for rule in rules:
            if rule_matches(rule, item, declaration):
                route = routes.setdefault(rule.agency_id, AgencyRoute(agency=rule.agency))
                route.add(rule, item, codes_by_item[item.pk])
                claimed = True
        if not claimed:
            unclaimed.append(item)
    if unclaimed:
        customs = cached.customs if cached is not None else None
        customs = customs if customs is not None else customs_agency()
        route = routes.setdefault(customs.pk, AgencyRoute(agency=customs))
        for item in unclaimed:
            route.add(None, item, codes_by_item[item.pk])
        route.items.sort(key=lambda i: i.position)
    return sorted(routes.values(), key=lambda r: (r.agency.name, r.agency.pk))


def routing_dry_run(declaration: Declaration) -> list[dict[str, Any]]:
    """Which agencies the active rules would route ``declaration`` to, and why; writes nothing."""
    return [
        {
            "agency": route.agency.code,
            "agency_name": route.agency.name,
            "items": [item.sequence for item in route.items],
            "reasons": route.reasons,
            "missing_documents": route.missing_documents,
            "auto_approve": route.auto_approve,
        }
        for route in routing_plan(declaration)
    ]
