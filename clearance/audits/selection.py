"""Which released declarations are audited: the supervisors' criteria and a random share.

Each released declaration is considered once (``AuditScreening``, one row per declaration, written
in the same transaction as the audit it opens): a re-run, or two runs at once, select nothing
twice. The random draw is HMAC-SHA256 of the MRN under a key of its own (not the lane's: a trader
who learnt one draw would learn nothing of the other), mapped to [0, 100) by the risk engine's
``random_draw`` — the same MRN always gives the same answer.

A criterion's goods conditions (HS prefix, origin, procedure) and history condition are judged by
the risk engine's ``rule_match`` on a transient ``RiskRule`` of the matching kind, with the facts
read by ``clearance.risk.services.facts_for``: audit criteria and risk rules mean the same thing
by the same words. The trader account and the value threshold are judged here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from declarations.models import Declaration, GoodsItem, Status
from payments.money import home_currency
from payments.tariff import rates_in_force

from ..models import (
    AuditCriterion,
    AuditScreening,
    AuditSelection,
    AuditSettings,
    AuditStatus,
    Outcome,
    PostClearanceAudit,
    RiskRule,
    RuleKind,
)
from ..risk.engine import Facts, item_value_home, random_draw, rule_match
from ..risk.services import facts_for

BATCH = 500


def audit_settings() -> AuditSettings:
    """The one settings row, created with the model's defaults on first read."""
    row = AuditSettings.objects.order_by("pk").first()
    if row is None:
        row = AuditSettings.objects.create()
    return row


def audit_random_key() -> bytes:
    """The audit draw's key: derived from ``SECRET_KEY`` (or ``SW_AUDIT_RANDOM_KEY``), and different
    from the lane selection's (another label)."""
    secret = str(getattr(settings, "SW_AUDIT_RANDOM_KEY", "") or settings.SECRET_KEY)
    return hashlib.sha256(b"clearance.audits.random-selection:" + secret.encode()).digest()


def audit_randomly_selected(mrn: str | None, share: Decimal, key: bytes | None = None) -> bool:
    if not mrn or share <= 0:
        return False
    return random_draw(key or audit_random_key(), mrn) < share


def _goods_rule(criterion: AuditCriterion) -> RiskRule | None:
    if not (criterion.hs_prefix or criterion.origin_country or criterion.procedure_code):
        return None
    return RiskRule(
        kind=RuleKind.GOODS,
        hs_prefix=criterion.hs_prefix,
        origin_country=criterion.origin_country,
        procedure_code=criterion.procedure_code,
    )


def _history_rule(criterion: AuditCriterion) -> RiskRule | None:
    if not criterion.history_event:
        return None
    return RiskRule(
        kind=RuleKind.HISTORY,
        history_event=criterion.history_event,
        history_months=criterion.history_months,
        history_min_count=criterion.history_min_count,
    )


def declared_value_home(declaration: Declaration, items: Sequence[GoodsItem], facts: Facts) -> Decimal | None:
    """The sum of the goods items' values in the national currency; None when one cannot be converted."""
    total = Decimal(0)
    for item in items:
        value = item_value_home(item, declaration, facts)
        if value is None:
            return None
        total += value
    return total


def criterion_matches(
    criterion: AuditCriterion,
    declaration: Declaration,
    items: Sequence[GoodsItem],
    *,
    at: datetime,
    rates: dict[str, Decimal] | None = None,
) -> bool:
    """Whether every condition the criterion sets holds for the declaration (as released at ``at``)."""
    if criterion.trader_account_id and criterion.trader_account_id != declaration.trader_account_id:
        return False
    goods = _goods_rule(criterion)
    if goods is not None and not rule_match(goods, declaration, items, Facts(), at)[0]:
        return False
    if criterion.min_value is not None:
        facts = Facts(rates=rates or {}, home_currency=home_currency())
        value = declared_value_home(declaration, items, facts)
        if value is None or value < criterion.min_value:
            return False
    history = _history_rule(criterion)
    if history is not None:
        facts = facts_for(declaration, items, [history], at=at)
        if not rule_match(history, declaration, items, facts, at)[0]:
            return False
    return True


