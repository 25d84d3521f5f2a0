"""Lodgement: validate a canonical declaration, decide who it belongs to, store it, issue the MRN.

Every channel ends here: the browser form, the XML upload, the API (JSON or XML) and the bulk
command. Nothing is stored unless everything is right; then the declaration, its items, parties,
documents, the message as received, the audit event and the outbox row commit together.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import accounts_actable
from accounts.models import TraderAccount, User
from singlewindow.audit import audit_log
from singlewindow.errors import Conflict
from singlewindow.outbox import outbox_put

from . import validation
from .canonical import DeclarationData, DocumentData, Issue, ItemData, TaxLineData
from .errors import LodgementRejected, LrnConflict
from .models import (
    Channel,
    Declaration,
    DeclarationVersion,
    Document,
    GoodsItem,
    ItemTaxLine,
    Party,
    ResponseKind,
    SourceMessage,
    Status,
    VersionKind,
)
from .mrn import mrn_new
from .responses import response_on_transition, response_record
from .selectors import declarations_visible_to
from .wco.reader import read_declaration

TOPIC_ACCEPTED = "declarations.declaration.accepted"

# Every scalar of the canonical header is a column of Declaration with the same name.
HEADER_FIELDS = [
    f.name for f in dataclasses.fields(DeclarationData) if f.name not in {"parties", "documents", "items"}
]
ITEM_FIELDS = [f.name for f in dataclasses.fields(ItemData) if f.name not in {"documents", "tax_lines"}]
# Every attribute of a tax line is a column of ItemTaxLine with the same name.
TAX_LINE_FIELDS = [f.name for f in dataclasses.fields(TaxLineData)]

# Data elements the canonical form gained after declarations were lodged without them: left out of
# the content hash while empty, so a declaration lodged before keeps its hash and the same message
# sent again is still recognised as the same lodgement.
_HASHED_ONLY_WHEN_GIVEN = {
    "header": ("freight_amount", "freight_currency"),
    "item": ("valuation_indicator", "preference", "tax_lines"),
}


@dataclass
class LodgeResult:
    declaration: Declaration
    created: bool  # False when an identical lodgement of the same LRN returned the first declaration
    warnings: list[Issue]


def content_hash(data: DeclarationData) -> str:
    """A fingerprint of the canonical content: equal for the same declaration whatever the channel."""
    content = data.to_dict()
    for name in _HASHED_ONLY_WHEN_GIVEN["header"]:
        if content.get(name) in (None, "", []):
            content.pop(name, None)
    for item in content.get("items", []):
        for name in _HASHED_ONLY_WHEN_GIVEN["item"]:
            if item.get(name) in (None, "", []):
                item.pop(name, None)
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def declaration_lodge(
    *,
    user: User,
    data: DeclarationData,
    channel: Channel,
    source_body: str = "",
    source_content_type: str = "",
    draft: Declaration | None = None,
    extra_issues: list[Issue] | None = None,
) -> LodgeResult:
    """Accept a declaration or raise ``LodgementRejected`` listing every error; nothing half-stored.

    Side effects on acceptance, in one transaction: the declaration with an MRN (a ``draft`` given
    becomes it), its parts, the source message, an audit event and an outbox row for clearance.
    The same LRN from the same declarant returns the first declaration when the content is
    identical and raises ``LrnConflict`` when it differs.
    """
    # The parties' accounts are read once, for the rules and for storing.
    declarant, trader = validation.resolve_accounts(data)
    issues = list(extra_issues or []) + validation.validate(data, user=user, accounts=(declarant, trader))
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise LodgementRejected(errors, data=data)
    warnings = [i for i in issues if i.severity != "error"]
    assert declarant is not None  # validate() reported an unregistered declarant as an error
    digest = content_hash(data)

    existing = _existing_lodgement(declarant=declarant, lrn=data.lrn)
    if existing is not None:
        return _replay(existing=existing, digest=digest, user=user, warnings=warnings)
    try:
        declaration = _store(
            user=user,
            data=data,
            channel=channel,
            declarant=declarant,
            trader=trader,
            digest=digest,
            source_body=source_body,
            source_content_type=source_content_type,
            draft=draft,
        )
    except IntegrityError:
        # Two lodgements of the same LRN raced: the database let only the first in.
        existing = _existing_lodgement(declarant=declarant, lrn=data.lrn)
        if existing is None:
            raise
        return _replay(existing=existing, digest=digest, user=user, warnings=warnings)
    return LodgeResult(declaration=declaration, created=True, warnings=warnings)


def _existing_lodgement(*, declarant: TraderAccount, lrn: str) -> Declaration | None:
    return (
        Declaration.objects.exclude(status=Status.DRAFT).filter(declarant_account=declarant, lrn=lrn).first()
    )


def _lrn_conflict_message(*, existing: Declaration, visible: bool) -> str:
    if visible:
        return _(
            "LRN %(lrn)s was already used by this declarant for declaration %(mrn)s with different "
            "content. Use a new LRN for a new declaration."
        ) % {"lrn": existing.lrn, "mrn": existing.mrn}
    return _(
        "LRN %(lrn)s was already used by this declarant for another declaration. Use a new LRN "
        "for a new declaration."
    ) % {"lrn": existing.lrn}


def lrn_taken(*, user: User, data: DeclarationData) -> Issue | None:
    """The ``lrn_conflict`` a lodgement of ``data`` would meet, told with the rules' errors.

    ``declaration_lodge`` checks the LRN only once the rules pass, so a form with other errors
    would learn of a taken LRN one round later. Only for a declarant the user may lodge for: nobody
    learns which LRNs another account has used.
    """
    if not data.lrn:
        return None
    declarant, _trader = validation.resolve_accounts(data)
    if declarant is None or not accounts_actable(user).filter(pk=declarant.pk).exists():
        return None
    existing = _existing_lodgement(declarant=declarant, lrn=data.lrn)
    if existing is None:
        return None
    visible = declarations_visible_to(user).filter(pk=existing.pk).exists()
    return Issue("lrn_conflict", _lrn_conflict_message(existing=existing, visible=visible), field="lrn")


def _replay(*, existing: Declaration, digest: str, user: User, warnings: list[Issue]) -> LodgeResult:
    # Someone who may act for the declarant but may not read its earlier declaration (a broker
    # that did not lodge it) learns that the LRN is taken, never which declaration holds it.
    visible = declarations_visible_to(user).filter(pk=existing.pk).exists()
    if existing.content_hash != digest or not visible:
        message = _lrn_conflict_message(existing=existing, visible=visible)
        raise LrnConflict(
            "lrn_conflict",
            message,
            errors=[
                {
                    "pointer": "42A FunctionalReferenceID",
                    "field": "lrn",
                    "code": "lrn_conflict",
                    "message": message,
                }
            ],
        )
    with transaction.atomic():
        audit_log(action="declarations.declaration.lodge_replayed", obj=existing, actor=user)
    return LodgeResult(declaration=existing, created=False, warnings=warnings)


def _mrn_unused(now: Any) -> str:
    for _attempt in range(5):
        mrn = mrn_new(at=now)
        if not Declaration.objects.filter(mrn=mrn).exists():
            return mrn
    raise RuntimeError("could not find an unused MRN")  # pragma: no cover - 36^13 space


@transaction.atomic(durable=True)
def _store(
    *,
    user: User,
    data: DeclarationData,
    channel: Channel,
    declarant: TraderAccount,
    trader: TraderAccount | None,
    digest: str,
    source_body: str,
    source_content_type: str,
    draft: Declaration | None,
) -> Declaration:
    now = timezone.now()
    fields: dict[str, Any] = {name: getattr(data, name) for name in HEADER_FIELDS}
    fields.update(
        mrn=_mrn_unused(now),
        status=Status.ACCEPTED,
        channel=channel,
        direction=data.direction.value if data.direction else "",
        declarant_account=declarant,
        trader_account=trader or declarant,
        accepted_at=now,
        content_hash=digest,
        draft_payload=None,
    )
    if draft is not None:
        # The draft becomes the declaration; if someone submitted it meanwhile, this updates nothing.
        updated = Declaration.objects.filter(pk=draft.pk, status=Status.DRAFT, lodged_by=user).update(
            **fields, updated_at=now
        )
        if updated != 1:
            raise Conflict("draft_not_open", _("This draft has already been submitted or removed."))
        declaration = Declaration.objects.get(pk=draft.pk)
    else:
        declaration = Declaration.objects.create(lodged_by=user, **fields)

    parties = Party.objects.bulk_create(
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
    items = GoodsItem.objects.bulk_create(
        GoodsItem(
            declaration=declaration,
            position=position,
            hs_subheading=item.commodity_code[:6],
            **{name: getattr(item, name) for name in ITEM_FIELDS},
        )
        for position, item in enumerate(data.items, start=1)
    )
    documents = [_document_row(declaration, None, pos, d) for pos, d in enumerate(data.documents, start=1)]
    for stored, item in zip(items, data.items, strict=True):
        documents.extend(
            _document_row(declaration, stored, pos, d) for pos, d in enumerate(item.documents, start=1)
        )
    Document.objects.bulk_create(documents)
    tax_lines = ItemTaxLine.objects.bulk_create(tax_line_rows(items, data.items))
    _keep_parts(declaration, parties=parties, items=items, documents=documents, tax_lines=tax_lines)
    if source_body:
        SourceMessage.objects.create(
            declaration=declaration, content_type=source_content_type, body=source_body
        )
    # Version 1: the content as lodged (its message is the SourceMessage above).
    DeclarationVersion.objects.create(
        declaration=declaration,
        number=1,
        kind=VersionKind.ORIGINAL,
        data=data.to_dict(),
        content_hash=digest,
        created_by=user,
        channel=channel,
        message_reference=data.lrn,
    )

    audit_log(
        action="declarations.declaration.accepted",
        obj=declaration,
        actor=user,
        data={
            "from": Status.DRAFT if draft else None,
            "to": Status.ACCEPTED,
            "mrn": declaration.mrn,
            "lrn": declaration.lrn,
            "channel": channel,
        },
    )
    outbox_put(topic=TOPIC_ACCEPTED, object_id=declaration.pk, payload={"mrn": declaration.mrn})
    # Kept on the stored declaration for the lodgement's answer (``api.responses.acceptance_of``).
    declaration.acceptance_response = response_record(  # type: ignore[attr-defined]
        declaration=declaration, kind=ResponseKind.ACCEPTED, at=now
    )
    return declaration


def _related_cache(instance: Any, name: str, rows: list[Any]) -> None:
    """Keep ``rows`` as ``instance.<name>.all()``, as ``prefetch_related`` would (no query)."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def _keep_parts(
    declaration: Declaration,
    *,
    parties: list[Party],
    items: list[GoodsItem],
    documents: list[Document],
    tax_lines: list[ItemTaxLine],
) -> None:
    """Keep the parts just written on the stored declaration, in the models' orderings, so that
    what answers the lodgement (``selectors.declaration_with_details(…, parts_from=…)``) does not
    read them back. Only where the database gave the rows their keys (PostgreSQL)."""
    if any(row.pk is None for row in [*parties, *items, *documents, *tax_lines]):
        return
    lines: dict[int, list[ItemTaxLine]] = {}
    for line in tax_lines:
        lines.setdefault(line.item_id, []).append(line)
    for item in items:
        _related_cache(item, "tax_lines", sorted(lines.get(item.pk, []), key=lambda t: t.sequence))
    _related_cache(declaration, "parties", sorted(parties, key=lambda p: p.pk))
    _related_cache(declaration, "items", sorted(items, key=lambda i: i.position))
    _related_cache(declaration, "documents", sorted(documents, key=lambda d: d.position))


