"""The filters of the Time Release Study's pages: a period and what to narrow it to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clearance.models import Lane
from declarations.models import DirectionChoice

from .selectors import MAX_DAYS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EARLIEST = date(2000, 1, 1)
DEFAULT_DAYS = 91  # thirteen weeks


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @classmethod
    def default(cls) -> Period:
        today = timezone.localdate()
        return cls(first=today - timedelta(days=DEFAULT_DAYS - 1), last=today)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def _choices(values: list[str], everything: str) -> list[tuple[str, str]]:
    return [("", everything), *((v, v) for v in values)]


class InsightsFilterForm(forms.Form):
    date_from = forms.DateField(label=_("Released from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("Released to"), required=False, widget=DATE)
    direction = forms.ChoiceField(label=_("Direction"), required=False)
    type = forms.ChoiceField(label=pgettext_lazy("declaration", "Declaration type"), required=False)
    office = forms.ChoiceField(label=_("Office"), required=False)
    lane = forms.ChoiceField(label=_("Lane"), required=False)

    def __init__(self, *args: Any, types: list[str], offices: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: dict[str, list[tuple[str, Any]]] = {
            "direction": [("", str(_("Imports and exports"))), *DirectionChoice.choices],
            "type": _choices(types, str(_("Every type"))),
            "office": _choices(offices, str(_("Every office"))),
            "lane": [("", str(_("Every lane"))), *Lane.choices],
        }
        for name, values in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = values

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        today = timezone.localdate()
        for name in ("date_from", "date_to"):
            day = cleaned.get(name)
            if day is not None and not EARLIEST <= day <= today + timedelta(days=1):
                self.add_error(
                    name,
                    _("Choose a date between %(first)s and today.") % {"first": EARLIEST.isoformat()},
                )
                cleaned.pop(name, None)
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must be the same as or after the start date."))
        elif start and end and (end - start).days >= MAX_DAYS:
            self.add_error("date_from", _("Choose a period of two years at most."))
        return cleaned

    def period(self) -> Period:
        """The chosen period; the last thirteen weeks while the form is unbound or has errors."""
        default = Period.default()
        if not self.is_bound or not self.is_valid():
            return default
        end = self.cleaned_data.get("date_to") or default.last
        start = self.cleaned_data.get("date_from") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            end = start
        return Period(first=start, last=end)

    def filters(self) -> dict[str, str]:
        """The narrowing chosen: every filter that is valid, even when the period is not (the page
        shows what its fields say; {} while unbound)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {k: cleaned[k] for k in ("direction", "type", "office", "lane") if cleaned.get(k)}
