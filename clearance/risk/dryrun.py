"""Which past declarations a rule would have hit, and with how many points; writes nothing.

For a rule being written (not saved) or a saved one. Its validity and "active" are ignored (the
question is what its conditions catch). The goods conditions (HS prefix, origin, procedure,
direction) and the kinds' own narrowing (the account has events of the kind, holds an AEO tier, is
or has a party on a watchlist) are filtered in SQL; the engine then judges the candidates, newest
first, at most ``cap`` of them (the answer says when the cap was reached). The facts are read for
all candidates at once: a fixed number of queries whatever their number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from declarations.models import Declaration, GoodsItem, Party
from payments.money import home_currency
from payments.tariff import rates_in_force

from ..models import (
    ComplianceEvent,
    ComplianceKind,
    ControlOutcome,
    ControlTask,
    RiskRule,
    RuleKind,
    ValueMedian,
    WatchlistEntry,
)
from .engine import Facts, rule_match

DEFAULT_DAYS = 90
DEFAULT_CAP = 2000
NON_COMPLIANT_EVENTS = (ComplianceKind.INSPECTION_NON_COMPLIANT, ComplianceKind.SEIZURE, ComplianceKind.FINE)


@dataclass(frozen=True)
class DryRunHit:
    declaration: Declaration
    points: int
    item: int | None
    detail: str
    non_compliant: bool


@dataclass(frozen=True)
class DryRun:
    hits: list[DryRunHit]
    scanned: int
    capped: bool
    since: datetime
    until: datetime

    @property
    def non_compliant(self) -> int:
        return sum(1 for h in self.hits if h.non_compliant)


def _item_condition(rule: RiskRule) -> Q:
    condition = Q()
    if rule.hs_prefix:
        condition &= Q(commodity_code__startswith=rule.hs_prefix)
    if rule.origin_country:
        condition &= Q(origin_country=rule.origin_country.upper())
    if rule.procedure_code:
        condition &= Q(procedure_code__startswith=rule.procedure_code)
    return condition


def candidates(rule: RiskRule, *, since: datetime, until: datetime) -> QuerySet[Declaration]:
    """The declarations accepted in the period that the rule's SQL-checkable conditions admit."""
    query = Declaration.objects.filter(
        mrn__isnull=False, accepted_at__gte=since, accepted_at__lt=until
    ).select_related("trader_account")
    if rule.kind in (RuleKind.GOODS, RuleKind.UNDERVALUATION):
        if rule.direction:
            query = query.filter(direction=rule.direction)
        item_q = _item_condition(rule)
        if rule.kind == RuleKind.UNDERVALUATION:
            medians = ValueMedian.objects.filter(hs_subheading=OuterRef("hs_subheading"))
            item_q &= Q(Exists(medians))
        if item_q:
            query = query.filter(Exists(GoodsItem.objects.filter(item_q, declaration=OuterRef("pk"))))
    elif rule.kind == RuleKind.HISTORY:
        events = ComplianceEvent.objects.filter(
            trader_account=OuterRef("trader_account"), kind=rule.history_event or "-"
        )
        query = query.filter(Exists(events))
    elif rule.kind == RuleKind.AEO:
        query = query.exclude(trader_account__aeo_tier="")
        if rule.aeo_tiers:
            query = query.filter(trader_account__aeo_tier__in=[str(t) for t in rule.aeo_tiers])
    elif rule.kind == RuleKind.WATCHLIST:
        watched = WatchlistEntry.objects.filter(removed_at__isnull=True)
        by_party = Party.objects.filter(
            declaration=OuterRef("pk"), eori__in=watched.exclude(eori="").values("eori")
        )
        query = query.filter(
            Q(trader_account__in=watched.filter(trader_account__isnull=False).values("trader_account"))
            | Q(trader_account__eori__in=watched.exclude(eori="").values("eori"))
            | Q(Exists(by_party))
        )
    non_compliant = ControlTask.objects.filter(
        declaration=OuterRef("pk"), outcome=ControlOutcome.NON_COMPLIANT
    )
    events_bad = ComplianceEvent.objects.filter(declaration=OuterRef("pk"), kind__in=NON_COMPLIANT_EVENTS)
    return query.annotate(was_non_compliant=Exists(non_compliant) | Exists(events_bad)).order_by(
        "-accepted_at", "-pk"
    )


