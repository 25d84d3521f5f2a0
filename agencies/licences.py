"""Licences and permits on file (LPCO): registering, revoking, and deciding reviews with them.

An agency records the licences it issued (``Licence``). A goods item routed to agency A that
declares, in DE 2/3, a document whose code and reference name a licence of A is *covered* when
that licence is not revoked, is valid on the day the declaration was accepted, is held by the
declaration's trader account (importer or exporter), covers the item's commodity code, and has
enough left for what the item writes off (DE 2/3 writing-off; with none declared, the item's net
mass or value in the licence's unit or currency). A covered item's amount is written off the
licence (a ``decrement`` in its balance history) in the routing transaction. When every item of
A's route is covered, A's review is approved automatically with the licences named as the reason;
when one is not, the review goes to an officer with what was wrong, item by item.

Which documents concern A: those of a document code A has licences on file under. A document of
such a code whose reference is on no licence of A is "no such licence on file". A code A's rule
requires but A registers no licences under stays the officer's to check, as before.

The balance rule: it only changes here, under the licence row's lock (``select_for_update``, rows
locked in primary-key order so two declarations sharing licences never deadlock; the caller
holds the declaration's lock first), and a check constraint keeps it from going below zero. A
decrement is unique per licence, declaration version and item, so routing run twice writes off
once. A cancelled, invalidated or refused declaration, or an amendment that asks the agency again,
gives back what it wrote off (a ``restore`` that names the decrement it reverses, at most once).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import accounts_member_of
from accounts.models import Role, TraderAccount, User
from declarations.canonical import DocumentKind
from declarations.models import Declaration, Document, GoodsItem
from singlewindow.audit import audit_log
from singlewindow.errors import Conflict, DomainError, NotFound

from .access import agencies_of
from .models import WRITE_OFF_KINDS, Agency, Licence, LicenceState, LicenceUsage, UsageKind

if TYPE_CHECKING:
    from .routing import AgencyRoute

UNIT_NAMES = {"KGM": "kg", "LTR": "l", "TNE": "t", "MTQ": "m³", "MTK": "m²"}


def unit_of(code: str) -> str:
    """The unit a quantity counts in: ``KGM#G`` (kilograms, gross qualifier) counts in ``KGM``."""
    return code.split("#", 1)[0].strip().upper()


def shown(amount: Decimal | None, unit: str) -> str:
    """``50 kg``, ``10.00 GBP``: an amount as an officer reads it."""
    if amount is None:
        return "—"
    number = format(amount.normalize(), "f") if amount == amount.to_integral() else format(amount, "f")
    if len(unit) == 3 and unit.isalpha() and unit not in UNIT_NAMES:  # a currency: two decimals
        number = format(amount.quantize(Decimal("0.01")), "f")
    return f"{number} {UNIT_NAMES.get(unit, unit)}"


# --- registering and revoking ---------------------------------------------------------------------


class LicenceError(DomainError):
    status = 400


@dataclass
class LicenceInput:
    document_code: str
    number: str
    holder_eori: str
    valid_from: datetime.date
    valid_until: datetime.date
    hs_prefixes: list[str]
    quantity_allowance: Decimal | None = None
    quantity_unit: str = ""
    value_allowance: Decimal | None = None
    value_currency: str = ""


@transaction.atomic(durable=True)
def licence_register(*, agency: Agency, actor: User | None, data: LicenceInput) -> Licence:
    """Record a licence ``agency`` issued; its balance starts at its allowance (an ``issue`` line).

    The caller has checked that ``actor`` works for ``agency``. Raises ``LicenceError`` for an
    unknown holder, no allowance, a unit without a quantity and the like, and ``Conflict``
    (``licence_exists``) when the agency already has that number under that code. Audited
    (``agencies.licence.registered``).
    """
    return licence_create(agency=agency, actor=actor, data=data)


