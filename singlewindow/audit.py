"""Audit events: one function writes them, one registry renders them in timelines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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
    # Declaration transitions after acceptance (declarations.services.declaration_transition).
    "declarations.declaration.routed": _("Sent to the agencies for review"),
    "declarations.declaration.info_requested": _("Waiting for the trader's answer"),
    "declarations.declaration.info_provided": _("The trader answered; back in review"),
    "declarations.declaration.released": _("Goods released"),
    "declarations.declaration.refused": _("Release refused"),
    # Agency reviews (agencies.services).
    "agencies.review.created": _("Routed to an agency for review"),
    "agencies.review.auto_approved": _("Approved automatically by the agency's rules"),
    "agencies.review.claimed": _("An officer took the review"),
    "agencies.review.claim_released": _("The officer put the review back in the queue"),
    "agencies.review.approved": _("Agency approved"),
    "agencies.review.rejected": _("Agency rejected"),
    "agencies.review.info_requested": _("Agency asked the trader for information"),
    "agencies.review.info_answered": _("The trader answered the agency's question"),
    "agencies.review.inspection_required": _("Agency requires an inspection"),
    "agencies.delivery.replayed": _("Delivery to the agency's system replayed"),
    "agencies.agency.circuit_closed": _("Deliveries to the agency's system resumed by an administrator"),
    "agencies.agency.webhook_secret_set": _("Webhook secret of the agency's system changed"),
    # Release (clearance.services).
    "clearance.release.decided": _("Release decision recorded"),
    "clearance.release.overridden": _("Release decision overridden by a supervisor"),
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


@dataclass(frozen=True)
class AuditEntry:
    """One event for ``audit_log_many``: the same fields ``audit_log`` takes."""

    action: str
    obj: models.Model
    actor: Any = None
    data: dict[str, Any] = field(default_factory=dict)


def audit_log_many(entries: Iterable[AuditEntry]) -> list[AuditEvent]:
    """Write several audit events in one INSERT, in the given order; same registry check.

    For a workflow that makes several changes at once (routing opens and auto-approves reviews):
    one statement instead of one per event. Call inside the transaction that makes the changes.
    """
    events = []
    for entry in entries:
        if entry.action not in ACTION_LABELS:
            raise ValueError(f"unregistered audit action {entry.action!r}")
        events.append(
            AuditEvent(
                action=entry.action,
                actor=entry.actor if entry.actor is not None and getattr(entry.actor, "pk", None) else None,
                object_type=entry.obj._meta.label_lower,
                object_id=entry.obj.pk,
                data=entry.data or {},
            )
        )
    return AuditEvent.objects.bulk_create(events) if events else []


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def events_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=obj.pk).select_related(
        "actor"
    )
