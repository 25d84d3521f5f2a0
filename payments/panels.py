"""The money box on the declaration page (``declarations.panels``): what is charged, paid,
secured and still outstanding, the payments made and their status, and the buttons to pay.

``PaymentsConfig.ready`` registers ``money_panel``. Only members of the trader account and the
brokers it authorised see the buttons; a supervisor or cashier sees the box without them; agency
officers do not see it (money is customs' business, not the agencies').
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from accounts.models import Role, User
from declarations.models import Declaration

from .models import OPEN_STATUSES, Payment, PaymentMethod, PaymentStatus
from .money import quantize
from .payments import NOT_PAYABLE, may_pay
from .providers import provider_for_method
from .status import MoneyState, money_status

ZERO = Decimal(0)


def declaration_payments(declaration: Declaration) -> list[Payment]:
    """The declaration's payments, newest first, each with ``allocated``: what it pays of this
    declaration (a payment may pay several). One query."""
    return list(
        Payment.objects.filter(allocations__declaration=declaration)
        .annotate(allocated=F("allocations__amount"))
        .order_by("-created_at", "-pk")
    )


def money_panel(request: HttpRequest, declaration: Declaration) -> SafeString:
    user: User = request.user  # type: ignore[assignment]
    if declaration.mrn is None or user.role is Role.OFFICER:
        return SafeString("")
    status = money_status(declaration)
    payments = declaration_payments(declaration)
    held = sum((p.allocated for p in payments if p.status in OPEN_STATUSES), ZERO)  # type: ignore[attr-defined]
    payable = quantize(max(status.outstanding - held, ZERO), status.currency)
    # Whether the user may pay is asked only when there is something to pay (one query saved).
    can_pay = (
        payable > 0 and declaration.status not in NOT_PAYABLE and may_pay(user, declaration.trader_account_id)
    )
    charged = status.charged
    context = {
        "declaration": declaration,
        "status": status,
        "state": status.state.value,
        "charged": quantize(charged, status.currency),
        "paid": quantize(max(charged - status.outstanding, ZERO), status.currency) if charged > 0 else ZERO,
        "outstanding": quantize(max(status.outstanding, ZERO), status.currency),
        "credit": quantize(-status.outstanding, status.currency) if status.outstanding < 0 else None,
        "secured": status.security if status.state is MoneyState.SECURED else None,
        "payments": payments,
        "pending": [p for p in payments if p.status == PaymentStatus.AWAITING_CONFIRMATION],
        "awaiting_funds": [p for p in payments if p.status == PaymentStatus.AWAITING_FUNDS],
        "payable": payable,
        "can_pay": can_pay,
        "card_available": provider_for_method(PaymentMethod.CARD) is not None,
    }
    return render_to_string("payments/_money_panel.html", context, request=request)
