"""Amend, cancel, resubmit: a declaration's life after lodgement, one version at a time.

Every change of content is a new ``DeclarationVersion`` (never an update of one): the version
number moves with a compare-and-set on ``Declaration.version`` under the declaration's row lock,
and the unique (declaration, number) constraint backs it. What the version changes is audited
(who, which fields, before and after) and put in the outbox for clearance, which re-plans the
routing (``clearance.services.declaration_replan``); this module never imports it.

- Before release (accepted, in review, waiting on the trader) an amendment is in force at once.
- After release it is a request to customs (``PostReleaseRequest``): the version is stored, the
  declaration keeps the version in force until customs grants it.
- A refused declaration is resubmitted as a new version and goes back to review.
- Cancelling before release (or after a refusal) ends the declaration (``cancelled``); after release
  it is a request for invalidation that customs grants (``invalidated``) or refuses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import accounts_actable
from accounts.models import User
from singlewindow.audit import audit_log
from singlewindow.errors import Conflict, DomainError, NotFound
from singlewindow.outbox import outbox_put

from . import validation
from .canonical import DeclarationData, Issue, PartyRole
from .errors import LodgementRejected
from .models import (
    Channel,
    Declaration,
    DeclarationVersion,
    Document,
    GoodsItem,
    ItemTaxLine,
    Party,
    PostReleaseRequest,
    RequestKind,
    RequestStatus,
    ResponseKind,
    Status,
    VersionKind,
)
from .responses import response_record
from .selectors import access_declaration
from .services import (
    HEADER_FIELDS,
    ITEM_FIELDS,
    _document_row,
    content_hash,
    declaration_transition,
    tax_line_rows,
)
from .versions import DIFF_DISPLAY_LIMIT, Change, changed_items, diff

TOPIC_AMENDED = "declarations.declaration.amended"
TOPIC_CANCELLED = "declarations.declaration.cancelled"
TOPIC_REQUEST_CREATED = "declarations.request.created"
TOPIC_REQUEST_DECIDED = "declarations.request.decided"

# Before release: an amendment is in force at once, a cancellation ends the declaration.
BEFORE_RELEASE = frozenset({Status.ACCEPTED, Status.IN_REVIEW, Status.INFO_REQUESTED})
CANCELLABLE = BEFORE_RELEASE | {Status.REFUSED}
REASON_MAX = 512


@dataclass
class AmendResult:
    declaration: Declaration
    version: DeclarationVersion
    changes: list[Change]
    warnings: list[Issue] = field(default_factory=list)
    request: PostReleaseRequest | None = None  # set for an amendment after release


@dataclass
class CancelResult:
    declaration: Declaration
    request: PostReleaseRequest | None = None  # set for a request for invalidation after release


def may_act_on(user: User, declaration: Declaration) -> bool:
    """Whether ``user`` may amend or cancel: it may act for the declarant and the trader account."""
    if not user.is_authenticated or declaration.status == Status.DRAFT:
        return False
    actable = set(accounts_actable(user).values_list("pk", flat=True))
    return declaration.declarant_account_id in actable and declaration.trader_account_id in actable


def declaration_for_change(user: User, mrn: str) -> Declaration:
    """The declaration ``user`` may amend or cancel; 404 for missing and not-yours alike."""
    declaration = access_declaration(user, mrn)
    if not may_act_on(user, declaration):
        raise NotFound(_("No such declaration."))
    return declaration


def _reason(reason: str, *, required: bool, limit: int | None = REASON_MAX) -> str:
    reason = " ".join((reason or "").split())
    if required and not reason:
        message = _("Say why (the reason is kept with the declaration).")
        raise DomainError(
            "reason_required",
            message,
            errors=[{"pointer": "reason", "field": "reason", "code": "reason_required", "message": message}],
        )
    if limit is not None and len(reason) > limit:
        message = _("The reason is longer than %(max)s characters.") % {"max": limit}
        raise DomainError(
            "reason_too_long",
            message,
            errors=[{"pointer": "reason", "field": "reason", "code": "reason_too_long", "message": message}],
        )
    return reason


def _fixed_issues(declaration: Declaration, current: DeclarationData, data: DeclarationData) -> list[Issue]:
    """What an amendment may not change: the LRN, the direction, the declarant and the trader."""
    issues = []
    if data.lrn != declaration.lrn:
        issues.append(
            Issue(
                "amendment_lrn_changed",
                _("The LRN identifies the declaration (%(lrn)s) and cannot be amended.")
                % {"lrn": declaration.lrn},
                field="lrn",
            )
        )
    if data.direction != current.direction:
        issues.append(
            Issue(
                "amendment_direction_changed",
                _(
                    "An import cannot become an export (or the reverse): cancel it and lodge a new "
                    "declaration."
                ),
                field="type_code",
            )
        )
    for role in {PartyRole.DECLARANT, current.trader_role}:
        if role is None:
            continue
        old, new = current.party(role), data.party(role)
        if (old.eori if old else "") != (new.eori if new else ""):
            issues.append(
                Issue(
                    "amendment_owner_changed",
                    _(
                        "The %(role)s's EORI says whose declaration this is and cannot be amended: cancel it "
                        "and lodge a new declaration."
                    )
                    % {"role": role.value},
                    field=f"parties.{role.value}.eori",
                )
            )
    return issues


def declaration_amend(
    *,
    user: User,
    declaration: Declaration,
    data: DeclarationData,
    channel: Channel,
    reason: str,
    reason_code: str = "",
    expected_version: int | None = None,
    message_reference: str = "",
    source_body: str = "",
    source_content_type: str = "",
    extra_issues: list[Issue] | None = None,
    reason_limit: int | None = REASON_MAX,
) -> AmendResult:
    """Store ``data`` as the declaration's next version, or raise saying every problem at once.

    Full re-validation first (``LodgementRejected``: nothing stored). Then, under the row lock:
    the state decides what the version is — in force at once before release (``amendment``), a
    request to customs after release (``post_release_amendment``), a resubmission after a refusal
    (back to review). ``expected_version`` (the version the user amended) is compared and set:
    someone who amended meanwhile wins and this one gets ``Conflict`` ``version_conflict``.
    """
    reason = _reason(reason, required=False, limit=reason_limit)
    data = replace(data, lrn=data.lrn or declaration.lrn, function_code="9")
    current = current_data(declaration)
    issues = list(extra_issues or []) + _fixed_issues(declaration, current, data)
    issues += validation.validate(data, user=user)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise LodgementRejected(errors)
    warnings = [i for i in issues if i.severity != "error"]
    after = data.to_dict()
    changes = diff(current.to_dict(), after)
    if not changes:
        message = _("This amendment changes nothing: it is the version in force.")
        raise DomainError(
            "amendment_no_change",
            message,
            errors=[{"pointer": "", "code": "amendment_no_change", "message": message}],
        )
    try:
        return _amend_store(
            user=user,
            declaration_id=declaration.pk,
            data=data,
            after=after,
            channel=channel,
            reason=reason,
            reason_code=reason_code,
            expected_version=expected_version,
            message_reference=message_reference,
            source_body=source_body,
            source_content_type=source_content_type,
            warnings=warnings,
        )
    except IntegrityError as exc:
        # Another amendment took the number between our read and write (the lock makes this rare).
        raise _version_conflict(declaration) from exc


def _version_conflict(declaration: Declaration) -> Conflict:
    return Conflict(
        "version_conflict",
        _(
            "Declaration %(mrn)s was amended by someone else meanwhile; look at the version in force and "
            "amend that one."
        )
        % {"mrn": declaration.mrn},
    )


def current_data(declaration: Declaration) -> DeclarationData:
    """The content of the version in force."""
    version = DeclarationVersion.objects.filter(declaration=declaration, number=declaration.version).first()
    return version.to_data() if version is not None else declaration.to_data()


@transaction.atomic(durable=True)
def _amend_store(
    *,
    user: User,
    declaration_id: int,
    data: DeclarationData,
    after: dict[str, Any],
    channel: Channel,
    reason: str,
    reason_code: str,
    expected_version: int | None,
    message_reference: str,
    source_body: str,
    source_content_type: str,
    warnings: list[Issue],
) -> AmendResult:
    declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
    if expected_version is not None and declaration.version != expected_version:
        raise _version_conflict(declaration)
    status = declaration.status
    if status in BEFORE_RELEASE:
        kind = VersionKind.AMENDMENT
    elif status == Status.RELEASED:
        kind = VersionKind.POST_RELEASE_AMENDMENT
    elif status == Status.REFUSED:
        kind = VersionKind.RESUBMISSION
    else:
        raise Conflict(
            "declaration_state",
            _("Declaration %(mrn)s is %(status)s and can no longer be amended.")
            % {"mrn": declaration.mrn, "status": declaration.get_status_display()},
        )
    if kind == VersionKind.POST_RELEASE_AMENDMENT and _open_request(declaration):
        raise Conflict(
            "request_open",
            _("A request about declaration %(mrn)s is already waiting for customs.")
            % {"mrn": declaration.mrn},
        )
    # Re-read under the lock: what it is compared with is the version in force now.
    before = current_data(declaration).to_dict()
    changes = diff(before, after)
    previous = declaration.version
    number = (
        DeclarationVersion.objects.filter(declaration=declaration).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    version = DeclarationVersion.objects.create(
        declaration=declaration,
        number=number,
        kind=kind,
        data=after,
        content_hash=content_hash(data),
        created_by=user,
        channel=channel,
        reason=reason,
        reason_code=reason_code[:3],
        message_reference=message_reference[:35],
        source_body=source_body,
        source_content_type=source_content_type,
    )
    shown = [c.as_dict() for c in changes[:DIFF_DISPLAY_LIMIT]]
    audit_data = {
        "version": number,
        "previous_version": previous,
        "kind": kind,
        "channel": channel,
        "reason": reason,
        "changes": shown,
        "changes_count": len(changes),
    }
    request = None
    if kind == VersionKind.POST_RELEASE_AMENDMENT:
        request = PostReleaseRequest.objects.create(
            declaration=declaration,
            kind=RequestKind.AMENDMENT,
            version=version,
            reason=reason or _("Amendment after release"),
            requested_by=user,
        )
        audit_log(
            action="declarations.declaration.amendment_requested",
            obj=declaration,
            actor=user,
            data={**audit_data, "request": request.pk},
        )
        outbox_put(
            topic=TOPIC_REQUEST_CREATED,
            object_id=declaration.pk,
            payload={"request": request.pk, "kind": RequestKind.AMENDMENT, "version": number},
        )
        return AmendResult(
            declaration=declaration, version=version, changes=changes, warnings=warnings, request=request
        )

    _in_force(declaration, data=data, number=number, previous=previous)
    audit_log(action="declarations.declaration.amended", obj=declaration, actor=user, data=audit_data)
    # The trader's software is told the new version stands (DMSACC carrying the version number).
    response_record(declaration=declaration, kind=ResponseKind.ACCEPTED)
    if kind == VersionKind.RESUBMISSION:
        declaration = declaration_transition(
            declaration_id=declaration.pk,
            expected={Status.REFUSED},
            to=Status.IN_REVIEW,
            actor=user,
            action="declarations.declaration.resubmitted",
            reason=reason,
            data={"version": number},
            locked=declaration,
        )
    outbox_put(
        topic=TOPIC_AMENDED,
        object_id=declaration.pk,
        payload={"version": number, "kind": kind, **changed_items(changes, before, after)},
    )
    return AmendResult(declaration=declaration, version=version, changes=changes, warnings=warnings)


def _open_request(declaration: Declaration) -> PostReleaseRequest | None:
    return PostReleaseRequest.objects.filter(declaration=declaration, status=RequestStatus.PENDING).first()


def _in_force(declaration: Declaration, *, data: DeclarationData, number: int, previous: int) -> None:
    """Put version ``number`` in force: header columns, parties, items (kept by number), documents.

    Goods items keep their rows (and so the reviews they are on) when their number stays; items
    gone are deleted, new ones created. ``Declaration.version`` moves by compare-and-set.
    """
    fields: dict[str, Any] = {name: getattr(data, name) for name in HEADER_FIELDS}
    updated = Declaration.objects.filter(pk=declaration.pk, version=previous).update(
        **fields, version=number, content_hash=content_hash(data), updated_at=timezone.now()
    )
    if updated != 1:  # pragma: no cover - the row lock prevents it
        raise _version_conflict(declaration)
    for name, value in fields.items():
        setattr(declaration, name, value)
    declaration.version = number

    Party.objects.filter(declaration=declaration).delete()
    Party.objects.bulk_create(
        Party(
            declaration=declaration,
            role=p.role.value,
            eori=p.eori,
            name=p.name,
            street=p.street,
            city=p.city,
            postcode=p.postcode,
            country=p.country,
        )
        for p in data.parties
    )
    Document.objects.filter(declaration=declaration).delete()
    stored = {i.sequence: i for i in GoodsItem.objects.filter(declaration=declaration)}
    wanted = {i.sequence for i in data.items}
    GoodsItem.objects.filter(declaration=declaration).exclude(sequence__in=wanted).delete()
    rows: list[GoodsItem] = []
    to_update: list[GoodsItem] = []
    to_create: list[GoodsItem] = []
    for position, item in enumerate(data.items, start=1):
        values = {name: getattr(item, name) for name in ITEM_FIELDS}
        row = stored.get(item.sequence or 0)
        if row is None:
            row = GoodsItem(
                declaration=declaration, position=position, hs_subheading=item.commodity_code[:6], **values
            )
            to_create.append(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.position = position
            row.hs_subheading = item.commodity_code[:6]
            to_update.append(row)
        rows.append(row)
    if to_update:
        GoodsItem.objects.bulk_update(to_update, [*ITEM_FIELDS, "position", "hs_subheading"])
    if to_create:
        GoodsItem.objects.bulk_create(to_create)
    documents = [_document_row(declaration, None, pos, d) for pos, d in enumerate(data.documents, start=1)]
    for row, item in zip(rows, data.items, strict=True):
        documents.extend(
            _document_row(declaration, row, pos, d) for pos, d in enumerate(item.documents, start=1)
        )
    Document.objects.bulk_create(documents)
    # Tax lines follow their items' content: replaced whole, like documents.
    ItemTaxLine.objects.filter(item__declaration=declaration).delete()
    ItemTaxLine.objects.bulk_create(tax_line_rows(rows, data.items))


def declaration_cancel(
    *,
    user: User,
    declaration: Declaration,
    reason: str,
    channel: Channel,
    reason_code: str = "",
    message_reference: str = "",
    source_body: str = "",
    reason_limit: int | None = REASON_MAX,
) -> CancelResult:
    """Cancel before release (or after a refusal), or ask customs to invalidate after release.

    The reason is mandatory. Before release the declaration becomes ``cancelled`` at once and its
    open reviews are withdrawn by clearance (outbox ``declarations.declaration.cancelled``); after
    release a ``PostReleaseRequest`` of kind invalidation waits for customs.
    """
    reason = _reason(reason, required=True, limit=reason_limit)
    with transaction.atomic(durable=True):
        locked = Declaration.objects.select_for_update().get(pk=declaration.pk)
        data = {"channel": channel, "reason_code": reason_code, "message_reference": message_reference}
        if locked.status == Status.RELEASED:
            if _open_request(locked):
                raise Conflict(
                    "request_open",
                    _("A request about declaration %(mrn)s is already waiting for customs.")
                    % {"mrn": locked.mrn},
                )
            request = PostReleaseRequest.objects.create(
                declaration=locked, kind=RequestKind.INVALIDATION, reason=reason, requested_by=user
            )
            audit_log(
                action="declarations.declaration.invalidation_requested",
                obj=locked,
                actor=user,
                data={**data, "reason": reason, "request": request.pk, "message": source_body[:2000]},
            )
            outbox_put(
                topic=TOPIC_REQUEST_CREATED,
                object_id=locked.pk,
                payload={"request": request.pk, "kind": RequestKind.INVALIDATION},
            )
            return CancelResult(declaration=locked, request=request)
        if locked.status not in CANCELLABLE:
            raise Conflict(
                "declaration_state",
                _("Declaration %(mrn)s is %(status)s and cannot be cancelled.")
                % {"mrn": locked.mrn, "status": locked.get_status_display()},
            )
        cancelled = declaration_transition(
            declaration_id=locked.pk,
            expected=CANCELLABLE,
            to=Status.CANCELLED,
            actor=user,
            action="declarations.declaration.cancelled",
            reason=reason,
            data={**data, "version": locked.version},
            locked=locked,
        )
        outbox_put(topic=TOPIC_CANCELLED, object_id=locked.pk, payload={"reason": reason})
        return CancelResult(declaration=cancelled)


def request_decide(*, request_id: int, officer: User, grant: bool, reason: str) -> PostReleaseRequest:
    """Customs grants or refuses a request after release; the caller checked the officer is customs.

    Granted amendment: its version comes in force (the declaration stays released). Granted
    invalidation: the declaration becomes ``invalidated``. Refused: nothing changes but the request.
    A reason is mandatory to refuse. Two officers deciding at once: one wins (``request_decided``).
    """
    reason = _reason(reason, required=not grant)
    with transaction.atomic(durable=True):
        request = PostReleaseRequest.objects.select_related("declaration").filter(pk=request_id).first()
        if request is None:
            raise NotFound(_("No such request."))
        declaration = Declaration.objects.select_for_update().get(pk=request.declaration_id)
        now = timezone.now()
        outcome = RequestStatus.GRANTED if grant else RequestStatus.REFUSED
        updated = PostReleaseRequest.objects.filter(pk=request.pk, status=RequestStatus.PENDING).update(
            status=outcome, decided_by=officer, decided_at=now, decision_reason=reason
        )
        if updated != 1:
            raise Conflict("request_decided", _("This request has already been decided."))
        request.refresh_from_db()
        data = {"request": request.pk, "kind": request.kind, "outcome": outcome, "reason": reason}
        if grant and request.kind == RequestKind.AMENDMENT:
            assert request.version is not None
            version = request.version
            before = current_data(declaration).to_dict()
            changes = diff(before, version.data)
            _in_force(
                declaration, data=version.to_data(), number=version.number, previous=declaration.version
            )
            audit_log(
                action="declarations.declaration.amendment_granted",
                obj=declaration,
                actor=officer,
                data={**data, "version": version.number, "changes_count": len(changes)},
            )
            response_record(declaration=declaration, kind=ResponseKind.REQUEST_GRANTED)
        elif grant:
            declaration_transition(
                declaration_id=declaration.pk,
                expected={Status.RELEASED},
                to=Status.INVALIDATED,
                actor=officer,
                action="declarations.declaration.invalidated",
                reason=reason or request.reason,
                data=data,
                locked=declaration,
            )
        else:
            audit_log(action="declarations.request.refused", obj=declaration, actor=officer, data=data)
            response_record(declaration=declaration, kind=ResponseKind.REQUEST_DENIED, reasons=[reason])
        outbox_put(
            topic=TOPIC_REQUEST_DECIDED,
            object_id=declaration.pk,
            payload={"request": request.pk, "kind": request.kind, "outcome": outcome},
        )
        return request


def items_seen(user: User | None, declaration: Declaration) -> set[int] | None:
    """The goods item numbers a user limited to part of the declaration sees; None: all of it."""
    from .selectors import partial_view

    view = partial_view(user, declaration)
    return None if view is None else set(view.items.values_list("sequence", flat=True))


def changes_seen(changes: list[Change], seen: set[int] | None) -> list[Change]:
    """The changes about the header and the goods items ``seen`` (None: every change)."""
    return [
        c
        for c in changes
        if seen is None or not c.path.startswith("items.") or int(c.path.split(".")[1]) in seen
    ]


def versions_of(declaration: Declaration) -> list[DeclarationVersion]:
    return list(DeclarationVersion.objects.filter(declaration=declaration).select_related("created_by"))


def version_diff(declaration: Declaration, a: int, b: int) -> list[Change]:
    """Field-by-field difference from version ``a`` to version ``b`` of the declaration."""
    found = {
        v.number: v for v in DeclarationVersion.objects.filter(declaration=declaration, number__in=[a, b])
    }
    if a not in found or b not in found:
        raise NotFound(_("No such version."))
    return diff(found[a].data, found[b].data)


def json_body(data: Any) -> str:
    return json.dumps(data, default=str, sort_keys=True)


# WCO DMS additional messages (function code 13 with COR or INV, or 14) -----------------------


@dataclass
class MessageResult:
    """What an XML message did: a lodgement, an amendment or a cancellation."""

    kind: str  # "declaration", "amendment" or "cancellation"
    declaration: Declaration
    lodged: Any = None  # services.LodgeResult
    amended: AmendResult | None = None
    cancelled: CancelResult | None = None

    @property
    def warnings(self) -> list[Issue]:
        if self.lodged is not None:
            return list(self.lodged.warnings)
        if self.amended is not None:
            return list(self.amended.warnings)
        return []


def declaration_message_xml(
    *, user: User, body: bytes, channel: Channel, mrn: str | None = None
) -> MessageResult:
    """Take any WCO DMS declaration message: function code 9 lodges, 13/14 amend or cancel.

    An additional message is addressed by its ID (the MRN) or, at ``…/declarations/{mrn}/…``, by
    the URL (an ID naming another of the portal's declarations is then an error). A message whose
    ID the portal never issued (a trade-test message quoting its own system's MRN) is matched by
    its FunctionalReferenceID when that is the LRN of exactly one declaration the user may change.
    """
    from .services import declaration_lodge_xml
    from .wco.amendment import FUNCTION_ORIGINAL, apply_amendment, message_function, read_additional_message

    if message_function(body) == FUNCTION_ORIGINAL and mrn is None:
        lodged = declaration_lodge_xml(user=user, body=body, channel=channel)
        return MessageResult(kind="declaration", declaration=lodged.declaration, lodged=lodged)
    message = read_additional_message(body)
    errors = [i for i in message.issues if i.severity == "error"]
    if errors or not message.kind:
        raise LodgementRejected(errors or message.issues)
    declaration = _addressed(user, message.mrn, message.reference, mrn)
    text = body.decode("utf-8", errors="replace")
    if message.submitter:
        actable = set(accounts_actable(user).values_list("eori", flat=True))
        if message.submitter not in actable:
            raise LodgementRejected(
                [
                    Issue(
                        "submitter_not_authorised",
                        _(
                            "You may not submit for %(eori)s: you are not a member of that account or "
                            "authorised to represent it."
                        )
                        % {"eori": message.submitter},
                        pointer="42A/41A ID",
                    )
                ]
            )
    if message.kind == "cancellation":
        cancelled = declaration_cancel(
            user=user,
            declaration=declaration,
            reason=message.reason,
            channel=channel,
            reason_code=message.reason_code,
            message_reference=message.reference,
            source_body=text,
            reason_limit=None,
        )
        return MessageResult(kind="cancellation", declaration=cancelled.declaration, cancelled=cancelled)
    data, issues = apply_amendment(message, current_data(declaration))
    amended = declaration_amend(
        user=user,
        declaration=declaration,
        data=data,
        channel=channel,
        reason=message.reason,
        reason_code=message.reason_code,
        message_reference=message.reference,
        source_body=text,
        source_content_type="application/xml",
        extra_issues=issues,
        reason_limit=None,  # the schema bounds each statement (512) and the parser their number
    )
    return MessageResult(kind="amendment", declaration=amended.declaration, amended=amended)


def _addressed(user: User, message_mrn: str, reference: str, url_mrn: str | None) -> Declaration:
    from .selectors import declarations_visible_to

    def missing() -> LodgementRejected:
        return LodgementRejected(
            [
                Issue(
                    "declaration_unknown",
                    _("No declaration you may change has MRN %(mrn)s or LRN %(lrn)s.")
                    % {"mrn": message_mrn or "—", "lrn": reference or "—"},
                    pointer="42A ID",
                )
            ],
            status=404,
        )

    if url_mrn is not None:
        declaration = declaration_for_change(user, url_mrn)
        if message_mrn and message_mrn != url_mrn and Declaration.objects.filter(mrn=message_mrn).exists():
            raise LodgementRejected(
                [
                    Issue(
                        "declaration_mismatch",
                        _("The message is about declaration %(other)s, not %(mrn)s.")
                        % {"other": message_mrn, "mrn": url_mrn},
                        pointer="42A ID",
                    )
                ]
            )
        return declaration
    visible = declarations_visible_to(user).exclude(status=Status.DRAFT)
    found = visible.filter(mrn=message_mrn).first() if message_mrn else None
    if found is None and not Declaration.objects.filter(mrn=message_mrn).exists() and reference:
        by_lrn = list(visible.filter(lrn=reference)[:2])
        found = by_lrn[0] if len(by_lrn) == 1 else None
    if found is None or not may_act_on(user, found):
        raise missing()
    return found
