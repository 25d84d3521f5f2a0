"""The supervisor's forms: filters over every declaration, and the release decision override.

Shape only: the mandatory reason and which outcomes a declaration may still take are
``clearance.services.release_override``'s rules; the page offers only the outcomes it allows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from declarations.forms import UpperCharField
from declarations.models import Status

from .models import Outcome


class OverviewFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status"))] + [(v, label) for v, label in Status.choices if v != Status.DRAFT],
    )
    mrn = UpperCharField(label=_("MRN"), required=False, max_length=18)
    trader = forms.CharField(
        label=_("Trader"), required=False, max_length=200, help_text=_("EORI or part of the name")
    )
    needs_human = forms.BooleanField(
        label=_("Needs a human"),
        required=False,
        help_text=_("Refused, an inspection required, overdue, or decided by every agency but not released"),
    )


OVERRIDE_HINTS = {
    Outcome.RELEASED.value: _("The goods may leave, whatever the agencies' reviews say."),
    Outcome.REFUSED.value: _("The goods may not leave. Open reviews leave the officers' queues."),
}


class OverrideForm(forms.Form):
    """A supervisor's release decision over the agencies': an outcome and a mandatory reason."""

    outcome = forms.ChoiceField(
        label=_("Release decision"),
        widget=forms.RadioSelect,
        choices=[],
        error_messages={"required": _("Choose released or refused.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=4000,
        help_text=_(
            "Required. It is recorded in the audit trail, shown on the timeline and sent to the trader."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "class": "input--long"}),
        error_messages={"required": _("Say why you override the release decision.")},
    )

    def __init__(self, *args: Any, outcomes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["outcome"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(value, Outcome(value).label) for value in outcomes]

    def choice_hints(self) -> list[dict[str, Any]]:
        return [
            {"widget": widget, "hint": OVERRIDE_HINTS.get(str(widget.data["value"]), "")}
            for widget in self["outcome"]
        ]
