"""The field catalogue is the one description of each data element, and every channel carries it.

Each test walks the catalogue's rows: every canonical attribute has a row, and every row is taken
by the JSON input with its limit and label, read and written by the XML reader and writer, named
by the rules with its label and limit, and pointed at by error pointers. Dropping a row, or
leaving an element out of one channel, fails here.
"""

from __future__ import annotations

import re

import pytest
from django import forms
from django.utils.text import capfirst
from rest_framework import serializers

from declarations import catalogue, rules
from declarations.api.serializers import (
    DeclarationInputSerializer,
    DocumentSerializer,
    ItemSerializer,
    PartySerializer,
    TaxLineSerializer,
)
from declarations.canonical import DeclarationData, DocumentData, ItemData, PartyData, PartyRole, TaxLineData
from declarations.forms import DeclarationForm, GoodsItemForm
from declarations.forms.fields import form_label
from declarations.forms.taxes import tax_field
from declarations.wco import paths
from declarations.wco.pointers import pointer_for_field
from declarations.wco.reader import read_declaration
from declarations.wco.writer import write_declaration

from .wco.test_writer_limits import export_at_the_finest, import_at_the_largest

ROWS = [row for record in catalogue.RECORDS for row in catalogue.elements_of(record)]
KEY = lambda row: row.key  # noqa: E731
DOCUMENT_FIELD_NAME = re.compile(r"(previous|document)_\d+_(code|reference)")
SERIALIZERS = {
    DeclarationData: DeclarationInputSerializer,
    ItemData: ItemSerializer,
    PartyData: PartySerializer,
    DocumentData: DocumentSerializer,
    TaxLineData: TaxLineSerializer,
}


@pytest.mark.parametrize("record", catalogue.RECORDS, ids=lambda r: r.__name__)
def test_every_canonical_attribute_has_exactly_one_row(record: catalogue.Record) -> None:
    attributes = [row.attr for row in catalogue.elements_of(record)]
    assert sorted(attributes) == sorted(catalogue.canonical_fields(record))


def test_every_party_attribute_of_every_role_has_its_own_key_and_data_element_number() -> None:
    party_keys = {key for key in catalogue.ELEMENTS if key.startswith("parties.")}
    assert party_keys == {
        f"parties.{role.value}.{row.attr}" for role in PartyRole for row in catalogue.elements_of(PartyData)
    }
    assert catalogue.ELEMENTS["parties.importer.eori"].de == "3/16"
    assert catalogue.ELEMENTS["parties.importer.name"].de == "3/15"
    assert catalogue.ELEMENTS["parties.exporter.eori"].de == "3/2"


@pytest.mark.parametrize("row", ROWS, ids=KEY)
def test_json_input_takes_the_element_with_the_catalogue_limit_and_label(row: catalogue.Element) -> None:
    field = SERIALIZERS[row.record]().fields[row.attr]
    assert field.label == capfirst(row.label)
    length = catalogue.json_length(row)
    if isinstance(field, serializers.ListField):
        assert field.child.max_length == length
    elif isinstance(field, serializers.CharField):
        assert field.max_length == length is not None
    else:
        assert length is None


def _form_field(row: catalogue.Element) -> forms.Field:
    """The browser form's field for a row: on the header, a goods item, or the trader's party set."""
    assert row.form is not None
    if row.record is ItemData:
        return GoodsItemForm().fields[row.form.name]
    if row.record is TaxLineData:
        return GoodsItemForm().fields[tax_field(1, row.form.name)]
    if row.record is PartyData and not row.role:
        return DeclarationForm().fields[f"trader_{row.form.name}"]
    return DeclarationForm().fields[row.form.name]


FORM_ROWS = [row for row in ROWS if row.form is not None] + [catalogue.ELEMENTS["parties.declarant.eori"]]


@pytest.mark.parametrize("row", FORM_ROWS, ids=KEY)
def test_browser_form_takes_the_element_with_the_catalogue_limit_and_label(row: catalogue.Element) -> None:
    assert row.form is not None
    field = _form_field(row)
    if row.record is not PartyData or row.attr != "eori" or row.role == "declarant":
        assert field.label == form_label(row)
    if isinstance(field, forms.DecimalField):
        column = catalogue.column(row)
        assert (field.max_digits, field.decimal_places) == (column.max_digits, column.decimal_places)
    elif isinstance(field, forms.CharField):
        assert field.max_length == (row.form.max_length or catalogue.max_length(row))
    else:
        assert isinstance(field, forms.ChoiceField)


def test_every_header_field_of_the_form_is_in_one_section_in_page_order() -> None:
    form = DeclarationForm()
    in_sections = [name for section in form.SECTIONS for name in section.names]
    header = [name for name in form.fields if not DOCUMENT_FIELD_NAME.fullmatch(name)]
    assert in_sections == header


