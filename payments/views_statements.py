"""The trader's statement page: a deferment account's month, its lines with due dates, the total,
and "Pay this statement" (one payment through the payment flow, allocated over its declarations).

Members of the trader account and the brokers authorised to represent it see and pay it; customs
staff who work on money (supervisors, administrators, cashiers) see any. The same 404 for missing
and not yours.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.access import accounts_actable
from accounts.models import Role, User
from singlewindow.errors import DomainError

from .models import Payment, PaymentMethod, Statement, StatementStatus
from .payments import may_pay
from .providers import provider_for_method
from .statements import month_label, statement_pay_start, statement_with_lines

METHOD_HINTS: dict[str, Any] = {
    PaymentMethod.CARD: gettext_lazy(
        "Pay now at the payment provider's page; the statement is paid when it confirms."
    ),
    PaymentMethod.BANK_TRANSFER: gettext_lazy(
        "You get a payment reference to quote on the transfer; "
        "the statement is paid when customs receives it."
    ),
}


class StatementPayForm(forms.Form):
    method = forms.ChoiceField(label=gettext_lazy("How do you want to pay?"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["method"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (value, label)
            for value, label in PaymentMethod.choices
            if value != PaymentMethod.CARD or provider_for_method(PaymentMethod.CARD) is not None
        ]
        field.error_messages["required"] = _("Choose how to pay.")

    def choice_hints(self) -> list[dict[str, Any]]:
        return [{"widget": w, "hint": METHOD_HINTS.get(str(w.data["value"]), "")} for w in self["method"]]


def _customs_staff(user: User) -> bool:
    return user.role in (Role.SUPERVISOR, Role.ADMIN) or str(user.role or "") == "cashier"


def access_statement(user: User, account_id: int, statement_id: int) -> Statement:
    """The statement of that trader account if the user may see it; 404 for missing and not yours."""
    if not user.is_authenticated or not user.is_active:
        raise Http404("No such statement.")
    statement = statement_with_lines(statement_id)
    if statement is None or statement.facility.trader_account_id != account_id:
        raise Http404("No such statement.")
    if not _customs_staff(user) and not accounts_actable(user).filter(pk=account_id).exists():
        raise Http404("No such statement.")
    return statement


@login_required
@require_http_methods(["GET", "POST"])
def statement_page(request: HttpRequest, account_id: int, statement_id: int) -> HttpResponse:
    """GET: the statement. POST: pay it (one payment), then to the provider's page or back here."""
    user: User = request.user  # type: ignore[assignment]
    statement = access_statement(user, account_id, statement_id)
    payable = statement.status in (StatementStatus.OPEN, StatementStatus.OVERDUE) and may_pay(
        user, account_id
    )
    form = StatementPayForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not payable:
            raise Http404("No such statement to pay.")
        if form.is_valid():
            here = reverse("payments:statement", args=[account_id, statement_id])
            try:
                payment = statement_pay_start(
                    statement=statement,
                    user=user,
                    method=form.cleaned_data["method"],
                    return_url=request.build_absolute_uri(here),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if payment.redirect_url:
                    return redirect(payment.redirect_url)
                messages.success(
                    request,
                    _(
                        "Transfer %(amount)s %(currency)s quoting the payment reference %(reference)s: "
                        "the statement is paid when customs receives it."
                    )
                    % {
                        "amount": f"{payment.amount:,.2f}",
                        "currency": payment.currency,
                        "reference": payment.reference,
                    },
                )
                return redirect(here)
        status = 400
    # The payment started for it, while it is under way (a card being confirmed, a transfer awaited).
    pending = (
        Payment.objects.filter(pk=statement.payment_id).first()
        if statement.payment_id and statement.status != StatementStatus.PAID
        else None
    )
    return render(
        request,
        "payments/statements/statement.html",
        {
            "pending": pending if pending is not None and pending.is_open else None,
            "statement": statement,
            "account": statement.facility.trader_account,
            "lines": list(statement.lines.all()),
            "month": month_label(statement.period_start),
            "payable": payable,
            "form": form,
        },
        status=status,
    )
