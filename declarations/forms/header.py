"""The declaration header form: type, references, parties, invoice, offices, transport, location."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import eori_validator
from declarations.wco import paths

from .documents import (
    ADD_DOCUMENT,
    DECLARATION_DOCUMENTS,
    DECLARATION_TARGET,
    PREVIOUS_DOCUMENTS,
    DocumentList,
    DocumentRowsForm,
)
from .fields import (
    ADDITIONAL_TYPE_CHOICES,
    REPRESENTATION_CHOICES,
    TRANSPORT_ID_TYPE_CHOICES,
    TRANSPORT_MODE_CHOICES,
    TYPE_CHOICES,
    UpperCharField,
    _code,
    _number,
    _text,
    country_validator,
    currency_validator,
    office_validator,
)
from .parties import PARTY_FIELDS, party_fields

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass
class Section:
    """A fieldset of the declaration header."""

    title: StrOrPromise
    names: list[str]
    hint: StrOrPromise = ""


class DeclarationForm(DocumentRowsForm):
    """The declaration header: type, references, parties, invoice, offices, transport, location, documents."""

    type_code = forms.ChoiceField(label=_("Declaration type"), choices=TYPE_CHOICES, help_text=_("DE 1/1"))
    additional_type = forms.ChoiceField(
        label=_("Additional declaration type"), choices=ADDITIONAL_TYPE_CHOICES, help_text=_("DE 1/2")
    )
    lrn = forms.CharField(
        label=_("Local reference number (LRN)"),
        max_length=22,
        widget=_code("medium"),
        help_text=_("Your own reference for this declaration, up to 22 characters (DE 2/5)."),
    )
    declarant_eori = UpperCharField(
        label=_("Declarant EORI"),
        max_length=17,
        validators=[eori_validator],
        widget=_code("medium"),
        help_text=_("The account lodging the declaration (DE 3/18)."),
    )
    representation_code = forms.ChoiceField(
        label=_("Representation"),
        choices=REPRESENTATION_CHOICES,
        required=False,
        help_text=_("Direct or indirect, when the declarant lodges for the importer or exporter (DE 3/21)."),
    )
    # The trader, and the other side of the trade in the role the XML reader gives it (``party_roles``).
    trader_eori, trader_name, trader_street, trader_city, trader_postcode, trader_country = party_fields(
        eori_label=_("Importer or exporter EORI"),
        eori_help=_("The importer on an import, the exporter on an export (DE 3/16 or 3/2)."),
    )
    (
        counterpart_eori,
        counterpart_name,
        counterpart_street,
        counterpart_city,
        counterpart_postcode,
        counterpart_country,
    ) = party_fields(eori_label=_("Exporter or consignee EORI"), eori_help=_("Optional (DE 3/2 or 3/10)."))
    invoice_amount = forms.DecimalField(
        label=_("Total amount invoiced"),
        max_digits=18,
        decimal_places=3,
        min_value=Decimal(0),
        required=False,
        widget=_number(),
        help_text=_("DE 4/11"),
    )
    invoice_currency = UpperCharField(
        label=_("Invoice currency"),
        max_length=3,
        required=False,
        validators=[currency_validator],
        widget=_code(),
        help_text=_("For example GBP, EUR, USD."),
    )
    destination_country = UpperCharField(
        label=_("Country of destination"),
        max_length=2,
        required=False,
        validators=[country_validator],
        widget=_code(),
        help_text=_("DE 5/8"),
    )
    export_country = UpperCharField(
        label=_("Country of dispatch or export"),
        max_length=2,
        required=False,
        validators=[country_validator],
        widget=_code(),
        help_text=_("DE 5/14"),
    )
    exit_office = UpperCharField(
        label=_("Office of exit"),
        max_length=8,
        required=False,
        validators=[office_validator],
        widget=_code(),
        help_text=_("Exports only (DE 5/12)."),
    )
    supervising_office = UpperCharField(
        label=_("Supervising office"),
        max_length=8,
        required=False,
        validators=[office_validator],
        widget=_code(),
        help_text=_("The office supervising a special procedure, such as customs warehousing (DE 5/27)."),
    )
    presentation_office = UpperCharField(
        label=_("Office of presentation"),
        max_length=8,
        required=False,
        validators=[office_validator],
        widget=_code(),
        help_text=_("Where the goods are presented to customs, if not at the location of goods (DE 5/26)."),
    )
    border_transport_mode = forms.ChoiceField(
        label=_("Mode of transport at the border"),
        choices=TRANSPORT_MODE_CHOICES,
        required=False,
        help_text=_("DE 7/4"),
    )
    border_transport_nationality = UpperCharField(
        label=_("Nationality of the means of transport"),
        max_length=2,
        required=False,
        validators=[country_validator],
        widget=_code(),
        help_text=_("DE 7/15"),
    )
    transport_id = forms.CharField(
        label=_("Identity of the means of transport"),
        max_length=35,
        required=False,
        widget=_text(),
        help_text=_("On arrival for imports (DE 7/9), at departure for exports (DE 7/7)."),
    )
    transport_id_type = forms.ChoiceField(
        label=_("Type of transport identity"), choices=TRANSPORT_ID_TYPE_CHOICES, required=False
    )
    goods_location = UpperCharField(
        label=_("Location of goods"),
        max_length=35,
        required=False,
        widget=_code("medium"),
        help_text=_("Where the goods can be examined, for example WLALONBTW (DE 5/23)."),
    )

    SECTIONS = [
        Section(
            _("Declaration"), ["type_code", "additional_type", "lrn", "declarant_eori", "representation_code"]
        ),
        Section(
            _("Importer or exporter"),
            [f"trader_{name}" for name in PARTY_FIELDS],
        ),
        Section(
            _("Exporter or consignee"),
            [f"counterpart_{name}" for name in PARTY_FIELDS],
            _(
                "On an import, the exporter who sends the goods (DE 3/1); on an export, the consignee who "
                "receives them (DE 3/9). Their EORI if they have one, otherwise their name and address."
            ),
        ),
        Section(
            _("Value and countries"),
            ["invoice_amount", "invoice_currency", "destination_country", "export_country"],
        ),
        Section(_("Customs offices"), ["exit_office", "supervising_office", "presentation_office"]),
        Section(
            _("Transport and location"),
            [
                "border_transport_mode",
                "border_transport_nationality",
                "transport_id",
                "transport_id_type",
                "goods_location",
            ],
        ),
    ]
    DOCUMENTS_TITLE = _("Declaration documents")
    DOCUMENT_LISTS = (PREVIOUS_DOCUMENTS, DECLARATION_DOCUMENTS)
    # The order the XML reader gives the declaration's documents (``DeclarationData.documents``).
    DOCUMENT_ORDER = tuple(paths.HEADER_DOCUMENTS)

    def __init__(self, *args: Any, document_rows: Mapping[str, int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if document_rows is None:
            # As many document rows as the page posted or the draft holds.
            names = list(self.data if self.is_bound else self.initial)
            document_rows = {documents.stem: documents.rows_in(names) for documents in self.DOCUMENT_LISTS}
        self._add_document_fields(document_rows)

    def sections(self) -> list[tuple[Section, list[forms.BoundField]]]:
        return [(section, [self[name] for name in section.names]) for section in self.SECTIONS]

    def add_document_action(self, documents: DocumentList) -> str:
        return f"{ADD_DOCUMENT}:{DECLARATION_TARGET}-{documents.stem}"

    def document_list_id(self, documents: DocumentList) -> str:
        return f"{DECLARATION_TARGET}-{documents.stem}-documents"

    @cached_property
    def _summary_labels(self) -> dict[str, str]:
        """Labels the header has twice (the importer's "Country" and the exporter's, "Document 1 type" of
        each list of documents) with the title of their section or list."""
        labels = {name: str(field.label) for name, field in self.fields.items()}
        counts: dict[str, int] = {}
        for label in labels.values():
            counts[label] = counts.get(label, 0) + 1
        groups = [(section.title, section.names) for section in self.SECTIONS] + [
            (documents.title, self.document_fields(documents)) for documents in self.DOCUMENT_LISTS
        ]
        for title, names in groups:
            for name in names:
                if counts[labels[name]] > 1:
                    labels[name] = f"{title}, {labels[name]}"
        return labels

    def summary_label(self, field: forms.BoundField) -> str:
        """How the error summary names ``field``: its label, with its section's title where needed."""
        return self._summary_labels.get(field.name, str(field.label))
