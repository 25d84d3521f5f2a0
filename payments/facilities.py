"""Guarantees and deferred-payment accounts: securing a declaration's charges, headroom, warnings.

A declaration whose charges are secured does not wait for payment (``payments.status``: SECURED).
``declaration_secure`` takes a ``Security`` on one of the trader account's facilities, chosen by
the declaration's method of payment (DE 4/8): ``E`` asks for a deferment account; ``R``, ``S``
and ``T`` for a guarantee; nothing declared takes a guarantee first, then a deferment account;
any other method (``A`` cash …) asks for payment, so nothing is secured. Only an active facility
valid today, in the charges' currency, whose headroom (limit less its open securities) covers the
whole amount secures it; otherwise the reason is returned, in the trader's words, and audited.

Headroom never goes negative: every securing locks the candidate facilities' rows
(``select_for_update``, in primary-key order so two securings never deadlock) before it sums the
open securities, so two declarations racing for the last room are served one after the other.
A declaration holds at most one open security (a database constraint); a re-assessment replaces
it (``security_resize``), a payment, cancellation or credit releases it (``security_release``,
``security_sync``).

Notices to the trader account (80 % of a facility used, suspension, reactivation, a statement)
leave through the outbox topic ``payments.facility.notice`` (``facility_notice``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import TraderAccount
from declarations import models as declaration_models
from declarations.canonical import DeclarationData, Issue
from declarations.models import Declaration
from singlewindow.audit import audit_log
from singlewindow.outbox import outbox_put

from .ledger import ZERO, declaration_totals
from .models import Facility, FacilityKind, FacilityStatus, ReleaseReason, Security, SuspensionCause
from .money import Money, home_currency, quantize, to_decimal

logger = logging.getLogger(__name__)

TOPIC_FACILITY_NOTICE = "payments.facility.notice"

# DE 4/8 method of payment (UK CDS codes): E deferment; R, S, T securities, Z the importer's individual
# guarantee (as the HMRC samples annotate it, TT_FI002a).
METHODS_DEFERMENT = frozenset({"E"})
METHODS_GUARANTEE = frozenset({"R", "S", "T", "Z"})

# A notice goes to the trader account when securing takes a facility's use past this share.
HEADROOM_NOTICE_SHARE = Decimal("0.8")


def money_text(amount: Decimal, currency: str) -> str:
    """``1,234.00 GBP``: rounded to the currency's minor unit, thousands grouped."""
    return str(Money(amount, currency))


def facility_label(facility: Facility) -> str:
    """``deferment account DAN1234567`` / ``guarantee GB-G-001``, as the trader is told."""
    if facility.kind == FacilityKind.DEFERMENT:
        return _("deferment account %(reference)s") % {"reference": facility.reference}
    return _("guarantee %(reference)s") % {"reference": facility.reference}


# Selectors ----------------------------------------------------------------------------------------


def _open_sum() -> Coalesce:
    return Coalesce(Sum("securities__amount", filter=Q(securities__released_at__isnull=True)), ZERO)


def facilities_with_usage(queryset: QuerySet[Facility] | None = None) -> QuerySet[Facility]:
    """Facilities annotated with ``used`` (the open securities' total), in one query."""
    return (queryset if queryset is not None else Facility.objects.all()).annotate(used=_open_sum())


def facility_headroom(facility: Facility) -> Decimal:
    """The facility's limit less its open securities, now (one query)."""
    used = Security.objects.filter(facility=facility, released_at__isnull=True).aggregate(
        used=Coalesce(Sum("amount"), ZERO)
    )["used"]
    return Decimal(facility.limit) - Decimal(used)


