"""The goods item form and the formset of goods items."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property
from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from declarations import catalogue
from declarations.canonical import ItemData
from declarations.wco import paths

from .documents import ADD_DOCUMENT, ITEM_DOCUMENTS, DocumentList, DocumentRowsForm
from .fields import DOCUMENT_ROWS, ITEMS_PREFIX, form_field
from .taxes import DUTIES_SECTION, TaxLinesForm, tax_rows_in

# The catalogue rows a goods item form takes a field for, in catalogue order.
ITEM_ROWS = [row for row in catalogue.elements_of(ItemData) if row.form is not None]


class GoodsItemForm(DocumentRowsForm, TaxLinesForm):
    """One goods item, its supporting documents and its duties and taxes.

    Its fields are the field catalogue's (``ITEM_ROWS``), set below as ``base_fields``; the tax
    line rows come from the catalogue's tax line rows (``forms.taxes``).
    """

    ITEM_FIELDS: ClassVar[list[str]] = [row.form.name for row in ITEM_ROWS if row.form is not None]
    # The item's own grid; the rest (preference, valuation indicators) are in its duties part.
    GRID_FIELDS: ClassVar[list[str]] = [
        row.form.name for row in ITEM_ROWS if row.form is not None and row.form.section != DUTIES_SECTION
    ]

    DOCUMENT_LISTS = (ITEM_DOCUMENTS,)
    DOCUMENT_ORDER = tuple(paths.ITEM_DOCUMENTS)

    def __init__(
        self, *args: Any, document_rows: int = DOCUMENT_ROWS, tax_rows: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._add_tax_fields(tax_rows)
        self._add_document_fields({ITEM_DOCUMENTS.stem: document_rows})

    @property
    def document_row_count(self) -> int:
        return self.document_row_counts[ITEM_DOCUMENTS.stem]

    def item_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.GRID_FIELDS]

    def add_document_action(self, documents: DocumentList) -> str:
        # The item's prefix (``items-2``; ``items-__prefix__`` in the template the page clones).
        return f"{ADD_DOCUMENT}:{self.prefix}"

    def document_list_id(self, documents: DocumentList) -> str:
        return f"{self.prefix}-documents"

    def lodged_document_rows(self) -> list[int]:
        """The rows that make documents, in order: those with a type (the rules count documents so)."""
        return [n for _documents, n in self.lodged_documents()]

    def clean_additional_procedure_code(self) -> str:
        value: str = self.cleaned_data["additional_procedure_code"]
        codes = re.split(r"[\s,;]+", value.strip()) if value.strip() else []
        if any(not re.fullmatch(r"[A-Z0-9]{3}", code) for code in codes):
            raise forms.ValidationError(
                _("Each additional procedure code is three letters or digits, like 000.")
            )
        return " ".join(codes)


def posted_tax_rows(data: Iterable[str], prefix: str = ITEMS_PREFIX) -> dict[int, int]:
    """The tax line rows each posted item had on the page, by item index (``items-2-tax_3_rate``)."""
    pattern = re.compile(rf"{re.escape(prefix)}-(\d{{1,3}})-(tax_\d{{1,2}}_[a-z_]{{1,30}})")
    names: dict[int, list[str]] = {}
    for key in data:
        if m := pattern.fullmatch(key):
            names.setdefault(int(m[1]), []).append(m[2])
    return {index: tax_rows_in(found) for index, found in names.items()}


def document_rows_in(names: Iterable[str]) -> int:
    """How many document rows an item's field names (posted or saved) hold; see ``rows_in``."""
    return ITEM_DOCUMENTS.rows_in(names)


def posted_document_rows(data: Iterable[str], prefix: str = ITEMS_PREFIX) -> dict[int, int]:
    """The document rows each posted item had on the page, by item index (``items-2-doc_7_code``)."""
    # One pass over the posted names rather than one per item.
    stem = re.escape(ITEM_DOCUMENTS.stem)
    pattern = re.compile(rf"{re.escape(prefix)}-(\d{{1,3}})-({stem}_\d{{1,3}}_(?:code|reference))")
    names: dict[int, list[str]] = {}
    for key in data:
        if m := pattern.fullmatch(key):
            names.setdefault(int(m[1]), []).append(m[2])
    return {index: document_rows_in(found) for index, found in names.items()}


class BaseGoodsItemFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        """Each item gets as many document rows as the page it came from had (or its draft holds)."""
        kwargs: dict[str, Any] = super().get_form_kwargs(index)
        tax_rows = 0
        if index is None:  # the empty item the page clones for "Add another goods item"
            rows = DOCUMENT_ROWS
        elif self.is_bound:
            rows = self._posted_document_rows.get(index, 0)
            tax_rows = self._posted_tax_rows.get(index, 0)
        else:
            initial = self.initial[index] if self.initial and index < len(self.initial) else {}
            rows = document_rows_in(initial)
            tax_rows = tax_rows_in(initial)
        kwargs["document_rows"] = rows
        kwargs["tax_rows"] = tax_rows
        return kwargs

    @cached_property
    def _posted_document_rows(self) -> dict[int, int]:
        return posted_document_rows(self.data, self.prefix or ITEMS_PREFIX)

    @cached_property
    def _posted_tax_rows(self) -> dict[int, int]:
        return posted_tax_rows(self.data, self.prefix or ITEMS_PREFIX)

    def clean(self) -> None:
        if any(self.errors):
            return
        if not any(form.has_changed() for form in self.forms):
            raise forms.ValidationError(_("Add at least one goods item."))

    def filled_forms(self) -> list[GoodsItemForm]:
        """The item forms the trader filled in; a row left entirely blank is not an item."""
        return [form for form in self.forms if form.has_changed()]


GoodsItemFormSet = forms.formset_factory(
    GoodsItemForm, formset=BaseGoodsItemFormSet, extra=0, min_num=0, max_num=999, absolute_max=999
)


GoodsItemForm.base_fields = {row.form.name: form_field(row) for row in ITEM_ROWS if row.form is not None}
GoodsItemForm.declared_fields = GoodsItemForm.base_fields
