"""Customs' risk assessment of a declaration, in the routing's transaction.

``risk_assess`` is called by ``clearance.services.declaration_route`` (after the reviews are opened,
before consolidation) and by ``declaration_replan`` (the amended version is scored again). Every
routed declaration gets one, whatever agencies it was routed to. It reads the rules and thresholds
from the per-process cache (``cache``), the facts the rules need in a query or two each (none when
no rule needs them), runs the pure engine, and writes the ``RiskAssessment`` (one upsert), its
``RuleHit`` rows and an audit event.

Never loses a declaration: when scoring raises (a broken rule, odd data), the error is logged and
the declaration goes to the yellow lane ("risk assessment failed: documentary check") instead of
failing the routing. After an amendment the lane never goes down once controls exist: the new score
and reasons are recorded, the higher lane is kept and a reason says so.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import TraderAccount
from declarations.models import Declaration, Document, GoodsItem, Party
from payments.money import home_currency
from payments.tariff import rates_in_force
from singlewindow.audit import audit_log

from ..models import (
    ComplianceEvent,
    ControlTask,
    Lane,
    RiskAssessment,
    RiskRule,
    RuleHit,
    RuleKind,
    ValueMedian,
    WatchlistEntry,
)
from .cache import rules_and_thresholds
from .engine import Context, Facts, Result, Thresholds, assess, lane_rank, months_before, rule_in_force

logger = logging.getLogger(__name__)

FAILED_REASON = "risk assessment failed: documentary check"


def random_key() -> bytes:
    """The key of the random selection: derived from ``SECRET_KEY`` (or ``SW_RISK_RANDOM_KEY``)."""
    secret = str(getattr(settings, "SW_RISK_RANDOM_KEY", "") or settings.SECRET_KEY)
    return hashlib.sha256(b"clearance.risk.random-selection:" + secret.encode()).digest()


def _kinds(rules: Iterable[RiskRule]) -> set[str]:
    return {str(r.kind) for r in rules}


def facts_for(
    declaration: Declaration,
    items: Sequence[GoodsItem],
    rules: Sequence[RiskRule],
    *,
    at: datetime,
    parties: Sequence[Party] | None = None,
) -> Facts:
    """The facts ``rules`` need about this declaration, read in one query per kind of fact.

    History (one query: the account's events of the kinds history rules count, since the longest
    window), AEO (one: the account's authorisation), watchlist (one: active entries on the account,
    its EORI or a party's EORI; the parties are read in the same statement unless passed), medians
    (one, plus one for exchange rates when an item is in a foreign currency). None for a kind no
    rule uses.
    """
    kinds = _kinds(rules)
    account_id = declaration.trader_account_id
    history: dict[str, list[datetime]] = defaultdict(list)
    history_rules = [r for r in rules if r.kind == RuleKind.HISTORY and r.history_event]
    if history_rules and account_id is not None:
        events = {r.history_event for r in history_rules}
        query = ComplianceEvent.objects.filter(
            trader_account_id=account_id, kind__in=sorted(events), occurred_at__lte=at
        )
        if all(r.history_months for r in history_rules):
            longest = max(int(r.history_months or 0) for r in history_rules)
            query = query.filter(occurred_at__gte=months_before(at, longest))
        for kind, when in query.order_by("occurred_at", "pk").values_list("kind", "occurred_at"):
            history[kind].append(when)

    aeo_tier = ""
    if RuleKind.AEO in kinds and account_id is not None:
        account = (
            TraderAccount.objects.filter(pk=account_id)
            .only("aeo_tier", "aeo_valid_from", "aeo_valid_until")
            .first()
        )
        if account is not None and account.aeo_valid_on(at.date()):
            aeo_tier = str(account.aeo_tier)

    watched_account = False
    watched_eoris: frozenset[str] = frozenset()
    if RuleKind.WATCHLIST in kinds:
        watched_account, watched_eoris = _watchlist_facts(declaration, at=at, parties=parties)

    medians: dict[tuple[str, str], Decimal] = {}
    rates: dict[str, Decimal] = {}
    home = home_currency()
    if RuleKind.UNDERVALUATION in kinds and items:
        subheadings = sorted({i.hs_subheading or i.commodity_code[:6] for i in items})
        for subheading, unit, median in ValueMedian.objects.filter(hs_subheading__in=subheadings).values_list(
            "hs_subheading", "unit", "median"
        ):
            medians[(subheading, unit)] = Decimal(median)
        currencies = {
            (i.value_currency or declaration.invoice_currency or i.statistical_currency or "").upper()
            for i in items
        } - {home, ""}
        if medians and currencies:
            rates = {c: Decimal(r.rate) for c, r in rates_in_force(sorted(currencies), on=at.date()).items()}
    return Facts(
        history={k: tuple(v) for k, v in history.items()},
        watched_account=watched_account,
        watched_eoris=watched_eoris,
        aeo_tier=aeo_tier,
        medians=medians,
        rates=rates,
        home_currency=home,
    )


def _watchlist_facts(
    declaration: Declaration, *, at: datetime, parties: Sequence[Party] | None
) -> tuple[bool, frozenset[str]]:
    """Whether the trader account is watched, and which of the declaration's party EORIs are."""
    active = WatchlistEntry.objects.filter(removed_at__isnull=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=at.date())
    )
    account_eori = TraderAccount.objects.filter(pk=declaration.trader_account_id or 0).values("eori")
    if parties is not None:
        party_eoris: Any = sorted({p.eori.strip().upper() for p in parties if p.eori.strip()})
    else:
        party_eoris = Party.objects.filter(declaration_id=declaration.pk).exclude(eori="").values("eori")
    condition = Q(eori__in=party_eoris) | Q(eori__in=account_eori)
    if declaration.trader_account_id is not None:
        condition |= Q(trader_account_id=declaration.trader_account_id)
    rows = list(
        active.filter(condition)
        .exclude(eori="", trader_account__isnull=True)
        .values_list("trader_account_id", "eori")
    )
    account = declaration.trader_account_id is not None and any(
        account_id == declaration.trader_account_id for account_id, _eori in rows
    )
    eoris = frozenset(eori.upper() for _account, eori in rows if eori)
    return account or bool(eoris), eoris


