"""Forms of the payment pages: the trader's confirmation step and the cashier's confirmation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import PaymentMethod


class PayForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("How do you want to pay?"),
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose how you want to pay.")},
    )

    def __init__(self, *args: Any, card_available: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(PaymentMethod.BANK_TRANSFER.value, _("Bank transfer"))]
        if card_available:
            choices.insert(0, (PaymentMethod.CARD.value, _("Card, now")))
        field = self.fields["method"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def choice_hints(self) -> list[dict[str, Any]]:
        hints = {
            PaymentMethod.CARD.value: _("Confirm on the card provider's page; paid in a minute."),
            PaymentMethod.BANK_TRANSFER.value: _(
                "You get a payment reference and our bank details; paid when customs receives the money."
            ),
        }
        return [
            {"widget": widget, "hint": hints.get(str(widget.data["value"]), "")} for widget in self["method"]
        ]


class TransferConfirmForm(forms.Form):
    """What the cashier reads off the bank statement for one transfer."""

    amount = forms.DecimalField(
        label=gettext_lazy("Amount received"),
        help_text=gettext_lazy("As credited on the bank statement, for example 232.40."),
        max_digits=18,
        decimal_places=2,
        min_value=0,
        localize=False,
        error_messages={"required": gettext_lazy("Enter the amount received.")},
    )
    value_date = forms.DateField(
        label=gettext_lazy("Value date"),
        help_text=gettext_lazy("The day the bank credited the money, for example 2026-12-03."),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": gettext_lazy("Enter the value date.")},
    )
    bank_reference = forms.CharField(
        label=gettext_lazy("Bank reference"),
        help_text=gettext_lazy("The bank's reference of the credit on the statement."),
        max_length=100,
        error_messages={"required": gettext_lazy("Enter the bank's reference.")},
    )

    def clean_value_date(self) -> Any:
        day = self.cleaned_data["value_date"]
        today = timezone.localdate()
        if day > today:
            raise forms.ValidationError(_("The value date cannot be in the future."))
        if day < today - timedelta(days=366):
            raise forms.ValidationError(_("The value date is more than a year ago: check it."))
        return day

    def clean_bank_reference(self) -> str:
        return " ".join(self.cleaned_data["bank_reference"].split())
