"""Forms of the oversight pages: shape only; the rules are the services' (``services``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AeoTier, eori_validator
from agencies.models import Agency

from .selectors import AeoShow, Period, WatchlistShow

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_PERIOD_DAYS = 3 * 366
PERIOD_EARLIEST = date(1900, 1, 1)
PERIOD_LATEST = date(2999, 12, 31)


class WatchlistFilterForm(forms.Form):
    text = forms.CharField(label=_("EORI or name"), required=False, max_length=200)
    agency = forms.ChoiceField(label=_("Added by agency"), required=False, choices=[])
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            (WatchlistShow.ACTIVE.value, _("Active entries")),
            (WatchlistShow.EXPIRED.value, _("Past their validity")),
            (WatchlistShow.REMOVED.value, _("Removed entries")),
            (WatchlistShow.ALL.value, _("Every entry")),
        ],
    )

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Any agency")), *((a.code, a.name) for a in agencies)]


class WatchlistAddForm(forms.Form):
    agency = forms.ChoiceField(label=_("For agency"), choices=[])
    eori = forms.CharField(
        label=_("EORI or party identifier"),
        required=False,
        max_length=17,
        help_text=_("Two-letter country code and up to 15 letters or digits, e.g. GB123456789000."),
        widget=forms.TextInput(attrs={"class": "mono", "autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=200,
        help_text=_("Of the trader or party. Left empty, the trader account's name is used."),
    )
    reason = forms.CharField(
        label=_("Why"),
        max_length=2000,
        help_text=_("Required. Other agencies and customs' risk rules read it."),
        widget=forms.Textarea(attrs={"rows": 3, "class": "input--long"}),
        error_messages={"required": _("Say why the party is on the watchlist.")},
    )
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=DATE, help_text=_("Optional. Empty: until removed.")
    )

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        # Prefixed: the page's filter form has an "agency" field too (ids must be unique).
        kwargs.setdefault("prefix", "add")
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(a.pk), a.name) for a in agencies]
        if len(agencies) == 1:
            field.initial = str(agencies[0].pk)
            field.widget = forms.HiddenInput()

    def clean_eori(self) -> str:
        eori = str(self.cleaned_data.get("eori") or "").strip().upper()
        if eori:
            eori_validator(eori)
        return eori

    def clean_valid_until(self) -> Any:
        value = self.cleaned_data.get("valid_until")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("The end of validity cannot be in the past."))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("eori") and not cleaned.get("name") and "eori" not in self.errors:
            self.add_error("eori", _("Give the EORI or party identifier, or the name of the party."))
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it removed?"),
        max_length=2000,
        help_text=_("Required. Kept with the entry and in the audit trail."),
        widget=forms.Textarea(attrs={"rows": 3, "class": "input--long"}),
        error_messages={"required": _("Say why the entry is removed.")},
    )


class AeoFilterForm(forms.Form):
    text = forms.CharField(label=_("EORI, name or authorisation number"), required=False, max_length=200)
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            (AeoShow.AUTHORISED.value, _("Accounts with an authorisation")),
            (AeoShow.EXPIRING.value, _("Expiring within 60 days")),
            (AeoShow.EXPIRED.value, _("Expired")),
            (AeoShow.ALL.value, _("Every trader account")),
        ],
    )


class AeoForm(forms.Form):
    aeo_tier = forms.ChoiceField(
        label=_("AEO tier"),
        required=False,
        choices=[("", _("Not authorised")), *AeoTier.choices],
        help_text=_("Choose “Not authorised” to withdraw the authorisation."),
    )
    aeo_reference = forms.CharField(
        label=_("Authorisation number"),
        required=False,
        max_length=35,
        widget=forms.TextInput(attrs={"class": "mono", "autocomplete": "off"}),
    )
    aeo_valid_from = forms.DateField(label=_("Valid from"), required=False, widget=DATE)
    aeo_valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=DATE, help_text=_("Empty: no end date.")
    )


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Dates at the ends of the calendar would overflow the period's arithmetic.
        for name in ("date_from", "date_to"):
            day = cleaned.get(name)
            if day is not None and not PERIOD_EARLIEST <= day <= PERIOD_LATEST:
                self.add_error(
                    name,
                    _("Choose a date between %(first)s and %(last)s.")
                    % {"first": PERIOD_EARLIEST.year, "last": PERIOD_LATEST.year},
                )
                cleaned.pop(name, None)
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must be the same as or after the start date."))
        elif start and end and (end - start).days > MAX_PERIOD_DAYS:
            self.add_error("date_from", _("Choose a period of three years at most."))
        return cleaned

    def period(self) -> Period:
        """The chosen period; the last 90 days while the form is unbound or has errors."""
        default = Period.default()
        if not self.is_bound or not self.is_valid():
            return default
        end = self.cleaned_data.get("date_to") or default.last
        start = self.cleaned_data.get("date_from") or end - timedelta(days=89)
        if start > end:  # only a start, after today: that day alone
            end = start
        if (end - start).days > MAX_PERIOD_DAYS:
            start = end - timedelta(days=MAX_PERIOD_DAYS)
        return Period(first=start, last=end)
