"""Audit events: one function writes them, one registry renders them in timelines."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent

# Every action code the system writes, rendered for people. Apps add theirs here as they grow.
ACTION_LABELS: dict[str, Any] = {
    "declarations.declaration.drafted": _("Draft saved"),
    "declarations.declaration.accepted": _("Declaration accepted and MRN issued"),
    "declarations.declaration.lodge_replayed": _("Identical lodgement received again; first answer returned"),
    "declarations.reference_code.changed": _("Reference data override saved"),
    "declarations.reference_code.removed": _(
        "Reference data override removed; the shipped value applies again"
    ),
}


def audit_log(
    *, action: str, obj: models.Model, actor: Any = None, data: dict[str, Any] | None = None
) -> AuditEvent:
    """Write one audit event; call inside the transaction that makes the change."""
    if action not in ACTION_LABELS:
        raise ValueError(f"unregistered audit action {action!r}")
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        data=data or {},
    )


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def events_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=obj.pk).select_related(
        "actor"
    )