def risk_context(
    declaration: Declaration,
    items: Sequence[GoodsItem],
    *,
    rules: Sequence[RiskRule] | None = None,
    thresholds: Thresholds | None = None,
    parties: Sequence[Party] | None = None,
) -> Context:
    """The engine's input for this declaration: rules in force, thresholds, facts, the random key."""
    at = declaration.accepted_at or timezone.now()
    if rules is None or thresholds is None:
        cached_rules, cached_thresholds = rules_and_thresholds()
        rules = cached_rules if rules is None else rules
        thresholds = cached_thresholds if thresholds is None else thresholds
    in_force = tuple(r for r in rules if rule_in_force(r, at.date()))
    return Context(
        rules=in_force,
        thresholds=thresholds,
        at=at,
        facts=facts_for(declaration, items, in_force, at=at, parties=parties),
        random_key=random_key(),
    )


def risk_score(declaration: Declaration, items: Sequence[GoodsItem], **kwargs: Any) -> Result:
    """The engine's answer for the declaration now; reads, never writes (the dry run uses it)."""
    return assess(declaration, items, risk_context(declaration, items, **kwargs))


def _failed() -> Result:
    reason = {
        "rule": None,
        "name": _("Risk assessment failed"),
        "reason": FAILED_REASON,
        "points": 0,
        "item": None,
        "confidential": False,
        "detail": "",
    }
    return Result(score=0, lane=Lane.YELLOW.value, reasons=[reason])


def risk_assess(
    *,
    declaration: Declaration,
    items: Sequence[GoodsItem],
    documents: Sequence[Document] | None = None,
    amended: bool = False,
) -> RiskAssessment:
    """Score the declaration and record it; call in the routing's transaction, holding its lock.

    ``amended``: the version in force replaces an earlier one that was assessed (re-routing after
    an amendment): its rule hits are replaced, and the lane does not go down once controls exist.
    Statements: the rules' stamp; the facts rules need (none without such rules); on amendment the
    earlier assessment and whether controls exist; the upsert; the hits (when any; on amendment
    the old ones deleted); the audit event.
    """
    try:
        result = risk_score(declaration, items)
    except Exception:
        logger.exception("risk assessment of declaration %s failed: yellow lane", declaration.pk)
        result = _failed()
    score, lane, reasons = result.score, result.lane, list(result.reasons)
    previous = RiskAssessment.objects.filter(declaration=declaration).first() if amended else None
    kept = False
    if (
        previous is not None
        and lane_rank(previous.lane) > lane_rank(lane)
        and ControlTask.objects.filter(declaration=declaration).exists()
    ):
        kept = True
        reasons.append(
            {
                "rule": None,
                "name": _("Lane kept"),
                "reason": _("the lane stays %(lane)s: controls had begun before the amendment")
                % {"lane": Lane(previous.lane).label},
                "points": 0,
                "item": None,
                "confidential": False,
                "detail": _("lane by the new score: %(lane)s") % {"lane": Lane(lane).label},
            }
        )
        lane = previous.lane
    values: dict[str, Any] = {
        "version": declaration.version,
        "score": score,
        "lane": lane,
        "reasons": reasons,
        "random_selected": result.random_selected,
        "assessed_at": timezone.now(),
    }
    (assessment,) = RiskAssessment.objects.bulk_create(
        [RiskAssessment(declaration=declaration, **values)],
        update_conflicts=True,
        unique_fields=["declaration"],
        update_fields=list(values),
    )
    if assessment.pk is None:  # pragma: no cover - PostgreSQL returns the id of an upsert
        assessment = RiskAssessment.objects.get(declaration=declaration)
    if amended:
        RuleHit.objects.filter(assessment=assessment).delete()
    hits = result.hits
    if hits:
        # An upsert: a hit already recorded for this assessment (a re-run) keeps its outcome.
        RuleHit.objects.bulk_create(
            [RuleHit(rule_id=rule_id, assessment=assessment, points=points) for rule_id, points in hits],
            update_conflicts=True,
            unique_fields=["rule", "assessment"],
            update_fields=["points"],
        )
    audit_log(
        action="clearance.risk.assessed",
        obj=assessment,
        data={
            "declaration": declaration.pk,
            "version": declaration.version,
            "score": score,
            "lane": lane,
            "random_selected": result.random_selected,
            "rules": [rule_id for rule_id, _points in hits],
            "lane_kept": kept,
        },
    )
    return assessment