def selection_reasons(
    declaration: Declaration,
    items: Sequence[GoodsItem],
    criteria: Sequence[AuditCriterion],
    *,
    at: datetime,
    share: Decimal,
    rates: dict[str, Decimal] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """(selection, reasons): ``rule`` when a criterion matches (every matching one is a reason),
    else ``random`` when the draw picks it (one reason), else ("", [])."""
    reasons: list[dict[str, Any]] = [
        {"criterion": c.pk, "name": c.name, "reason": c.reason}
        for c in sorted(criteria, key=lambda c: c.pk)
        if criterion_matches(c, declaration, items, at=at, rates=rates)
    ]
    drawn = audit_randomly_selected(declaration.mrn, share)
    if drawn:
        reasons.append(
            {"criterion": None, "name": _("Random selection"), "reason": _("selected at random for audit")}
        )
    if reasons and reasons[0]["criterion"] is not None:
        return AuditSelection.RULE, reasons
    if drawn:
        return AuditSelection.RANDOM, reasons
    return "", []


@dataclass(frozen=True)
class Selected:
    considered: int
    opened: list[int]


def _candidates(since: datetime, limit: int) -> list[Declaration]:
    items = Prefetch("items", queryset=GoodsItem.objects.order_by("position", "sequence"))
    return list(
        Declaration.objects.filter(
            status=Status.RELEASED,
            release_decision__outcome=Outcome.RELEASED,
            release_decision__decided_at__gte=since,
            audit_screening__isnull=True,
        )
        .select_related("release_decision", "trader_account")
        .prefetch_related(items)
        .order_by("release_decision__decided_at", "pk")[:limit]
    )


def audits_select(*, now: datetime | None = None, limit: int = BATCH) -> Selected:
    """Consider the released declarations of the look-back window not yet considered (oldest first,
    ``limit`` of them) and open an audit for each a criterion or the random draw selects.

    One short transaction per declaration: its screening row, and the audit when selected. A
    declaration another run considered first breaks the screening row's uniqueness: skipped.
    """
    from .services import audit_open  # services import this module

    now = now or timezone.now()
    row = audit_settings()
    share = Decimal(row.random_share or 0)
    criteria = list(AuditCriterion.objects.filter(is_active=True).order_by("pk"))
    declarations = _candidates(now - timedelta(days=int(row.lookback_days)), limit)
    currencies = {
        (i.value_currency or d.invoice_currency or "").upper() for d in declarations for i in d.items.all()
    } - {home_currency(), ""}
    rates = (
        {c: Decimal(r.rate) for c, r in rates_in_force(sorted(currencies), on=now.date()).items()}
        if currencies and any(c.min_value is not None for c in criteria)
        else {}
    )
    opened: list[int] = []
    for declaration in declarations:
        items = list(declaration.items.all())
        at = declaration.release_decision.decided_at
        selection, reasons = (
            selection_reasons(declaration, items, criteria, at=at, share=share, rates=rates)
            if declaration.trader_account_id is not None
            else ("", [])
        )
        if (
            reasons
            and PostClearanceAudit.objects.filter(declaration=declaration, status=AuditStatus.OPEN).exists()
        ):
            selection, reasons = "", []  # a supervisor opened one by hand: that audit covers it
        try:
            with transaction.atomic():
                AuditScreening.objects.create(
                    declaration=declaration, screened_at=now, selected=bool(reasons)
                )
                if reasons:
                    audit = audit_open(
                        declaration=declaration,
                        selection=selection,
                        reasons=reasons,
                        actor=None,
                        locked=False,
                    )
                    opened.append(audit.pk)
        except IntegrityError:
            continue  # another run considered it first (or an audit by hand is open on it)
    return Selected(considered=len(declarations), opened=opened)
