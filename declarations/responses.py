"""WCO DMS responses: every state change of a declaration answered in the trader's standard.

``response_record`` writes one ``DeclarationResponse`` (the message as sent, schema-valid against
the DMS notification schemas) in the transaction of the change that causes it, and, for each trader
account of the declaration (declarant, trader) that registered an endpoint, a ``ResponseDelivery``
pushed after commit (``declarations.push``). Callers:

- lodgement (``services``): 01 accepted with the MRN; a rejected lodgement stores no declaration,
  so ``lodgement_rejection_record`` keeps its 03 against the declarant's account and the LRN;
- ``services.declaration_transition``: the transitions of ``TRANSITION_KINDS`` (release, refusal,
  and those other apps register with ``register_transition_kind``);
- agencies: 06 additional documents required (an agency's question), 05 goods to be inspected;
- amendments and cancellations: 01 for an accepted amendment (the new version), 11 with status 39
  or 41 for a request granted or denied, 10 cancelled.

Dependencies point one way: agencies and clearance call this module, it imports neither.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.access import accounts_actable, accounts_member_of
from accounts.models import Role, TraderAccount, User

from .canonical import DeclarationData, Issue
from .models import (
    RESPONSE_FUNCTION_CODES,
    Declaration,
    DeclarationResponse,
    DirectionChoice,
    ResponseKind,
    Status,
)
from .wco.response import ErrorEntry, ResponseContent, Statement, pointer_steps, response_xml

# Status/NameCode of a 11 (DMSREQ) response: the customs position on the trader's request.
STATUS_GRANTED = "39"
STATUS_DENIED = "41"
# AdditionalInformation/StatementTypeCode of the free text the national system sends ("AFB").
STATEMENT_TYPE = "AFB"

# Error codes (dmsErrorCodes.json) for the portal's issue codes; by suffix when not listed.
_VALIDATION_CODES = {
    "too_many_errors": "CDS19999",
    "lrn_conflict": "CDS12003",
    "goods_item_quantity_mismatch": "CDS11003",
    "type_code_missing": "CDS12052",
    "type_code_unknown": "CDS12052",
    "procedure_code_missing": "CDS12050",
    "procedure_code_unknown": "CDS12050",
    "hs_unknown": "CDS10004",
    "commodity_code_missing": "CDS10004",
    "commodity_code_not_in_nomenclature": "CDS10004",
    "declarant_not_registered": "CDS12005",
    "party_not_registered": "CDS12005",
    "not_authorised_declarant": "CDS12005",
    "not_authorised_trader": "CDS12005",
    "schema": "CDS10010",
    "text_too_long": "CDS10010",
}
_SUFFIX_CODES = (
    ("_missing", "CDS10001"),
    ("_too_long", "CDS10010"),
    ("_invalid", "CDS10010"),
    ("_unknown", "CDS10020"),
    ("_mismatch", "CDS12056"),
)
DEFAULT_VALIDATION_CODE = "CDS10020"
# Refused release: the goods may not go (an agency or customs said no).
REFUSAL_VALIDATION_CODE = "CDS40047"


def validation_code(issue_code: str) -> str:
    """The DMS error code for one of the portal's issue codes."""
    if issue_code in _VALIDATION_CODES:
        return _VALIDATION_CODES[issue_code]
    for suffix, code in _SUFFIX_CODES:
        if issue_code.endswith(suffix):
            return code
    return DEFAULT_VALIDATION_CODE


@cache
def dms_error_codes() -> dict[str, str]:
    """The national system's error codes and their English texts (``dmsErrorCodes.json``)."""
    path = Path(settings.SHARED_DATA_DIR) / "code-lists" / "dmsErrorCodes.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError:
        return {}
    return {row["code"]: row.get("en", "") for row in rows}


def error_entries(issues: Iterable[Issue]) -> list[ErrorEntry]:
    """One response ``Error`` per error issue, pointing where the issue points."""
    return [
        ErrorEntry(
            validation_code=validation_code(issue.code),
            description=issue.message,
            pointer=pointer_steps(issue.pointer),
        )
        for issue in issues
        if issue.severity == "error"
    ]