def _document_row(
    declaration: Declaration, item: GoodsItem | None, position: int, doc: DocumentData
) -> Document:
    return Document(
        declaration=declaration,
        item=item,
        position=position,
        kind=doc.kind.value,
        code=doc.code,
        reference=doc.reference,
        status=doc.status,
        line=doc.line,
        write_off_quantity=doc.write_off_quantity,
        write_off_unit=doc.write_off_unit,
        write_off_amount=doc.write_off_amount,
        write_off_currency=doc.write_off_currency,
    )


def tax_line_rows(stored: list[GoodsItem], items: list[ItemData]) -> list[ItemTaxLine]:
    """The tax line rows of each stored goods item, numbered 1..n in the order declared."""
    return [
        ItemTaxLine(item=row, sequence=sequence, **{name: getattr(line, name) for name in TAX_LINE_FIELDS})
        for row, item in zip(stored, items, strict=True)
        for sequence, line in enumerate(item.tax_lines, start=1)
    ]


@transaction.atomic(durable=True)
def declaration_save_draft(
    *, user: User, payload: dict[str, Any], draft: Declaration | None = None
) -> Declaration:
    """Keep the form's input as a draft the user can resume; nothing is validated or lodged."""
    lrn = str(payload.get("lrn", ""))[:22]
    if draft is None:
        draft = Declaration.objects.create(
            lodged_by=user, status=Status.DRAFT, channel=Channel.WEB_FORM, lrn=lrn, draft_payload=payload
        )
    else:
        updated = Declaration.objects.filter(pk=draft.pk, status=Status.DRAFT, lodged_by=user).update(
            lrn=lrn, draft_payload=payload, updated_at=timezone.now()
        )
        if updated != 1:
            raise Conflict("draft_not_open", _("This draft has already been submitted or removed."))
        draft.refresh_from_db()
    audit_log(action="declarations.declaration.drafted", obj=draft, actor=user, data={"lrn": lrn})
    return draft


