"""Code pickers: a field for a code from one of the portal's code lists, typed or chosen.

Without JavaScript a picker is a plain text input, checked on the server against the same list the
rules use (``declarations.refdata``: the shipped files merged with administrators' overrides).
``static/js/code-picker.js`` turns it into an accessible combobox (ARIA 1.2: a text input with a
list box of suggestions, arrows to move, Enter to choose, Escape to close) whose options come from
``declarations:code_list`` (``views.code_list``), so the page never carries the lists itself.

Nothing typed is cut or guessed. The input has no ``maxlength`` (a browser silently drops what
goes past it: "France" typed into a two-letter field became ``FR``, "China" would become
``CH``), and a text that is not a code of the list is an error, never matched to a code: the
message names the codes whose names match what was typed, for the trader to choose.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from .. import refdata
from .numbers import shown

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


# Per picker: the merged list it was built from (the same object until the overrides change) and
# the options built from it.
_OPTIONS: dict[str, tuple[Mapping[str, str], Mapping[str, str]]] = {}


@dataclass(frozen=True)
class PickerList:
    """A code list the form picks from, as the browser asks for it (``/declarations/code-lists/<name>/``)."""

    name: str  # in the URL
    code_list: str  # ``refdata`` list
    # Strict: only a code of the list is accepted. Partial lists (document codes, procedure codes
    # beyond HMRC's combined ones, locations of goods) only suggest; the rules judge the code.
    strict: bool
    noun: StrOrPromise  # "country", in "… is not a country code"
    only_combined: bool = False  # procedure codes: the four-digit codes, not their two-digit halves

    def options(self) -> Mapping[str, str]:
        """The codes and their names; built once per read of the reference data, not per field."""
        source = refdata.code_list(self.code_list)
        cached = _OPTIONS.get(self.name)
        if cached is not None and cached[0] is source:
            return cached[1]
        options = self._options(source)
        _OPTIONS[self.name] = (source, options)
        return options

    def _options(self, codes: Mapping[str, str]) -> Mapping[str, str]:
        if self.only_combined:
            codes = {code: name for code, name in codes.items() if len(code) == 4}
        # Some shipped codes carry where they came from ("accepted HMRC sample: …"), not a name:
        # HMRC's published document code list has none. Those are shown as bare codes; an
        # administrator's override names a code.
        codes = {code: "" if _is_provenance(name) else name for code, name in codes.items()}
        return codes


COUNTRY = PickerList("country", refdata.COUNTRY, strict=True, noun=_("country code"))
CURRENCY = PickerList("currency", refdata.CURRENCY, strict=True, noun=_("currency code"))
DOCUMENT = PickerList("document", refdata.DOCUMENT, strict=False, noun=_("document code"))
PROCEDURE = PickerList(
    "procedure", refdata.PROCEDURE, strict=False, noun=_("procedure code"), only_combined=True
)
GOODS_LOCATION = PickerList(
    "goods-location", refdata.GOODS_LOCATION, strict=False, noun=_("location of goods")
)
CUSTOMS_OFFICE = PickerList("customs-office", refdata.CUSTOMS_OFFICE, strict=True, noun=_("office code"))
EXIT_OFFICE = PickerList("exit-office", refdata.EXIT_OFFICE, strict=True, noun=_("office of exit"))

# Partial lists: the form suggests from them, the rules warn about a code they lack.
TAX_TYPE = PickerList("tax-type", refdata.TAX_TYPE, strict=False, noun=_("tax type"))
PAYMENT_METHOD = PickerList(
    "payment-method", refdata.PAYMENT_METHOD, strict=False, noun=_("method of payment")
)

PICKER_LISTS: dict[str, PickerList] = {
    p.name: p
    for p in (
        COUNTRY,
        CURRENCY,
        DOCUMENT,
        PROCEDURE,
        GOODS_LOCATION,
        CUSTOMS_OFFICE,
        EXIT_OFFICE,
        TAX_TYPE,
        PAYMENT_METHOD,
    )
}

# How many codes an error message proposes for a text that is no code.
SUGGESTIONS = 3


def _is_provenance(description: str) -> bool:
    return description.startswith(("accepted HMRC sample", "HMRC "))


def _folded(text: str) -> str:
    """Lower case without accents, so "cote d'ivoire" finds "Côte d'Ivoire"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def suggestions(picker: PickerList, typed: str, limit: int = SUGGESTIONS) -> list[tuple[str, str]]:
    """Codes whose name matches ``typed``: the name itself first, then names starting with it, then
    names containing it. For the error message only: nothing is ever chosen for the trader."""
    if not 2 <= len(typed.strip()) <= 100:
        return []
    query = _folded(typed.strip())
    ranked: list[tuple[int, str, str]] = []
    for code, name in picker.options().items():
        folded = _folded(name)
        if folded == query:
            ranked.append((0, code, name))
        elif folded.startswith(query):
            ranked.append((1, code, name))
        elif query in folded:
            ranked.append((2, code, name))
    ranked.sort()
    return [(code, name) for _rank, code, name in ranked[:limit]]