def _facts_by_declaration(rule: RiskRule, declarations: list[Declaration]) -> dict[int, Facts]:
    """Every candidate's facts, read for all of them at once (a query or two per kind of fact)."""
    home = home_currency()
    kind = rule.kind
    history: dict[int, dict[str, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    medians: dict[tuple[str, str], Decimal] = {}
    rates: dict[str, Decimal] = {}
    watched_accounts: set[int] = set()
    watched_eoris: set[str] = set()
    parties: dict[int, set[str]] = defaultdict(set)
    account_ids = sorted({d.trader_account_id for d in declarations if d.trader_account_id})
    if kind == RuleKind.HISTORY and account_ids:
        for account_id, event_kind, when in ComplianceEvent.objects.filter(
            trader_account_id__in=account_ids, kind=rule.history_event
        ).values_list("trader_account_id", "kind", "occurred_at"):
            history[account_id][event_kind].append(when)
    if kind == RuleKind.WATCHLIST:
        for account_id, eori in WatchlistEntry.objects.filter(removed_at__isnull=True).values_list(
            "trader_account_id", "eori"
        ):
            if account_id:
                watched_accounts.add(account_id)
            if eori:
                watched_eoris.add(eori.upper())
        for declaration_id, eori in Party.objects.filter(
            declaration__in=[d.pk for d in declarations], eori__in=sorted(watched_eoris)
        ).values_list("declaration_id", "eori"):
            parties[declaration_id].add(eori.upper())
    if kind == RuleKind.UNDERVALUATION:
        subheadings = sorted({i.hs_subheading for d in declarations for i in d.items.all()})
        for subheading, unit, median in ValueMedian.objects.filter(hs_subheading__in=subheadings).values_list(
            "hs_subheading", "unit", "median"
        ):
            medians[(subheading, unit)] = Decimal(median)
        currencies = {
            (i.value_currency or d.invoice_currency or "").upper()
            for d in declarations
            for i in d.items.all()
        } - {home, ""}
        if currencies:
            today = timezone.localdate()
            rates = {c: Decimal(r.rate) for c, r in rates_in_force(sorted(currencies), on=today).items()}
    facts = {}
    for d in declarations:
        account = d.trader_account
        eoris = set(parties.get(d.pk, set()))
        if account is not None and account.eori.upper() in watched_eoris:
            eoris.add(account.eori.upper())
        at = d.accepted_at or timezone.now()
        facts[d.pk] = Facts(
            history={k: tuple(v) for k, v in history.get(d.trader_account_id or 0, {}).items()},
            watched_account=d.trader_account_id in watched_accounts,
            watched_eoris=frozenset(eoris),
            aeo_tier=str(account.aeo_tier) if account is not None and account.aeo_valid_on(at.date()) else "",
            medians=medians,
            rates=rates,
            home_currency=home,
        )
    return facts


def dry_run(
    rule: RiskRule, *, days: int = DEFAULT_DAYS, cap: int = DEFAULT_CAP, now: datetime | None = None
) -> DryRun:
    """The declarations of the last ``days`` days ``rule`` would have hit, newest first (reads only)."""
    until = now or timezone.now()
    since = until - timedelta(days=days)
    items = GoodsItem.objects.order_by("position", "sequence")
    found = list(
        candidates(rule, since=since, until=until).prefetch_related(Prefetch("items", queryset=items))[
            : cap + 1
        ]
    )
    capped = len(found) > cap
    found = found[:cap]
    facts = _facts_by_declaration(rule, found)
    hits = []
    for declaration in found:
        at = declaration.accepted_at or until
        matched, item, detail = rule_match(
            rule, declaration, list(declaration.items.all()), facts[declaration.pk], at
        )
        if matched:
            hits.append(
                DryRunHit(
                    declaration=declaration,
                    points=int(rule.weight or 0),
                    item=item,
                    detail=detail,
                    non_compliant=bool(getattr(declaration, "was_non_compliant", False)),
                )
            )
    return DryRun(hits=hits, scanned=len(found), capped=capped, since=since, until=until)


def summary(run: DryRun) -> dict[str, Any]:
    return {
        "hits": len(run.hits),
        "non_compliant": run.non_compliant,
        "scanned": run.scanned,
        "capped": run.capped,
    }
