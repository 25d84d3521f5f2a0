"""The control pages' forms: shape only; the rules (a reason required, a date in the future, one
record per agency, real photos) are the services' and come back on the fields
(``agencies.forms.add_service_errors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agencies.forms import MultipleFileField, MultipleFileInput

from ..models import ControlOutcome
from .photos import MAX_PHOTO_BYTES, MAX_PHOTOS

OUTCOME_CHOICES = [
    (ControlOutcome.COMPLIANT.value, _("Compliant")),
    (ControlOutcome.NON_COMPLIANT.value, _("Non-compliant")),
]


class DocumentaryForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome of the documentary check"),
        choices=OUTCOME_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the documents are compliant.")},
    )
    findings = forms.CharField(
        label=_("Findings"),
        required=False,
        max_length=4000,
        help_text=_("Required when non-compliant: what does not match, and on which goods item."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    @property
    def choice_hints(self) -> list[dict[str, Any]]:
        return [{"widget": choice, "hint": ""} for choice in self["outcome"]]


class AppointmentForm(forms.Form):
    """Where and when the joint inspection takes place, and what the trader presents."""

    scheduled_for = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"required": _("Give the date and time of the inspection.")},
    )
    place = forms.CharField(
        label=_("Place"),
        max_length=200,
        help_text=_("Where the officers and the trader meet, e.g. “Berth 4, inspection shed B”."),
        error_messages={"required": _("Say where the goods are inspected.")},
    )
    goods_location = forms.CharField(
        label=_("Location of the goods"),
        max_length=200,
        required=False,
        help_text=_("From the declaration; correct it if the goods were moved."),
    )
    instructions = forms.CharField(
        label=_("What to present"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Documents and goods the trader brings, e.g. “the original certificate; container opened”."
        ),
    )
    contact = forms.CharField(label=_("Contact"), max_length=200, required=False)


class RescheduleForm(AppointmentForm):
    reason = forms.CharField(
        label=_("Why it is moved"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why.")},
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is cancelled"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why.")},
    )


class FindingForm(forms.Form):
    """One agency's findings at the quay (a phone: large controls, the camera for photos)."""

    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=OUTCOME_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the goods are compliant.")},
    )
    findings = forms.CharField(
        label=_("Findings"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when non-compliant."),
    )
    seizure = forms.BooleanField(label=_("Goods seized"), required=False)
    fine_amount = forms.DecimalField(
        label=_("Fine (amount)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=3,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    fine_currency = forms.CharField(
        label=_("Currency"),
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "size": 4, "autocomplete": "off"}),
    )
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = gettext(
            "Take them with the camera: JPEG, PNG, WebP or HEIC, up to %(n)d photos of %(mb)d MB each."
        ) % {"n": MAX_PHOTOS, "mb": MAX_PHOTO_BYTES // (1024 * 1024)}

    @property
    def choice_hints(self) -> list[dict[str, Any]]:
        return [{"widget": choice, "hint": ""} for choice in self["outcome"]]
