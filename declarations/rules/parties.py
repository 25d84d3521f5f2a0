"""Parties: the declarant, the importer or exporter, EORI numbers and addresses."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from declarations import catalogue, categories, refdata
from declarations.canonical import (
    DeclarationData,
    Issue,
    PartyData,
    PartyRole,
)

from .base import EORI_PATTERN, UK_EORI_DIGITS, UK_EORI_PREFIXES, _error
from .codes import _check_country
from .texts import _check_texts


def _check_parties(data: DeclarationData) -> Iterable[Issue]:
    declarant = data.party(PartyRole.DECLARANT)
    if declarant is None or not declarant.eori:
        yield _error(
            "declarant_missing",
            "parties.declarant.eori",
            _("The declarant's EORI number is missing: declare who lodges the declaration."),
        )
    role = data.trader_role
    if role is not None and _trader_required(data):
        yield from _check_trader(role, data.party(role))
    for party in data.parties:
        if party.eori:
            yield from _check_eori(party)
        yield from _check_country(
            f"parties.{party.role.value}.country",
            _("address of the %(role)s") % {"role": _role_label(party.role)},
            party.country,
        )
        yield from _check_texts(
            f"parties.{party.role.value}",
            _("The %(role)s") % {"role": _role_label(party.role)},
            party,
        )


def _trader_required(data: DeclarationData) -> bool:
    """Whether the declaration's category requires its trader: the importer of an arrival (not on a
    final supplementary declaration), the exporter of a dispatch."""
    category = categories.category_of(data)
    if category is None:
        return True
    key = (
        "parties.importer" if categories.categories()[category].direction == "import" else "parties.exporter"
    )
    return categories.required(key, category)


def _role_label(role: PartyRole) -> str:
    """How a message names a party role: its label in the field catalogue."""
    return str(catalogue.ROLES[role].label)


def _check_trader(role: PartyRole, party: PartyData | None) -> Iterable[Issue]:
    """The importer (imports) or exporter (exports) is identified by EORI or by name and address."""
    prefix = f"parties.{role.value}"
    if party is None or (not party.eori and not party.name):
        code = "importer_missing" if role is PartyRole.IMPORTER else "exporter_missing"
        yield _error(
            code,
            f"{prefix}.eori",
            _("The %(role)s is missing: declare their EORI number, or their name and address.")
            % {"role": _role_label(role)},
        )
        return
    if party.eori:
        return
    missing = [name for name in ("street", "city", "country") if not getattr(party, name)]
    if missing:
        yield _error(
            "party_address_incomplete",
            f"{prefix}.{missing[0]}",
            _(
                "The %(role)s has no EORI number, so their address needs a street, a city and a country; "
                "complete it."
            )
            % {"role": _role_label(role)},
        )


def _check_eori(party: PartyData) -> Iterable[Issue]:
    eori = party.eori
    match = EORI_PATTERN.fullmatch(eori)
    valid = match is not None and (match[1] in UK_EORI_PREFIXES or refdata.country_name(match[1]) is not None)
    if match is not None and match[1] in UK_EORI_PREFIXES:
        valid = match[2].isdigit() and len(match[2]) in UK_EORI_DIGITS
    if not valid:
        yield _error(
            "eori_format",
            f"parties.{party.role.value}.eori",
            _(
                "The %(role)s's EORI number %(eori)s is not valid: an EORI is a country code followed by up "
                "to 15 letters or digits, and a GB or XI number has 12 or 15 digits (for example "
                "GB123456789000)."
            )
            % {"role": _role_label(party.role), "eori": eori},
        )
