"""What lodgement would answer for a message, worked out without storing anything.

``declaration_check`` runs every check ``POST /api/v1/declarations`` runs (the hardened XML parse,
the schema and the mapping, or the JSON serializer; the rules; the parties and whether the user may
act for them; the LRN) and returns the verdict: valid or not, the status lodgement would answer,
every error and warning with its pointer, and the summary. It only reads. The validate endpoint,
the "check only" button of the upload page and ``manage.py vendor_check`` answer with it.

The LRN: a declarant's LRN is unique among its lodged declarations. The check says it is taken
only when the user may read the declaration that holds it (then lodging would replay it, or refuse
it naming its MRN); an LRN held by a declaration the user cannot read is not mentioned, so the
check never confirms anything about declarations the user may not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions

from accounts.models import User
from singlewindow.api import validation_errors
from singlewindow.errors import DomainError

from . import validation
from .api.serializers import DeclarationInputSerializer
from .canonical import DeclarationData, Issue
from .models import Declaration, Status
from .selectors import declarations_visible_to
from .services import content_hash
from .wco.reader import read_declaration

XML = "xml"
JSON = "json"


@dataclass
class CheckResult:
    """The verdict on one message. ``lodgement_status`` is what lodging it would answer:
    201 accepted, 200 the same declaration lodged before (``mrn``), 400 refused, 409 the LRN is
    used by another of your declarations, 413 too large."""

    valid: bool
    lodgement_status: int
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    mrn: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "valid": self.valid,
            "lodgement_status": self.lodgement_status,
            "errors": self.errors,
            "warnings": self.warnings,
            "summary": self.summary,
        }
        if self.mrn:
            out["mrn"] = self.mrn
        return out


def refused(errors: list[dict[str, str]], *, status: int = 400) -> CheckResult:
    return CheckResult(valid=False, lodgement_status=status, errors=errors)


def declaration_check_xml(*, body: bytes, user: User | None) -> CheckResult:
    """The verdict on a WCO DM XML message (as ``POST /api/v1/declarations`` with XML)."""
    try:
        result = read_declaration(body)
    except DomainError as exc:  # XmlRejected: too large, DOCTYPE, not well-formed, not a declaration
        return refused(exc.errors, status=exc.status)
    if result.data is None:
        return refused([i.as_dict() for i in result.issues])
    return _check(result.data, user=user, extra=result.issues)


def declaration_check_json(*, payload: Any, user: User | None) -> CheckResult:
    """The verdict on a canonical JSON declaration (as ``POST /api/v1/declarations`` with JSON)."""
    serializer = DeclarationInputSerializer(data=payload)
    if not serializer.is_valid():
        return refused(validation_errors(exceptions.ValidationError(serializer.errors).detail))
    return _check(serializer.to_declaration_data(), user=user)


def _check(data: DeclarationData, *, user: User | None, extra: list[Issue] | None = None) -> CheckResult:
    issues = list(extra or []) + validation.validate(data, user=user)
    errors = [i.as_dict() for i in issues if i.severity == "error"]
    warnings = [i.as_dict() for i in issues if i.severity != "error"]
    summary = data.summary()
    if errors:
        return CheckResult(False, 400, errors, warnings, summary)
    existing = _visible_lodgement(data, user=user)
    if existing is None:
        return CheckResult(True, 201, [], warnings, summary)
    if existing.content_hash == content_hash(data):
        warnings.append(
            {
                "pointer": "42A FunctionalReferenceID",
                "field": "lrn",
                "code": "lrn_lodged",
                "message": _(
                    "LRN %(lrn)s was lodged before with this content as declaration %(mrn)s: lodging it "
                    "again returns that declaration and creates nothing."
                )
                % {"lrn": existing.lrn, "mrn": existing.mrn},
            }
        )
        return CheckResult(True, 200, [], warnings, summary, mrn=existing.mrn or "")
    message = _(
        "LRN %(lrn)s was already used by this declarant for declaration %(mrn)s with different content. "
        "Use a new LRN for a new declaration."
    ) % {"lrn": existing.lrn, "mrn": existing.mrn}
    conflict = {
        "pointer": "42A FunctionalReferenceID",
        "field": "lrn",
        "code": "lrn_conflict",
        "message": message,
    }
    return CheckResult(False, 409, [conflict], warnings, summary)


def _visible_lodgement(data: DeclarationData, *, user: User | None) -> Declaration | None:
    """The lodged declaration holding this LRN for this declarant, if ``user`` may read it."""
    if user is None:
        return None
    declarant, _trader = validation.resolve_accounts(data)
    if declarant is None:
        return None
    return (
        declarations_visible_to(user)
        .exclude(status=Status.DRAFT)
        .filter(declarant_account=declarant, lrn=data.lrn)
        .only("pk", "mrn", "lrn", "content_hash")
        .first()
    )
