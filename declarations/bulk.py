"""Many XML files from the upload page: each one lodged (or only checked) on its own.

Each file goes through the same service as a single upload (``services.declaration_lodge_xml``,
one durable transaction per declaration), so a refused or broken file never undoes one accepted
before it, and every file gets its own answer: accepted with its MRN, already lodged (the same LRN
and content: the existing declaration), refused with every error and where it is, or not sent
(the user's lodgement rate ran out). The page with JavaScript sends the files to the API one by one
instead and shows the same answers (``static/js/bulk-upload.js``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from accounts.models import User
from singlewindow.errors import DomainError

from . import catalogue, checking, services
from .errors import LodgementRejected
from .forms.upload import upload_too_large_message
from .models import Channel

logger = logging.getLogger(__name__)

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REFUSED = "refused"
VALID = "valid"
NOT_SENT = "not_sent"
# File names are the user's own text: shown escaped, and cut to a length a page can hold.
MAX_NAME = 200


@dataclass
class FileResult:
    """What became of one file of a batch."""

    name: str
    outcome: str
    mrn: str = ""
    lodgement_status: int | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return self.outcome == REFUSED

    @property
    def error_rows(self) -> list[dict[str, str]]:
        return [where(e) for e in self.errors]

    @property
    def warning_rows(self) -> list[dict[str, str]]:
        return [where(w) for w in self.warnings]


def where(issue: dict[str, str]) -> dict[str, str]:
    """An issue with its pointer split into the WCO element (the class path) and the data element,
    and the data element's number from the field catalogue.

    ``67A/68A[2]/23A/65A NetNetWeightMeasure`` about ``items.2.net_mass``: element
    ``67A/68A[2]/23A/65A``, data element ``NetNetWeightMeasure``, DE ``6/1``. An issue about the
    whole message has none of them.
    """
    pointer = issue.get("pointer") or ""
    element, _sep, data_element = pointer.partition(" ")
    row = catalogue.element(issue["field"]) if issue.get("field") else None
    return {**issue, "element": element, "data_element": data_element, "de": row.de if row else ""}


def de_numbers() -> dict[str, str]:
    """Catalogue key to data element number, for the page's script (it reads ``field`` the same way)."""
    return {key: row.de for key, row in catalogue.ELEMENTS.items() if row.de}


def batch_process(
    *,
    user: User,
    files: Iterable[UploadedFile],
    check_only: bool,
    allow: Callable[[], float | None],
) -> list[FileResult]:
    """Lodge (or check) each file in turn; never raises for a file.

    ``allow`` is asked before each file: ``None`` to go on, or the seconds to wait when the user's
    rate (of lodgements, or of checks) is spent; that file and the rest are then not sent.
    """
    results: list[FileResult] = []
    wait: float | None = None
    for upload in files:
        name = (upload.name or _("(no name)"))[:MAX_NAME]
        if wait is None:
            wait = allow()
        if wait is not None:
            results.append(_not_sent(name, wait))
            continue
        results.append(_one(user=user, name=name, upload=upload, check_only=check_only))
    return results


def _one(*, user: User, name: str, upload: UploadedFile, check_only: bool) -> FileResult:
    # Refused by the size the upload reports, and never more than the cap read either way.
    if upload.size is not None and upload.size > settings.SW_MAX_XML_BYTES:
        return _refused(name, "too_large", upload_too_large_message(upload.size), status=413)
    body = upload.read(settings.SW_MAX_XML_BYTES + 1)
    if len(body) > settings.SW_MAX_XML_BYTES:
        return _refused(name, "too_large", upload_too_large_message(), status=413)
    try:
        if check_only:
            return _checked(name, checking.declaration_check_xml(body=body, user=user))
        return _lodged(name, user=user, body=body)
    except Exception:
        # The files before this one are committed and their MRNs must reach the user: one file
        # failing unexpectedly is answered on its own line, never with a 500 for the batch.
        reference = uuid.uuid4().hex[:12]
        logger.exception("bulk upload: file failed unexpectedly (reference %s)", reference)
        message = _(
            "This file could not be processed because of an error on our side; nothing was lodged from "
            "it. Try it again later; if it fails again, quote reference %(reference)s."
        ) % {"reference": reference}
        return _refused(name, "server_error", message, status=500)


def _lodged(name: str, *, user: User, body: bytes) -> FileResult:
    try:
        result = services.declaration_lodge_xml(user=user, body=body, channel=Channel.WEB_XML)
    except LodgementRejected as exc:
        return FileResult(
            name, REFUSED, lodgement_status=exc.status, errors=[i.as_dict() for i in exc.issues]
        )
    except DomainError as exc:  # XmlRejected (not XML, DOCTYPE, too large …), LrnConflict
        return FileResult(name, REFUSED, lodgement_status=exc.status, errors=list(exc.errors))
    return FileResult(
        name,
        ACCEPTED if result.created else DUPLICATE,
        mrn=result.declaration.mrn or "",
        lodgement_status=201 if result.created else 200,
        warnings=[w.as_dict() for w in result.warnings],
    )


def _checked(name: str, result: checking.CheckResult) -> FileResult:
    return FileResult(
        name,
        VALID if result.valid else REFUSED,
        mrn=result.mrn,
        lodgement_status=result.lodgement_status,
        errors=result.errors,
        warnings=result.warnings,
    )


def _refused(name: str, code: str, message: str, *, status: int) -> FileResult:
    return FileResult(
        name, REFUSED, lodgement_status=status, errors=[{"pointer": "", "code": code, "message": message}]
    )


def _not_sent(name: str, wait: float) -> FileResult:
    message = _(
        "Not sent: you have sent as many declarations as the portal takes in this time. Send this "
        "file again in %(seconds)s seconds."
    ) % {"seconds": max(1, round(wait))}
    return FileResult(name, NOT_SENT, errors=[{"pointer": "", "code": "throttled", "message": message}])


def counts(results: list[FileResult]) -> dict[str, Any]:
    """How many files ended each way, for the page's summary."""
    out: dict[str, Any] = {k: 0 for k in (ACCEPTED, DUPLICATE, REFUSED, VALID, NOT_SENT)}
    for result in results:
        out[result.outcome] += 1
    out["total"] = len(results)
    return out
