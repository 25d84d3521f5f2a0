"""The payments app's models, one module per concern; every model is imported here."""

from .facilities import Facility, FacilityKind, FacilityStatus, Security
from .ledger import Entry, LedgerAccount, LedgerAccountKind, LedgerTransaction, TransactionKind

__all__ = [
    "Entry",
    "Facility",
    "FacilityKind",
    "FacilityStatus",
    "LedgerAccount",
    "LedgerAccountKind",
    "LedgerTransaction",
    "Security",
    "TransactionKind",
]