@dataclass(frozen=True)
class FacilityUsage:
    """A facility as the trader account page shows it: limit, used, headroom, status."""

    facility: Facility
    used: Decimal
    today: date

    @property
    def limit(self) -> Decimal:
        return Decimal(self.facility.limit)

    @property
    def headroom(self) -> Decimal:
        return self.limit - self.used

    @property
    def currency(self) -> str:
        return self.facility.currency

    @property
    def percent_used(self) -> int:
        """Share of the limit in use, in whole percent (100 when the limit is nil)."""
        if self.limit <= 0:
            return 100
        return min(100, int(self.used * 100 / self.limit))

    @property
    def usable(self) -> bool:
        """Whether it may secure anything new today (active and valid)."""
        return not unusable_reason(self.facility, self.today)

    @property
    def reason(self) -> str:
        return unusable_reason(self.facility, self.today)


def facilities_for(trader_account: TraderAccount) -> list[FacilityUsage]:
    """The trader account's guarantees and deferment accounts with limit, used, headroom, status.

    One query, whatever the number of facilities (for the trader account page).
    """
    today = timezone.localdate()
    rows = facilities_with_usage(Facility.objects.filter(trader_account=trader_account)).order_by(
        "kind", "reference"
    )
    return [FacilityUsage(facility=f, used=Decimal(f.used), today=today) for f in rows]  # type: ignore[attr-defined]


def unusable_reason(facility: Facility, today: date) -> str:
    """Why the facility secures nothing new today, in the trader's words; "" when it may."""
    label = facility_label(facility)
    if facility.status == FacilityStatus.SUSPENDED:
        if facility.status_reason:
            return _("%(facility)s suspended: %(reason)s") % {
                "facility": label,
                "reason": facility.status_reason,
            }
        return _("%(facility)s suspended") % {"facility": label}
    if facility.status == FacilityStatus.CLOSED:
        return _("%(facility)s closed") % {"facility": label}
    if facility.valid_from > today:
        return _("%(facility)s valid only from %(day)s") % {"facility": label, "day": facility.valid_from}
    if facility.valid_to is not None and facility.valid_to < today:
        return _("%(facility)s expired on %(day)s") % {"facility": label, "day": facility.valid_to}
    return ""


def security_refusal(declaration: Declaration) -> str:
    """Why the declaration's charges were last not secured ("" when they were, or never tried)."""
    from singlewindow.models import AuditEvent

    event = (
        AuditEvent.objects.filter(
            object_type="declarations.declaration",
            object_id=declaration.pk,
            action__in=["payments.security.refused", "payments.security.taken"],
        )
        .order_by("-seq")
        .only("action", "data")
        .first()
    )
    if event is None or event.action != "payments.security.refused":
        return ""
    return str(event.data.get("reason", ""))


# Which facility a declaration asks for -----------------------------------------------------------


def kinds_for_methods(methods: Iterable[str]) -> tuple[list[FacilityKind], str]:
    """The facility kinds a declaration's methods of payment ask for, in order of preference.

    ``E`` anywhere: a deferment account; else ``R``/``S``/``T``: a guarantee; nothing declared:
    a guarantee, then a deferment account; another method: none, and why.
    """
    declared = {m.strip().upper() for m in methods if m and m.strip()}
    if declared & METHODS_DEFERMENT:
        return [FacilityKind.DEFERMENT], ""
    if declared & METHODS_GUARANTEE:
        return [FacilityKind.GUARANTEE], ""
    if not declared:
        return [FacilityKind.GUARANTEE, FacilityKind.DEFERMENT], ""
    return [], _("the method of payment declared (%(methods)s) asks for payment, not security") % {
        "methods": ", ".join(sorted(declared))
    }


def declared_methods(declaration: Declaration) -> set[str]:
    """The DE 4/8 methods of payment on the declaration's goods items' tax lines (none before they exist)."""
    tax_line = getattr(declaration_models, "ItemTaxLine", None)
    if tax_line is None:
        return set()
    return set(
        tax_line.objects.filter(item__declaration=declaration)
        .exclude(method_of_payment="")
        .values_list("method_of_payment", flat=True)
        .distinct()
    )


