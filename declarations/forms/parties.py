"""The form's two parties (the trader and the other side): one factory makes each field set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms

from declarations import catalogue
from declarations.canonical import PartyData, PartyRole

from .fields import form_field
from .values import _Values

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The party attributes the form takes, for the trader (``trader_*``) and the other side
# (``counterpart_*``): every party attribute of the field catalogue, in its order.
PARTY_FIELDS = tuple(row.attr for row in catalogue.elements_of(PartyData) if row.form is not None)


def party_fields(prefix: str, *, eori_label: StrOrPromise, eori_help: StrOrPromise) -> dict[str, forms.Field]:
    """The fields of one party (``<prefix>_eori`` ...), in ``PARTY_FIELDS`` order, from the catalogue.

    Every one is optional: the rules decide which party must be identified, and how.
    """
    fields: dict[str, forms.Field] = {}
    for row in catalogue.elements_of(PartyData):
        if row.form is None:
            continue
        eori = row.attr == "eori"
        fields[f"{prefix}_{row.attr}"] = form_field(
            row, label=eori_label if eori else None, help_text=eori_help if eori else None
        )
    return fields


def party_roles(type_code: str) -> tuple[PartyRole, PartyRole]:
    """The roles of the form's two parties: the trader's and the other side's, as the XML reader has them.

    HMRC's import samples name the importer (DE 3/15-3/16) and the exporter who sent the goods
    (DE 3/1-3/2); its export samples the exporter and the consignee who receives them (DE 3/9-3/10).
    """
    if type_code == "EX":
        return PartyRole.EXPORTER, PartyRole.CONSIGNEE
    return PartyRole.IMPORTER, PartyRole.EXPORTER


def _party(values: _Values, prefix: str, role: PartyRole) -> PartyData | None:
    """The party of the form's ``<prefix>_*`` fields; None when they are all empty."""
    party = PartyData(role=role, **{name: values.text(f"{prefix}_{name}") for name in PARTY_FIELDS})
    return party if any(getattr(party, name) for name in PARTY_FIELDS) else None
