"""The browser forms of the agency pages: queue filters, an officer's decision, a trader's answer,
and the administrator's agency form (its webhook endpoint and write-only secret).

They check the shape of the input only. Whether a reason is required, whether a file is
acceptable and whether the review may be decided are the services' rules
(``agencies.services``); their errors are put back on the fields with ``add_service_errors``.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.template.defaultfilters import filesizeformat
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from declarations.forms import UpperCharField
from singlewindow import egress
from singlewindow.errors import DomainError

from .models import Agency, ReviewStatus
from .selectors import QueueView
from .services import MAX_ATTACHMENTS

AGE_CHOICES = [
    ("", _("Any age")),
    ("4", _("Waiting 4 hours or more")),
    ("24", _("Waiting 1 day or more")),
    ("72", _("Waiting 3 days or more")),
    ("168", _("Waiting 1 week or more")),
]

QUEUE_TABS = [
    (QueueView.PENDING, _("Waiting")),
    (QueueView.MINE, _("Mine")),
    (QueueView.OVERDUE, _("Overdue")),
    (QueueView.DECIDED, _("Decided")),
]

hs_prefix_validator = RegexValidator(
    r"^\d{2,10}$", _("Enter 2 to 10 digits of the commodity code, like 0603.")
)


class QueueFilterForm(forms.Form):
    """The filters above an officer's queue; the tab travels with them."""

    tab = forms.ChoiceField(choices=QUEUE_TABS, required=False, widget=forms.HiddenInput)
    mrn = UpperCharField(label=_("MRN"), required=False, max_length=18)
    trader = forms.CharField(
        label=_("Trader"), required=False, max_length=200, help_text=_("EORI or part of the name")
    )
    hs_prefix = forms.CharField(
        label=_("Commodity code starts with"),
        required=False,
        max_length=10,
        validators=[hs_prefix_validator],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )
    age = forms.ChoiceField(label=_("Age"), required=False, choices=AGE_CHOICES)

    def clean_hs_prefix(self) -> str:
        return "".join(str(self.cleaned_data.get("hs_prefix") or "").split()).replace(".", "")

    @property
    def current_tab(self) -> QueueView:
        value = self.data.get("tab") if self.is_bound else ""
        return QueueView(str(value)) if value in QueueView._value2member_map_ else QueueView.PENDING


DECISION_CHOICES = [
    (ReviewStatus.APPROVED.value, _("Approve")),
    (ReviewStatus.REJECTED.value, _("Reject")),
    (ReviewStatus.INFO_REQUESTED.value, _("Ask the trader for information")),
    (ReviewStatus.INSPECTION_REQUIRED.value, _("Require a physical inspection")),
]
DECISION_HINTS = {
    ReviewStatus.APPROVED.value: _("The agency has no objection to releasing these goods."),
    ReviewStatus.REJECTED.value: _("The goods may not be released. Give the reason: the trader sees it."),
    ReviewStatus.INFO_REQUESTED.value: _(
        "The review waits for the trader's answer. Write your question in the box below."
    ),
    ReviewStatus.INSPECTION_REQUIRED.value: _(
        "The goods must be inspected before you decide. The review stays with you."
    ),
}


