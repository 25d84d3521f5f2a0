"""The portal's front door: sign in, sign out, and the signed-in user's account area (password and
API tokens). The home page is the portal's (``portal.views.home``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.messages.views import SuccessMessageMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from singlewindow.errors import DomainError, NotFound

from . import services
from .access import accounts_member_of
from .forms import ResponseEndpointForm, TokenCreateForm
from .models import User
from .two_factor import user_has_2fa


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own settings: password, two-step verification and API tokens."""
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "accounts/account.html",
        {
            "nav": "account",
            "active_tokens": services.api_tokens_active(user=user).count(),
            "two_factor_on": user_has_2fa(user),
        },
    )


@never_cache
@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """List the user's API tokens and make a new one; its key is shown in this answer only."""
    user: User = request.user  # type: ignore[assignment]
    new_key = None
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = services.api_token_create(user=user, name=form.cleaned_data["name"])
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            form = TokenCreateForm()
    return render(
        request,
        "accounts/tokens.html",
        {
            "nav": "account",
            "form": form,
            "new_key": new_key,
            "ttl_days": settings.SW_TOKEN_TTL_DAYS,
            "tokens": list(services.api_tokens_active(user=user)),
        },
    )


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = services.api_token_revoke(user=request.user, token_id=token_id)  # type: ignore[arg-type]
    except NotFound as error:
        raise Http404(error.message) from error
    messages.success(request, _("Token “%(name)s” is revoked: it no longer works.") % {"name": token.name})
    return redirect("tokens")


@never_cache
@login_required
def response_endpoints(request: HttpRequest) -> HttpResponse:
    """Each trader account the user is a member of, and where its DMS responses are pushed.

    Only members register an account's endpoint (a broker that represents an account does not: it
    registers its own account's). A generated secret is shown in this answer only.
    """
    user: User = request.user  # type: ignore[assignment]
    accounts = list(accounts_member_of(user).order_by("name"))
    generated = ""
    changed_pk = None
    forms = {a.pk: ResponseEndpointForm(account=a, prefix=f"a{a.pk}") for a in accounts}
    if request.method == "POST":
        raw_pk = request.POST.get("account", "")
        account = next((a for a in accounts if str(a.pk) == raw_pk), None)
        if account is None:
            raise Http404(_("No such account."))
        form = ResponseEndpointForm(request.POST, account=account, prefix=f"a{account.pk}")
        forms[account.pk] = form
        if form.is_valid():
            secret = form.new_secret_value()
            if form.cleaned_data.get("generate_secret"):
                generated = secret
            services.response_endpoint_set(
                account=account, actor=user, url=form.cleaned_data["response_url"], secret=secret
            )
            messages.success(request, _("The endpoint of %(name)s is saved.") % {"name": account.name})
            if not generated:
                return redirect("response-endpoints")
            changed_pk = account.pk
            account.refresh_from_db()
            forms[account.pk] = ResponseEndpointForm(account=account, prefix=f"a{account.pk}")
    return render(
        request,
        "accounts/response_endpoints.html",
        {
            "nav": "account",
            "entries": [(a, forms[a.pk]) for a in accounts],
            "generated_secret": generated,
            "changed_pk": changed_pk,
        },
    )


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    success_url = reverse_lazy("account")
    success_message = gettext_lazy(
        "Your password is changed. Your API tokens were revoked: create new ones for your systems."
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Always the same answer, whether or not the address belongs to a user, and whether or not an
    e-mail is sent: past SW_PASSWORD_RESET_PER_HOUR for one address, none is (no mailbox flooding)."""

    email_template_name = "registration/password_reset_email.txt"

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if services.password_reset_allowed(email=form.cleaned_data["email"]):
            return super().form_valid(form)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(SuccessMessageMixin, auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("login")
    success_message = gettext_lazy("Your new password is set. Sign in with it.")