def data_methods(data: DeclarationData) -> set[str]:
    """The DE 4/8 methods of payment in a declaration not stored yet."""
    return {
        str(getattr(line, "method_of_payment", "") or "")
        for item in data.items
        for line in getattr(item, "tax_lines", None) or []
    } - {""}


# Securing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Securing:
    """What securing did: the security now open for the declaration, or why there is none."""

    security: Security | None
    reason: str = ""

    @property
    def secured(self) -> bool:
        return self.security is not None


def _lock_declaration(declaration: Declaration) -> None:
    # Two securings of one declaration (the pipeline and a re-assessment) wait for each other here:
    # the second sees the security the first took, so one open security per declaration holds
    # without the database having to refuse one.
    list(Declaration.objects.select_for_update(of=("self",)).filter(pk=declaration.pk).values_list("pk"))


def _open_security(declaration: Declaration) -> Security | None:
    return (
        Security.objects.select_related("facility")
        .filter(declaration=declaration, released_at__isnull=True)
        .first()
    )


def _used_by(facility_ids: Sequence[int]) -> dict[int, Decimal]:
    rows = (
        Security.objects.filter(facility_id__in=facility_ids, released_at__isnull=True)
        .values("facility_id")
        .annotate(used=Sum("amount"))
    )
    return {row["facility_id"]: Decimal(row["used"]) for row in rows}


def _release(security: Security, *, reason: str, actor: Any = None) -> bool:
    """Release one open security (compare-and-set) and audit it; False when it was released already."""
    now = timezone.now()
    released = Security.objects.filter(pk=security.pk, released_at__isnull=True).update(
        released_at=now, released_reason=reason
    )
    if not released:
        return False
    security.released_at, security.released_reason = now, reason
    audit_log(
        action="payments.security.released",
        obj=security.declaration,
        actor=actor,
        data={
            "security": security.pk,
            "facility": security.facility.reference,
            "amount": str(security.amount),
            "currency": security.currency,
            "reason": reason,
        },
    )
    return True


def _secure_locked(
    *,
    declaration: Declaration,
    amount: Decimal,
    currency: str,
    replacing: Security | None,
    actor: Any,
) -> Securing:
    """Take a security of ``amount`` (replacing the open one, if any); the declaration row is locked."""
    trader = declaration.trader_account
    if trader is None:
        return Securing(None, _("the declaration names no registered trader account"))
    kinds, refusal = kinds_for_methods(declared_methods(declaration))
    today = timezone.localdate()
    candidates = Facility.objects.filter(trader_account=trader, currency=currency)
    wanted = Q(kind__in=kinds)
    if replacing is not None:
        wanted |= Q(pk=replacing.facility_id)
    # Lock every facility that may be chosen, in primary-key order, before reading their use.
    locked = list(candidates.filter(wanted).select_for_update(of=("self",)).order_by("pk"))
    used = _used_by([f.pk for f in locked])
    if replacing is not None:
        used[replacing.facility_id] = used.get(replacing.facility_id, ZERO) - Decimal(replacing.amount)

    def rank(facility: Facility) -> tuple[int, int, int]:
        same = 0 if replacing is not None and facility.pk == replacing.facility_id else 1
        order = kinds.index(FacilityKind(facility.kind)) if facility.kind in kinds else len(kinds)
        return (same, order, facility.pk)

    chosen: Facility | None = None
    reasons: list[str] = []
    for facility in sorted(locked, key=rank):
        headroom = Decimal(facility.limit) - used.get(facility.pk, ZERO)
        shrinking = (
            replacing is not None and facility.pk == replacing.facility_id and amount <= replacing.amount
        )
        if shrinking:
            chosen = facility  # less of the same facility is never new security: always allowed
            break
        if facility.kind not in kinds:
            continue
        if why := unusable_reason(facility, today):
            reasons.append(why)
            continue
        if headroom < amount:
            reasons.append(
                _("%(facility)s has %(headroom)s left, %(amount)s needed")
                % {
                    "facility": facility_label(facility),
                    "headroom": money_text(max(headroom, ZERO), currency),
                    "amount": money_text(amount, currency),
                }
            )
            continue
        chosen = facility
        break

    if chosen is None:
        if not reasons:
            reasons.append(refusal or _no_facility_reason(kinds))
        reason = "; ".join(reasons)
        audit_log(
            action="payments.security.refused",
            obj=declaration,
            actor=actor,
            data={"amount": str(amount), "currency": currency, "reason": reason},
        )
        return Securing(None, reason)

    if replacing is not None:
        _release(replacing, reason=ReleaseReason.RESIZED, actor=actor)
    before = used.get(chosen.pk, ZERO)
    security = Security.objects.create(
        facility=chosen, declaration=declaration, amount=amount, currency=currency
    )
    audit_log(
        action="payments.security.taken",
        obj=declaration,
        actor=actor,
        data={
            "security": security.pk,
            "facility": chosen.reference,
            "kind": chosen.kind,
            "amount": str(amount),
            "currency": currency,
            "replaces": replacing.pk if replacing is not None else None,
        },
    )
    _notice_if_crossed(chosen, before=before, after=before + amount)
    return Securing(security)


