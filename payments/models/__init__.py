"""The payments app's models, one module per concern; every model is imported here."""

from .facilities import Facility, FacilityKind, FacilityStatus, ReleaseReason, Security, SuspensionCause
from .ledger import Entry, LedgerAccount, LedgerAccountKind, LedgerTransaction, TransactionKind
from .payment import (
    OPEN_STATUSES,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentStatus,
    ProviderEvent,
)
from .statements import Statement, StatementLine, StatementStatus

__all__ = [
    "OPEN_STATUSES",
    "Entry",
    "Facility",
    "FacilityKind",
    "FacilityStatus",
    "ReleaseReason",
    "LedgerAccount",
    "LedgerAccountKind",
    "LedgerTransaction",
    "Payment",
    "PaymentAllocation",
    "PaymentMethod",
    "PaymentStatus",
    "ProviderEvent",
    "Security",
    "Statement",
    "StatementLine",
    "StatementStatus",
    "SuspensionCause",
    "TransactionKind",
]
