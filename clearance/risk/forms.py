"""The supervisors' forms: a risk rule (the fields its kind needs, the others empty), the thresholds
and random share, and the dry run's period."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pycountry
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import AeoTier

from ..models import RiskRule, RiskSettings, RuleKind

WEIGHT_LIMIT = 100
GOODS_FIELDS = ("direction", "hs_prefix", "origin_country", "procedure_code")
# What each kind needs (required) and may use; every other condition must be empty.
KIND_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    RuleKind.GOODS: {"required": (), "allowed": GOODS_FIELDS},
    RuleKind.UNDERVALUATION: {"required": ("undervaluation_ratio",), "allowed": GOODS_FIELDS},
    RuleKind.HISTORY: {"required": ("history_event", "history_months", "history_min_count"), "allowed": ()},
    RuleKind.WATCHLIST: {"required": (), "allowed": ()},
    RuleKind.AEO: {"required": (), "allowed": ("aeo_tiers",)},
}
CONDITION_FIELDS = (*GOODS_FIELDS, "undervaluation_ratio", "history_event", "history_months", "aeo_tiers")
DIRECTIONS = [("", _("Any")), ("import", _("Import")), ("export", _("Export"))]


class RiskRuleForm(forms.ModelForm):
    """A rule as a supervisor writes it. ``save`` is the view's business (it audits the change)."""

    direction = forms.ChoiceField(label=_("Direction"), choices=DIRECTIONS, required=False)
    aeo_tiers = forms.MultipleChoiceField(
        label=_("AEO tiers"),
        choices=AeoTier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any valid authorisation."),
    )
    weight = forms.IntegerField(
        label=_("Weight"),
        min_value=-WEIGHT_LIMIT,
        max_value=WEIGHT_LIMIT,
        help_text=_("Points added to the score when the rule matches (−100 to 100); negative lowers it."),
    )
    undervaluation_ratio = forms.DecimalField(
        label=_("Share of the median"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("1.00"),
        max_digits=4,
        decimal_places=2,
        help_text=_("E.g. 0.30: the value per unit is below 30 % of the median of its HS subheading."),
    )
    history_months = forms.IntegerField(label=_("Within months"), required=False, min_value=1, max_value=120)
    history_min_count = forms.IntegerField(
        label=_("At least (events)"), min_value=1, max_value=1000, initial=1
    )

    class Meta:
        model = RiskRule
        fields = (
            "name",
            "reason",
            "kind",
            "weight",
            "direction",
            "hs_prefix",
            "origin_country",
            "procedure_code",
            "undervaluation_ratio",
            "history_event",
            "history_months",
            "history_min_count",
            "aeo_tiers",
            "confidential",
            "valid_from",
            "valid_until",
        )
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
            "kind": forms.Select,
        }
        help_texts = {
            "hs_prefix": _("Digits the commodity code starts with, e.g. 06 or 060311."),
            "origin_country": _("Two-letter ISO code, e.g. CO."),
            "procedure_code": _("Digits the procedure code starts with, e.g. 40."),
            "confidential": _("Confidential rules are never shown to traders."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].widget.format = "%Y-%m-%d"
        self.fields["valid_until"].widget.format = "%Y-%m-%d"

    def clean_hs_prefix(self) -> str:
        value = (self.cleaned_data.get("hs_prefix") or "").replace(" ", "").replace(".", "")
        if value and not re.fullmatch(r"\d{2,10}", value):
            raise forms.ValidationError(_("Enter 2 to 10 digits of the commodity code."))
        return value

    def clean_origin_country(self) -> str:
        value = (self.cleaned_data.get("origin_country") or "").strip().upper()
        if value and pycountry.countries.get(alpha_2=value) is None:
            raise forms.ValidationError(_("Enter a two-letter ISO country code, e.g. CO."))
        return value

    def clean_procedure_code(self) -> str:
        value = (self.cleaned_data.get("procedure_code") or "").strip()
        if value and not re.fullmatch(r"\d{1,4}", value):
            raise forms.ValidationError(_("Enter 1 to 4 digits of the procedure code."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        spec = KIND_FIELDS.get(str(kind)) if kind else None
        if spec is not None:
            for name in spec["required"]:
                if name in self.fields and data.get(name) in (None, "", []) and name not in self.errors:
                    self.add_error(name, _("This kind of rule needs it."))
            for name in CONDITION_FIELDS:
                if name not in spec["allowed"] and name not in spec["required"] and data.get(name):
                    self.add_error(name, _("Leave it empty for this kind of rule."))
            if kind == RuleKind.GOODS and not any(data.get(n) for n in GOODS_FIELDS):
                self.add_error(
                    None, _("Set at least one condition: direction, HS code, origin or procedure.")
                )
        valid_from, valid_until = data.get("valid_from"), data.get("valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            self.add_error("valid_until", _("The end of validity must not be before its start."))
        if kind and kind != RuleKind.HISTORY:
            data["history_min_count"] = 1
        return data

    def rule(self) -> RiskRule:
        """The rule with the form's values, not saved (the dry run of a rule being written)."""
        return self.save(commit=False)


class RiskSettingsForm(forms.ModelForm):
    yellow_from = forms.IntegerField(label=_("Yellow lane from (points)"), min_value=1, max_value=1000)
    red_from = forms.IntegerField(label=_("Red lane from (points)"), min_value=1, max_value=1000)
    random_share = forms.DecimalField(
        label=_("Share of green declarations checked at random (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
    )

    class Meta:
        model = RiskSettings
        fields = ("yellow_from", "red_from", "random_share", "random_lane")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        yellow, red = data.get("yellow_from"), data.get("red_from")
        if yellow is not None and red is not None and red <= yellow:
            self.add_error("red_from", _("The red lane must start above the yellow lane."))
        if data.get("random_lane") == "green":
            self.add_error("random_lane", _("A random selection goes to a control lane: yellow or red."))
        return data


class DryRunPeriodForm(forms.Form):
    days = forms.IntegerField(
        label=_("Declarations accepted in the last (days)"),
        min_value=1,
        max_value=365,
        initial=90,
        required=False,
    )
