"""Everything that decides whether a canonical declaration may be lodged, in one place.

``validate`` runs the portal's business and reference-data rules (``declarations.rules``), checks
that the parties are registered trader accounts and, given a user, that the user may act for them.
Each issue gets its WCO pointer from its canonical field path, so XML senders and form users are
told the same thing in their own terms.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import accounts_actable
from accounts.models import TraderAccount, User
from nomenclature import lookup as nomenclature

from . import rules
from .canonical import DeclarationData, Issue, PartyRole
from .wco.pointers import pointer_for_field
from .wco.schema import MAX_ISSUES, too_many_errors

logger = logging.getLogger(__name__)

# Advice other apps add to a valid declaration's answer as warnings, so that ``declarations`` never
# imports them (payments: the estimated duties exceed the trader's guarantee or deferment headroom).
Advisor = Callable[[DeclarationData, "User | None"], list[Issue]]
_ADVISORS: list[Advisor] = []


def register_advisor(advisor: Advisor) -> None:
    """Add warnings to every check of a declaration without errors (once, however often called)."""
    if advisor not in _ADVISORS:
        _ADVISORS.append(advisor)


def _advice(data: DeclarationData, user: User | None) -> list[Issue]:
    found: list[Issue] = []
    for advisor in _ADVISORS:
        try:
            found += [replace(issue, severity="warning") for issue in advisor(data, user)]
        except Exception:  # advice must never stop a lodgement: it is logged, not answered
            logger.exception("declarations: advisor %r failed", advisor)
    return found


def resolve_accounts(data: DeclarationData) -> tuple[TraderAccount | None, TraderAccount | None]:
    """The declarant's account and the trader's (importer or exporter) account, when registered."""
    eoris = {
        role: party.eori
        for role in (PartyRole.DECLARANT, data.trader_role)
        if role is not None and (party := data.party(role)) is not None and party.eori
    }
    found = {a.eori: a for a in TraderAccount.objects.filter(eori__in=set(eoris.values()), is_active=True)}
    declarant = found.get(eoris.get(PartyRole.DECLARANT, ""))
    trader = found.get(eoris.get(data.trader_role, "")) if data.trader_role else None
    return declarant, trader


def validate(
    data: DeclarationData,
    *,
    user: User | None = None,
    unregistered_parties_are_errors: bool = True,
    on: date | None = None,
    accounts: tuple[TraderAccount | None, TraderAccount | None] | None = None,
) -> list[Issue]:
    """Every problem with ``data``; errors stop lodgement, warnings do not.

    ``accounts``: ``resolve_accounts(data)`` when the caller already has it (lodgement), so the
    accounts are not read twice.

    ``on`` is the day of acceptance the national tariff nomenclature is checked for (today when
    not given): see ``_nomenclature_issues``.

    Past ``MAX_ISSUES`` rule issues (999 goods items can carry tens of thousands of faults) one
    issue counts the rest, an error when any of them is; a person reads the first ones.
    """
    found = rules.check_declaration(data)
    dropped = found[MAX_ISSUES:]
    issues = found[:MAX_ISSUES]
    if dropped:
        more = too_many_errors(len(dropped))
        if all(issue.severity == "warning" for issue in dropped):
            more = replace(more, severity="warning")
        issues.append(more)
    issues += _nomenclature_issues(data, on or timezone.localdate())
    # Who may lodge it is never cut off.
    accounts = accounts if accounts is not None else resolve_accounts(data)
    issues += _party_issues(data, user=user, as_errors=unregistered_parties_are_errors, accounts=accounts)
    if not any(issue.severity == "error" for issue in issues):
        issues += _advice(data, user)
    for issue in issues:
        if not issue.pointer and issue.field:
            issue.pointer = pointer_for_field(issue.field, data)
    return issues


def _nomenclature_issues(data: DeclarationData, day: date) -> list[Issue]:
    """Commodity codes of 8 or 10 digits against the national tariff nomenclature in force on ``day``.

    The HS subheading (first six digits) is a rule of its own (``rules``). The national digits are
    checked only where administrators loaded a nomenclature (``manage.py load_nomenclature``):
    with no edition loaded at all, they are not checked (an installation without a national tariff);
    with editions loaded but none in force on ``day`` (the next one not loaded yet), a warning says
    so and nothing is refused; with an edition in force, a code it does not hold is an error naming
    the code and the edition.
    """
    long_codes = [
        (position, item.commodity_code)
        for position, item in enumerate(data.items, start=1)
        if item.commodity_code.isdigit() and len(item.commodity_code) in (8, 10)
    ]
    if not long_codes:
        return []
    edition = nomenclature.edition_in_force(day)
    if edition is None:
        if not nomenclature.any_edition():
            return []
        return [
            Issue(
                "nomenclature_not_in_force",
                _(
                    "No national tariff nomenclature is in force on %(day)s, so the commodity codes "
                    "were checked against HS 2022 only."
                )
                % {"day": day.isoformat()},
                field=f"items.{long_codes[0][0]}.commodity_code",
                severity="warning",
            )
        ]
    unknown = nomenclature.unknown_codes(edition, (code for _position, code in long_codes))
    return [
        Issue(
            "commodity_code_not_in_nomenclature",
            _(
                "Goods item %(position)s: commodity code %(code)s is not in the national tariff "
                "nomenclature %(edition)s in force on %(day)s; declare a code of that edition."
            )
            % {"position": position, "code": code, "edition": edition.name, "day": day.isoformat()},
            field=f"items.{position}.commodity_code",
        )
        for position, code in long_codes
        if code in unknown
    ]


def _party_issues(
    data: DeclarationData,
    *,
    user: User | None,
    as_errors: bool,
    accounts: tuple[TraderAccount | None, TraderAccount | None],
) -> list[Issue]:
    severity = "error" if as_errors else "warning"
    declarant_party = data.party(PartyRole.DECLARANT)
    trader_party = data.party(data.trader_role) if data.trader_role else None
    declarant, trader = accounts
    issues: list[Issue] = []
    if declarant_party and declarant_party.eori and declarant is None:
        issues.append(
            Issue(
                "declarant_not_registered",
                _("The declarant %(eori)s has no active trader account in this portal.")
                % {"eori": declarant_party.eori},
                field="parties.declarant.eori",
                severity=severity,
            )
        )
    if trader_party and trader_party.eori and trader is None:
        issues.append(
            Issue(
                "party_not_registered",
                _("The %(role)s %(eori)s has no active trader account in this portal.")
                % {"role": _role_label(trader_party.role), "eori": trader_party.eori},
                field=f"parties.{trader_party.role.value}.eori",
                severity=severity,
            )
        )
    if user is None or issues:
        return issues
    actable = set(accounts_actable(user).values_list("pk", flat=True))
    if declarant is not None and declarant.pk not in actable:
        issues.append(
            Issue(
                "not_authorised_declarant",
                _(
                    "You may not lodge as declarant %(eori)s: you are not a member of that account "
                    "or authorised to represent it."
                )
                % {"eori": declarant.eori},
                field="parties.declarant.eori",
            )
        )
    if trader is not None and trader.pk not in actable and trader != declarant:
        assert trader_party is not None
        issues.append(
            Issue(
                "not_authorised_trader",
                _(
                    "You may not lodge for the %(role)s %(eori)s: you are not a member of that account "
                    "or authorised to represent it."
                )
                % {"role": _role_label(trader_party.role), "eori": trader.eori},
                field=f"parties.{trader_party.role.value}.eori",
            )
        )
    return issues


def _role_label(role: PartyRole) -> str:
    return {PartyRole.IMPORTER: _("importer"), PartyRole.EXPORTER: _("exporter")}.get(role, role.value)