class CodePicker(forms.TextInput):
    """A text input that ``code-picker.js`` makes a combobox; beside it, the name of the code it holds."""

    def __init__(self, picker: PickerList, *, width: str = "short", attrs: dict[str, Any] | None = None):
        super().__init__(
            attrs={
                "class": f"input--{width} picker__input",
                "autocapitalize": "characters",
                "autocomplete": "off",
                "spellcheck": "false",
                **(attrs or {}),
            }
        )
        self.picker = picker

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["data-code-list"] = reverse("declarations:code_list", args=[self.picker.name])
        # What the script's status line says to screen readers, in the page's language.
        widget_attrs["data-count-one"] = _("1 suggestion")
        widget_attrs["data-count-many"] = _("%s suggestions")
        widget_attrs["data-list-label"] = _("Suggestions")
        # Never cut: a browser drops what is typed past maxlength without a word.
        widget_attrs.pop("maxlength", None)
        return context

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        html = super().render(name, value, attrs, renderer)
        code = str(value or "").strip().upper()
        meaning = self.picker.options().get(code, "") if code else ""
        element_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        # The name of the code now in the field: what the trader reads back before submitting
        # (the script keeps it up to date as the field changes).
        return format_html(
            '<span class="picker">{}<span class="picker__name" id="{}_name">{}</span></span>',
            html,
            element_id,
            meaning,
        )


class CodeField(forms.CharField):
    """A code from ``picker``'s list, typed in any case; a text that is not a code is an error.

    ``validators`` check the shape of a code of a partial list (four characters for a document
    code), which is all that can be said of it here; the rules say whether it is known.
    """

    def __init__(
        self,
        *,
        picker: PickerList,
        max_length: int | None = None,
        validators: list[RegexValidator] | tuple[RegexValidator, ...] = (),
        width: str = "short",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("widget", CodePicker(picker, width=width))
        kwargs.setdefault("required", False)
        super().__init__(max_length=max_length, validators=list(validators), **kwargs)
        self.picker = picker

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return text.strip().upper() if isinstance(text, str) else ""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if not value or not self.picker.strict or value in self.picker.options():
            return
        raise forms.ValidationError(unknown_code_message(self.picker, value), code="unknown_code")

    def run_validators(self, value: Any) -> None:
        if self.picker.strict and value in self.picker.options():
            return  # a listed code needs no shape check
        super().run_validators(value)


def unknown_code_message(picker: PickerList, typed: str) -> str:
    """“FRANCE” is not a country code. Did you mean FR (France)? — the codes are only proposed."""
    found = suggestions(picker, typed)
    text = _("“%(typed)s” is not a %(noun)s of the list.") % {"typed": shown(typed), "noun": picker.noun}
    if found:
        codes = ", ".join(f"{code} ({name})" for code, name in found)
        return str(text) + " " + str(_("Did you mean %(codes)s?") % {"codes": codes})
    return str(text) + " " + str(_("Choose one from the list."))
