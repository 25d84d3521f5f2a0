"""The audit pages' forms: shape only; the rules (an open audit, an amount for a money outcome, a
refund no larger than what was charged, concluded once) are the services' and come back on the
fields (``agencies.forms.add_service_errors``)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pycountry
from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import AuditCriterion, AuditOutcome, AuditSettings, FindingKind

# Revenue codes an auditor may charge or credit: the declaration's own, and these.
TAX_TYPES = [
    ("A00", _("A00 – customs duty")),
    ("B00", _("B00 – value added tax")),
]


class FindingForm(forms.Form):
    item_sequence = forms.TypedChoiceField(
        label=_("Goods item"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Leave on “The whole declaration” for a finding about the declaration as a whole."),
    )
    kind = forms.ChoiceField(
        label=_("What was found"),
        choices=[("", _("Choose…")), *FindingKind.choices],
        error_messages={"required": _("Choose what was found.")},
    )
    corrected_commodity_code = forms.CharField(
        label=_("Corrected commodity code"), max_length=10, required=False
    )
    corrected_value = forms.DecimalField(
        label=_("Corrected value"), required=False, min_value=Decimal(0), max_digits=18, decimal_places=2
    )
    corrected_origin = forms.CharField(label=_("Corrected origin"), max_length=2, required=False)
    note = forms.CharField(
        label=_("Finding"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the audit found and on what evidence."),
        error_messages={"required": _("Describe the finding.")},
    )

    def __init__(self, *args: Any, items: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("The whole declaration"))]
        choices += [
            (str(i.sequence), f"{i.sequence}: {i.commodity_code} {i.description[:60]}") for i in items
        ]
        self.fields["item_sequence"].choices = choices  # type: ignore[attr-defined]

    def clean_corrected_commodity_code(self) -> str:
        value = (self.cleaned_data.get("corrected_commodity_code") or "").replace(" ", "").replace(".", "")
        if value and not re.fullmatch(r"\d{6,10}", value):
            raise forms.ValidationError(_("Enter 6 to 10 digits."))
        return value

    def clean_corrected_origin(self) -> str:
        value = (self.cleaned_data.get("corrected_origin") or "").strip().upper()
        if value and pycountry.countries.get(alpha_2=value) is None:
            raise forms.ValidationError(_("Enter a two-letter ISO country code, e.g. CN."))
        return value


class ConcludeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=AuditOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome.")},
    )
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        min_value=Decimal("0.01"),
        # What the compliance history's column holds (below 10^12): the ledger's holds more.
        max_digits=14,
        decimal_places=2,
        help_text=_("For an additional assessment or a refund, in the national currency."),
    )
    tax_type = forms.ChoiceField(label=_("Duty or tax"), required=False)
    reason = forms.CharField(
        label=_("Reason, as the trader will read it"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Give the reason the trader will read.")},
    )

    def __init__(self, *args: Any, tax_types: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tax_type"].choices = tax_types  # type: ignore[attr-defined]

    @property
    def choice_hints(self) -> list[dict[str, Any]]:
        return [{"widget": choice, "hint": ""} for choice in self["outcome"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        money = data.get("outcome") in (AuditOutcome.ADDITIONAL, AuditOutcome.REFUND)
        if money and not data.get("amount") and "amount" not in self.errors:
            self.add_error("amount", _("Give the amount, more than zero."))
        return data


class OpenAuditForm(forms.Form):
    mrn = forms.CharField(label=_("MRN of a released declaration"), max_length=18)
    reason = forms.CharField(
        label=_("Why it is audited"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "input--long"}),
        help_text=_("Kept from the trader."),
        error_messages={"required": _("Say why the declaration is audited.")},
    )

    def clean_mrn(self) -> str:
        return (self.cleaned_data.get("mrn") or "").strip().upper()


class AuditCriterionForm(forms.ModelForm):
    history_months = forms.IntegerField(label=_("Within months"), required=False, min_value=1, max_value=120)
    history_min_count = forms.IntegerField(
        label=_("At least (events)"), min_value=1, max_value=1000, initial=1
    )
    trader_eori = forms.CharField(
        label=_("Trader account (EORI)"), max_length=17, required=False, help_text=_("E.g. GB553202734852.")
    )

    class Meta:
        model = AuditCriterion
        fields = (
            "name",
            "reason",
            "hs_prefix",
            "origin_country",
            "procedure_code",
            "min_value",
            "history_event",
            "history_months",
            "history_min_count",
            "is_active",
        )
        widgets = {
            "name": forms.TextInput(attrs={"class": "input--long"}),
            "reason": forms.TextInput(attrs={"class": "input--long"}),
        }
        help_texts = {
            "hs_prefix": _("Digits the commodity code starts with, e.g. 0902."),
            "origin_country": _("Two-letter ISO code, e.g. LK."),
            "procedure_code": _("Digits the procedure code starts with, e.g. 40."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        account = self.instance.trader_account if self.instance.trader_account_id else None
        if account is not None and not self.is_bound:
            self.fields["trader_eori"].initial = account.eori

    def clean_hs_prefix(self) -> str:
        value = (self.cleaned_data.get("hs_prefix") or "").replace(" ", "").replace(".", "")
        if value and not re.fullmatch(r"\d{2,10}", value):
            raise forms.ValidationError(_("Enter 2 to 10 digits of the commodity code."))
        return value

    def clean_origin_country(self) -> str:
        value = (self.cleaned_data.get("origin_country") or "").strip().upper()
        if value and pycountry.countries.get(alpha_2=value) is None:
            raise forms.ValidationError(_("Enter a two-letter ISO country code, e.g. LK."))
        return value

    def clean_procedure_code(self) -> str:
        value = (self.cleaned_data.get("procedure_code") or "").strip()
        if value and not re.fullmatch(r"\d{1,4}", value):
            raise forms.ValidationError(_("Enter 1 to 4 digits of the procedure code."))
        return value

    def clean_trader_eori(self) -> Any:
        from accounts.models import TraderAccount

        value = (self.cleaned_data.get("trader_eori") or "").strip().upper()
        if not value:
            return None
        account = TraderAccount.objects.filter(eori=value).first()
        if account is None:
            raise forms.ValidationError(_("No trader account has this EORI."))
        return account

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("history_event")
            and not data.get("history_months")
            and "history_months" not in self.errors
        ):
            self.add_error("history_months", _("A history condition needs its period."))
        conditions = (
            "hs_prefix",
            "origin_country",
            "procedure_code",
            "min_value",
            "history_event",
            "trader_eori",
        )
        if not any(data.get(name) for name in conditions) and not self.errors:
            self.add_error(
                None, _("Set at least one condition: a criterion without one would audit everything.")
            )
        return data

    def save(self, commit: bool = True) -> AuditCriterion:
        criterion = super().save(commit=False)
        criterion.trader_account = self.cleaned_data.get("trader_eori")
        if commit:
            criterion.save()
        return criterion


class AuditSettingsForm(forms.ModelForm):
    random_share = forms.DecimalField(
        label=_("Share of released declarations audited at random (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
    )
    lookback_days = forms.IntegerField(
        label=_("Consider declarations released in the last (days)"), min_value=1, max_value=365
    )
    due_days = forms.IntegerField(label=_("Days to conclude an audit"), min_value=1, max_value=730)

    class Meta:
        model = AuditSettings
        fields = ("random_share", "lookback_days", "due_days")