# Transitions that answer the trader by themselves: target state → response kind. Other apps
# register theirs (amendments, cancellations) with ``register_transition_kind``.
TRANSITION_KINDS: dict[str, str] = {
    Status.REFUSED: ResponseKind.REFUSED,
    Status.CANCELLED: ResponseKind.CANCELLED,
    Status.INVALIDATED: ResponseKind.CANCELLED,  # an invalidation granted after release (DMSINV)
}


def register_transition_kind(status: str, kind: str) -> None:
    TRANSITION_KINDS[str(status)] = kind


def response_on_transition(
    *, declaration: Declaration, before: str, to: str, reason: str, data: dict[str, Any] | None
) -> DeclarationResponse | None:
    """The response a ``declaration_transition`` to ``to`` sends, if any (same transaction)."""
    if to == Status.RELEASED:
        export = declaration.direction == DirectionChoice.EXPORT
        return response_record(
            declaration=declaration, kind=ResponseKind.RELEASED if export else ResponseKind.CLEARED
        )
    kind = TRANSITION_KINDS.get(to)
    if kind is None:
        return None
    if kind == ResponseKind.REFUSED:
        return response_record(declaration=declaration, kind=kind, reasons=_refusal_reasons(reason, data))
    return response_record(declaration=declaration, kind=kind, reasons=[reason] if reason else [])


def _refusal_reasons(reason: str, data: dict[str, Any] | None) -> list[str]:
    reasons = [
        f"{r.get('agency_name') or r.get('agency')}: {r.get('reason')}"
        for r in (data or {}).get("agencies") or []
        if isinstance(r, dict) and r.get("status") == "rejected" and r.get("reason")
    ]
    if reason:
        reasons.append(reason)
    return reasons


def response_record(
    *,
    declaration: Declaration,
    kind: str,
    issues: Sequence[Issue] = (),
    reasons: Sequence[str] = (),
    at: Any = None,
) -> DeclarationResponse:
    """Write the response of ``kind`` about ``declaration``; inside the caller's transaction.

    ``issues``: the errors of a rejection (each an ``Error`` with its pointer); ``reasons``: the
    free text the trader is told (the agency's question, why release was refused, why a request
    was denied), each an ``AdditionalInformation`` statement. Queues the push to the accounts'
    endpoints for after commit.
    """
    now = at or timezone.now()
    kind = ResponseKind(kind)
    content = ResponseContent(
        function_code=RESPONSE_FUNCTION_CODES[kind],
        reference=uuid.uuid4().hex,
        issued_at=now,
        lrn=declaration.lrn,
        mrn=declaration.mrn or "",
        version=declaration.version,
        statements=[Statement(type_code=STATEMENT_TYPE, description=r) for r in reasons if r],
        errors=error_entries(issues),
    )
    if kind == ResponseKind.ACCEPTED:
        content.accepted_at = declaration.accepted_at or now
    elif kind == ResponseKind.REFUSED:
        content.rejected_at = now
        content.errors = content.errors or [
            ErrorEntry(
                validation_code=REFUSAL_VALIDATION_CODE,
                description="; ".join(r for r in reasons if r) or "Release refused.",
                pointer=pointer_steps(""),
            )
        ]
        content.statements = []
    elif kind == ResponseKind.REJECTED:
        content.rejected_at = now
    elif kind == ResponseKind.CANCELLED:
        content.cancelled_at = now
    elif kind in (ResponseKind.REQUEST_GRANTED, ResponseKind.REQUEST_DENIED):
        content.status_code = STATUS_GRANTED if kind == ResponseKind.REQUEST_GRANTED else STATUS_DENIED
        content.status_at = now
    response = DeclarationResponse.objects.create(
        declaration=declaration,
        declarant_account_id=declaration.declarant_account_id,
        lodged_by_id=declaration.lodged_by_id,
        kind=kind,
        function_code=content.function_code,
        reference=content.reference,
        lrn=declaration.lrn,
        mrn=declaration.mrn or "",
        version=declaration.version,
        issued_at=now,
        body=response_xml(content).decode(),
    )
    from .push import deliveries_open

    deliveries_open(response=response, account_ids=_endpoint_accounts(declaration))
    return response


