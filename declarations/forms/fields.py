"""What the declaration forms are made of: field types, widgets, code validators and choices."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import RegexValidator
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import eori_validator
from declarations import catalogue
from declarations.catalogue import WidgetKind

from . import pickers
from .numbers import NumberField

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ITEMS_PREFIX = "items"
# Supporting-document rows a goods item shows at least; "Add another document" adds one at a time.
# HMRC's accepted import samples carry up to 13 documents on one item (TT_IM030a).
DOCUMENT_ROWS = 3
MAX_DOCUMENTS = 99  # DE 2/3 may occur up to 99 times on a goods item; the header lists keep the same cap

digits_validator = RegexValidator(r"^\d+$", _("Enter digits only."))
procedure_validator = RegexValidator(r"^\d{4}$", _("Enter the procedure code as four digits, like 4000."))
office_validator = RegexValidator(
    r"^[A-Z]{2}[A-Z0-9]{6}$", _("Enter an office code of 8 characters, like GB000060.")
)
document_code_validator = RegexValidator(
    r"^[A-Z0-9]{4}$", _("Enter the document type as four letters or digits, like N935.")
)
previous_document_code_validator = RegexValidator(
    r"^[A-Z0-9]{4}$", _("Enter the document type as four letters or digits, like ZDCR.")
)

TYPE_CHOICES = [("", _("Choose…")), ("IM", _("IM – Import")), ("EX", _("EX – Export"))]
ADDITIONAL_TYPE_CHOICES = [
    ("", _("Choose…")),
    ("A", _("A – Standard, frontier")),
    ("B", _("B – Simplified, occasional, frontier")),
    ("C", _("C – Simplified, regular, frontier")),
    ("D", _("D – Standard, pre-lodged")),
    ("E", _("E – Simplified, occasional, pre-lodged")),
    ("F", _("F – Simplified, regular, pre-lodged")),
    ("Y", _("Y – Supplementary (simplified)")),
    ("Z", _("Z – Supplementary (entry in records)")),
]
TRANSPORT_MODE_CHOICES = [
    ("", _("Choose…")),
    ("1", _("1 – Sea")),
    ("2", _("2 – Rail")),
    ("3", _("3 – Road")),
    ("4", _("4 – Air")),
    ("5", _("5 – Post")),
    ("7", _("7 – Fixed installations")),
    ("8", _("8 – Inland waterway")),
    ("9", _("9 – Own propulsion")),
]
# DE 3/21, as HMRC's samples declare it (Agent/FunctionCode): 2 direct, 3 indirect representation.
# No code means the declarant acts for itself. Short texts: the select is one column wide.
REPRESENTATION_CHOICES = [
    ("", pgettext_lazy("representation (DE 3/21)", "None")),
    ("2", _("2 – Direct")),
    ("3", _("3 – Indirect")),
]
TRANSPORT_ID_TYPE_CHOICES = [
    ("", _("Choose…")),
    ("10", _("10 – IMO ship number")),
    ("11", _("11 – Name of the sea-going vessel")),
    ("20", _("20 – Wagon number")),
    ("30", _("30 – Vehicle registration")),
    ("40", _("40 – IATA flight number")),
    ("41", _("41 – Aircraft registration")),
    ("80", _("80 – European vessel number")),
]


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


class UpperCharField(forms.CharField):
    """Codes (EORI, countries, currencies, offices) are upper case; accept them typed in any case."""

    def to_python(self, value: Any) -> str:
        return _upper(super().to_python(value))


def _text(width: str = "medium", **attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"class": f"input--{width}", **attrs})


def _code(width: str = "short", **attrs: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={"class": f"input--{width}", "autocapitalize": "characters", "spellcheck": "false", **attrs}
    )


def _number(**attrs: str) -> forms.TextInput:
    # A text input with a decimal keypad: <input type=number> mangles values like "1,5" silently.
    return forms.TextInput(attrs={"class": "input--medium", "inputmode": "decimal", **attrs})


# --- fields from the field catalogue ---------------------------------------------------------------

# The fixed lists a catalogue row's widget may name (``Widget.choices``).
CHOICES: dict[str, Sequence[tuple[str, StrOrPromise]]] = {
    "declaration_types": TYPE_CHOICES,
    "additional_types": ADDITIONAL_TYPE_CHOICES,
    "transport_modes": TRANSPORT_MODE_CHOICES,
    "representation": REPRESENTATION_CHOICES,
    "transport_id_types": TRANSPORT_ID_TYPE_CHOICES,
}


class CommodityCodeField(forms.CharField):
    """HS codes are often written with spaces or dots (``8510 20 00``); store the digits."""

    def to_python(self, value: Any) -> str:
        return re.sub(r"[\s.]", "", super().to_python(value) or "")


# The shapes a typed code may be asked to have (``Widget.format``): its validators and field class.
FORMATS: dict[str, tuple[list[RegexValidator], type[forms.CharField] | None]] = {
    "eori": ([eori_validator], UpperCharField),
    "commodity": ([digits_validator], CommodityCodeField),
    "office": ([office_validator], None),
    "procedure": ([procedure_validator], None),
}


def form_label(row: catalogue.Element) -> StrOrPromise:
    """The label the form shows for a catalogue row: the form's own, or the element's capitalised."""
    assert row.form is not None, row.key
    return row.form.label if row.form.label is not None else capfirst(row.label)


def form_field(
    row: catalogue.Element, *, label: StrOrPromise | None = None, help_text: StrOrPromise | None = None
) -> forms.Field:
    """The form field for a catalogue row, as its ``FormSpec`` describes it.

    Its label, help, limit, choices, code list and validators all come from the row; ``label`` and
    ``help_text`` override them where one row gives two fields (a party's EORI, for the trader and
    for the other side).
    """
    spec = row.form
    assert spec is not None, row.key
    widget = spec.widget
    common: dict[str, Any] = {
        "label": form_label(row) if label is None else label,
        "help_text": spec.help if help_text is None else help_text,
        "required": spec.required,
    }
    if widget.kind is WidgetKind.CHOICE:
        return forms.ChoiceField(choices=CHOICES[widget.choices], **common)
    if widget.kind is WidgetKind.NUMBER:
        column = catalogue.column(row)
        assert isinstance(column, models.DecimalField), row.key
        return NumberField(
            max_digits=column.max_digits, decimal_places=column.decimal_places, min_value=Decimal(0), **common
        )
    length = spec.max_length or catalogue.max_length(row)
    validators, field_class = FORMATS.get(widget.format, ([], None))
    if widget.kind is WidgetKind.PICKER:
        picker = pickers.PICKER_LISTS[widget.code_list]
        return pickers.CodeField(
            picker=picker, max_length=length, validators=validators, width=widget.width, **common
        )
    if widget.kind is WidgetKind.CODE:
        cls = field_class or (UpperCharField if widget.upper else forms.CharField)
        return cls(max_length=length, validators=validators, widget=_code(widget.width), **common)
    return forms.CharField(max_length=length, validators=validators, widget=_text(widget.width), **common)
