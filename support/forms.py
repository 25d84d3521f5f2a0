"""The help desk's browser forms. They check the shape of the input; the services hold the rules
(their refusals come back onto the fields with ``agencies.forms.add_service_errors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import TraderAccount, User

from .models import Category, RequestStatus

CATEGORY_HINTS = {
    Category.DECLARATION: _("A declaration's status, a question from an agency, a decision."),
    Category.PAYMENT: _("Duties and taxes, a payment, a guarantee or a statement."),
    Category.TECHNICAL: _("A page or the API does not work as it should."),
    Category.ACCESS: _("Signing in, two-step verification, who may act for your account."),
    Category.OTHER: _("Anything else."),
}

SCORE_CHOICES = [
    ("5", _("5 – Very satisfied")),
    ("4", _("4 – Satisfied")),
    ("3", _("3 – Neither satisfied nor dissatisfied")),
    ("2", _("2 – Dissatisfied")),
    ("1", _("1 – Very dissatisfied")),
]


class _AccountChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: TraderAccount) -> str:
        return f"{obj.name} ({obj.eori})"


class ServiceRequestForm(forms.Form):
    """A new request. ``accounts``: those the user may act for (the field is left out when it has
    none; with one, it is preselected)."""

    category = forms.ChoiceField(
        label=_("What is it about?"),
        choices=Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what your request is about.")},
    )
    trader_account = _AccountChoice(
        label=_("For which trader account?"),
        queryset=TraderAccount.objects.none(),
        required=False,
        empty_label=_("Not about one account"),
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "input--long"}),
        error_messages={"required": _("Give your request a subject.")},
    )
    body = forms.CharField(
        label=_("Your question"),
        max_length=5000,
        help_text=_("Say what you tried and what happened. Do not write passwords or card numbers."),
        widget=forms.Textarea(attrs={"rows": 6, "class": "input--long"}),
        error_messages={"required": _("Write your question.")},
    )
    page = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    declaration = forms.CharField(required=False, max_length=18, widget=forms.HiddenInput)

    def __init__(self, *args: Any, accounts: QuerySet[TraderAccount], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trader_account"].queryset = accounts  # type: ignore[attr-defined]

    def category_choices(self) -> list[dict[str, Any]]:
        """The radios with their hints, for ``portal/parts/_radios.html``."""
        return [
            {"widget": choice, "hint": CATEGORY_HINTS.get(choice.data["value"], "")}
            for choice in self["category"]
        ]


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "class": "input--long"}),
        error_messages={"required": _("Write your reply.")},
    )


class AnswerForm(forms.Form):
    body = forms.CharField(
        label=_("Answer to the trader"),
        max_length=5000,
        help_text=_("The trader reads this and is notified."),
        widget=forms.Textarea(attrs={"rows": 5, "class": "input--long"}),
        error_messages={"required": _("Write the answer.")},
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Internal note"),
        max_length=5000,
        help_text=_("Only the help desk sees it."),
        widget=forms.Textarea(attrs={"rows": 3, "class": "input--long"}),
        error_messages={"required": _("Write the note.")},
    )


class _StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


class AssignForm(forms.Form):
    assignee = _StaffChoice(
        label=_("Assign to"), queryset=User.objects.none(), required=False, empty_label=_("Nobody")
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff  # type: ignore[attr-defined]


OVERDUE_CHOICES = [("", _("Any")), ("yes", _("Overdue only"))]


class DeskFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Not closed")), *RequestStatus.choices, ("all", _("Any status"))],
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("Any")), *Category.choices]
    )
    overdue = forms.ChoiceField(label=_("Service level"), required=False, choices=OVERDUE_CHOICES)
    assigned = forms.ChoiceField(
        label=_("Assigned"),
        required=False,
        choices=[("", _("Anyone or nobody")), ("me", _("To me")), ("nobody", _("To nobody"))],
    )


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how this declaration was handled?"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are, from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "class": "input--long"}),
    )

    def score_choices(self) -> list[dict[str, Any]]:
        return [{"widget": choice, "hint": ""} for choice in self["score"]]