class DecisionForm(forms.Form):
    """An officer's decision on a review it holds: one outcome and, where needed, a reason."""

    outcome = forms.ChoiceField(
        label=_("Your decision"),
        choices=DECISION_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a decision.")},
    )
    reason = forms.CharField(
        label=_("Reason or question"),
        required=False,
        max_length=4000,
        help_text=_(
            "Required when you reject (the reason is sent to the trader) or ask for information "
            "(this is the question the trader answers)."
        ),
        widget=forms.Textarea(attrs={"rows": 5, "class": "input--long"}),
    )

    def __init__(self, *args: Any, inspection_done: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if inspection_done:
            # After an inspection the officer approves or rejects (or asks the trader); not again.
            field = self.fields["outcome"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [c for c in DECISION_CHOICES if c[0] != ReviewStatus.INSPECTION_REQUIRED.value]

    def choice_hints(self) -> list[dict[str, Any]]:
        """Each radio button with its hint, for a template that puts the hint under the label."""
        return [
            {"widget": widget, "hint": DECISION_HINTS.get(str(widget.data["value"]), "")}
            for widget in self["outcome"]
        ]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files from one ``<input type=file multiple>``."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


ATTACHMENT_ACCEPT = (
    ".pdf,.png,.jpg,.jpeg,.xml,.txt,application/pdf,image/png,image/jpeg,application/xml,text/plain"
)


def attachment_limits_text() -> str:
    return gettext("PDF, PNG, JPEG, XML or plain text; up to %(n)s files of %(size)s each.") % {
        "n": MAX_ATTACHMENTS,
        "size": filesizeformat(settings.SW_MAX_ATTACHMENT_BYTES),
    }


class AnswerForm(forms.Form):
    """The trader's answer to an agency's question: text, and files if they help."""

    answer = forms.CharField(
        label=_("Your answer"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 5, "class": "input--long"}),
        error_messages={"required": _("Write an answer to the agency's question.")},
    )
    attachments = MultipleFileField(
        label=_("Attach files (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachment_limits_text()


def add_service_errors(form: forms.Form, error: DomainError, *, default_field: str) -> None:
    """Put a service's refusal beside the field it names (its ``pointer``), else ``default_field``."""
    for entry in error.errors:
        pointer = str(entry.get("pointer") or "")
        field = pointer if pointer in form.fields else default_field
        form.add_error(field, str(entry.get("message") or error.message))


def error_summary(form: forms.Form) -> list[dict[str, str]]:
    """The form's errors for the summary at the top of the page, each linking to its field."""
    entries = []
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS:
            entries += [{"anchor": "", "label": "", "message": str(e)} for e in errors]
            continue
        bound = form[name]
        widget_id = bound.id_for_label or bound.auto_id
        if isinstance(form.fields[name].widget, forms.RadioSelect):
            widget_id = f"{bound.auto_id}_0"
        entries += [{"anchor": widget_id, "label": str(bound.label), "message": str(e)} for e in errors]
    return entries


# A typed secret at least this long; a generated one is 43 characters (32 random bytes).
MIN_SECRET_LENGTH = 24


class AgencyAdminForm(forms.ModelForm):
    """An agency in the admin. The webhook secret is write-only: the form says whether one is set,
    never what it is; left empty it stays as it is; "generate" makes a new one, shown once after
    saving (``generated_secret``). The endpoint is checked as deliveries check it
    (``singlewindow.egress``): https, and a host that resolves only to public addresses.
    """

    webhook_url = forms.URLField(
        label=capfirst(Agency._meta.get_field("webhook_url").verbose_name),
        required=False,
        max_length=200,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField"}),
        help_text=Agency._meta.get_field("webhook_url").help_text,
    )
    new_webhook_secret = forms.CharField(
        label=_("New webhook secret"),
        required=False,
        strip=True,
        min_length=MIN_SECRET_LENGTH,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    generate_webhook_secret = forms.BooleanField(
        label=_("Generate a new secret"),
        required=False,
        help_text=_("The new secret is shown once, after saving: copy it into the agency's system then."),
    )

    class Meta:
        model = Agency
        # Not the secret itself: it is written through new_webhook_secret and never rendered.
        fields = (
            "code",
            "name",
            "is_customs",
            "service_level_hours",
            "is_active",
            "auto_decide",
            "webhook_url",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.generated_secret = ""
        self.secret_changed = False
        has_secret = bool(self.instance.webhook_secret)
        current = gettext("Currently: set.") if has_secret else gettext("Currently: not set.")
        self.fields["new_webhook_secret"].help_text = " ".join(
            [
                current,
                gettext("Shared with the agency's system to sign each delivery (HMAC-SHA256)."),
                gettext("Type a new one (at least %(n)s characters) to replace it; leave empty to keep it.")
                % {"n": MIN_SECRET_LENGTH},
            ]
        )

    def clean_webhook_url(self) -> str:
        url = str(self.cleaned_data.get("webhook_url") or "").strip()
        if url:
            # Where private addresses are allowed (embedded mode, tests, closed networks) there is
            # nothing to learn from the addresses: the URL alone is checked, nothing resolved.
            check = egress.url_check if settings.SW_WEBHOOK_ALLOW_PRIVATE else egress.destination_check
            try:
                check(url)
            except egress.UnsafeDestination as exc:
                raise forms.ValidationError(str(exc), code="unsafe_destination") from None
        return url

    def clean_auto_decide(self) -> bool:
        value = bool(self.cleaned_data.get("auto_decide"))
        if value and not settings.SW_AUTO_DECIDE_ALLOWED:
            raise forms.ValidationError(
                gettext(
                    "Automatic decisions approve goods with nobody looking: they are for demonstrations "
                    "and load tests, and this installation does not allow them (SW_AUTO_DECIDE_ALLOWED)."
                ),
                code="auto_decide_not_allowed",
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        typed = cleaned.get("new_webhook_secret") or ""
        generate = bool(cleaned.get("generate_webhook_secret"))
        if typed and generate:
            self.add_error(
                "generate_webhook_secret", gettext("Either type a new secret or generate one, not both.")
            )
        has_secret = bool(self.instance.webhook_secret) or bool(typed) or generate
        if cleaned.get("webhook_url") and not has_secret and "new_webhook_secret" not in self.errors:
            self.add_error(
                "new_webhook_secret",
                gettext(
                    "A webhook endpoint needs a secret to sign its deliveries: type one, or tick "
                    "“Generate a new secret”."
                ),
            )
        return cleaned

    def save(self, commit: bool = True) -> Agency:
        if self.cleaned_data.get("generate_webhook_secret"):
            self.generated_secret = secrets.token_urlsafe(32)
            self.instance.webhook_secret = self.generated_secret
            self.secret_changed = True
        elif self.cleaned_data.get("new_webhook_secret"):
            self.instance.webhook_secret = self.cleaned_data["new_webhook_secret"]
            self.secret_changed = True
        agency: Agency = super().save(commit=commit)
        return agency
