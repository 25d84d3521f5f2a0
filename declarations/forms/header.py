"""The declaration header form: type, references, parties, invoice, offices, transport, location."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from declarations import catalogue
from declarations.canonical import DeclarationData
from declarations.wco import paths

from .documents import (
    ADD_DOCUMENT,
    DECLARATION_DOCUMENTS,
    DECLARATION_TARGET,
    PREVIOUS_DOCUMENTS,
    DocumentList,
    DocumentRowsForm,
)
from .fields import form_field
from .parties import party_fields

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass
class Section:
    """A fieldset of the declaration header."""

    title: StrOrPromise
    names: list[str]
    hint: StrOrPromise = ""


@dataclass(frozen=True)
class SectionLayout:
    """A header section: the catalogue rows whose ``FormSpec.section`` is ``key``, or a party field set."""

    key: str
    title: StrOrPromise
    hint: StrOrPromise = ""
    party: str = ""  # the party field set's prefix (``trader``, ``counterpart``)
    eori_label: StrOrPromise = ""
    eori_help: StrOrPromise = ""


# The header's sections in page order. A section shows the catalogue rows of its key in catalogue
# order, so a data element added to the catalogue with a ``FormSpec`` appears on the form by itself.
LAYOUT = (
    SectionLayout("declaration", _("Declaration")),
    SectionLayout(
        "trader",
        _("Importer or exporter"),
        party="trader",
        eori_label=_("Importer or exporter EORI"),
        eori_help=_("The importer on an import, the exporter on an export (DE 3/16 or 3/2)."),
    ),
    # The other side of the trade, in the role the XML reader gives it (``party_roles``).
    SectionLayout(
        "counterpart",
        _("Exporter or consignee"),
        _(
            "On an import, the exporter who sends the goods (DE 3/1); on an export, the consignee who "
            "receives them (DE 3/9). Their EORI if they have one, otherwise their name and address."
        ),
        party="counterpart",
        eori_label=_("Exporter or consignee EORI"),
        eori_help=_("Optional (DE 3/2 or 3/10)."),
    ),
    SectionLayout("value", _("Value and countries")),
    SectionLayout("offices", _("Customs offices")),
    SectionLayout("transport", _("Transport and location")),
)


def header_rows() -> list[catalogue.Element]:
    """The catalogue rows the header form takes a field for, in page order within each section."""
    rows = [r for r in catalogue.elements_of(DeclarationData) if r.form is not None and r.form.section]
    # The declarant's EORI, a party element, follows the LRN: who lodges it, then for whom.
    at = next(i for i, r in enumerate(rows) if r.attr == "lrn") + 1
    return [*rows[:at], catalogue.ELEMENTS["parties.declarant.eori"], *rows[at:]]


def _header_fields() -> tuple[dict[str, forms.Field], list[Section]]:
    fields: dict[str, forms.Field] = {}
    sections = []
    rows = header_rows()
    for layout in LAYOUT:
        if layout.party:
            found = party_fields(layout.party, eori_label=layout.eori_label, eori_help=layout.eori_help)
        else:
            found = {r.form.name: form_field(r) for r in rows if r.form and r.form.section == layout.key}
        fields.update(found)
        sections.append(Section(layout.title, list(found), layout.hint))
    return fields, sections


class DeclarationForm(DocumentRowsForm):
    """The declaration header: type, references, parties, invoice, offices, transport, location, documents.

    Its fields are the field catalogue's (``_header_fields``), set below as ``base_fields``.
    """

    SECTIONS: ClassVar[list[Section]] = []
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


DeclarationForm.base_fields, DeclarationForm.SECTIONS = _header_fields()
DeclarationForm.declared_fields = DeclarationForm.base_fields
