"""What the clearance pipeline asks of payments, in its own transaction under the declaration's lock.

``declaration_assess`` is called by routing and by re-routing after an amendment: it assesses the
version in force (``assessment.assess``; nothing new when that version was assessed already),
posts the charge — or, for a re-assessment, the difference per revenue code as an adjustment —
and fits the declaration's security to what is now outstanding (``facilities.security_sync``:
held against a guarantee or deferment account when one covers it, released when nothing is
owed).

Revenue codes (``AssessmentLine.revenue_code``): a tax type (``A00`` customs duty, ``B00`` VAT, an
excise code) for duties and taxes, ``FEE:<agency code>`` for an agency's fee.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from agencies.models import Agency
from declarations.models import Declaration

from .assessment import AssessmentResult, assess
from .charges import declaration_charge
from .facilities import Securing, security_sync
from .models import LedgerTransaction, TransactionKind


@dataclass(frozen=True)
class Assessed:
    result: AssessmentResult
    posted: LedgerTransaction | None
    securing: Securing


def declaration_assess(*, declaration: Declaration, agencies: Mapping[Agency, Collection[int]]) -> Assessed:
    """Assess, charge (or adjust) and secure; call inside the routing's transaction, with the lock."""
    result = assess(declaration, agencies=agencies)
    if result.created and result.previous is None and not result.assessment.total:
        # A first assessment with nothing to pay: nothing to post, nothing to secure.
        return Assessed(result=result, posted=None, securing=Securing(None))
    posted = None
    if result.created:
        first = result.previous is None
        posted = declaration_charge(
            declaration=declaration,
            amounts=result.difference_by_code,
            kind=TransactionKind.CHARGE if first else TransactionKind.ADJUSTMENT,
            memo=(
                _("Duties, taxes and fees of declaration %(mrn)s")
                if first
                else _("Re-assessment of declaration %(mrn)s, version %(version)s")
            )
            % {"mrn": declaration.mrn, "version": declaration.version},
        )
    return Assessed(result=result, posted=posted, securing=security_sync(declaration=declaration))
