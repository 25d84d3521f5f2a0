"""Browser forms of the licence pages: the list's filters, registering a licence, revoking one.

They check the shape of the input; the rules (an allowance, a unit with a quantity, the holder on
file, one number per agency and code) are ``agencies.licences``', put back beside the fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from declarations.forms import UpperCharField

from .licences import LicenceInput
from .models import Agency, LicenceState

DATE = forms.DateInput(attrs={"type": "date"})


class LicenceFilterForm(forms.Form):
    agency = forms.ChoiceField(label=_("Issuing agency"), required=False)
    holder = UpperCharField(
        label=_("Holder EORI"),
        required=False,
        max_length=17,
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    number = forms.CharField(label=_("Licence number"), required=False, max_length=70)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any state")), *LicenceState.choices]
    )

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", _("Any agency")), *[(a.code, a.name) for a in agencies]]  # type: ignore[attr-defined]


class LicenceForm(forms.Form):
    agency = forms.ChoiceField(label=_("Issuing agency"))
    document_code = UpperCharField(
        label=_("Document code"),
        max_length=4,
        help_text=_("As declared in DE 2/3: category and type, for example 9100 or L001."),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    number = forms.CharField(
        label=_("Licence number"),
        max_length=70,
        help_text=_("As the trader declares it in DE 2/3, for example GBOIL000002-0001."),
        widget=forms.TextInput(
            attrs={"spellcheck": "false", "autocomplete": "off", "class": "input--medium"}
        ),
    )
    holder = UpperCharField(
        label=_("Holder EORI"),
        max_length=17,
        help_text=_("The importer or exporter the licence was issued to."),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    hs_prefixes = forms.CharField(
        label=_("Commodity codes covered"),
        required=False,
        max_length=500,
        help_text=_(
            "Commodity code beginnings, separated by spaces or commas (2612 35021990). Empty: any goods."
        ),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "spellcheck": "false", "class": "input--medium"}
        ),
    )
    quantity_allowance = forms.DecimalField(
        label=_("Quantity allowed"), required=False, min_value=0, max_digits=22, decimal_places=6
    )
    quantity_unit = UpperCharField(
        label=_("Unit of the quantity"),
        required=False,
        max_length=5,
        help_text=_("For example KGM (kilograms) or LTR (litres)."),
    )
    value_allowance = forms.DecimalField(
        label=_("Value allowed"), required=False, min_value=0, max_digits=19, decimal_places=3
    )
    value_currency = UpperCharField(
        label=_("Currency of the value"), required=False, max_length=3, help_text=_("For example GBP.")
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE)

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agencies = agencies
        self.fields["agency"].choices = [(a.code, a.name) for a in agencies]  # type: ignore[attr-defined]
        if len(agencies) == 1:
            self.fields["agency"].widget = forms.HiddenInput()
            self.fields["agency"].initial = agencies[0].code

    def clean_hs_prefixes(self) -> list[str]:
        raw = str(self.cleaned_data.get("hs_prefixes") or "")
        prefixes = [p for p in raw.replace(",", " ").replace(".", "").split() if p]
        if any(not p.isdigit() or len(p) > 10 for p in prefixes):
            raise forms.ValidationError(
                _("Commodity codes covered are digits (for example 2612 or 35021990).")
            )
        return prefixes

    def chosen_agency(self) -> Agency:
        return next(a for a in self.agencies if a.code == self.cleaned_data["agency"])

    def to_input(self) -> LicenceInput:
        c = self.cleaned_data
        return LicenceInput(
            document_code=c["document_code"],
            number=c["number"],
            holder_eori=c["holder"],
            valid_from=c["valid_from"],
            valid_until=c["valid_until"],
            hs_prefixes=c["hs_prefixes"],
            quantity_allowance=c["quantity_allowance"],
            quantity_unit=c["quantity_unit"] or "",
            value_allowance=c["value_allowance"],
            value_currency=c["value_currency"] or "",
        )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Traders and every agency see it with the licence."),
    )
