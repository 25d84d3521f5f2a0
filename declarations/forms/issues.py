"""Service issues onto form fields, and the page's error summary."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from declarations import catalogue
from declarations.canonical import DeclarationData, Issue, ItemData, TaxLineData

from .documents import DOCUMENT_FIELD, ITEM_DOCUMENTS
from .fields import MAX_DOCUMENTS
from .header import DeclarationForm
from .items import BaseGoodsItemFormSet, GoodsItemForm
from .parties import PARTY_FIELDS, party_roles
from .taxes import MAX_TAX_LINES
from .values import _Values, readable_values

# ---------------------------------------------------------------------------------------------
# Service issues → form errors


def _field_for(rows: Iterable[catalogue.Element], *, unplaced: bool) -> dict[str, str | None]:
    """Canonical attributes whose issues show beside a form field of another name, from the catalogue.

    A row's own form field (``transport_id`` for the arrival identity), else the field it is shown
    beside (``shown_at``: the location's type beside the location); ``unplaced`` rows with neither
    map to None (the issue goes to the summary only).
    """
    found: dict[str, str | None] = {}
    for row in rows:
        name = row.form.name if row.form is not None else row.shown_at
        if name and name != row.attr:
            found[row.attr] = name
        elif not name and unplaced:
            found[row.attr] = None
    return found


# Canonical header paths whose form field has another name (or that have none).
HEADER_FIELD_FOR: dict[str, str | None] = {
    **_field_for(catalogue.elements_of(DeclarationData), unplaced=True),
    "parties.declarant.eori": "declarant_eori",
    "parties.declarant": "declarant_eori",
}
# Goods item attributes whose form field has another name.
ITEM_FIELD_FOR = _field_for(catalogue.elements_of(ItemData), unplaced=False)
# Tax line attributes and the form field name of each in a tax line row (``tax_<n>_<name>``).
TAX_LINE_FIELD_FOR = {row.attr: row.form.name for row in catalogue.elements_of(TaxLineData) if row.form}
# An item's tax line field as ``issue_target`` names it: the n-th tax line, before rows are counted.
_TAX_LINE_TARGET = re.compile(r"tax_line_(\d{1,2})_([a-z_]+)")


@dataclass
class IssueTarget:
    """Where on the page an issue belongs: an item form (0-based) or the header, and a field or none."""

    item: int | None
    field: str | None


def issue_target(
    path: str, *, item_count: int, type_code: str = "", header_documents: Sequence[str] = ()
) -> IssueTarget | None:
    """Map a canonical path (``items.2.commodity_code``) onto the form; None when nothing matches.

    ``type_code`` says which party is the trader and which the other side (``party_roles``);
    ``header_documents`` names the rows of the declaration's documents as lodged
    (``documents.2`` is the row ``header_documents[1]``, e.g. ``previous_1``).
    """
    parts = path.split(".") if path else []
    if not parts:
        return None
    if parts[0] == "items":
        if len(parts) < 2 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= item_count:
            return None
        index = int(parts[1]) - 1
        rest = parts[2:]
        if not rest:
            return IssueTarget(index, None)
        if rest[0] == "documents":
            if len(rest) >= 2 and rest[1].isdigit() and 1 <= int(rest[1]) <= MAX_DOCUMENTS:
                column = "reference" if len(rest) >= 3 and rest[2] == "reference" else "code"
                return IssueTarget(index, f"doc_{rest[1]}_{column}")
            return IssueTarget(index, None)
        if rest[0] == "tax_lines":
            if len(rest) >= 3 and rest[1].isdigit() and 1 <= int(rest[1]) <= MAX_TAX_LINES:
                name = TAX_LINE_FIELD_FOR.get(rest[2])
                return IssueTarget(index, f"tax_line_{rest[1]}_{name}" if name else None)
            return IssueTarget(index, None)
        name = ITEM_FIELD_FOR.get(rest[0], rest[0])
        return IssueTarget(index, name if name in GoodsItemForm.ITEM_FIELDS else None)
    if parts[0] == "documents":
        if len(parts) >= 2 and parts[1].isdigit() and 1 <= int(parts[1]) <= len(header_documents):
            column = "reference" if len(parts) >= 3 and parts[2] == "reference" else "code"
            return IssueTarget(None, f"{header_documents[int(parts[1]) - 1]}_{column}")
        return None
    if parts[0] == "parties" and len(parts) >= 2:
        trader, counterpart = party_roles(type_code)
        prefix = {trader.value: "trader", counterpart.value: "counterpart"}.get(parts[1])
        if prefix is not None:
            attribute = parts[2] if len(parts) >= 3 and parts[2] in PARTY_FIELDS else "eori"
            return IssueTarget(None, f"{prefix}_{attribute}")
    if path in HEADER_FIELD_FOR:
        header_field = HEADER_FIELD_FOR[path]
        return IssueTarget(None, header_field) if header_field else None
    if parts[0] in DeclarationForm.base_fields:
        return IssueTarget(None, parts[0])
    return None


def issues_to_forms(
    form: DeclarationForm,
    formset: BaseGoodsItemFormSet,
    issues: list[Issue],
    *,
    besides_field_errors: bool = False,
) -> list[Issue]:
    """Put every issue the service found beside its field; return those that fit no field.

    Issue item numbers count the items as lodged, i.e. the filled-in rows, not blank rows in between,
    and document numbers count the document rows with a type (the declaration's in canonical order).

    ``besides_field_errors``: the forms have field errors already (the rules ran on what could be
    read); an issue about a field that has its own error is left out, so each field says one thing.
    """
    filled = formset.filled_forms()
    taken: set[tuple[int | None, str]] = set()
    if besides_field_errors:
        taken = {(None, name) for name in form.errors} | {
            (index, name) for index, item in enumerate(filled) for name in item.errors
        }
    type_code = _Values(readable_values(form)).text("type_code")
    header_documents = [f"{documents.stem}_{n}" for documents, n in form.lodged_documents()]
    unplaced: list[Issue] = []
    for issue in issues:
        target = issue_target(
            issue.field, item_count=len(filled), type_code=type_code, header_documents=header_documents
        )
        if target is None:
            # "No goods items" is what the formset's own error already says.
            if not (besides_field_errors and issue.field == "items" and formset.non_form_errors()):
                unplaced.append(issue)
            continue
        item = None if target.item is None else filled[target.item]
        field = target.field if item is None else _tax_row(item, _document_row(item, target.field))
        if field is not None and (target.item, field) in taken:
            continue
        _add_error(form if item is None else item, field, issue.message)
    return unplaced


def _document_row(item: GoodsItemForm, field: str | None) -> str | None:
    """The item field an issue's field is about: ``doc_2_code`` is the second document with a type."""
    m = DOCUMENT_FIELD.fullmatch(field or "")
    if m is None:
        return field
    rows = item.lodged_document_rows()
    position = int(m[1])
    return f"{ITEM_DOCUMENTS.stem}_{rows[position - 1]}_{m[2]}" if position <= len(rows) else None


def _tax_row(item: GoodsItemForm, field: str | None) -> str | None:
    """The item field an issue's field is about: ``tax_line_2_rate`` is the second row with a value."""
    m = _TAX_LINE_TARGET.fullmatch(field or "")
    if m is None:
        return field
    rows = item.lodged_tax_rows()
    position = int(m[1])
    return f"tax_{rows[position - 1]}_{m[2]}" if position <= len(rows) else None


def _add_error(form: forms.Form, field: str | None, message: str) -> None:
    # add_error drops the field from cleaned_data; the forms are only re-rendered after this.
    if field is not None and field in form.fields:
        form.add_error(field, message)
    else:
        form.add_error(None, message)


@dataclass
class SummaryEntry:
    message: str
    anchor: str = ""  # id of the input the entry links to
    label: str = ""  # where: "Goods item 2, Commodity code"
    pointer: str = ""


def error_summary(
    form: DeclarationForm,
    formset: BaseGoodsItemFormSet,
    unplaced: list[Issue] | None = None,
    *,
    service_messages: frozenset[str] = frozenset(),
) -> list[SummaryEntry]:
    """Every error on the page, in page order, each linking to its field.

    Format errors ("Enter a number.") are prefixed with where they are; the service's messages
    already say where (``Goods item 2, commodity code …``), so they are not prefixed again.
    """

    def where(label: str, message: str) -> str:
        return "" if message in service_messages else label

    entries = [SummaryEntry(str(m), anchor="declaration-header") for m in form.non_field_errors()]
    entries += [
        SummaryEntry(str(e), b.id_for_label, where(form.summary_label(b), str(e)))
        for b in form
        for e in b.errors
    ]
    entries += [SummaryEntry(str(m), anchor="goods-items") for m in formset.non_form_errors()]
    for number, item in enumerate(formset.forms, start=1):
        name = str(_("Goods item %(n)s") % {"n": number})
        entries += [
            SummaryEntry(str(m), f"goods-item-{number}", where(name, str(m))) for m in item.non_field_errors()
        ]
        entries += [
            SummaryEntry(
                str(e), b.id_for_label, where(f"{name}, {item.tax_summary_label(b) or b.label}", str(e))
            )
            for b in item
            for e in b.errors
        ]
    entries += [SummaryEntry(i.message, pointer=i.pointer or i.field) for i in unplaced or []]
    return entries
