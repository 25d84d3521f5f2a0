"""What the declaration forms are made of: field types, widgets, code validators and choices."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    pass

ITEMS_PREFIX = "items"
# Supporting-document rows a goods item shows at least; "Add another document" adds one at a time.
# HMRC's accepted import samples carry up to 13 documents on one item (TT_IM030a).
DOCUMENT_ROWS = 3
MAX_DOCUMENTS = 99  # DE 2/3 may occur up to 99 times on a goods item; the header lists keep the same cap
# The party attributes the form takes, for the trader (``trader_*``) and the other side (``counterpart_*``).

country_validator = RegexValidator(r"^[A-Z]{2}$", _("Enter a two-letter country code, like GB or FR."))
currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Enter a three-letter currency code, like GBP or EUR."))
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


class CommodityCodeField(forms.CharField):
    """HS codes are often written with spaces or dots (``8510 20 00``); store the digits."""

    def to_python(self, value: Any) -> str:
        return re.sub(r"[\s.]", "", super().to_python(value) or "")


def _text(width: str = "medium", **attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"class": f"input--{width}", **attrs})


def _code(width: str = "short", **attrs: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={"class": f"input--{width}", "autocapitalize": "characters", "spellcheck": "false", **attrs}
    )


def _number(**attrs: str) -> forms.TextInput:
    # A text input with a decimal keypad: <input type=number> mangles values like "1,5" silently.
    return forms.TextInput(attrs={"class": "input--medium", "inputmode": "decimal", **attrs})