def _no_facility_reason(kinds: Sequence[FacilityKind]) -> str:
    if list(kinds) == [FacilityKind.DEFERMENT]:
        return _("no deferment account")
    if list(kinds) == [FacilityKind.GUARANTEE]:
        return _("no guarantee")
    return _("no guarantee or deferment account")


def _notice_if_crossed(facility: Facility, *, before: Decimal, after: Decimal) -> None:
    """Tell the trader account once when this securing takes the facility past 80 % of its limit."""
    threshold = Decimal(facility.limit) * HEADROOM_NOTICE_SHARE
    if not (before < threshold <= after) or facility.limit <= 0:
        return
    headroom = Decimal(facility.limit) - after
    message = _("%(facility)s is %(percent)s %% used: %(headroom)s left of %(limit)s.") % {
        "facility": facility_label(facility),
        "percent": int(after * 100 / Decimal(facility.limit)),
        "headroom": money_text(headroom, facility.currency),
        "limit": money_text(Decimal(facility.limit), facility.currency),
    }
    audit_log(
        action="payments.facility.headroom_low",
        obj=facility,
        actor=None,
        data={"used": str(after), "limit": str(facility.limit)},
    )
    facility_notice(facility=facility, kind="headroom_low", message=message)


def facility_notice(*, facility: Facility, kind: str, message: str) -> None:
    """A notice for the facility's trader account, published after commit (``TOPIC_FACILITY_NOTICE``)."""
    outbox_put(
        topic=TOPIC_FACILITY_NOTICE,
        object_id=facility.pk,
        payload={"kind": kind, "message": message, "trader_account": facility.trader_account_id},
    )


def _amount(amount: Decimal, currency: str) -> Decimal:
    return quantize(to_decimal(amount), currency)


def declaration_secure(
    *, declaration: Declaration, amount: Decimal, currency: str = "", actor: Any = None
) -> Securing:
    """Hold ``amount`` of the declaration's charges against a facility of its trader account.

    Idempotent: the security already open for that amount is returned as it is; one open for
    another amount is replaced (as ``security_resize``). Nothing secured: ``Securing.reason`` says
    why ("deferment account DAN1234567 suspended: statement of October 2026 overdue"), and the
    event ``payments.security.refused`` records it on the declaration. Side effects: the security,
    its audit event and, when the facility passes 80 % use, a notice to the trader account.
    Runs in the caller's transaction (an ``atomic`` block of its own when there is none).
    """
    currency = (currency or home_currency()).upper()
    amount = _amount(amount, currency)
    if amount <= 0:
        return Securing(None, _("nothing to secure"))
    with transaction.atomic(savepoint=False):
        _lock_declaration(declaration)
        existing = _open_security(declaration)
        if existing is not None and existing.amount == amount and existing.currency == currency:
            return Securing(existing)
        return _secure_locked(
            declaration=declaration, amount=amount, currency=currency, replacing=existing, actor=actor
        )


