"""Everything that decides whether a canonical declaration may be lodged, in one place.

``validate`` runs the portal's business and reference-data rules (``declarations.rules``), checks
that the parties are registered trader accounts and, given a user, that the user may act for them.
Each issue gets its WCO pointer from its canonical field path, so XML senders and form users are
told the same thing in their own terms.
"""

from __future__ import annotations

from dataclasses import replace

from django.utils.translation import gettext as _

from accounts.access import accounts_actable
from accounts.models import TraderAccount, User

from . import rules
from .canonical import DeclarationData, Issue, PartyRole
from .wco.pointers import pointer_for_field
from .wco.schema import MAX_ISSUES, too_many_errors


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
    data: DeclarationData, *, user: User | None = None, unregistered_parties_are_errors: bool = True
) -> list[Issue]:
    """Every problem with ``data``; errors stop lodgement, warnings do not.

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
    # Who may lodge it is never cut off.
    issues += _party_issues(data, user=user, as_errors=unregistered_parties_are_errors)
    for issue in issues:
        if not issue.pointer and issue.field:
            issue.pointer = pointer_for_field(issue.field, data)
    return issues


def _party_issues(data: DeclarationData, *, user: User | None, as_errors: bool) -> list[Issue]:
    severity = "error" if as_errors else "warning"
    declarant_party = data.party(PartyRole.DECLARANT)
    trader_party = data.party(data.trader_role) if data.trader_role else None
    declarant, trader = resolve_accounts(data)
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
