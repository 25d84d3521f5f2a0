"""Lists of supporting-document rows, on goods items and on the declaration."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from declarations import catalogue
from declarations.canonical import (
    DocumentData,
    DocumentKind,
)

from . import pickers
from .fields import (
    DOCUMENT_ROWS,
    MAX_DOCUMENTS,
    UpperCharField,
    _code,
    _text,
    document_code_validator,
    previous_document_code_validator,
)
from .pickers import PickerList
from .values import _Values, readable_values

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# ---------------------------------------------------------------------------------------------
# Lists of supporting-document rows (on goods items and on the declaration)


# A document row's limits are the field catalogue's: the type's column, the reference's schema facet.
CODE_LENGTH = catalogue.max_length(catalogue.element_of(DocumentData, "code"))
REFERENCE_LENGTH = catalogue.max_length(catalogue.element_of(DocumentData, "reference"))


@dataclass(frozen=True, eq=False)
class DocumentList:
    """A list of document rows on a form: fields ``<stem>_<n>_code`` and ``<stem>_<n>_reference``.

    A form shows ``min_rows`` rows at least, or as many as the page it came from (or its draft)
    had; "Add another" adds one at a time up to ``MAX_DOCUMENTS``, without JavaScript.
    """

    stem: str
    kind: DocumentKind
    min_rows: int
    title: StrOrPromise
    hint: StrOrPromise
    type_label: StrOrPromise  # "%(n)s" is the row number
    reference_label: StrOrPromise
    type_validator: RegexValidator
    type_missing: StrOrPromise  # a row with a reference but no type
    add_label: StrOrPromise
    add_aria: StrOrPromise = ""  # the button's accessible name, where its text is not enough
    picker: PickerList | None = None  # the code list the type is picked from, if there is one

    def code_field(self, n: int) -> str:
        return f"{self.stem}_{n}_code"

    def reference_field(self, n: int) -> str:
        return f"{self.stem}_{n}_reference"

    def rows_in(self, names: Iterable[str]) -> int:
        """How many of these rows field names (posted or saved) hold: the highest row number, but
        never more rows than the names speak of.

        A page posts every row it shows, empty or not; rows it did not post are a crafted request
        (one ``items-N-doc_99_code`` on each of 999 items would otherwise build 200,000 fields),
        and the rows past what was posted are dropped.
        """
        pattern = _document_field_pattern(self.stem)
        numbers = {int(m[1]) for name in names if (m := pattern.fullmatch(name))}
        return min(max(numbers, default=0), len(numbers))

    def row_count(self, rows: int) -> int:
        return min(max(rows, self.min_rows), MAX_DOCUMENTS)

    def with_another_row(self, values: dict[str, Any]) -> None:
        """Add one empty row to saved form values (``values`` holds this list's rows)."""
        n = max(self.rows_in(values), self.min_rows) + 1
        if n <= MAX_DOCUMENTS:
            values.update({self.code_field(n): "", self.reference_field(n): ""})


@functools.cache
def _document_field_pattern(stem: str) -> re.Pattern[str]:
    # At most three digits: a longer number is no row of ours (and int() of thousands of digits fails).
    return re.compile(rf"{re.escape(stem)}_(\d{{1,3}})_(code|reference)")


ITEM_DOCUMENTS = DocumentList(
    stem="doc",
    kind=DocumentKind.ADDITIONAL,
    min_rows=DOCUMENT_ROWS,
    title=_("Supporting documents"),
    hint=_(
        "Certificates, licences and other documents for this item, for example N935 (invoice) with its "
        "reference (DE 2/3)."
    ),
    type_label=_("Document %(n)s type"),
    reference_label=_("Document %(n)s reference"),
    type_validator=document_code_validator,
    type_missing=_("Enter the type of the document, like N935."),
    add_label=_("Add another document"),
    picker=pickers.DOCUMENT,
)
DOCUMENT_FIELD = _document_field_pattern(ITEM_DOCUMENTS.stem)  # ``doc_3_code``
# What HMRC's samples carry for the whole declaration: previous documents (DE 2/1, on every one:
# the DUCR, the entry summary declaration) and the deferment account (DE 2/6, ``1DAN``), which
# WCO places among the declaration's additional documents, as it would a DE 2/3 document there.
PREVIOUS_DOCUMENTS = DocumentList(
    stem="previous",
    kind=DocumentKind.PREVIOUS,
    min_rows=2,
    title=_("Previous documents"),
    hint=_(
        "For example ZDCR with the consignment's DUCR, or Z355 with the MRN of the entry summary "
        "declaration (DE 2/1)."
    ),
    type_label=_("Document %(n)s type"),
    reference_label=_("Document %(n)s reference"),
    type_validator=previous_document_code_validator,
    type_missing=_("Enter the type of the previous document, like ZDCR."),
    add_label=_("Add another previous document"),
)
DECLARATION_DOCUMENTS = DocumentList(
    stem="document",
    kind=DocumentKind.ADDITIONAL,
    min_rows=1,
    title=_("Deferred payment and other documents"),
    hint=_(
        "For example 1DAN with your deferment account number (DE 2/6), or a document that applies to "
        "every goods item (DE 2/3)."
    ),
    type_label=_("Document %(n)s type"),
    reference_label=_("Document %(n)s reference"),
    type_validator=document_code_validator,
    type_missing=_("Enter the type of the document, like N935."),
    add_label=_("Add another document"),
    add_aria=_("Add another document to the declaration"),
    picker=pickers.DOCUMENT,
)


@dataclass
class DocumentRows:
    """One list of document rows as the page shows it."""

    id: str  # of its heading, which names the group of rows
    title: str
    hint: str
    rows: list[tuple[forms.BoundField, forms.BoundField]]
    add_action: str  # the value of its "Add another" button; empty once the list is full
    add_label: str
    add_aria: str


class DocumentRowsForm(forms.Form):
    """A form with lists of supporting-document rows, each as long as the page or draft it came from.

    ``lodged_documents`` are the rows with a type, in the order ``DeclarationData`` holds them
    (``DOCUMENT_ORDER``, the XML reader's): the rules number documents so, and their issues are
    mapped back to rows by it.
    """

    DOCUMENT_LISTS: ClassVar[tuple[DocumentList, ...]] = ()
    DOCUMENT_ORDER: ClassVar[tuple[DocumentKind, ...]] = tuple(DocumentKind)

    def _add_document_fields(self, rows: Mapping[str, int]) -> None:
        self.document_row_counts: dict[str, int] = {}
        for documents in self.DOCUMENT_LISTS:
            count = documents.row_count(rows.get(documents.stem, 0))
            self.document_row_counts[documents.stem] = count
            for n in range(1, count + 1):
                label = documents.type_label % {"n": n}
                self.fields[documents.code_field(n)] = (
                    pickers.CodeField(
                        picker=documents.picker, label=label, validators=[documents.type_validator]
                    )
                    if documents.picker is not None
                    else UpperCharField(
                        label=label,
                        max_length=CODE_LENGTH,
                        required=False,
                        validators=[documents.type_validator],
                        widget=_code(),
                    )
                )
                self.fields[documents.reference_field(n)] = forms.CharField(
                    label=documents.reference_label % {"n": n},
                    max_length=REFERENCE_LENGTH,
                    required=False,
                    widget=_text("long"),
                )
        # Nothing typed is cut: a browser drops what goes past an input's maxlength without a word
        # ("France" in a two-letter field became FR). The fields' own length checks say what is
        # too long instead. Every form of the declaration ends its construction here.
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)

    def add_document_action(self, documents: DocumentList) -> str:
        """The value of the button that adds a row to ``documents`` (see ``document_added_to``)."""
        raise NotImplementedError

    def document_list_id(self, documents: DocumentList) -> str:
        raise NotImplementedError

    def document_fields(self, documents: DocumentList) -> list[str]:
        count = self.document_row_counts[documents.stem]
        return [
            name
            for n in range(1, count + 1)
            for name in (documents.code_field(n), documents.reference_field(n))
        ]

    def document_lists(self) -> list[DocumentRows]:
        out = []
        for documents in self.DOCUMENT_LISTS:
            count = self.document_row_counts[documents.stem]
            rows = [
                (self[documents.code_field(n)], self[documents.reference_field(n)])
                for n in range(1, count + 1)
            ]
            out.append(
                DocumentRows(
                    id=self.document_list_id(documents),
                    title=str(documents.title),
                    hint=str(documents.hint),
                    rows=rows,
                    add_action=self.add_document_action(documents) if count < MAX_DOCUMENTS else "",
                    add_label=str(documents.add_label),
                    add_aria=str(documents.add_aria),
                )
            )
        return out

    def lodged_documents(self) -> list[tuple[DocumentList, int]]:
        """The rows that make documents (those with a type) as (list, row number), in canonical order."""
        values = readable_values(self)
        rows = [
            (documents, n)
            for documents in self.DOCUMENT_LISTS
            for n in range(1, self.document_row_counts[documents.stem] + 1)
            if values.get(documents.code_field(n))
        ]
        return sorted(rows, key=lambda row: self.DOCUMENT_ORDER.index(row[0].kind))

    def documents_data(self) -> list[DocumentData]:
        values = _Values(readable_values(self))
        return [
            DocumentData(
                kind=documents.kind,
                code=values.text(documents.code_field(n)),
                reference=values.text(documents.reference_field(n)),
            )
            for documents, n in self.lodged_documents()
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for documents in self.DOCUMENT_LISTS:
            for n in range(1, self.document_row_counts[documents.stem] + 1):
                code = documents.code_field(n)
                # A type typed but wrong has its own error; "enter the type" would contradict it.
                if (
                    cleaned.get(documents.reference_field(n))
                    and not cleaned.get(code)
                    and code not in self.errors
                ):
                    self.add_error(documents.code_field(n), documents.type_missing)
        return cleaned


# "Add another document" buttons: ``add_document:items-2`` (goods item 3) or
# ``add_document:declaration-previous`` (a list of the declaration's own documents).
ADD_DOCUMENT = "add_document"
DECLARATION_TARGET = "declaration"
