"""The declaration header: type, LRN, counts, codes and offices."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from declarations import catalogue, categories, refdata
from declarations.canonical import (
    DeclarationData,
    Issue,
)
from declarations.models import Declaration

from .base import (
    ADDITIONAL_TYPES,
    FUNCTION_CODE_ORIGINAL,
    LRN_MAX_LENGTH,
    LRN_PATTERN,
    MAX_HEADER_DOCUMENTS,
    MAX_ITEMS,
    _error,
    _missing,
    _warning,
)
from .codes import _check_country, _check_currency
from .documents import _check_documents
from .numbers import _check_numbers
from .texts import _check_texts


def _check_type(data: DeclarationData) -> Iterable[Issue]:
    if not data.type_code:
        yield _error(
            "type_code_missing",
            "type_code",
            _(
                "The declaration type is missing: declare IM (import), EX (export) or CO (special fiscal "
                "territory)."
            ),
        )
    elif data.direction is None:
        yield _error(
            "type_code_unknown",
            "type_code",
            _(
                "Declaration type %(code)s is unknown: declare IM (import), EX (export) or CO (special "
                "fiscal territory)."
            )
            % {"code": data.type_code},
        )
    if not data.additional_type:
        yield _error(
            "additional_type_missing",
            "additional_type",
            _(
                "The additional declaration type is missing: declare it, for example A (standard) or D "
                "(pre-lodged)."
            ),
        )
    elif data.additional_type not in ADDITIONAL_TYPES:
        yield _error(
            "additional_type_unknown",
            "additional_type",
            _("Additional declaration type %(code)s is unknown: declare one of %(allowed)s.")
            % {"code": data.additional_type, "allowed": ", ".join(sorted(ADDITIONAL_TYPES))},
        )
    if data.function_code != FUNCTION_CODE_ORIGINAL:
        yield _error(
            "function_code_invalid",
            "function_code",
            _("Function code %(code)s is not allowed here: a new declaration has function code 9 (original).")
            % {"code": data.function_code or "—"},
        )


def _check_lrn(data: DeclarationData) -> Iterable[Issue]:
    lrn = data.lrn
    if not lrn:
        yield _error(
            "lrn_missing",
            "lrn",
            _("The local reference number (LRN) is missing: give the declaration your own unique reference."),
        )
    elif len(lrn) > LRN_MAX_LENGTH:
        yield _error(
            "lrn_too_long",
            "lrn",
            _("The LRN %(lrn)s has %(length)s characters; shorten it to at most %(max)s.")
            % {"lrn": lrn, "length": len(lrn), "max": LRN_MAX_LENGTH},
        )
    elif not LRN_PATTERN.fullmatch(lrn):
        yield _error(
            "lrn_format",
            "lrn",
            _(
                "The LRN %(lrn)s contains characters that are not allowed: use letters, digits, "
                "full stops, hyphens, underscores and single spaces."
            )
            % {"lrn": lrn},
        )


def _check_header_counts(data: DeclarationData) -> Iterable[Issue]:
    count = len(data.items)
    if count == 0:
        yield _error(
            "goods_items_missing", "items", _("The declaration has no goods items: add at least one.")
        )
    elif count > MAX_ITEMS:
        yield _error(
            "goods_items_too_many",
            "items",
            _("The declaration has %(count)s goods items; at most %(max)s are allowed, so split it.")
            % {"count": count, "max": MAX_ITEMS},
        )
    if data.goods_item_quantity is not None and data.goods_item_quantity != count:
        yield _error(
            "goods_item_quantity_mismatch",
            "goods_item_quantity",
            _(
                "The total number of items is declared as %(declared)s but the declaration has %(count)s "
                "goods items; correct the total."
            )
            % {"declared": data.goods_item_quantity, "count": count},
        )
    counts = [item.package_count for item in data.items]
    if data.total_package_quantity is not None and counts and None not in counts:
        total = sum(c for c in counts if c is not None)
        if total != data.total_package_quantity:
            yield _warning(
                "package_total_mismatch",
                "total_package_quantity",
                _(
                    "The total number of packages is declared as %(declared)s but the goods items "
                    "declare %(total)s packages; check the total."
                )
                % {"declared": data.total_package_quantity, "total": total},
            )
    if data.invoice_amount is not None and not data.invoice_currency:
        yield _error(
            "invoice_currency_missing",
            "invoice_currency",
            _("The total amount invoiced has no currency: declare its currency code (for example GBP)."),
        )
    if data.freight_amount is not None and not data.freight_currency:
        yield _error(
            "freight_currency_missing",
            "freight_currency",
            _("The transport costs have no currency: declare their currency code (for example GBP)."),
        )
    yield from _check_numbers("", _("The declaration"), data, Declaration)


# The header's country codes, each checked against the list of countries.
COUNTRIES = (
    "destination_country",
    "export_country",
    "border_transport_nationality",
    "goods_location_country",
)


def _check_header_codes(data: DeclarationData) -> Iterable[Issue]:
    # Header data elements are required by the category of the declaration (of its first item).
    category = categories.category_of(data)
    if not data.destination_country and categories.required("destination_country", category):
        yield _missing(
            "destination_country_missing",
            "destination_country",
            _("The country of destination is missing: declare the country the goods are going to."),
            str(category),
        )
    for field in COUNTRIES:
        label = str(catalogue.element_of(DeclarationData, field).label)
        code = getattr(data, field)
        yield from _check_country(field, label, code)
    if data.invoice_currency:
        yield from _check_currency("invoice_currency", data.invoice_currency)
    if data.freight_currency:
        yield from _check_currency("freight_currency", data.freight_currency)
    if not data.exit_office and categories.required("exit_office", category):
        yield _missing(
            "exit_office_missing",
            "exit_office",
            _(
                "The office of exit is missing: export declarations must name the customs office where the "
                "goods leave."
            ),
            str(category),
        )
    elif data.exit_office and refdata.office_of_exit(data.exit_office) is None:
        yield _error(
            "exit_office_unknown",
            "exit_office",
            _("Office of exit %(code)s is not in the list of offices of exit: check the office code.")
            % {"code": data.exit_office},
        )
    for field, code in (
        ("supervising_office", data.supervising_office),
        ("presentation_office", data.presentation_office),
    ):
        if code and refdata.customs_office(code) is None:
            yield _error(
                "customs_office_unknown",
                field,
                _("Customs office %(code)s is not in the list of customs offices: check the office code.")
                % {"code": code},
            )
    yield from _check_texts("", _("The declaration"), data)
    # Header-level additional documents are DE 2/6 deferment references (an account number, the
    # TT1 import gives no category or type), so their code is checked only when one is given.
    yield from _check_documents(
        "documents", data.documents, _("The declaration"), code_required=False, most=MAX_HEADER_DOCUMENTS
    )
