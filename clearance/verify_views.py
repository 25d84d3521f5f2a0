"""The gate's check of a release note (``/verify/`` and ``/verify/<code>/``): public, no sign-in.

Looked up by the verification code alone, never by MRN, so the page is no oracle for which
declarations exist; codes that are not known are counted per client address and past
``SW_VERIFY_MISSES_PER_HOUR`` the page refuses (429) for the rest of the hour. It shows what a gate
needs to match the goods in front of it to a release, and none of the trader's values or duties.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.security import lockout_address

from .release_note import Verification, release_verify
from .verification import verification_code_normalise

MISS_WINDOW = 3600


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        help_text=gettext_lazy(
            "12 letters and digits as printed on the release note, for example ABCD-EFGH-JKMN."
        ),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "class": "input--medium mono",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self) -> str:
        code = verification_code_normalise(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                _("Enter the 12 letters and digits of the code as printed on the release note."),
                code="format",
            )
        return code


def _miss_key(request: HttpRequest) -> str:
    return f"verify-miss:{lockout_address(request)}"


def _blocked(request: HttpRequest) -> bool:
    limit = settings.SW_VERIFY_MISSES_PER_HOUR
    return int(cache.get(_miss_key(request), 0)) >= limit


def _count_miss(request: HttpRequest) -> None:
    key = _miss_key(request)
    # add() starts the hour's window only once; incr() keeps its expiry.
    cache.add(key, 0, MISS_WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, MISS_WINDOW)


def _page(request: HttpRequest, context: dict[str, object], status: int = 200) -> HttpResponse:
    response = render(request, "clearance/verify.html", {"nav": "verify", **context}, status=status)
    # The code is the secret: nothing keeps the page, and links from it do not pass its address on.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _too_many(request: HttpRequest) -> HttpResponse:
    return _page(request, {"form": VerifyForm(), "too_many": True}, status=429)


@require_GET
def verify_form(request: HttpRequest) -> HttpResponse:
    """Type a code (``?code=``): a well-formed one goes to its page, anything else is explained here."""
    if "code" not in request.GET:
        return _page(request, {"form": VerifyForm()})
    if _blocked(request):
        return _too_many(request)
    form = VerifyForm(request.GET)
    if form.is_valid():
        return redirect("verify", code=form.cleaned_data["code"])
    _count_miss(request)
    errors = [
        {"anchor": "id_code", "label": _("Verification code"), "message": e} for e in form.errors["code"]
    ]
    return _page(request, {"form": form, "errors": errors}, status=400)


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Whether the release with this code stands: valid, no longer valid, or unknown (404)."""
    if _blocked(request):
        return _too_many(request)
    result: Verification = release_verify(code)
    if result.state == "unknown":
        _count_miss(request)
    return _page(
        request,
        {"form": VerifyForm(initial={"code": code}), "result": result, "code": code},
        status=404 if result.state == "unknown" else 200,
    )
