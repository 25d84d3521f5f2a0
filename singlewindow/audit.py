"""Audit events: one function writes them, one registry renders them in timelines."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from .auditchain import chain_append
from .models import AuditEvent

# Every action code the system writes, rendered for people. Apps add theirs here as they grow.
ACTION_LABELS: dict[str, Any] = {
    "declarations.declaration.drafted": _("Draft saved"),
    "declarations.declaration.draft_deleted": _("Draft deleted"),
    "declarations.declaration.copied": _("Draft made as a copy of another declaration"),
    "declarations.declaration.accepted": _("Declaration accepted and MRN issued"),
    "declarations.declaration.lodge_replayed": _("Identical lodgement received again; first answer returned"),
    "declarations.reference_code.changed": _("Reference data override saved"),
    "declarations.reference_code.removed": _(
        "Reference data override removed; the shipped value applies again"
    ),
    "nomenclature.edition.loaded": _("Tariff nomenclature edition loaded"),
    # Declaration transitions after acceptance (declarations.services.declaration_transition).
    "declarations.declaration.routed": _("Sent to the agencies for review"),
    "declarations.declaration.info_requested": _("Waiting for the trader's answer"),
    "declarations.declaration.info_provided": _("The trader answered; back in review"),
    "declarations.declaration.released": _("Goods released"),
    "declarations.declaration.refused": _("Release refused"),
    # Versions, cancellation and requests after release (declarations.amendments).
    "declarations.declaration.amended": _("Declaration amended: a new version is in force"),
    "declarations.declaration.resubmitted": _("Refused declaration resubmitted as a new version"),
    "declarations.declaration.cancelled": _("Declaration cancelled"),
    "declarations.declaration.review_resumed": _("Back in review: the amendment replaced what was asked"),
    "declarations.declaration.amendment_requested": _("Amendment after release requested from customs"),
    "declarations.declaration.invalidation_requested": _("Invalidation after release requested from customs"),
    "declarations.declaration.amendment_granted": _("Customs granted the amendment: its version is in force"),
    "declarations.declaration.invalidated": _("Customs invalidated the declaration"),
    "declarations.request.refused": _("Customs refused the request; the declaration stays as it was"),
    "agencies.review.reopened": _("Asked again: the goods of the agency's review were amended"),
    "agencies.review.withdrawn_by_amendment": _(
        "Withdrawn: the amended declaration no longer concerns the agency"
    ),
    "agencies.review.withdrawn_by_cancellation": _("Withdrawn: the declaration was cancelled"),
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
    # Licences and permits on file (agencies.licences).
    "agencies.licence.registered": _("Licence registered by the issuing agency"),
    "agencies.licence.revoked": _("Licence revoked by the issuing agency"),
    "agencies.agency.circuit_closed": _("Deliveries to the agency's system resumed by an administrator"),
    "agencies.agency.webhook_secret_set": _("Webhook secret of the agency's system changed"),
    # The trader ledger (payments.ledger.post): one event per transaction posted.
    "payments.ledger.charge": _("Duties and fees charged to the trader account"),
    "payments.ledger.payment": _("Payment received on the trader account"),
    "payments.ledger.refund": _("Refund paid from the trader account"),
    "payments.ledger.adjustment": _("Trader account adjusted"),
    "payments.ledger.reversal": _("Ledger transaction reversed"),
    # Guarantees, deferment accounts and statements (payments.facilities, payments.statements).
    "payments.security.taken": _("Duties secured on a guarantee or deferment account"),
    "payments.security.released": _("Security on a guarantee or deferment account released"),
    "payments.security.refused": _("Duties not secured: no guarantee or deferment account covers them"),
    "payments.facility.headroom_low": _("Guarantee or deferment account more than 80 % used"),
    "payments.facility.suspended": _("Guarantee or deferment account suspended"),
    "payments.facility.reactivated": _("Guarantee or deferment account active again"),
    "payments.facility.closed": _("Guarantee or deferment account closed"),
    "payments.facility.created": _("Guarantee or deferment account created in the admin"),
    "payments.facility.changed": _("Guarantee or deferment account changed in the admin"),
    "payments.facility.deleted": _("Guarantee or deferment account deleted in the admin"),
    "payments.statement.generated": _("Statement of a deferment account made"),
    "payments.statement.overdue": _("Statement of a deferment account overdue"),
    "payments.statement.paid": _("Statement of a deferment account paid"),
    # Payments (payments.payments): each status change, and what was refused on the way.
    "payments.payment.initiated": _("Payment started"),
    "payments.payment.awaiting_confirmation": _("Payment sent to the provider for confirmation"),
    "payments.payment.awaiting_funds": _("Bank transfer expected with the payment reference"),
    "payments.payment.settled": _("Payment received and booked to the trader account"),
    "payments.payment.declined": _("Payment declined"),
    "payments.payment.timed_out": _("Payment timed out: the provider never confirmed it"),
    "payments.payment.cancelled": _("Payment cancelled by the trader"),
    "payments.payment.amount_mismatch": _("Payment confirmation refused: the amount differs"),
    "payments.payment.callback_refused": _("Provider callback refused"),
    # Assessment and the tariff (payments.assessment, payments.refdata.loader, the admin).
    "payments.assessment.created": _("Duties, taxes and fees assessed"),
    "payments.tariff.loaded": _("Tariff file loaded"),
    "payments.tariff_measure.created": _("Tariff measure created in the admin"),
    "payments.tariff_measure.changed": _("Tariff measure changed in the admin"),
    "payments.tariff_measure.deleted": _("Tariff measure deleted in the admin"),
    "payments.exchange_rate.created": _("Exchange rate created in the admin"),
    "payments.exchange_rate.changed": _("Exchange rate changed in the admin"),
    "payments.exchange_rate.deleted": _("Exchange rate deleted in the admin"),
    "payments.fee_rule.created": _("Agency fee created in the admin"),
    "payments.fee_rule.changed": _("Agency fee changed in the admin"),
    "payments.fee_rule.deleted": _("Agency fee deleted in the admin"),
    # Release (clearance.services).
    "clearance.release.decided": _("Release decision recorded"),
    "clearance.release.overridden": _("Release decision overridden by a supervisor"),
    "clearance.release.licence_shortfall": _(
        "Released after refusal: a licence no longer had the balance to write the goods off again"
    ),
    # Risk management (clearance.risk).
    "clearance.risk.assessed": _("Risk assessed: score and lane"),
    "clearance.risk.rule_created": _("Risk rule created"),
    "clearance.risk.rule_changed": _("Risk rule changed"),
    "clearance.risk.rule_deactivated": _("Risk rule deactivated"),
    "clearance.risk.settings_changed": _("Risk thresholds changed"),
    "clearance.risk.compliance_recorded": _("Compliance history recorded"),
    # Post-clearance audit (clearance.audits).
    "clearance.audit.opened": _("Post-clearance audit opened"),
    "clearance.audit.finding_recorded": _("Post-clearance audit finding recorded"),
    "clearance.audit.concluded": _("Post-clearance audit concluded"),
    "clearance.audit.criterion_saved": _("Audit selection criterion saved"),
    "clearance.audit.settings_changed": _("Audit selection settings changed"),
    "agencies.review.withdrawn": _("Left the agency's queue: a supervisor decided the release"),
    # Who may act for what (accounts.access, agencies.access, the admin's object permissions).
    "accounts.trader_account.member_added": _("User made a member of the trader account"),
    "accounts.trader_account.member_removed": _("User's membership of the trader account ended"),
    "accounts.trader_account.representative_authorised": _(
        "Broker authorised to lodge for the trader account"
    ),
    "accounts.trader_account.representative_revoked": _(
        "Broker's authority to lodge for the trader account withdrawn"
    ),
    "accounts.user.roles_changed": _("User's roles changed"),
    "agencies.agency.officer_added": _("Officer given the agency's review queue"),
    "agencies.agency.officer_removed": _("Officer taken off the agency's review queue"),
    "admin.object_permissions.changed": _("Object permissions changed in the admin"),
    # Signing in and out (accounts.signals): the username tried and the client address.
    "accounts.user.logged_in": _("Signed in"),
    "accounts.user.logged_out": _("Signed out"),
    "accounts.user.login_failed": _("Sign-in failed"),
    # Changes made in the admin (singlewindow.admin.AuditedAdminMixin): the fields before and after.
    "accounts.user.created": _("User created in the admin"),
    "accounts.user.changed": _("User changed in the admin"),
    "accounts.user.deleted": _("User deleted in the admin"),
    "accounts.user.password_set": _("User's password set in the admin"),
    "accounts.api_token.created": _("API token created"),
    "accounts.api_token.revoked": _("API token revoked"),
    "accounts.trader_account.created": _("Trader account created in the admin"),
    "accounts.trader_account.changed": _("Trader account changed in the admin"),
    "accounts.trader_account.deleted": _("Trader account deleted in the admin"),
    "accounts.trader_account.response_endpoint_changed": _(
        "Endpoint for the trader account's DMS responses changed by a member"
    ),
    "agencies.agency.created": _("Agency created in the admin"),
    "agencies.agency.changed": _("Agency changed in the admin"),
    "agencies.agency.webhook_changed": _("Agency's webhook endpoint changed in the admin"),
    "agencies.agency.deleted": _("Agency deleted in the admin"),
    "agencies.routing_rule.created": _("Routing rule created in the admin"),
    "agencies.routing_rule.changed": _("Routing rule changed in the admin"),
    "agencies.routing_rule.deleted": _("Routing rule deleted in the admin"),
    # Oversight (clearance.oversight.services): watchlists and AEO authorisations.
    "clearance.watchlist.added": _("Trader or party put on an agency's watchlist"),
    "clearance.watchlist.removed": _("Trader or party taken off an agency's watchlist"),
    "accounts.trader_account.aeo_changed": _("AEO authorisation of the trader account changed"),
    "admin.object.created": _("Record created in the admin"),
    "admin.object.changed": _("Record changed in the admin"),
    "admin.object.deleted": _("Record deleted in the admin"),
}

# Values that never enter the audit log in clear: a change shows as "changed", a snapshot as set or empty.
SECRET_MARK = "[hidden]"  # noqa: S105 - the mark written instead of a secret
# "key": API tokens' keys and their hashes (key_hash), one-time-password devices' keys.
_SECRET_WORDS = ("password", "secret", "token", "key")


def is_secret_field(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


@dataclass(frozen=True)
class _Secret:
    """A secret's value, held only to compare before with after; never written."""

    raw: Any = field(repr=False)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, bytes | memoryview):
        return "[binary]"
    return str(value)  # Decimal, UUID, files (their name)


