"""Two-step verification pages: the code after the password, setting up an authenticator, recovery
codes, and turning it off where the role allows. The rules are in ``accounts.two_factor``."""

from __future__ import annotations

from typing import Any

import django_otp
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import two_factor
from .two_factor import SESSION_ENROLLED, SESSION_NEW_CODES, TwoFactorError


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        strip=True,
        error_messages={
            "required": gettext_lazy(
                "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
            )
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "class": "input--medium",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args: Any, help_text: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = help_text


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _frame(request: HttpRequest) -> str:
    """A session still owing a code gets the bare frame: the portal's navigation would only lead back."""
    if two_factor.user_needs_verification(request):
        return "accounts/two_factor_frame.html"
    return "base_portal.html"


def _mark_verified(request: HttpRequest, device: Any) -> None:
    # A new session key at the change of privilege, as at sign-in.
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[SESSION_ENROLLED] = True


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    user = request.user
    next_url = _next_url(request)
    if user.is_verified():  # type: ignore[union-attr]
        return redirect(next_url)
    if not two_factor.user_has_2fa(user):  # type: ignore[arg-type]
        request.session[SESSION_ENROLLED] = False
        if two_factor.user_requires_2fa(user):
            return redirect(f"{reverse('two_factor_setup')}?{request.GET.urlencode()}")
        return redirect(next_url)
    form = CodeForm(
        request.POST or None,
        help_text=_("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
    )
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.two_factor_verify(user=user, code=form.cleaned_data["code"])  # type: ignore[arg-type]
        except TwoFactorError as error:
            form.add_error("code", error.message)
        else:
            _mark_verified(request, device)
            return redirect(next_url)
    demo_device = (
        settings.SW_EMBEDDED
        and TOTPDevice.objects.filter(user=user, name=two_factor.DEMO_DEVICE_NAME, confirmed=True).exists()
    )
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": next_url, "frame": _frame(request), "demo_device": demo_device},
    )


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), confirm with a code."""
    user = request.user
    if two_factor.user_has_2fa(user) and not user.is_verified():  # type: ignore[arg-type, union-attr]
        # Whoever has only the password must not be able to replace the authenticator.
        return redirect(f"{reverse('two_factor_verify')}?{request.GET.urlencode()}")
    device = two_factor.totp_device_pending(user=user)  # type: ignore[arg-type]
    form = CodeForm(request.POST or None, help_text=_("The 6-digit code your authenticator app shows now."))
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.totp_confirm(user=user, device=device, code=form.cleaned_data["code"])  # type: ignore[arg-type]
        except TwoFactorError as error:
            form.add_error("code", error.message)
        else:
            device.refresh_from_db()
            _mark_verified(request, device)
            request.session[SESSION_NEW_CODES] = codes
            messages.success(request, _("Two-step verification is on."))
            return redirect(f"{reverse('two_factor_recovery_codes')}?{request.GET.urlencode()}")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": two_factor.totp_qr_svg(device),
            "secret": two_factor.totp_secret(device),
            "required": two_factor.user_requires_2fa(user),
            "replacing": two_factor.user_has_2fa(user),  # type: ignore[arg-type]
            "frame": _frame(request),
        },
    )


@never_cache
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once; or, afterwards, how many are left and a way to replace them."""
    user = request.user
    if not user.is_verified():  # type: ignore[union-attr]
        return redirect("two_factor")
    if request.method == "POST":
        request.session[SESSION_NEW_CODES] = two_factor.recovery_codes_replace(user=user)  # type: ignore[arg-type]
        messages.success(request, _("New recovery codes made. The old ones no longer work."))
        return redirect("two_factor_recovery_codes")
    codes = request.session.pop(SESSION_NEW_CODES, None)
    return render(
        request,
        "accounts/two_factor_recovery_codes.html",
        {
            "codes": codes,
            "left": two_factor.recovery_codes_left(user=user),  # type: ignore[arg-type]
            "next": _next_url(request),
            "nav": "account",
        },
    )


@never_cache
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Whether two-step verification is on, and what the user may do about it."""
    user = request.user
    enrolled = two_factor.user_has_2fa(user)  # type: ignore[arg-type]
    return render(
        request,
        "accounts/two_factor.html",
        {
            "enrolled": enrolled,
            "required": two_factor.user_requires_2fa(user),
            "left": two_factor.recovery_codes_left(user=user) if enrolled else 0,  # type: ignore[arg-type]
            "disable_form": CodeForm(help_text=_("A code from your authenticator app, or a recovery code.")),
            "nav": "account",
        },
    )


@never_cache
@login_required
@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    """Turn two-step verification off (traders and brokers), confirmed with a code."""
    user = request.user
    form = CodeForm(request.POST, help_text=_("A code from your authenticator app, or a recovery code."))
    if form.is_valid():
        try:
            two_factor.two_factor_disable(user=user, code=form.cleaned_data["code"])  # type: ignore[arg-type]
        except TwoFactorError as error:
            form.add_error("code", error.message)
        else:
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            request.session[SESSION_ENROLLED] = False
            messages.success(request, _("Two-step verification is off."))
            return redirect("two_factor")
    return render(
        request,
        "accounts/two_factor.html",
        {
            "enrolled": True,
            "required": two_factor.user_requires_2fa(user),
            "left": two_factor.recovery_codes_left(user=user),  # type: ignore[arg-type]
            "disable_form": form,
            "nav": "account",
        },
    )