@transaction.atomic
def licence_create(*, agency: Agency, actor: User | None, data: LicenceInput) -> Licence:
    """``licence_register`` inside the caller's transaction (the demo seed's)."""
    holder = TraderAccount.objects.filter(eori=data.holder_eori.strip().upper(), is_active=True).first()
    if holder is None:
        raise LicenceError(
            "licence_holder_unknown",
            _("No trader account has the EORI %(eori)s.") % {"eori": data.holder_eori},
            errors=[
                {
                    "pointer": "holder",
                    "code": "licence_holder_unknown",
                    "message": _("No trader account has the EORI %(eori)s.") % {"eori": data.holder_eori},
                }
            ],
        )
    problems = licence_input_problems(data)
    if problems:
        raise LicenceError(problems[0]["code"], problems[0]["message"], errors=problems)
    licence = Licence(
        agency=agency,
        document_code=data.document_code.strip().upper(),
        number=data.number.strip(),
        holder=holder,
        hs_prefixes=sorted({p.strip() for p in data.hs_prefixes if p.strip()}),
        quantity_allowance=data.quantity_allowance,
        quantity_unit=unit_of(data.quantity_unit) if data.quantity_allowance is not None else "",
        quantity_balance=data.quantity_allowance,
        value_allowance=data.value_allowance,
        value_currency=data.value_currency.strip().upper() if data.value_allowance is not None else "",
        value_balance=data.value_allowance,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            licence.save()
    except IntegrityError:
        raise Conflict(
            "licence_exists",
            _("%(agency)s already has licence %(number)s under document code %(code)s.")
            % {"agency": agency.name, "number": licence.number, "code": licence.document_code},
        ) from None
    LicenceUsage.objects.create(
        licence=licence,
        kind=UsageKind.ISSUE,
        quantity=licence.quantity_allowance,
        value=licence.value_allowance,
        quantity_balance=licence.quantity_balance,
        value_balance=licence.value_balance,
        actor=actor,
        at=licence.created_at,
    )
    audit_log(
        action="agencies.licence.registered",
        obj=licence,
        actor=actor,
        data={"agency": agency.code, "number": licence.number, "code": licence.document_code},
    )
    return licence


def licence_input_problems(data: LicenceInput) -> list[dict[str, str]]:
    """What is wrong with a licence to register, each with the field it is about (empty: nothing)."""
    problems: list[dict[str, str]] = []

    def problem(pointer: str, code: str, message: str) -> None:
        problems.append({"pointer": pointer, "code": code, "message": message})

    code = data.document_code.strip()
    if len(code) != 4 or not code.isalnum():
        problem(
            "document_code",
            "licence_code_format",
            _("The document code is four letters or digits, as declared in DE 2/3 (for example 9100)."),
        )
    if not data.number.strip():
        problem("number", "licence_number_missing", _("Give the licence number."))
    if data.quantity_allowance is None and data.value_allowance is None:
        problem(
            "quantity_allowance",
            "licence_allowance_missing",
            _("Give a quantity allowed, a value allowed, or both."),
        )
    if data.quantity_allowance is not None:
        if data.quantity_allowance <= 0:
            problem(
                "quantity_allowance", "licence_allowance_negative", _("The quantity allowed is more than 0.")
            )
        if not unit_of(data.quantity_unit):
            problem(
                "quantity_unit", "licence_unit_missing", _("Give the unit of the quantity (for example KGM).")
            )
    if data.value_allowance is not None:
        if data.value_allowance <= 0:
            problem("value_allowance", "licence_allowance_negative", _("The value allowed is more than 0."))
        currency = data.value_currency.strip()
        if len(currency) != 3 or not currency.isalpha():
            problem(
                "value_currency",
                "licence_currency_missing",
                _("Give the currency of the value as three letters (for example GBP)."),
            )
    if data.valid_until < data.valid_from:
        problem("valid_until", "licence_validity_order", _("The licence cannot end before it starts."))
    for prefix in data.hs_prefixes:
        if prefix.strip() and not prefix.strip().isdigit():
            problem(
                "hs_prefixes",
                "licence_scope_format",
                _("Commodity codes covered are digits (for example 2612 or 35021990)."),
            )
            break
    return problems


@transaction.atomic(durable=True)
def licence_revoke(*, licence: Licence, actor: User | None, reason: str) -> Licence:
    """Revoke a licence (reason required); declarations routed after this are not covered by it.

    What was written off stays written off. Compare-and-set on ``revoked_at``: revoking twice is a
    ``Conflict`` (``licence_revoked``). Audited (``agencies.licence.revoked``), and a ``revoke``
    line in the balance history.
    """
    reason = reason.strip()
    if not reason:
        raise LicenceError(
            "reason_required",
            _("Give the reason for revoking the licence."),
            errors=[{"pointer": "reason", "code": "reason_required", "message": _("Give the reason.")}],
        )
    now = timezone.now()
    locked = Licence.objects.select_for_update().get(pk=licence.pk)
    updated = Licence.objects.filter(pk=licence.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor, revoke_reason=reason
    )
    if not updated:
        raise Conflict("licence_revoked", _("The licence was already revoked."))
    LicenceUsage.objects.create(
        licence=locked,
        kind=UsageKind.REVOKE,
        quantity_balance=locked.quantity_balance,
        value_balance=locked.value_balance,
        reason=reason,
        actor=actor,
        at=now,
    )
    audit_log(
        action="agencies.licence.revoked",
        obj=locked,
        actor=actor,
        data={"agency": locked.agency.code, "number": locked.number, "reason": reason},
    )
    locked.refresh_from_db()
    return locked


# --- deciding reviews with licences ---------------------------------------------------------------


@dataclass
class _Need:
    quantity: Decimal | None = None
    value: Decimal | None = None


def _documents_by_item(documents: Iterable[Document]) -> dict[int, list[Document]]:
    out: dict[int, list[Document]] = {}
    for document in documents:
        if document.kind == DocumentKind.ADDITIONAL and document.item_id is not None and document.reference:
            out.setdefault(document.item_id, []).append(document)
    return out


def _need(licence: Licence, document: Document, item: GoodsItem) -> tuple[_Need, str]:
    """What the item takes off the licence, or why that cannot be told ('' when it can)."""
    need = _Need()
    if licence.quantity_allowance is not None:
        declared = document.write_off_quantity
        if declared is not None and declared > 0:
            if unit_of(document.write_off_unit or licence.quantity_unit) != licence.quantity_unit:
                return need, _(
                    "Licence %(number)s counts in %(unit)s; this item writes off in %(declared)s."
                ) % {
                    "number": licence.number,
                    "unit": licence.quantity_unit,
                    "declared": document.write_off_unit,
                }
            need.quantity = declared
        elif licence.quantity_unit == "KGM" and item.net_mass is not None:
            need.quantity = item.net_mass
        elif item.quantity is not None and unit_of(item.quantity_unit) == licence.quantity_unit:
            need.quantity = item.quantity
        else:
            return need, _("This item declares no quantity in %(unit)s to write off licence %(number)s.") % {
                "number": licence.number,
                "unit": licence.quantity_unit,
            }
    if licence.value_allowance is not None:
        declared_value = document.write_off_amount
        if declared_value is not None and declared_value > 0:
            currency = document.write_off_currency or licence.value_currency
            if currency.upper() != licence.value_currency:
                return need, _(
                    "Licence %(number)s counts in %(currency)s; this item writes off in %(declared)s."
                ) % {"number": licence.number, "currency": licence.value_currency, "declared": currency}
            need.value = declared_value
        elif item.value_amount is not None and item.value_currency == licence.value_currency:
            need.value = item.value_amount
        elif item.statistical_value is not None and item.statistical_currency == licence.value_currency:
            need.value = item.statistical_value
        else:
            return need, _("This item declares no value in %(currency)s to write off licence %(number)s.") % {
                "number": licence.number,
                "currency": licence.value_currency,
            }
    return need, ""


def _finding(
    item: GoodsItem, document: Document, licence: Licence | None, covered: bool, reason: str, message: str
) -> dict[str, Any]:
    return {
        "item": item.sequence,
        "code": document.code,
        "number": document.reference,
        "licence": licence.pk if licence is not None else None,
        "covered": covered,
        "reason": reason,
        "message": message,
    }


def _check(
    licence: Licence,
    document: Document,
    item: GoodsItem,
    declaration: Declaration,
    day: datetime.date,
) -> tuple[str, str, _Need]:
    """(reason code, message, need) for one item against one licence; reason ``covered`` when it is."""
    number = licence.number
    if licence.revoked_at is not None:
        return (
            "revoked",
            _("Licence %(number)s was revoked on %(date)s.")
            % {
                "number": number,
                "date": timezone.localtime(licence.revoked_at).date().isoformat(),
            },
            _Need(),
        )
    if day < licence.valid_from:
        return (
            "not_yet_valid",
            _("Licence %(number)s is valid from %(date)s.")
            % {
                "number": number,
                "date": licence.valid_from.isoformat(),
            },
            _Need(),
        )
    if day > licence.valid_until:
        return (
            "expired",
            _("Licence %(number)s expired on %(date)s.")
            % {
                "number": number,
                "date": licence.valid_until.isoformat(),
            },
            _Need(),
        )
    if declaration.trader_account_id is None or licence.holder_id != declaration.trader_account_id:
        return (
            "other_holder",
            _("Licence %(number)s is held by another trader.") % {"number": number},
            _Need(),
        )
    if licence.hs_prefixes and not any(item.commodity_code.startswith(p) for p in licence.hs_prefixes):
        return (
            "wrong_scope",
            _("Licence %(number)s does not cover commodity %(commodity)s.")
            % {
                "number": number,
                "commodity": item.commodity_code,
            },
            _Need(),
        )
    need, why = _need(licence, document, item)
    if why:
        return "no_amount", why, need
    if (
        need.quantity is not None
        and licence.quantity_balance is not None
        and need.quantity > licence.quantity_balance
    ):
        return (
            "exhausted",
            _("Licence %(number)s has %(left)s left; this item writes off %(need)s.")
            % {
                "number": number,
                "left": shown(licence.quantity_balance, licence.quantity_unit),
                "need": shown(need.quantity, licence.quantity_unit),
            },
            need,
        )
    if need.value is not None and licence.value_balance is not None and need.value > licence.value_balance:
        return (
            "exhausted",
            _("Licence %(number)s has %(left)s left; this item writes off %(need)s.")
            % {
                "number": number,
                "left": shown(licence.value_balance, licence.value_currency),
                "need": shown(need.value, licence.value_currency),
            },
            need,
        )
    return "covered", "", need


def licences_apply(
    *,
    declaration: Declaration,
    routes: Sequence[AgencyRoute],
    documents: Iterable[Document],
) -> None:
    """Check each route's goods against the agency's licences on file; write off what is covered.

    Sets ``route.licence_findings`` and ``route.licence_covered`` (True: every item of the route
    is covered, the review is approved automatically; False: an officer decides; None: no
    document of the route concerns a licence). The caller holds the declaration's row lock, in
    its transaction. One query when no declared document has a code the agencies routed to
    register licences under; then one locking read of the licences named, an update per licence
    written off and the usage rows in one insert.
    """
    routes = [r for r in routes if r.items]
    if not routes:
        return
    by_item = _documents_by_item(documents)
    if not by_item:
        return  # no goods item declares a document: nothing to look up
    agency_ids = [r.agency.pk for r in routes]
    codes_of: dict[int, set[str]] = {pk: set() for pk in agency_ids}
    for agency_id, code in (
        Licence.objects.filter(agency_id__in=agency_ids).values_list("agency_id", "document_code").distinct()
    ):
        codes_of[agency_id].add(code)
    wanted: list[tuple[AgencyRoute, GoodsItem, Document]] = []
    for route in routes:
        codes = codes_of[route.agency.pk]
        for item in route.items:
            wanted.extend((route, item, d) for d in by_item.get(item.pk, []) if d.code in codes)
    if not wanted:
        return
    # Lock every licence named, in primary-key order (two declarations sharing licences queue up
    # on them in the same order instead of deadlocking).
    named = Q()
    for route, _item, document in wanted:
        named |= Q(agency_id=route.agency.pk, document_code=document.code, number=document.reference)
    licences = {
        (lic.agency_id, lic.document_code, lic.number): lic
        for lic in Licence.objects.select_for_update().filter(named).order_by("pk")
    }
    day = timezone.localdate(declaration.accepted_at) if declaration.accepted_at else timezone.localdate()
    now = timezone.now()
    usages: list[LicenceUsage] = []
    changed: dict[int, Licence] = {}
    covered_items: dict[int, set[int]] = {}
    for route in routes:
        route.licence_findings = []
    for route, item, document in wanted:
        licence = licences.get((route.agency.pk, document.code, document.reference))
        if licence is None:
            route.licence_findings.append(
                _finding(
                    item,
                    document,
                    None,
                    False,
                    "not_on_file",
                    _(
                        "No such licence on file: %(agency)s has no licence %(number)s "
                        "(document code %(code)s)."
                    )
                    % {"agency": route.agency.name, "number": document.reference, "code": document.code},
                )
            )
            continue
        reason, message, need = _check(licence, document, item, declaration, day)
        if reason != "covered":
            route.licence_findings.append(_finding(item, document, licence, False, reason, message))
            continue
        if need.quantity is not None and licence.quantity_balance is not None:
            licence.quantity_balance -= need.quantity
        if need.value is not None and licence.value_balance is not None:
            licence.value_balance -= need.value
        changed[licence.pk] = licence
        usages.append(
            LicenceUsage(
                licence=licence,
                kind=UsageKind.DECREMENT,
                declaration=declaration,
                version=declaration.version,
                item=item.sequence,
                quantity=need.quantity,
                value=need.value,
                quantity_balance=licence.quantity_balance,
                value_balance=licence.value_balance,
                at=now,
            )
        )
        written = [
            shown(need.quantity, licence.quantity_unit) if need.quantity is not None else "",
            shown(need.value, licence.value_currency) if need.value is not None else "",
        ]
        left = [
            shown(licence.quantity_balance, licence.quantity_unit)
            if licence.quantity_balance is not None
            else "",
            shown(licence.value_balance, licence.value_currency) if licence.value_balance is not None else "",
        ]
        finding = _finding(
            item,
            document,
            licence,
            True,
            "covered",
            _("Licence %(number)s covers this item: %(written)s written off, %(left)s left.")
            % {
                "number": licence.number,
                "written": " + ".join(w for w in written if w),
                "left": " + ".join(v for v in left if v),
            },
        )
        route.licence_findings.append(finding)
        covered_items.setdefault(route.agency.pk, set()).add(item.sequence)
    for route in routes:
        if not route.licence_findings:
            continue
        covered = covered_items.get(route.agency.pk, set())
        failed = {f["item"] for f in route.licence_findings if not f["covered"]}
        every = {item.sequence for item in route.items}
        route.licence_covered = every <= covered and not (failed - covered)
        if route.licence_covered:
            numbers = sorted({f["number"] for f in route.licence_findings if f["covered"]})
            route.licence_reason = _("Covered by licence on file: %(numbers)s.") % {
                "numbers": ", ".join(numbers)
            }
        else:
            uncovered = sorted(every - covered)
            route.licence_findings.extend(
                {
                    "item": sequence,
                    "code": "",
                    "number": "",
                    "licence": None,
                    "covered": False,
                    "reason": "no_licence",
                    "message": _("This item declares no licence of %(agency)s.")
                    % {"agency": route.agency.name},
                }
                for sequence in uncovered
                if sequence not in failed
            )
            route.licence_findings.sort(key=lambda f: (f["item"], not f["covered"]))
    for licence in changed.values():
        Licence.objects.filter(pk=licence.pk).update(
            quantity_balance=licence.quantity_balance, value_balance=licence.value_balance
        )
    LicenceUsage.objects.bulk_create(usages)


def _lock(licence_ids: Iterable[int]) -> dict[int, Licence]:
    """The licences, locked in primary-key order (two declarations sharing licences queue up on
    them in the same order instead of deadlocking)."""
    return {
        lic.pk: lic
        for lic in Licence.objects.select_for_update().filter(pk__in=set(licence_ids)).order_by("pk")
    }


def _reversal(
    usage: LicenceUsage, licence: Licence, kind: UsageKind, reason: str, at: datetime.datetime
) -> LicenceUsage:
    """Move ``licence``'s balance back by ``usage`` (up for a restore, down for a reinstatement)
    and the line that records it, naming ``usage``."""
    sign = 1 if kind == UsageKind.RESTORE else -1
    if usage.quantity is not None and licence.quantity_balance is not None:
        licence.quantity_balance += sign * usage.quantity
    if usage.value is not None and licence.value_balance is not None:
        licence.value_balance += sign * usage.value
    return LicenceUsage(
        licence=licence,
        kind=kind,
        declaration_id=usage.declaration_id,
        version=usage.version,
        item=usage.item,
        quantity=usage.quantity,
        value=usage.value,
        quantity_balance=licence.quantity_balance,
        value_balance=licence.value_balance,
        reverses=usage,
        reason=reason,
        at=at,
    )


def _balances_save(licences: Iterable[Licence], rows: list[LicenceUsage]) -> None:
    for licence in licences:
        Licence.objects.filter(pk=licence.pk).update(
            quantity_balance=licence.quantity_balance, value_balance=licence.value_balance
        )
    LicenceUsage.objects.bulk_create(rows)


def licences_restore(
    *, declaration: Declaration, reason: str, agency_ids: Iterable[int] | None = None
) -> int:
    """Give back what ``declaration`` wrote off (only ``agency_ids``' licences, when given).

    The caller holds the declaration's row lock. Each active decrement (not yet reversed) gets a
    ``restore`` line naming it, its licence's balance raised under the licence's lock. Running it
    twice restores nothing more (a decrement is reversed at most once). Returns how many.
    """
    decrements = LicenceUsage.objects.filter(
        declaration=declaration, kind__in=WRITE_OFF_KINDS, restored_by__isnull=True
    )
    if agency_ids is not None:
        decrements = decrements.filter(licence__agency_id__in=list(agency_ids))
    pending = list(decrements.order_by("licence_id", "pk"))
    if not pending:
        return 0
    locked = _lock(u.licence_id for u in pending)
    now = timezone.now()
    rows = [_reversal(usage, locked[usage.licence_id], UsageKind.RESTORE, reason, now) for usage in pending]
    _balances_save(locked.values(), rows)
    return len(rows)


def licences_reinstate(*, declaration: Declaration, reason: str) -> list[dict[str, str | int | None]]:
    """Write off again what the refusal of ``declaration`` gave back: it is released after all.

    The caller holds the declaration's row lock. Each restore of the refusal (of the current
    version, not yet reinstated) gets a ``reinstate`` line naming it, under its licence's lock,
    where the balance still allows; a licence used up by others meanwhile cannot go below zero,
    and what it could not take is returned (licence, item, what was wanted and what was left)
    for the caller to record. Running it twice writes off nothing more.
    """
    restores = list(
        LicenceUsage.objects.filter(
            declaration=declaration,
            kind=UsageKind.RESTORE,
            reason="refused",
            version=declaration.version,
            restored_by__isnull=True,
        ).order_by("licence_id", "pk")
    )
    if not restores:
        return []
    locked = _lock(u.licence_id for u in restores)
    now = timezone.now()
    rows: list[LicenceUsage] = []
    shortfalls: list[dict[str, str | int | None]] = []
    for restore in restores:
        licence = locked[restore.licence_id]
        short_quantity = (
            restore.quantity is not None
            and licence.quantity_balance is not None
            and licence.quantity_balance < restore.quantity
        )
        short_value = (
            restore.value is not None
            and licence.value_balance is not None
            and licence.value_balance < restore.value
        )
        if not (short_quantity or short_value):
            rows.append(_reversal(restore, licence, UsageKind.REINSTATE, reason, now))
            continue
        wanted, left = [], []
        if short_quantity:
            wanted.append(shown(restore.quantity, licence.quantity_unit))
            left.append(shown(licence.quantity_balance, licence.quantity_unit))
        if short_value:
            wanted.append(shown(restore.value, licence.value_currency))
            left.append(shown(licence.value_balance, licence.value_currency))
        shortfalls.append(
            {
                "licence": licence.number,
                "item": restore.item,
                "wanted": " + ".join(wanted),
                "left": " + ".join(left),
            }
        )
    _balances_save(locked.values(), rows)
    return shortfalls


def licences_replan(
    *,
    declaration: Declaration,
    routes: Sequence[AgencyRoute],
    withdrawn_agency_ids: Iterable[int],
) -> None:
    """An amendment asks ``routes``' agencies again: give back what they wrote off, check anew."""
    agency_ids = {r.agency.pk for r in routes} | set(withdrawn_agency_ids)
    if agency_ids:
        licences_restore(declaration=declaration, reason="amended", agency_ids=agency_ids)
    if routes:
        licences_apply(declaration=declaration, routes=routes, documents=list(declaration.documents.all()))


# --- reads ----------------------------------------------------------------------------------------


def licences_search(
    *,
    agency: str = "",
    holder: str = "",
    number: str = "",
    state: str = "",
    holder_account_ids: Iterable[int] | None = None,
) -> QuerySet[Licence]:
    """Licences matching the filters (blank: any), newest first, with issuer and holder joined.

    ``holder_account_ids``: only licences held by these trader accounts (a trader's own).
    ``state``: one of ``LicenceState`` on today's date.
    """
    licences = Licence.objects.select_related("agency", "holder")
    if holder_account_ids is not None:
        licences = licences.filter(holder_id__in=list(holder_account_ids))
    if agency:
        licences = licences.filter(agency__code=agency)
    if holder:
        licences = licences.filter(holder__eori=holder.strip().upper())
    if number:
        licences = licences.filter(number__icontains=number.strip())
    today = timezone.localdate()
    exhausted = Q(quantity_balance__lte=0) | Q(value_balance__lte=0)
    live = Q(revoked_at__isnull=True, valid_from__lte=today, valid_until__gte=today)
    if state == LicenceState.REVOKED:
        licences = licences.filter(revoked_at__isnull=False)
    elif state == LicenceState.EXPIRED:
        licences = licences.filter(revoked_at__isnull=True, valid_until__lt=today)
    elif state == LicenceState.NOT_YET_VALID:
        licences = licences.filter(revoked_at__isnull=True, valid_from__gt=today)
    elif state == LicenceState.EXHAUSTED:
        licences = licences.filter(live & exhausted)
    elif state == LicenceState.VALID:
        licences = licences.filter(live).exclude(exhausted)
    return licences


# --- who may see and act on licences --------------------------------------------------------------

STAFF_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN})