def security_resize(
    *, declaration: Declaration, amount: Decimal, currency: str = "", actor: Any = None
) -> Securing:
    """Make the declaration's security ``amount`` after a re-assessment (or a part payment).

    Less: the security is replaced by a smaller one on the same facility (whatever its status:
    that is not new security). More: the same facility if it is usable and has the room, else
    another one that covers the whole amount; when none does, the old security stays open (it
    still covers part of the debt) and the reason is returned. Nil or less: it is released
    (``credited``).
    """
    currency = (currency or home_currency()).upper()
    amount = _amount(amount, currency)
    with transaction.atomic(savepoint=False):
        _lock_declaration(declaration)
        existing = _open_security(declaration)
        if amount <= 0:
            if existing is not None:
                _release(existing, reason=ReleaseReason.CREDITED, actor=actor)
            return Securing(None)
        if existing is not None and existing.amount == amount and existing.currency == currency:
            return Securing(existing)
        return _secure_locked(
            declaration=declaration, amount=amount, currency=currency, replacing=existing, actor=actor
        )


def security_release(*, declaration: Declaration, reason: str, actor: Any = None) -> Security | None:
    """Release the declaration's open security (paid, cancelled, credited); the released one, or None.

    Idempotent: nothing open, nothing done. Audited as ``payments.security.released``.
    """
    with transaction.atomic(savepoint=False):
        security = (
            Security.objects.select_for_update(of=("self",))
            .select_related("facility", "declaration")
            .filter(declaration=declaration, released_at__isnull=True)
            .first()
        )
        if security is None or not _release(security, reason=reason, actor=actor):
            return None
        return security


def security_sync(
    *, declaration: Declaration, reason: str = ReleaseReason.PAID, actor: Any = None
) -> Securing:
    """Fit the declaration's security to what its ledger says is outstanding now.

    Nothing outstanding: the open security is released with ``reason``; something outstanding:
    secured (or resized) for exactly that. The one call after a charge, a re-assessment or a
    payment of the declaration.
    """
    currency = home_currency()
    _charged, outstanding = declaration_totals(declaration.pk, currency)
    if outstanding <= 0:
        security_release(declaration=declaration, reason=reason, actor=actor)
        return Securing(None)
    return declaration_secure(declaration=declaration, amount=outstanding, currency=currency, actor=actor)


# Facility status (administrators, the overdue job) ----------------------------------------------


def facility_suspend(
    *, facility: Facility, reason: str, cause: str = SuspensionCause.ADMINISTRATOR, actor: Any = None
) -> bool:
    """Suspend an active facility: it secures nothing new. False when it was not active.

    Side effects: status and reason (compare-and-set), audit ``payments.facility.suspended``, a
    notice to the trader account.
    """
    with transaction.atomic():
        changed = Facility.objects.filter(pk=facility.pk, status=FacilityStatus.ACTIVE).update(
            status=FacilityStatus.SUSPENDED, status_reason=reason[:300], suspension_cause=cause
        )
        if not changed:
            return False
        facility.status, facility.status_reason, facility.suspension_cause = (
            FacilityStatus.SUSPENDED,
            reason[:300],
            cause,
        )
        audit_log(
            action="payments.facility.suspended",
            obj=facility,
            actor=actor,
            data={"reason": reason, "cause": cause},
        )
        facility_notice(
            facility=facility,
            kind="suspended",
            message=_("%(facility)s is suspended: %(reason)s. It secures no new declaration until then.")
            % {"facility": facility_label(facility), "reason": reason},
        )
    return True


