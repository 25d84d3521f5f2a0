"""Reading a form's values, including what the trader typed into a field that failed its checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS


def readable_values(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned values and, for each field that failed its checks, what the trader typed.

    A field typed in but wrong counts as given for the other rules (a malformed importer EORI is
    still an EORI, so no rule asks for the importer's address instead); the wrong value itself is
    only judged by the field's own error. Input that is not even of the field's type (``heavy``
    for a mass) reads as not given. Valid forms give exactly their cleaned data.
    """
    errors = form.errors  # cleans the form if it was not yet
    values = dict(form.cleaned_data)
    for name in errors:
        if name == NON_FIELD_ERRORS or name not in form.fields:
            continue
        field = form.fields[name]
        raw = field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
        try:
            value = field.to_python(raw)
            if isinstance(field, forms.DecimalField | forms.IntegerField):
                # A number beyond its field's digits (1e999999999) reads as not given: the rules
                # would otherwise spell it out in a message a billion characters long.
                field.run_validators(value)
            values[name] = value
        except forms.ValidationError:
            values[name] = None
    return values


class _Values:
    """Typed reads of a form's values; a field that is absent or unreadable is empty."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def text(self, name: str) -> str:
        value = self.values.get(name)
        return value.strip() if isinstance(value, str) else ""

    def decimal(self, name: str) -> Decimal | None:
        value = self.values.get(name)
        return value if isinstance(value, Decimal) else None