def test_json_takes_the_tighter_of_schema_and_column_for_the_quantity_unit() -> None:
    # The column holds ten characters, TariffQuantity/@unitCode five: the schema wins.
    row = catalogue.element_of(ItemData, "quantity_unit")
    assert catalogue.max_length(row) == 5
    assert ItemSerializer().fields["quantity_unit"].max_length == 5
    assert GoodsItemForm().fields["quantity_unit"].max_length == 5


@pytest.mark.parametrize("row", [row for row in ROWS if row.text is not None and not row.own_format], ids=KEY)
def test_rules_limit_each_text_to_the_catalogue_limit(row: catalogue.Element) -> None:
    model = catalogue.stored_in(row.record)
    assert rules.text_limits(model)[row.attr].max_length == catalogue.max_length(row)


@pytest.mark.parametrize("row", ROWS, ids=KEY)
def test_the_xml_paths_and_pointers_are_the_catalogue_rows(row: catalogue.Element) -> None:
    table = {
        DeclarationData: paths.HEADER,
        ItemData: paths.ITEM_FIELDS,
        PartyData: paths.PARTY_FIELDS,
        DocumentData: paths.DOCUMENT_FIELDS,
        TaxLineData: paths.TAX_LINE_FIELDS,
    }[row.record]
    assert table[row.attr] == row.wco
    path = {
        DeclarationData: row.attr,
        ItemData: f"items.1.{row.attr}",
        PartyData: f"parties.importer.{row.attr}",
        DocumentData: f"items.1.documents.1.{row.attr}",
        TaxLineData: f"items.1.tax_lines.1.{row.attr}",
    }[row.record]
    # An attribute (``@currencyID``) is pointed at through the element that carries it.
    named = row.wco[-2] if row.wco[-1].startswith("@") else row.wco[-1]
    assert pointer_for_field(path).endswith(f" {named}")


def _values(data: DeclarationData) -> list[tuple[str, object]]:
    """Every element's value in a declaration, by key (a list of records gives one per record)."""
    found = [(row.key, getattr(data, row.attr)) for row in catalogue.elements_of(DeclarationData)]
    for party in data.parties:
        found += [
            (f"parties.{row.attr}", getattr(party, row.attr)) for row in catalogue.elements_of(PartyData)
        ]
    documents = list(data.documents)
    for item in data.items:
        found += [(row.key, getattr(item, row.attr)) for row in catalogue.elements_of(ItemData)]
        documents += item.documents
        for line in item.tax_lines:
            found += [(row.key, getattr(line, row.attr)) for row in catalogue.elements_of(TaxLineData)]
    for document in documents:
        found += [(row.key, getattr(document, row.attr)) for row in catalogue.elements_of(DocumentData)]
    return found


@pytest.mark.django_db
def test_xml_writer_and_reader_carry_every_element_of_the_catalogue() -> None:
    built = [import_at_the_largest(), export_at_the_finest()]
    built[1].presentation_office = "GB000060"  # the only element the limit declarations leave out
    # The declarations give every element a value, so the round trip below carries each one.
    given = {key for data in built for key, value in _values(data) if value not in ("", None, [])}
    assert given == {row.key for record in catalogue.RECORDS for row in catalogue.elements_of(record)}
    for data in built:
        result = read_declaration(write_declaration(data))
        assert result.issues == []
        assert result.data is not None
        assert _values(result.data) == _values(data)


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("lrn", "Local reference number (LRN)"),
        ("items.2.net_mass", "Goods item 2, net mass"),
        ("items.1.quantity_unit", "Goods item 1, unit of the quantity"),
        ("parties.importer.eori", "Importer, EORI number"),
        ("parties.exporter", "Exporter"),
        ("documents.1.reference", "Document 1, reference"),
        ("items.1.documents.2.code", "Goods item 1, document 2, document type"),
        ("items.1.additional_procedure_codes.2", "Goods item 1, additional procedure codes 2"),
        ("items.3", "Goods item 3"),
        ("items.1.tax_lines.2.method_of_payment", "Goods item 1, tax line 2, method of payment"),
        ("items.2.tax_lines.1.assessed_amount", "Goods item 2, tax line 1, total taxes"),
        ("items.1.preference", "Goods item 1, preference"),
        ("freight_amount", "Transport costs to the final destination"),
        ("unknown_field", "unknown_field"),
        ("parties.nobody.eori", "parties.nobody.eori"),
    ],
)
def test_label_for_names_a_canonical_path_as_a_person_reads_it(path: str, label: str) -> None:
    assert catalogue.label_for(path) == label


def test_key_of_drops_positions() -> None:
    assert catalogue.key_of("items.2.documents.3.code") == "items.documents.code"
    assert catalogue.element("items.2.documents.3.code") is catalogue.ELEMENTS["documents.code"]
    assert catalogue.element("items.12.net_mass") is catalogue.element_of(ItemData, "net_mass")