@transaction.atomic(durable=True)
def declaration_draft_delete(*, user: User, draft: Declaration) -> None:
    """Delete one of the user's drafts, with an audit event; a lodged declaration is never deleted.

    Compare-and-set on the status: a draft submitted meanwhile (another tab) is a declaration now
    and stays; ``Conflict`` ``draft_not_open`` says so.
    """
    lrn = draft.lrn
    deleted, _by_model = Declaration.objects.filter(pk=draft.pk, status=Status.DRAFT, lodged_by=user).delete()
    if not deleted:
        raise Conflict("draft_not_open", _("This draft has already been submitted or removed."))
    audit_log(action="declarations.declaration.draft_deleted", obj=draft, actor=user, data={"lrn": lrn})


@transaction.atomic(durable=True)
def declaration_copy_to_draft(*, user: User, payload: dict[str, Any], source: Declaration) -> Declaration:
    """A new draft of ``user`` holding ``payload`` (the form's input copied from ``source``, without
    its LRN); audited on the new draft with where it came from. The caller checked that the user
    may read ``source`` and lodge."""
    draft = Declaration.objects.create(
        lodged_by=user, status=Status.DRAFT, channel=Channel.WEB_FORM, lrn="", draft_payload=payload
    )
    origin = {"mrn": source.mrn} if source.mrn else {"draft": source.pk}
    audit_log(action="declarations.declaration.copied", obj=draft, actor=user, data={"from": origin})
    return draft