def licences_visible(user: User) -> QuerySet[Licence]:
    """Licences ``user`` may read: all of them for agency officers, supervisors and administrators
    (shared data), a trader's own (held by an account it is a member of), nothing for others."""
    licences = Licence.objects.select_related("agency", "holder")
    if not user.is_authenticated:
        return licences.none()
    if user.role in STAFF_ROLES:
        return licences
    if user.role in (Role.TRADER, Role.BROKER):
        return licences.filter(holder__in=accounts_member_of(user))
    return licences.none()


def access_licence(user: User, pk: int) -> Licence:
    """One licence ``user`` may read; missing and not visible are the same ``NotFound``."""
    licence = licences_visible(user).filter(pk=pk).first()
    if licence is None:
        raise NotFound(_("No such licence."))
    return licence


def registering_agencies(user: User) -> list[Agency]:
    """The agencies ``user`` may register and revoke licences for: those it is an officer of."""
    if not user.is_authenticated or user.role != Role.OFFICER:
        return []
    return list(agencies_of(user).order_by("name"))


def access_licence_to_revoke(user: User, pk: int) -> Licence:
    """A licence of one of ``user``'s agencies; any other (another agency's) is ``NotFound``."""
    agency_ids = [a.pk for a in registering_agencies(user)]
    licence = (
        Licence.objects.select_related("agency", "holder").filter(pk=pk, agency_id__in=agency_ids).first()
    )
    if licence is None:
        raise NotFound(_("No such licence."))
    return licence


def licence_history(licence: Licence) -> list[LicenceUsage]:
    """The balance history, oldest first, with each line's declaration (MRN) and actor."""
    return list(licence.usages.select_related("declaration", "actor").order_by("at", "pk"))
