"""The goods item form and the formset of goods items."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from declarations.wco import paths

from .documents import ADD_DOCUMENT, ITEM_DOCUMENTS, DocumentList, DocumentRowsForm
from .fields import (
    DOCUMENT_ROWS,
    ITEMS_PREFIX,
    CommodityCodeField,
    UpperCharField,
    _code,
    _number,
    _text,
    country_validator,
    currency_validator,
    digits_validator,
    procedure_validator,
)

if TYPE_CHECKING:
    pass


class GoodsItemForm(DocumentRowsForm):
    """One goods item and its supporting documents."""

    description = forms.CharField(
        label=_("Description of goods"), max_length=512, widget=_text("long"), help_text=_("DE 6/8")
    )
    commodity_code = CommodityCodeField(
        label=_("Commodity code"),
        max_length=10,
        validators=[digits_validator],
        widget=_code("medium"),
        help_text=_("6, 8 or 10 digits (DE 6/14–6/15)."),
    )
    origin_country = UpperCharField(
        label=_("Country of origin"),
        max_length=2,
        required=False,
        validators=[country_validator],
        widget=_code(),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=16,
        decimal_places=3,
        min_value=Decimal(0),
        required=False,
        widget=_number(),
        help_text=_("Supplementary units (DE 6/2)."),
    )
    quantity_unit = forms.CharField(
        label=_("Unit"),
        max_length=10,
        required=False,
        widget=_code(),
        help_text=_("For example NAR, KGM, LTR."),
    )
    net_mass = forms.DecimalField(
        label=_("Net mass (kg)"),
        max_digits=16,
        decimal_places=3,
        min_value=Decimal(0),
        required=False,
        widget=_number(),
    )
    gross_mass = forms.DecimalField(
        label=_("Gross mass (kg)"),
        max_digits=16,
        decimal_places=3,
        min_value=Decimal(0),
        required=False,
        widget=_number(),
    )
    value_amount = forms.DecimalField(
        label=_("Item price"),
        max_digits=18,
        decimal_places=3,
        min_value=Decimal(0),
        required=False,
        widget=_number(),
        help_text=_("DE 4/14"),
    )
    value_currency = UpperCharField(
        label=_("Currency"), max_length=3, required=False, validators=[currency_validator], widget=_code()
    )
    procedure_code = forms.CharField(
        label=_("Procedure code"),
        max_length=4,
        required=False,
        validators=[procedure_validator],
        widget=_code(),
        help_text=_("Four digits, like 4000 (DE 1/10)."),
    )
    additional_procedure_code = UpperCharField(
        label=_("Additional procedure codes"),
        max_length=40,
        required=False,
        widget=_code("medium"),
        help_text=_("Three characters each, separated by spaces, like 000 (DE 1/11)."),
    )

    ITEM_FIELDS = [
        "description",
        "commodity_code",
        "origin_country",
        "quantity",
        "quantity_unit",
        "net_mass",
        "gross_mass",
        "value_amount",
        "value_currency",
        "procedure_code",
        "additional_procedure_code",
    ]

    DOCUMENT_LISTS = (ITEM_DOCUMENTS,)
    DOCUMENT_ORDER = tuple(paths.ITEM_DOCUMENTS)

    def __init__(self, *args: Any, document_rows: int = DOCUMENT_ROWS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._add_document_fields({ITEM_DOCUMENTS.stem: document_rows})

    @property
    def document_row_count(self) -> int:
        return self.document_row_counts[ITEM_DOCUMENTS.stem]

    def item_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.ITEM_FIELDS]

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
        if index is None:  # the empty item the page clones for "Add another goods item"
            rows = DOCUMENT_ROWS
        elif self.is_bound:
            rows = self._posted_document_rows.get(index, 0)
        else:
            initial = self.initial[index] if self.initial and index < len(self.initial) else {}
            rows = document_rows_in(initial)
        kwargs["document_rows"] = rows
        return kwargs

    @cached_property
    def _posted_document_rows(self) -> dict[int, int]:
        return posted_document_rows(self.data, self.prefix or ITEMS_PREFIX)

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
