"""Whether a declaration's money lets its goods go: paid, secured, nothing due, or still due.

``money_status`` reads the declaration's entries on its trader's ledger account and any security
open for it; ``paid_or_secured`` is what consolidation asks before it releases.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from declarations.models import Declaration

from .ledger import declaration_totals
from .models import Security
from .money import home_currency


class MoneyState(enum.StrEnum):
    NOTHING_DUE = "nothing_due"  # nothing charged (or everything credited back)
    DUE = "due"  # charges outstanding, no security
    PAID = "paid"  # charges paid in full
    SECURED = "secured"  # charges outstanding but held against a guarantee or deferment account


@dataclass(frozen=True)
class MoneyStatus:
    state: MoneyState
    charged: Decimal
    outstanding: Decimal
    currency: str
    security: Security | None = None

    @property
    def settled(self) -> bool:
        """Paid, secured or nothing due: the money does not hold the goods."""
        return self.state is not MoneyState.DUE

    @property
    def label(self) -> str:
        return {
            MoneyState.NOTHING_DUE: _("Nothing to pay"),
            MoneyState.DUE: _("Payment due"),
            MoneyState.PAID: _("Paid"),
            MoneyState.SECURED: _("Secured"),
        }[self.state]

    @property
    def open_condition(self) -> str:
        """The condition still holding the goods, in plain words; empty when settled."""
        if self.settled:
            return ""
        return _("Duties and fees of %(amount)s %(currency)s to be paid or secured.") % {
            "amount": f"{self.outstanding:,}",
            "currency": self.currency,
        }


def money_state(*, charged: Decimal, outstanding: Decimal, secured: Decimal | None) -> MoneyState:
    """The one rule: nothing outstanding is paid (or nothing due, when nothing was charged); an
    open security covering what is outstanding secures it; anything else is due."""
    if outstanding <= 0:
        return MoneyState.PAID if charged > 0 else MoneyState.NOTHING_DUE
    if secured is not None and secured >= outstanding:
        return MoneyState.SECURED
    return MoneyState.DUE


def money_status(declaration: Declaration) -> MoneyStatus:
    """The declaration's money condition: one query, and one more for its security when money is owed."""
    currency = home_currency()
    charged, outstanding = declaration_totals(declaration.pk, currency)
    security = None
    if outstanding > 0:
        security = (
            Security.objects.filter(declaration=declaration, released_at__isnull=True)
            .select_related("facility")
            .first()
        )
    state = money_state(
        charged=charged, outstanding=outstanding, secured=security.amount if security is not None else None
    )
    return MoneyStatus(
        state=state,
        charged=charged,
        outstanding=outstanding,
        currency=currency,
        security=security if state is MoneyState.SECURED else None,
    )


def paid_or_secured(declaration: Declaration) -> bool:
    return money_status(declaration).settled