def audit_snapshot(obj: models.Model, *, many_to_many: bool = True) -> dict[str, Any]:
    """The object's fields as they are now (foreign keys as ids, many-to-many as sorted names).

    Secret fields (``is_secret_field``) are kept only to compare: ``audit_values`` and
    ``audit_diff`` never write them.
    """
    values: dict[str, Any] = {}
    for model_field in obj._meta.concrete_fields:
        raw = model_field.value_from_object(obj)
        values[model_field.name] = _Secret(raw) if is_secret_field(model_field.name) else _plain(raw)
    if many_to_many and obj.pk is not None:
        for m2m in obj._meta.many_to_many:
            values[m2m.name] = sorted(str(related) for related in getattr(obj, m2m.name).all())
    return values


def audit_values(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot as it may be written: a secret only says whether it is set."""
    return {
        key: (SECRET_MARK if value.raw else "") if isinstance(value, _Secret) else value
        for key, value in snapshot.items()
    }


def audit_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"before": {...}, "after": {...}}`` of the fields that differ; a secret's new value is
    written as "changed"."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for key in [*before, *(k for k in after if k not in before)]:
        was, now = before.get(key), after.get(key)
        if was == now:
            continue
        if isinstance(was, _Secret) or isinstance(now, _Secret):
            old[key], new[key] = SECRET_MARK, "changed"
        else:
            old[key], new[key] = was, now
    return {"before": old, "after": new}


def _object_ref(obj: models.Model | None) -> tuple[str, int | None]:
    """(app_label.model, integer key or None): a key that is not an integer is not stored."""
    if obj is None:
        return "", None
    pk = obj.pk
    return obj._meta.label_lower, pk if isinstance(pk, int) and not isinstance(pk, bool) else None


def _event(
    *,
    action: str,
    obj: models.Model | None,
    actor: Any,
    data: dict[str, Any] | None,
    object_type: str = "",
) -> AuditEvent:
    if action not in ACTION_LABELS:
        raise ValueError(f"unregistered audit action {action!r}")
    label, object_id = _object_ref(obj)
    return AuditEvent(
        action=action,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        object_type=label or object_type,
        object_id=object_id,
        data=data or {},
    )


def audit_log(
    *,
    action: str,
    obj: models.Model | None,
    actor: Any = None,
    data: dict[str, Any] | None = None,
    object_type: str = "",
) -> AuditEvent:
    """Write one audit event as the next link of the chain; call inside the transaction that makes
    the change (outside one, the event gets its own). ``obj`` None (a failed sign-in by an unknown
    username) records ``object_type`` with no id."""
    (event,) = chain_append([_event(action=action, obj=obj, actor=actor, data=data, object_type=object_type)])
    return event


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
    one statement instead of one per event, chained in one go. Call inside the transaction that
    makes the changes.
    """
    return chain_append([_event(action=e.action, obj=e.obj, actor=e.actor, data=e.data) for e in entries])


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def events_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=obj.pk).select_related(
        "actor"
    )