def declaration_lodge_xml(*, user: User, body: bytes, channel: Channel) -> LodgeResult:
    """Lodge a WCO DM XML message: hardened parse, schema, mapping, then ``declaration_lodge``.

    Raises ``XmlRejected`` for hostile or broken input (before any work), ``LodgementRejected``
    for schema, mapping or rule errors (each pointing at the element), ``LrnConflict``.
    """
    result = read_declaration(body)
    errors = [i for i in result.issues if i.severity == "error"]
    if result.data is None or errors:
        raise LodgementRejected(errors or result.issues, data=result.data)
    return declaration_lodge(
        user=user,
        data=result.data,
        channel=channel,
        source_body=body.decode("utf-8", errors="replace"),
        source_content_type="application/xml",
        extra_issues=result.issues,
    )


def declaration_transition(
    *,
    declaration_id: int,
    expected: Collection[str],
    to: str,
    actor: User | None,
    action: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
    locked: Declaration | None = None,
) -> Declaration:
    """Move a lodged declaration from one of the ``expected`` states to ``to``; the one way to do it.

    Compare-and-set (``UPDATE … WHERE status IN expected``) under the row lock, plus the audit event
    ``action`` (from, to, reason and ``data``), in the caller's transaction (or its own). Raises
    ``Conflict`` (code ``declaration_state``) when the declaration is in another state: someone
    moved it first. Returns the declaration as stored after the change.

    ``locked``: the declaration as read under ``select_for_update`` by a caller whose transaction
    still holds that lock (routing, consolidation). Nobody can have moved it since, so it is not
    read again and no savepoint is taken: two statements (the update and the audit event).
    """
    expected = {str(s) for s in expected}
    if locked is not None:
        if not transaction.get_connection().in_atomic_block or locked.pk != declaration_id:
            raise RuntimeError("declaration_transition(locked=…) needs the caller's locked row")
        return _transition_locked(
            declaration=locked, expected=expected, to=to, actor=actor, action=action, reason=reason, data=data
        )
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration_id)
        return _transition_locked(
            declaration=declaration,
            expected=expected,
            to=to,
            actor=actor,
            action=action,
            reason=reason,
            data=data,
        )


def _transition_locked(
    *,
    declaration: Declaration,
    expected: set[str],
    to: str,
    actor: User | None,
    action: str,
    reason: str,
    data: dict[str, Any] | None,
) -> Declaration:
    before = declaration.status
    updated = 0
    if before in expected:
        updated = Declaration.objects.filter(pk=declaration.pk, status__in=expected).update(
            status=to, updated_at=timezone.now()
        )
    if updated != 1:
        raise Conflict(
            "declaration_state",
            _("Declaration %(mrn)s is %(status)s; this action needs it to be %(expected)s.")
            % {
                "mrn": declaration.mrn,
                "status": declaration.get_status_display(),
                "expected": ", ".join(str(Status(s).label) for s in sorted(expected)),
            },
        )
    declaration.status = to
    audit_log(
        action=action,
        obj=declaration,
        actor=actor,
        data={"from": before, "to": to, "reason": reason, **(data or {})},
    )
    # The trader is answered in its standard (a DMS response) in the same transaction.
    response_on_transition(declaration=declaration, before=before, to=to, reason=reason, data=data)
    return declaration
