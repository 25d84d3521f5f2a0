"""What the clearance pipeline asks of payments, in its own transaction under the declaration's lock.

``declaration_assess`` is called by routing and by re-routing after an amendment: it assesses the
version in force (``assessment.assess``; nothing new when that version was assessed already),
posts what the assessment charges less what the ledger already holds per revenue code (the charge
the first time; an adjustment after an amendment; the whole charge again after a refusal was
credited) —
and fits the declaration's security to what is now outstanding (``facilities.security_sync``:
held against a guarantee or deferment account when one covers it, released when nothing is
owed).

Revenue codes (``AssessmentLine.revenue_code``): a tax type (``A00`` customs duty, ``B00`` VAT, an
excise code) for duties and taxes, ``FEE:<agency code>`` for an agency's fee.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from agencies.models import Agency
from declarations.models import Declaration, GoodsItem

from .assessment import AssessmentResult, assess, reviewing_agencies
from .charges import declaration_charge
from .facilities import Securing, security_sync
from .ledger import ZERO
from .models import LedgerTransaction, TransactionKind
from .refunds import revenue_by_code


@dataclass(frozen=True)
class Assessed:
    result: AssessmentResult
    posted: LedgerTransaction | None
    securing: Securing


def declaration_assess(
    *,
    declaration: Declaration,
    agencies: Mapping[Agency, Collection[int]],
    locked: bool = False,
    items: Sequence[GoodsItem] | None = None,
) -> Assessed:
    """Assess, charge (or adjust) and secure; call inside the routing's transaction, with the lock.

    ``locked`` and ``items``: the routing's row read under its lock and the goods items it loaded
    (see ``assessment.assess``), so they are not read again.
    """
    result = assess(declaration, agencies=agencies, locked=locked, items=items)
    if result.created and result.previous is None and not result.assessment.total:
        # A first assessment with nothing to pay: nothing to post, nothing to secure.
        return Assessed(result=result, posted=None, securing=Securing(None))
    return Assessed(
        result=result, posted=_reconcile(declaration, result), securing=security_sync(declaration=declaration)
    )


def declaration_recharge(*, declaration: Declaration) -> Assessed:
    """Post again what the assessment in force charges, where the ledger no longer holds it (a
    refused declaration released after all by a supervisor). The caller holds the row lock."""
    return declaration_assess(declaration=declaration, agencies=reviewing_agencies(declaration))


def _reconcile(declaration: Declaration, result: AssessmentResult) -> LedgerTransaction | None:
    """Post the assessment in force less what the ledger holds per revenue code for the declaration.

    The first time that is the charge; after an amendment the difference (an adjustment); after a
    refusal credited everything, the whole charge again (a resubmission, a supervisor's release).
    Nothing to post when the ledger already matches.
    """
    wanted = result.charged_by_code
    # What an audit added or gave back after release stands whatever the re-assessment says.
    held = revenue_by_code(declaration.pk, assessed_only=True)
    difference = {code: wanted.get(code, ZERO) - held.get(code, ZERO) for code in wanted.keys() | held.keys()}
    if not any(difference.values()):
        return None
    first = not held
    return declaration_charge(
        declaration=declaration,
        amounts=difference,
        kind=TransactionKind.CHARGE if first else TransactionKind.ADJUSTMENT,
        memo=(
            _("Duties, taxes and fees of declaration %(mrn)s")
            if first
            else _("Re-assessment of declaration %(mrn)s, version %(version)s")
        )
        % {"mrn": declaration.mrn, "version": declaration.version},
    )
