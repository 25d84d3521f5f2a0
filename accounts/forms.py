from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from singlewindow import egress

from .models import TraderAccount

# A typed secret at least this long; a generated one is 43 characters (32 random bytes).
MIN_SECRET_LENGTH = 24


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, such as the system that will use it."),
        error_messages={"required": _("Enter a name for the token.")},
    )


def endpoint_url_clean(url: str) -> str:
    """An endpoint URL as deliveries will use it: https, and only public addresses (``egress``)."""
    url = (url or "").strip()
    if url:
        try:
            egress.registration_check(url)
        except egress.UnsafeDestination as exc:
            raise forms.ValidationError(str(exc), code="unsafe_destination") from None
    return url


class ResponseEndpointForm(forms.Form):
    """A trader account's own endpoint for DMS responses. The secret is write-only: the form says
    whether one is set, never what it is; left empty it stays; "generate" makes a new one, shown
    once (``generated_secret``). Clearing the URL stops the pushes."""

    response_url = forms.URLField(
        label=_("Endpoint URL"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("An https address of your own system. Leave empty to stop the pushes."),
    )
    new_secret = forms.CharField(
        label=_("New secret"),
        required=False,
        strip=True,
        min_length=MIN_SECRET_LENGTH,
        max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    generate_secret = forms.BooleanField(
        label=_("Generate a new secret"),
        required=False,
        help_text=_("The new secret is shown once, after saving: copy it into your system then."),
    )

    def __init__(self, *args: Any, account: TraderAccount, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"response_url": account.response_url})
        super().__init__(*args, **kwargs)
        self.account = account
        has_secret = bool(account.response_secret)
        current = gettext("Currently: set.") if has_secret else gettext("Currently: not set.")
        self.fields["new_secret"].help_text = " ".join(
            [
                current,
                gettext("Shared with your system to sign each push (HMAC-SHA256)."),
                gettext("Type a new one (at least %(n)s characters) to replace it; leave empty to keep it.")
                % {"n": MIN_SECRET_LENGTH},
            ]
        )

    def clean_response_url(self) -> str:
        return endpoint_url_clean(self.cleaned_data.get("response_url") or "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        typed = cleaned.get("new_secret") or ""
        generate = bool(cleaned.get("generate_secret"))
        if typed and generate:
            self.add_error("generate_secret", gettext("Either type a new secret or generate one, not both."))
        has_secret = bool(self.account.response_secret) or bool(typed) or generate
        if cleaned.get("response_url") and not has_secret and "new_secret" not in self.errors:
            self.add_error(
                "new_secret",
                gettext(
                    "An endpoint needs a secret to sign what is pushed to it: type one, or tick "
                    "“Generate a new secret”."
                ),
            )
        return cleaned

    def new_secret_value(self) -> str:
        """The secret to store ("" keeps the current one); a generated one is kept to show once."""
        if self.cleaned_data.get("generate_secret"):
            return secrets.token_urlsafe(32)
        return str(self.cleaned_data.get("new_secret") or "")


class TraderAccountAdminForm(forms.ModelForm):
    """A trader account in the admin; its response endpoint's secret is write-only, as on the
    trader's own page (``ResponseEndpointForm``)."""

    response_url = forms.URLField(
        label=_("Response endpoint"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("Where the account's DMS responses are pushed (https, public addresses only)."),
    )
    new_response_secret = forms.CharField(
        label=_("New response endpoint secret"),
        required=False,
        strip=True,
        min_length=MIN_SECRET_LENGTH,
        max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current secret. It is never shown."),
    )

    class Meta:
        model = TraderAccount
        # Not the secret itself: it is written through new_response_secret and never rendered.
        fields = (
            "eori",
            "name",
            "country",
            "is_active",
            "is_broker",
            "aeo_tier",
            "aeo_reference",
            "aeo_valid_from",
            "aeo_valid_until",
            "response_url",
        )

    def clean_response_url(self) -> str:
        return endpoint_url_clean(self.cleaned_data.get("response_url") or "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        typed = cleaned.get("new_response_secret") or ""
        missing = cleaned.get("response_url") and not (self.instance.response_secret or typed)
        if missing and "new_response_secret" not in self.errors:
            self.add_error(
                "new_response_secret", gettext("An endpoint needs a secret to sign what is pushed to it.")
            )
        since, until = cleaned.get("aeo_valid_from"), cleaned.get("aeo_valid_until")
        if since and until and until < since:
            self.add_error("aeo_valid_until", gettext("The authorisation cannot end before it starts."))
        if (since or until or cleaned.get("aeo_reference")) and not cleaned.get("aeo_tier"):
            self.add_error("aeo_tier", gettext("Choose the AEO tier the authorisation grants."))
        return cleaned

    def save(self, commit: bool = True) -> TraderAccount:
        if self.cleaned_data.get("new_response_secret"):
            self.instance.response_secret = self.cleaned_data["new_response_secret"]
        account: TraderAccount = super().save(commit=commit)
        return account