def _endpoint_accounts(declaration: Declaration) -> list[int]:
    """The declaration's accounts (declarant, trader) that registered an endpoint.

    Read from the accounts already loaded with the declaration (lodgement holds them), otherwise
    one query.
    """
    ids = list(
        dict.fromkeys(
            pk for pk in (declaration.declarant_account_id, declaration.trader_account_id) if pk is not None
        )
    )
    names = ("declarant_account", "trader_account")
    if not ids or not all(Declaration._meta.get_field(n).is_cached(declaration) for n in names):  # type: ignore[union-attr]
        return list(
            TraderAccount.objects.filter(pk__in=ids, is_active=True)
            .exclude(response_url="")
            .values_list("pk", flat=True)
        )
    loaded = [getattr(declaration, n) for n in names]
    return list(dict.fromkeys(a.pk for a in loaded if a is not None and a.is_active and a.response_url))


def lodgement_rejection_record(
    *, user: User, data: DeclarationData | None, issues: Sequence[Issue]
) -> DeclarationResponse | None:
    """Keep the 03 (rejected) of a lodgement that stored nothing, in a transaction of its own.

    The response names the LRN (when the message had one) and no MRN. It is kept against the
    declarant's account only when the sender may act for it (nobody fills another account's
    responses), and against the sender, who may always read it. Returns None when the user is not
    signed in.
    """
    if not user.is_authenticated:
        return None
    errors = error_entries(issues)
    if not errors:
        return None
    account: TraderAccount | None = None
    if data is not None:
        from .validation import resolve_accounts

        declarant, _trader = resolve_accounts(data)
        if declarant is not None and accounts_actable(user).filter(pk=declarant.pk).exists():
            account = declarant
    lrn = (data.lrn if data is not None else "") or ""
    now = timezone.now()
    content = ResponseContent(
        function_code=RESPONSE_FUNCTION_CODES[ResponseKind.REJECTED],
        reference=uuid.uuid4().hex,
        issued_at=now,
        lrn=lrn,
        rejected_at=now,
        errors=errors,
    )
    with transaction.atomic():
        response = DeclarationResponse.objects.create(
            declaration=None,
            declarant_account=account,
            lodged_by=user,
            kind=ResponseKind.REJECTED,
            function_code=content.function_code,
            reference=content.reference,
            lrn=lrn[:35],
            issued_at=now,
            body=response_xml(content).decode(),
        )
        if account is not None:
            from .push import deliveries_open

            if account.is_active and account.response_url:
                deliveries_open(response=response, account_ids=[account.pk])
    return response


def rejection_xml(issues: Sequence[Issue], *, lrn: str = "") -> bytes:
    """A 03 (rejected) for an answer that stores nothing (a message refused before it was read)."""
    now = timezone.now()
    errors = error_entries(issues) or [
        ErrorEntry(validation_code=DEFAULT_VALIDATION_CODE, description="", pointer=pointer_steps(""))
    ]
    content = ResponseContent(
        function_code=RESPONSE_FUNCTION_CODES[ResponseKind.REJECTED],
        reference=uuid.uuid4().hex,
        issued_at=now,
        lrn=lrn,
        rejected_at=now,
        errors=errors,
    )
    return response_xml(content)


# --- who reads which responses -----------------------------------------------------------------


def responses_visible_to(user: User) -> QuerySet[DeclarationResponse]:
    """The responses a user may read: those of declarations it may see, and rejected lodgements
    it sent or that were kept against an account it is a member of.

    Agency officers read none: the responses are the trader's messages (they may hold other
    agencies' questions). Supervisors and administrators read all.
    """
    from .selectors import declarations_visible_to

    responses = DeclarationResponse.objects.all()
    if not user.is_authenticated or not user.is_active:
        return responses.none()
    role = user.role
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return responses
    if role is Role.OFFICER:
        return responses.none()
    visible = declarations_visible_to(user).values("pk")
    members = accounts_member_of(user).values("pk")
    return responses.filter(
        Q(declaration__in=visible)
        | Q(declaration__isnull=True, lodged_by=user)
        | Q(declaration__isnull=True, declarant_account__in=members)
    )
