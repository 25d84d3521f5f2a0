"""Documents (DE 2/1, 2/3) on the declaration and its goods items."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _

from declarations import refdata
from declarations.canonical import (
    DocumentData,
    DocumentKind,
    Issue,
)
from declarations.models import Document

from .base import DOCUMENT_CODE_PATTERN, MAX_ITEM_DOCUMENTS, _error, _warning
from .codes import _check_currency
from .numbers import _check_numbers
from .texts import _check_texts


def _check_documents(
    prefix: str,
    documents: list[DocumentData],
    where: str,
    *,
    code_required: bool = True,
    most: int = MAX_ITEM_DOCUMENTS,
) -> Iterable[Issue]:
    if len(documents) > most:
        # Beyond this the XML the portal writes for the declaration would be refused, by CDS and
        # by the portal's own reader.
        yield _error(
            "too_many_documents",
            f"{prefix}.{most + 1}",
            _("%(where)s has %(count)s documents; at most %(max)s are allowed.")
            % {"where": where, "count": len(documents), "max": most},
        )
    for position, document in enumerate(documents, start=1):
        yield from _check_numbers(
            f"{prefix}.{position}",
            _("%(where)s, document %(position)s") % {"where": where, "position": position},
            document,
            Document,
        )
        yield from _check_texts(
            f"{prefix}.{position}",
            _("%(where)s, document %(position)s") % {"where": where, "position": position},
            document,
        )
        if document.write_off_currency:
            yield from _check_currency(f"{prefix}.{position}.write_off_currency", document.write_off_currency)
        if not document.code and not code_required:
            continue
        if not DOCUMENT_CODE_PATTERN.fullmatch(document.code):
            yield _error(
                "document_code_format",
                f"{prefix}.{position}.code",
                _(
                    "%(where)s: document %(position)s has code %(code)s; a document code is four letters "
                    "or digits (for example N935)."
                )
                % {"where": where, "position": position, "code": document.code or "—"},
            )
        elif document.kind is DocumentKind.ADDITIONAL and refdata.document_code(document.code) is None:
            # Previous documents (DE 2/1) are a category and a document type, checked for format only.
            # The shipped DE 2/3 list is HMRC's published one (the codes that need a reason) plus the
            # codes of its accepted samples, not the whole TARIC list: an unlisted code is a warning
            # until the administration loads its full list and sets SW_STRICT_DOCUMENT_CODES.
            report = _error if settings.SW_STRICT_DOCUMENT_CODES else _warning
            yield report(
                "document_code_unknown",
                f"{prefix}.{position}.code",
                _(
                    "%(where)s: document %(position)s has code %(code)s, which is not in the list of "
                    "document codes; check the code (for example N935)."
                )
                % {"where": where, "position": position, "code": document.code},
            )