def facility_reactivate(*, facility: Facility, actor: Any = None, only_cause: str | None = None) -> bool:
    """Make a suspended facility active again (``only_cause``: only if suspended for that cause)."""
    with transaction.atomic():
        rows = Facility.objects.filter(pk=facility.pk, status=FacilityStatus.SUSPENDED)
        if only_cause is not None:
            rows = rows.filter(suspension_cause=only_cause)
        changed = rows.update(status=FacilityStatus.ACTIVE, status_reason="", suspension_cause="")
        if not changed:
            return False
        facility.status, facility.status_reason, facility.suspension_cause = FacilityStatus.ACTIVE, "", ""
        audit_log(action="payments.facility.reactivated", obj=facility, actor=actor, data={})
        facility_notice(
            facility=facility,
            kind="reactivated",
            message=_("%(facility)s is active again.") % {"facility": facility_label(facility)},
        )
    return True


def facility_close(*, facility: Facility, actor: Any = None) -> bool:
    """Close a facility for good: it secures nothing new; open securities stay until released."""
    with transaction.atomic():
        changed = (
            Facility.objects.filter(pk=facility.pk)
            .exclude(status=FacilityStatus.CLOSED)
            .update(status=FacilityStatus.CLOSED, suspension_cause="")
        )
        if not changed:
            return False
        facility.status = FacilityStatus.CLOSED
        audit_log(action="payments.facility.closed", obj=facility, actor=actor, data={})
    return True


# The warning at lodgement ------------------------------------------------------------------------


def estimate_duties(data: DeclarationData) -> Decimal | None:
    """An estimate of what the declaration will be charged, before it is stored; None if unknown.

    The trader's own declared figures (DE 4/6 payable amounts, else 4/7 totals) of its tax lines.
    """
    total = ZERO
    found = False
    for item in data.items:
        for line in getattr(item, "tax_lines", None) or []:
            value = getattr(line, "payable_amount", None)
            if value is None:
                value = getattr(line, "assessed_amount", None)
            if value is not None:
                total += to_decimal(value)
                found = True
    return total if found else None


def headroom_warnings(data: DeclarationData, user: Any = None) -> list[Issue]:
    """A warning (never an error) when the estimated duties exceed what the facility asked for has left.

    Registered with ``declarations.validation.register_advisor``: the form's submit, the upload's
    check and ``POST /api/v1/declarations/validate`` answer with it. One query (the facilities of
    the trader account named in the declaration, with their use); none when nothing is estimated.
    """
    estimate = estimate_duties(data)
    if estimate is None or estimate <= 0:
        return []
    role = data.trader_role
    party = data.party(role) if role is not None else None
    if party is None or not party.eori:
        return []
    kinds, _refusal = kinds_for_methods(data_methods(data))
    if not kinds:
        return []
    currency = home_currency()
    today = timezone.localdate()
    # One query: the facilities of the registered, active trader account named in the declaration.
    rows = facilities_with_usage(
        Facility.objects.filter(
            trader_account__eori=party.eori,
            trader_account__is_active=True,
            kind__in=kinds,
            currency=currency,
        )
    ).order_by("kind", "reference")
    usages = [FacilityUsage(facility=f, used=Decimal(f.used), today=today) for f in rows]  # type: ignore[attr-defined]
    if not usages:
        return []
    usable = [u for u in usages if u.usable]
    if usable:
        best = max(usable, key=lambda u: (u.headroom, -kinds.index(FacilityKind(u.facility.kind))))
        if best.headroom >= estimate:
            return []
        message = _(
            "estimated duties %(estimate)s exceed the %(headroom)s left on %(facility)s: "
            "the goods will wait for payment"
        ) % {
            "estimate": money_text(estimate, currency),
            "headroom": money_text(max(best.headroom, ZERO), currency),
            "facility": facility_label(best.facility),
        }
    else:
        message = _("%(reason)s: the goods will wait for payment") % {"reason": usages[0].reason}
    return [Issue("facility_headroom", message, severity="warning")]
