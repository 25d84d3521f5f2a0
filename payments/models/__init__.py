"""The payments app's models, one module per concern; every model is imported here."""

from .assessment import Assessment, AssessmentLine
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
from .tariff import ExchangeRate, FeeRule, TariffMeasure

__all__ = [
    "OPEN_STATUSES",
    "Assessment",
    "AssessmentLine",
    "Entry",
    "ExchangeRate",
    "Facility",
    "FacilityKind",
    "FacilityStatus",
    "FeeRule",
    "LedgerAccount",
    "LedgerAccountKind",
    "LedgerTransaction",
    "Payment",
    "PaymentAllocation",
    "PaymentMethod",
    "PaymentStatus",
    "ProviderEvent",
    "ReleaseReason",
    "Security",
    "Statement",
    "StatementLine",
    "StatementStatus",
    "SuspensionCause",
    "TariffMeasure",
    "TransactionKind",
]
