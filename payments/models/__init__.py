"""The payments app's models, one module per concern; every model is imported here."""

from .facilities import Facility, FacilityKind, FacilityStatus, ReleaseReason, Security, SuspensionCause
from .ledger import Entry, LedgerAccount, LedgerAccountKind, LedgerTransaction, TransactionKind
from .statements import Statement, StatementLine, StatementStatus

__all__ = [
    "Entry",
    "Facility",
    "FacilityKind",
    "FacilityStatus",
    "ReleaseReason",
    "LedgerAccount",
    "LedgerAccountKind",
    "LedgerTransaction",
    "Security",
    "Statement",
    "StatementLine",
    "StatementStatus",
    "SuspensionCause",
    "TransactionKind",
]
