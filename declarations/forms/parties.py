"""The form's two parties (the trader and the other side): one factory makes each field set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import eori_validator
from declarations.canonical import (
    PartyData,
    PartyRole,
)

from .fields import UpperCharField, _code, _text, country_validator
from .values import _Values

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PARTY_FIELDS = ("eori", "name", "street", "city", "postcode", "country")


def party_fields(
    *, eori_label: StrOrPromise, eori_help: StrOrPromise
) -> tuple[forms.Field, forms.Field, forms.Field, forms.Field, forms.Field, forms.Field]:
    """The fields of one party, in ``PARTY_FIELDS`` order: EORI, name, street, city, postcode, country.

    Every one is optional: the rules decide which party must be identified, and how.
    """
    return (
        UpperCharField(
            label=eori_label,
            max_length=17,
            required=False,
            validators=[eori_validator],
            widget=_code("medium"),
            help_text=eori_help,
        ),
        forms.CharField(label=_("Name"), max_length=70, required=False, widget=_text("long")),
        forms.CharField(label=_("Street and number"), max_length=70, required=False, widget=_text("long")),
        forms.CharField(label=_("City"), max_length=35, required=False, widget=_text()),
        forms.CharField(label=_("Postcode"), max_length=9, required=False, widget=_code()),
        UpperCharField(
            label=_("Country"), max_length=2, required=False, validators=[country_validator], widget=_code()
        ),
    )


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
