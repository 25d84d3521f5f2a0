"""Clearance's tables: the release decision and notifications, risk management, and controls."""

from .inspections import (
    ControlKind,
    ControlOutcome,
    ControlStatus,
    ControlTask,
    FindingPhoto,
    InspectionFinding,
    InspectionStatus,
    JointInspection,
)
from .release import Notification, NotificationKind, Outcome, Redrive, RedriveKind, ReleaseDecision
from .risk import (
    ComplianceEvent,
    ComplianceKind,
    Lane,
    RiskAssessment,
    RiskRule,
    RiskSettings,
    RuleHit,
    RuleKind,
    ValueMedian,
    WatchlistEntry,
)

__all__ = [
    "ComplianceEvent",
    "ComplianceKind",
    "ControlKind",
    "ControlOutcome",
    "ControlStatus",
    "ControlTask",
    "FindingPhoto",
    "InspectionFinding",
    "InspectionStatus",
    "JointInspection",
    "Lane",
    "Notification",
    "NotificationKind",
    "Outcome",
    "Redrive",
    "RedriveKind",
    "ReleaseDecision",
    "RiskAssessment",
    "RiskRule",
    "RiskSettings",
    "RuleHit",
    "RuleKind",
    "ValueMedian",
    "WatchlistEntry",
]
