"""The portal's own business and reference-data rules for goods declarations.

The WCO schema makes almost every element optional, so what a declaration must carry is decided
here, once, for every channel (form, JSON, XML): ``check_declaration`` returns the problems with a
canonical declaration, each with a stable ``code``, the canonical ``field`` path it is about (the
WCO pointer is derived from it by ``declarations.validation``), and a sentence saying what is
wrong, where, and what to do. Errors stop lodgement; warnings travel with the declaration.

What is mandatory follows HMRC's accepted trade-test declarations, not a reading of the data
element tables alone: every accepted sample in ``../shared/data/wco-dms`` must pass, and each
rejected TT1 variant must fail for the reason HMRC gave. That evidence shapes these choices:

- Standard and supplementary declarations (DE 1/2 additional type A, D, X, Y, Z) carry the full
  item data set. Simplified declarations (B, C, E, F), customs clearance requests (J, K) and the
  final supplementary declaration (Q) were accepted without commodity codes, masses, origin or
  values, so the rules do not demand those there (but check them when given).
- Special fiscal territory declarations (CO) were accepted without masses.
- Net mass is demanded where duty and trade statistics are computed from it: HMRC rejected the
  TT1 import (4071, release from a customs warehouse) without it, but accepted entry into a customs
  warehouse (requested procedure 71) without it.
- Items under the reduced data set for low-value consignments (additional procedure code 1H7)
  were accepted without net mass, origin or item value.
- A declared total of packages that differs from the item package counts is a warning: three
  accepted HMRC samples (TT_IM202a, TT_EX055a, the IMZ aggregated supplementary) declare one.
- A commodity code whose subheading HS 2022 removed (``970200``) is a warning naming the new
  subheadings: two accepted samples use it, and the edition change must still be reported.
- A supplementary-units quantity (DE 6/2) without a unit is accepted when the item has a commodity
  code: 15 items of 12 accepted samples send ``TariffQuantity`` without ``unitCode`` (none sends
  one), as CDS expects, the unit being the one the tariff lays down for the code. With neither,
  nothing says what the quantity counts, so that is an error.
- Every number must fit the database column it is stored in (``_check_numbers``), so no channel
  can store a declaration that cannot be read back.
- Every value must also fit the element of the WCO DM schema the XML writer puts it in: lengths,
  digits, decimal places and the few codes with a fixed shape (``SCHEMA_TEXT_LIMITS``,
  ``SCHEMA_DIGITS``), and text must be one line of characters XML can carry (``_check_texts``).
  Otherwise a declaration accepted from JSON or the form downloads as XML the schema refuses, or
  cannot be written at all.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import refdata
from .canonical import (
    DeclarationData,
    Direction,
    DocumentData,
    DocumentKind,
    Issue,
    ItemData,
    PartyData,
    PartyRole,
)
from .models import Declaration, Document, GoodsItem, Party

# DE 1/2 additional declaration types. A/D standard (arrived / pre-lodged), B/C/E/F simplified,
# J/K customs clearance requests (C21), Q final supplementary, X/Y/Z supplementary.
FULL_DATA_TYPES = frozenset("ADXYZ")
ADDITIONAL_TYPES = FULL_DATA_TYPES | frozenset("BCEFJKQ")
FINAL_SUPPLEMENTARY = "Q"
FUNCTION_CODE_ORIGINAL = "9"

LRN_MAX_LENGTH = 22  # DE 2/5 is an..22
# Letters and digits, with the separators HMRC's accepted samples use (``U.7847323YIPYA``,
# ``TT_IM01d_v1.6_230322_1``, ``NEW-TT-SAMPLE-CUS 9``); no leading, trailing or double spaces.
LRN_PATTERN = re.compile(r"[A-Za-z0-9._-]+(?: [A-Za-z0-9._-]+)*")

MAX_ITEMS = 999  # DE 1/6 goods item number is n..3
# Documents (DE 2/1, 2/3) on one goods item, and on the declaration (its previous documents may run
# to hundreds on a supplementary declaration; the reader takes 999 elements of one name).
MAX_ITEM_DOCUMENTS = 99
MAX_HEADER_DOCUMENTS = 999

# An EORI is a country code and up to 15 characters; UK numbers (GB, and XI for Northern Ireland,
# which is no ISO country) are 12 or 15 digits.
EORI_PATTERN = re.compile(r"([A-Z]{2})([0-9A-Z]{1,15})")
UK_EORI_PREFIXES = frozenset({"GB", "XI"})
UK_EORI_DIGITS = (12, 15)

COMMODITY_CODE_LENGTHS = (6, 8, 10)  # HS subheading, CN, TARIC/national
PROCEDURE_CODE_PATTERN = re.compile(r"[0-9]{4}")
ADDITIONAL_PROCEDURE_CODE_PATTERN = re.compile(r"[0-9A-Z]{3}")
DOCUMENT_CODE_PATTERN = re.compile(r"[0-9A-Z]{4}")

CUSTOMS_WAREHOUSING = "71"
REDUCED_DATA_SET = "1H7"  # low-value consignment reduced data set (SRDS)

# SQLite, the embedded default, stores a DecimalField as REAL (a double). Django reads it back
# through a 15-digit context and quantizes it to the column's decimal places within its
# max_digits, so a value with more digits reads back wrong (9999999999999.999 as
# 10000000000000.000) or raises InvalidOperation on every read of the declaration (99999999999999
# in a 16,3 column). A double keeps any 15 significant digits exactly, so the rules accept at most
# 15 digits, decimal places included, whatever the column allows; PostgreSQL's numeric columns
# hold them exactly too. The columns keep their width (16 and 18 digits): narrowing them would
# rewrite the largest tables for nothing, and this cap is the one place that decides.
STORABLE_DIGITS = 15
# Numbers whose own rule already refuses what the column cannot hold: the item number must be 1
# to 999 (``item_sequence_range``); negative masses and package counts have their own errors.
NUMBERS_WITH_OWN_RANGE = frozenset({"sequence"})
NUMBERS_WITH_OWN_NEGATIVE_RULE = frozenset({"net_mass", "gross_mass", "package_count"})


@dataclass(frozen=True)
class TextLimit:
    """The longest text the schema element takes and, for codes of a fixed shape, that shape."""

    max_length: int
    pattern: re.Pattern[str] | None = None


_DIGIT = re.compile(r"[0-9]")

# What the UK CDS DMS schema (``WCO_DS/WCO_DEC_DS_2_DMS.xsd``) lets the element the XML writer
# puts each canonical text field in carry: its maxLength (or length), and its pattern where that
# is narrower than "some text on one line". Copied rather than read from the XSD at run time;
# tests/declarations/rules/test_schema_limits.py reads the facets back from the XSD through the
# writer's paths, so the table cannot drift from the schema. Where the column that stores a field
# is shorter, the column decides (``text_limits``): what is accepted is stored and written whole.
SCHEMA_TEXT_LIMITS: dict[type, dict[str, TextLimit]] = {
    DeclarationData: {
        "representation_code": TextLimit(3),  # Agent/FunctionCode
        "border_transport_mode": TextLimit(1, _DIGIT),  # length 1, ([0-9])*
        "inland_transport_mode": TextLimit(1, _DIGIT),  # Arrival/DepartureTransportMeans/ModeCode
        "arrival_transport_id": TextLimit(35),
        "arrival_transport_id_type": TextLimit(17),
        "departure_transport_id": TextLimit(35),
        "departure_transport_id_type": TextLimit(17),
        "goods_location": TextLimit(256),  # GoodsLocation/Name
        "goods_location_type": TextLimit(3),
        "goods_location_qualifier": TextLimit(3),  # GoodsLocation/Address/TypeCode
        "transaction_nature": TextLimit(2, re.compile(r"[0-9]{1,2}")),  # maxLength 2, ([0-9])*
        "delivery_terms": TextLimit(3, re.compile(r"[A-Za-z]{3}")),  # length 3, ([a-zA-Z])*
        "delivery_location": TextLimit(17),  # TradeTerms/LocationID
    },
    PartyData: {
        "name": TextLimit(70),
        "street": TextLimit(70),  # Address/Line
        "city": TextLimit(35),
        "postcode": TextLimit(9),
    },
    ItemData: {
        "description": TextLimit(512),
        "taric_codes": TextLimit(18),  # each one a Commodity/Classification/ID
        "origin_type": TextLimit(3),
        "quantity_unit": TextLimit(5),  # TariffQuantity/@unitCode, 1 to 5 characters
        "statistical_currency": TextLimit(3, re.compile(r"[A-Z]{3}")),  # @currencyID, [A-Z]{3}
        "valuation_method": TextLimit(3),
        "package_marks": TextLimit(512),
    },
    DocumentData: {
        "reference": TextLimit(70),
        "status": TextLimit(3),  # LPCOExemptionCode
    },
}
# Text fields whose own rule admits only short ASCII codes the schema takes (a pattern: LRN, EORI,
# commodity, procedure and document codes; or a code list whose codes all have the shape the
# schema asks for: countries, currencies, offices, package types), so the generic check leaves
# them to it rather than reporting the same value twice.
TEXT_WITH_OWN_FORMAT: dict[type, frozenset[str]] = {
    DeclarationData: frozenset(
        {
            "type_code",
            "additional_type",
            "function_code",
            "lrn",
            "invoice_currency",
            "supervising_office",
            "presentation_office",
            "exit_office",
            "border_transport_nationality",
            "goods_location_country",
            "destination_country",
            "export_country",
        }
    ),
    PartyData: frozenset({"eori", "country"}),
    ItemData: frozenset(
        {
            "commodity_code",
            "origin_country",
            "procedure_code",
            "additional_procedure_codes",
            "value_currency",
            "package_type",
        }
    ),
    DocumentData: frozenset({"code"}),
}
# XML 1.0 cannot carry C0 control characters other than tab and line breaks, surrogates, U+FFFE
# and U+FFFF (lxml refuses to write them); the schema's text types are one line (their pattern's
# ``.`` matches no line break); a tab is an input accident in a one-line field. All are refused.
_NOT_WRITABLE = re.compile(r"[\x00-\x1f\ud800-\udfff\ufffe\uffff]")

# The schema's totalDigits and fractionDigits for each number the writer puts in the message, where
# the column that stores it does not already keep it within them (the tighter limit applies). The
# item number (1 to 999) and the total number of items (equal to the number of items, at most 999)
# have rules of their own that keep them within the schema's five digits.
SCHEMA_DIGITS: dict[type, dict[str, tuple[int, int]]] = {
    DeclarationData: {
        "total_package_quantity": (8, 0),
        "invoice_amount": (16, 3),
        "exchange_rate": (12, 5),  # CurrencyExchange/RateNumeric
    },
    ItemData: {
        "quantity": (16, 6),
        "net_mass": (16, 6),
        "gross_mass": (16, 6),
        "value_amount": (16, 3),
        "statistical_value": (16, 3),
        "package_count": (8, 0),  # Packaging/QuantityQuantity
    },
    DocumentData: {"line": (5, 0)},  # PreviousDocument/LineNumeric
}
NUMBERS_WITH_OWN_DIGITS = frozenset({"sequence", "goods_item_quantity"})


def check_declaration(data: DeclarationData) -> list[Issue]:
    """Every rule violation in ``data``, header first, then parties, then items in order."""
    issues: list[Issue] = []
    issues += _check_type(data)
    issues += _check_lrn(data)
    issues += _check_header_counts(data)
    issues += _check_header_codes(data)
    issues += _check_parties(data)
    issues += _check_items(data)
    return issues


def _error(code: str, field: str, message: str) -> Issue:
    return Issue(code=code, message=message, field=field)


def _warning(code: str, field: str, message: str) -> Issue:
    return Issue(code=code, message=message, field=field, severity="warning")


def _full_data(data: DeclarationData) -> bool:
    return data.additional_type in FULL_DATA_TYPES


# --- header -----------------------------------------------------------------------------------


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
    yield from _check_numbers("", _("The declaration"), data, Declaration)


def _check_header_codes(data: DeclarationData) -> Iterable[Issue]:
    if data.type_code == "EX" and not data.destination_country:
        yield _error(
            "destination_country_missing",
            "destination_country",
            _("The country of destination is missing: declare the country the goods are exported to."),
        )
    for field, label, code in (
        ("destination_country", _("country of destination"), data.destination_country),
        ("export_country", _("country of dispatch/export"), data.export_country),
        (
            "border_transport_nationality",
            _("nationality of the means of transport"),
            data.border_transport_nationality,
        ),
        ("goods_location_country", _("country of the goods location"), data.goods_location_country),
    ):
        yield from _check_country(field, label, code)
    if data.invoice_currency:
        yield from _check_currency("invoice_currency", data.invoice_currency)
    if data.type_code == "EX" and not data.exit_office:
        yield _error(
            "exit_office_missing",
            "exit_office",
            _(
                "The office of exit is missing: export declarations must name the customs office where the "
                "goods leave."
            ),
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


def _check_country(field: str, label: str, code: str) -> Iterable[Issue]:
    if code and refdata.country_name(code) is None:
        yield _error(
            "country_unknown",
            field,
            _(
                "%(code)s is not a known country code for the %(label)s: use the two-letter ISO code (for "
                "example GB)."
            )
            % {"code": code, "label": label},
        )


def _check_currency(field: str, code: str) -> Iterable[Issue]:
    if refdata.currency_name(code) is None:
        yield _error(
            "currency_unknown",
            field,
            _("%(code)s is not a known currency code: use the three-letter ISO 4217 code (for example GBP).")
            % {"code": code},
        )


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


# --- parties ----------------------------------------------------------------------------------


def _check_parties(data: DeclarationData) -> Iterable[Issue]:
    declarant = data.party(PartyRole.DECLARANT)
    if declarant is None or not declarant.eori:
        yield _error(
            "declarant_missing",
            "parties.declarant.eori",
            _("The declarant's EORI number is missing: declare who lodges the declaration."),
        )
    role = data.trader_role
    if role is not None and data.additional_type != FINAL_SUPPLEMENTARY:
        yield from _check_trader(role, data.party(role))
    for party in data.parties:
        if party.eori:
            yield from _check_eori(party)
        yield from _check_country(
            f"parties.{party.role.value}.country",
            _("address of the %(role)s") % {"role": _role_label(party.role)},
            party.country,
        )
        yield from _check_texts(
            f"parties.{party.role.value}",
            _("The %(role)s") % {"role": _role_label(party.role)},
            party,
        )


def _role_label(role: PartyRole) -> str:
    labels = {
        PartyRole.DECLARANT: _("declarant"),
        PartyRole.IMPORTER: _("importer"),
        PartyRole.EXPORTER: _("exporter"),
        PartyRole.CONSIGNEE: _("consignee"),
        PartyRole.CONSIGNOR: _("consignor"),
        PartyRole.REPRESENTATIVE: _("representative"),
        PartyRole.BUYER: _("buyer"),
        PartyRole.SELLER: _("seller"),
    }
    return labels[role]


def _check_trader(role: PartyRole, party: PartyData | None) -> Iterable[Issue]:
    """The importer (imports) or exporter (exports) is identified by EORI or by name and address."""
    prefix = f"parties.{role.value}"
    if party is None or (not party.eori and not party.name):
        code = "importer_missing" if role is PartyRole.IMPORTER else "exporter_missing"
        yield _error(
            code,
            f"{prefix}.eori",
            _("The %(role)s is missing: declare their EORI number, or their name and address.")
            % {"role": _role_label(role)},
        )
        return
    if party.eori:
        return
    missing = [name for name in ("street", "city", "country") if not getattr(party, name)]
    if missing:
        yield _error(
            "party_address_incomplete",
            f"{prefix}.{missing[0]}",
            _(
                "The %(role)s has no EORI number, so their address needs a street, a city and a country; "
                "complete it."
            )
            % {"role": _role_label(role)},
        )


def _check_eori(party: PartyData) -> Iterable[Issue]:
    eori = party.eori
    match = EORI_PATTERN.fullmatch(eori)
    valid = match is not None and (match[1] in UK_EORI_PREFIXES or refdata.country_name(match[1]) is not None)
    if match is not None and match[1] in UK_EORI_PREFIXES:
        valid = match[2].isdigit() and len(match[2]) in UK_EORI_DIGITS
    if not valid:
        yield _error(
            "eori_format",
            f"parties.{party.role.value}.eori",
            _(
                "The %(role)s's EORI number %(eori)s is not valid: an EORI is a country code followed by up "
                "to 15 letters or digits, and a GB or XI number has 12 or 15 digits (for example "
                "GB123456789000)."
            )
            % {"role": _role_label(party.role), "eori": eori},
        )


# --- goods items ------------------------------------------------------------------------------


def _check_items(data: DeclarationData) -> Iterable[Issue]:
    yield from _check_sequences(data.items)
    for position, item in enumerate(data.items, start=1):
        yield from _check_item(data, position, item)


def _check_sequences(items: list[ItemData]) -> Iterable[Issue]:
    """Goods item numbers run 1, 2, 3 ... in the order of the items, at most 999."""
    seen: set[int] = set()
    ok = True
    for position, item in enumerate(items, start=1):
        field = f"items.{position}.sequence"
        seq = item.sequence
        if seq is None:
            ok = False
            yield _error(
                "item_sequence_missing",
                field,
                _("Goods item %(position)s has no item number: number the items 1, 2, 3 … in order.")
                % {"position": position},
            )
        elif not 1 <= seq <= MAX_ITEMS:
            ok = False
            yield _error(
                "item_sequence_range",
                field,
                _("Goods item %(position)s is numbered %(seq)s; item numbers run from 1 to %(max)s.")
                % {"position": position, "seq": seq, "max": MAX_ITEMS},
            )
        elif seq in seen:
            ok = False
            yield _error(
                "item_sequence_duplicate",
                field,
                _("Goods item %(position)s repeats item number %(seq)s; each item needs its own number.")
                % {"position": position, "seq": seq},
            )
        else:
            seen.add(seq)
    if not ok:
        return
    for position, item in enumerate(items, start=1):
        if item.sequence != position:
            yield _error(
                "item_sequence_order",
                f"items.{position}.sequence",
                _(
                    "Goods item %(position)s is numbered %(seq)s; number the items 1, 2, 3 … in order "
                    "without gaps."
                )
                % {"position": position, "seq": item.sequence},
            )
            return


def _check_item(data: DeclarationData, position: int, item: ItemData) -> Iterable[Issue]:
    prefix = f"items.{position}"
    where = _("Goods item %(position)s") % {"position": position}
    full = _full_data(data)
    reduced = REDUCED_DATA_SET in item.additional_procedure_codes
    requested = item.procedure_code[:2]

    if not item.description and data.additional_type != FINAL_SUPPLEMENTARY:
        yield _error(
            "description_missing",
            f"{prefix}.description",
            _("%(where)s has no description: describe the goods plainly enough to classify them.")
            % {"where": where},
        )

    if item.commodity_code:
        yield from _check_commodity_code(f"{prefix}.commodity_code", where, item.commodity_code)
    elif full:
        yield _error(
            "commodity_code_missing",
            f"{prefix}.commodity_code",
            _("%(where)s has no commodity code: declare its HS or tariff code (for example 85109000).")
            % {"where": where},
        )

    yield from _check_procedure(prefix, where, item, export=data.type_code == "EX")

    masses_required = full and data.type_code in ("IM", "EX")
    if item.gross_mass is None and masses_required:
        yield _error(
            "gross_mass_missing",
            f"{prefix}.gross_mass",
            _("%(where)s has no gross mass: declare the mass in kilograms including packaging.")
            % {"where": where},
        )
    if item.net_mass is None and masses_required and requested != CUSTOMS_WAREHOUSING and not reduced:
        yield _error(
            "net_mass_missing",
            f"{prefix}.net_mass",
            _("%(where)s has no net mass: declare the mass in kilograms without packaging.")
            % {"where": where},
        )
    for field, mass in (("net_mass", item.net_mass), ("gross_mass", item.gross_mass)):
        if mass is not None and mass < 0:
            yield _error(
                "mass_negative",
                f"{prefix}.{field}",
                _("%(where)s has a negative mass (%(mass)s kg); declare the mass in kilograms.")
                % {"where": where, "mass": mass},
            )
    if item.net_mass is not None and item.gross_mass is not None and item.net_mass > item.gross_mass:
        yield _error(
            "net_mass_exceeds_gross",
            f"{prefix}.net_mass",
            _(
                "%(where)s has a net mass of %(net)s kg, more than its gross mass of %(gross)s kg; the gross "
                "mass includes packaging, so check both."
            )
            % {"where": where, "net": item.net_mass, "gross": item.gross_mass},
        )

    if item.origin_country:
        yield from _check_country(
            f"{prefix}.origin_country",
            _("origin of goods item %(position)s") % {"position": position},
            item.origin_country,
        )
    elif data.direction is Direction.IMPORT and full and not reduced:
        yield _error(
            "origin_country_missing",
            f"{prefix}.origin_country",
            _("%(where)s has no country of origin: declare where the goods were produced.")
            % {"where": where},
        )

    if item.value_amount is None and item.statistical_value is None and full and not reduced:
        yield _error(
            "item_value_missing",
            f"{prefix}.value_amount",
            _("%(where)s has no value: declare the item price or its statistical value.") % {"where": where},
        )
    if item.value_amount is not None and not (item.value_currency or data.invoice_currency):
        yield _error(
            "value_currency_missing",
            f"{prefix}.value_currency",
            _(
                "%(where)s has a price of %(amount)s without a currency: declare the currency code (for "
                "example GBP)."
            )
            % {"where": where, "amount": _plain(item.value_amount)},
        )
    if item.value_currency:
        yield from _check_currency(f"{prefix}.value_currency", item.value_currency)

    if item.package_count is not None and item.package_count < 0:
        yield _error(
            "package_count_negative",
            f"{prefix}.package_count",
            _("%(where)s declares %(count)s packages; the number of packages cannot be negative.")
            % {"where": where, "count": item.package_count},
        )
    if item.package_type and refdata.package_type(item.package_type) is None:
        yield _error(
            "package_type_unknown",
            f"{prefix}.package_type",
            _(
                "%(where)s has package type %(code)s, which is not a known package type code (for example "
                "BX for box)."
            )
            % {"where": where, "code": item.package_type},
        )
    if item.quantity is not None and not item.quantity_unit and not item.commodity_code:
        yield _error(
            "quantity_unit_missing",
            f"{prefix}.quantity_unit",
            _(
                "%(where)s declares a quantity of %(quantity)s without a unit or a commodity code, so "
                "nothing says what it counts; declare the unit (for example NAR) or the commodity code."
            )
            % {"where": where, "quantity": item.quantity},
        )
    if item.quantity_unit and item.quantity is None:
        yield _error(
            "quantity_missing",
            f"{prefix}.quantity",
            _(
                "%(where)s declares the unit %(unit)s without a quantity; declare the quantity or remove "
                "the unit."
            )
            % {"where": where, "unit": item.quantity_unit},
        )
    yield from _check_texts(prefix, where, item)
    yield from _check_numbers(prefix, where, item, GoodsItem)
    yield from _check_documents(f"{prefix}.documents", item.documents, where)


def _check_commodity_code(field: str, where: str, code: str) -> Iterable[Issue]:
    if not code.isdigit() or len(code) not in COMMODITY_CODE_LENGTHS:
        yield _error(
            "hs_format",
            field,
            _(
                "%(where)s: commodity code %(code)s is not valid; declare 6, 8 or 10 digits (the HS "
                "subheading, optionally followed by the tariff's extra digits)."
            )
            % {"where": where, "code": code},
        )
        return
    subheading = code[:6]
    if successors := refdata.hs_successors(subheading):
        # A successor withdrawn by an administrator has no description: name the bare code.
        choices = [
            f"{new} ({description})" if (description := refdata.hs_description(new)) else new
            for new in successors
        ]
        yield _warning(
            "hs_edition_change",
            field,
            _(
                "%(where)s, commodity code %(code)s: subheading %(subheading)s was removed in HS 2022 and "
                "split into %(successors)s; declare one of them."
            )
            % {
                "where": where,
                "code": code,
                "subheading": subheading,
                "successors": get_text_list(choices, _("and")),
            },
        )
        return
    if refdata.hs_description(subheading) is not None:
        return
    heading = code[:4]
    heading_text = refdata.hs_description(heading)
    if heading_text is not None:
        yield _error(
            "hs_unknown",
            field,
            _(
                "%(where)s, commodity code %(code)s: subheading %(subheading)s does not exist in HS 2022 "
                "(heading %(heading)s is “%(heading_text)s”); declare an existing subheading."
            )
            % {
                "where": where,
                "code": code,
                "subheading": subheading,
                "heading": heading,
                "heading_text": heading_text,
            },
        )
    else:
        yield _error(
            "hs_unknown",
            field,
            _(
                "%(where)s, commodity code %(code)s: subheading %(subheading)s does not exist in HS 2022; "
                "check the code in the tariff."
            )
            % {"where": where, "code": code, "subheading": subheading},
        )


def _check_procedure(prefix: str, where: str, item: ItemData, *, export: bool) -> Iterable[Issue]:
    code = item.procedure_code
    field = f"{prefix}.procedure_code"
    if not code:
        yield _error(
            "procedure_code_missing",
            field,
            _(
                "%(where)s has no procedure code: declare the requested and previous procedure (for "
                "example 4000)."
            )
            % {"where": where},
        )
    elif not PROCEDURE_CODE_PATTERN.fullmatch(code):
        yield _error(
            "procedure_code_format",
            field,
            _(
                "%(where)s: procedure code %(code)s is not valid; declare four digits, the requested "
                "procedure followed by the previous one (for example 4000)."
            )
            % {"where": where, "code": code},
        )
    else:
        known = refdata.procedure_code_parts()
        for part, label in ((code[:2], _("requested")), (code[2:], _("previous"))):
            if part not in known:
                yield _error(
                    "procedure_code_unknown",
                    field,
                    _(
                        "%(where)s, procedure code %(code)s: the %(label)s procedure %(part)s does not "
                        "exist; "
                        "declare a valid procedure code (for example 4000)."
                    )
                    % {"where": where, "code": code, "label": label, "part": part},
                )
                break
    for index, additional in enumerate(item.additional_procedure_codes, start=1):
        if not ADDITIONAL_PROCEDURE_CODE_PATTERN.fullmatch(additional):
            yield _error(
                "additional_procedure_code_format",
                f"{prefix}.additional_procedure_codes.{index}",
                _(
                    "%(where)s: additional procedure code %(code)s is not valid; declare three letters or "
                    "digits (for example 000)."
                )
                % {"where": where, "code": additional or "—"},
            )
        elif refdata.additional_procedure_code(additional) is None:
            # HMRC's list is its exports service's: complete for exports; on imports it lacks most
            # codes (the samples' import codes were added), so there an unlisted code is a warning.
            report = _error if export or settings.SW_STRICT_ADDITIONAL_PROCEDURE_CODES else _warning
            yield report(
                "additional_procedure_code_unknown",
                f"{prefix}.additional_procedure_codes.{index}",
                _(
                    "%(where)s: additional procedure code %(code)s is not in the list of additional "
                    "procedure codes; check the code (declare 000 when no other applies)."
                )
                % {"where": where, "code": additional},
            )


# --- numbers the database and the message can hold ---------------------------------------------


@dataclass(frozen=True)
class NumberLimit:
    """The largest value a column holds and the decimal places it keeps (0 for integers).

    For a number the XML writer puts in the message, the schema's limits are folded in
    (``_with_schema_digits``): ``total_digits`` is its totalDigits, and ``largest_from_schema`` says
    that the schema, not the column, sets the largest value.
    """

    largest: Decimal | int
    decimal_places: int
    total_digits: int | None = None
    largest_from_schema: bool = False


def number_limit(column: models.Field) -> NumberLimit | None:
    """What a numeric model field can store on every supported database; ``None`` if not numeric."""
    if isinstance(column, models.DecimalField):
        places = column.decimal_places
        digits = min(column.max_digits, STORABLE_DIGITS)
        return NumberLimit(Decimal(10) ** (digits - places) - Decimal(1).scaleb(-places), places)
    if isinstance(column, models.IntegerField):
        # The range every backend guarantees for the column's type (PostgreSQL's; SQLite's INTEGER
        # is wider, but refuses to bind a Python int beyond 64 bits at all).
        _lowest, largest = BaseDatabaseOperations.integer_field_ranges[column.get_internal_type()]
        return NumberLimit(largest, 0)
    return None


def _with_schema_digits(limit: NumberLimit, digits: tuple[int, int] | None) -> NumberLimit:
    """The tighter of a column's limit and the schema's totalDigits and fractionDigits."""
    if digits is None:
        return limit
    total, places = digits
    schema_largest: Decimal | int = (
        10**total - 1 if isinstance(limit.largest, int) else Decimal(10) ** total - 1
    )
    return NumberLimit(
        largest=min(limit.largest, schema_largest),
        decimal_places=min(limit.decimal_places, places),
        total_digits=total,
        largest_from_schema=schema_largest < limit.largest,
    )


# Each canonical record and the model that stores it, field for field (``services._store``).
_STORED_AS: dict[type[models.Model], type[DeclarationData | ItemData | DocumentData | PartyData]] = {
    Declaration: DeclarationData,
    GoodsItem: ItemData,
    Document: DocumentData,
    Party: PartyData,
}


def _column(model: type[models.Model], name: str) -> models.Field | None:
    try:
        column = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return column if isinstance(column, models.Field) else None


@functools.cache
def number_limits(model: type[models.Model]) -> Mapping[str, NumberLimit]:
    """The numeric fields of the canonical record ``model`` stores, with their limits.

    A column's limit, tightened to the schema's digits for the numbers the XML writer sends.
    """
    record = _STORED_AS[model]
    columns: dict[str, NumberLimit] = {}
    for name in (f.name for f in dataclasses.fields(record)):
        if name in NUMBERS_WITH_OWN_RANGE:
            continue
        column = _column(model, name)
        if column is not None and (limit := number_limit(column)) is not None:
            columns[name] = _with_schema_digits(limit, SCHEMA_DIGITS.get(record, {}).get(name))
    return columns


_NUMBER_LABELS = {
    "goods_item_quantity": gettext_lazy("total number of items"),
    "total_package_quantity": gettext_lazy("total number of packages"),
    "invoice_amount": gettext_lazy("total amount invoiced"),
    "exchange_rate": gettext_lazy("exchange rate"),
    "quantity": gettext_lazy("quantity"),
    "net_mass": gettext_lazy("net mass"),
    "gross_mass": gettext_lazy("gross mass"),
    "value_amount": gettext_lazy("item price"),
    "statistical_value": gettext_lazy("statistical value"),
    "package_count": gettext_lazy("number of packages"),
    "line": gettext_lazy("line number"),
}


def _number_label(name: str) -> str:
    return str(_NUMBER_LABELS.get(name, name.replace("_", " ")))


def _check_numbers(
    prefix: str, where: str, record: DeclarationData | ItemData | DocumentData, model: type[models.Model]
) -> Iterable[Issue]:
    """Each number of ``record`` (a canonical dataclass) is not negative and fits its ``model`` column
    and the schema element the XML writer puts it in."""
    for name, limit in number_limits(model).items():
        value = getattr(record, name)
        if value is None:
            continue
        field = f"{prefix}.{name}" if prefix else name
        label = _number_label(name)
        if value < 0:
            # Negative values are refused either way (here or by the field's own rule), so they are
            # never stored whatever their size.
            if name not in NUMBERS_WITH_OWN_NEGATIVE_RULE:
                yield _error(
                    "value_negative",
                    field,
                    _("%(where)s: the %(label)s cannot be negative; declare zero or more.")
                    % {"where": where, "label": label},
                )
            continue
        if value > limit.largest and limit.largest_from_schema:
            yield _error(
                "value_too_large",
                field,
                _(
                    "%(where)s: the %(label)s is larger than a customs declaration allows; declare at "
                    "most %(largest)s."
                )
                % {"where": where, "label": label, "largest": _plain(limit.largest)},
            )
        elif value > limit.largest:
            yield _error(
                "value_too_large",
                field,
                _(
                    "%(where)s: the %(label)s is larger than the portal can store; declare at most "
                    "%(largest)s."
                )
                % {"where": where, "label": label, "largest": _plain(limit.largest)},
            )
        elif _decimal_places(value) > limit.decimal_places:
            yield _error(
                "too_many_decimals",
                field,
                _("%(where)s: the %(label)s %(value)s has more than %(places)s decimal places; round it.")
                % {"where": where, "label": label, "value": value, "places": limit.decimal_places},
            )
        elif limit.total_digits is not None and (digits := _digit_count(value)) > limit.total_digits:
            # The schema counts the digits before and after the point together: an exchange rate
            # takes 12, at most 5 of them decimals, so 12345678.12345 fits neither way.
            yield _error(
                "too_many_digits",
                field,
                _(
                    "%(where)s: the %(label)s %(value)s has %(digits)s digits; a customs declaration "
                    "allows at most %(total)s, so round it."
                )
                % {
                    "where": where,
                    "label": label,
                    "value": _plain(value),
                    "digits": digits,
                    "total": limit.total_digits,
                },
            )


def _decimal_places(value: Decimal | int) -> int:
    if not isinstance(value, Decimal):
        return 0
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _digit_count(value: Decimal | int) -> int:
    """The digits of a number as the schema's totalDigits counts them: no leading or trailing zeros."""
    if not isinstance(value, Decimal):
        return len(str(abs(value)))
    _sign, digits, exponent = value.normalize().as_tuple()
    return len(digits) + max(exponent, 0) if isinstance(exponent, int) else len(digits)


def _plain(amount: Decimal | int) -> str:
    return format(amount, "f") if isinstance(amount, Decimal) else str(amount)


# --- text a declaration message can carry -------------------------------------------------------


@functools.cache
def text_limits(model: type[models.Model]) -> Mapping[str, TextLimit]:
    """The schema's limits for the text fields of the record ``model`` stores, cut to its columns."""
    limits: dict[str, TextLimit] = {}
    for name, limit in SCHEMA_TEXT_LIMITS[_STORED_AS[model]].items():
        column = _column(model, name)
        if isinstance(column, models.CharField) and column.max_length is not None:
            limit = dataclasses.replace(limit, max_length=min(limit.max_length, column.max_length))
        limits[name] = limit
    return limits


# Built once (lazily translated): a validation asks for labels per field of every goods item.
_TEXT_LABELS = {
    "representation_code": gettext_lazy("representation code"),
    "border_transport_mode": gettext_lazy("mode of transport at the border"),
    "inland_transport_mode": gettext_lazy("inland mode of transport"),
    "arrival_transport_id": gettext_lazy("identity of the means of transport at arrival"),
    "arrival_transport_id_type": gettext_lazy("type of identity of the means of transport at arrival"),
    "departure_transport_id": gettext_lazy("identity of the means of transport at departure"),
    "departure_transport_id_type": gettext_lazy("type of identity of the means of transport at departure"),
    "goods_location": gettext_lazy("location of goods"),
    "goods_location_type": gettext_lazy("type of location of goods"),
    "goods_location_qualifier": gettext_lazy("qualifier of the location of goods"),
    "transaction_nature": gettext_lazy("nature of transaction"),
    "delivery_terms": gettext_lazy("delivery terms"),
    "delivery_location": gettext_lazy("place of delivery"),
    "name": gettext_lazy("name"),
    "street": gettext_lazy("street and number"),
    "city": gettext_lazy("city"),
    "postcode": gettext_lazy("postcode"),
    "description": gettext_lazy("description of goods"),
    "taric_codes": gettext_lazy("additional commodity code"),
    "origin_type": gettext_lazy("type of origin"),
    "quantity_unit": gettext_lazy("unit of the quantity"),
    "statistical_currency": gettext_lazy("currency of the statistical value"),
    "valuation_method": gettext_lazy("valuation method"),
    "package_marks": gettext_lazy("shipping marks"),
    "reference": gettext_lazy("reference"),
    "status": gettext_lazy("status"),
}


def _text_label(name: str) -> str:
    return str(_TEXT_LABELS.get(name, name.replace("_", " ")))


def _text_shape(name: str) -> str:
    """What a code of a fixed shape looks like, for the message that refuses another."""
    shapes = {
        "border_transport_mode": _("one digit (for example 1)"),
        "inland_transport_mode": _("one digit (for example 3)"),
        "transaction_nature": _("one or two digits (for example 11)"),
        "delivery_terms": _("three letters (for example CIF)"),
        "statistical_currency": _("three capital letters (for example GBP)"),
    }
    return shapes[name]


def _check_texts(
    prefix: str, where: str, record: DeclarationData | ItemData | DocumentData | PartyData
) -> Iterable[Issue]:
    """Each text field of ``record`` fits the schema element and the column it goes to, on one line.

    One issue per value, the first that applies: characters XML cannot carry, only spaces, the
    wrong shape for a fixed-shape code, too long.
    """
    model = next(m for m, stored in _STORED_AS.items() if isinstance(record, stored))
    for name, limit in text_limits(model).items():
        value = getattr(record, name)
        values = list(enumerate(value, start=1)) if isinstance(value, list) else [(0, value)]
        for index, text in values:
            if text and _text_fits(text, limit):
                continue  # the common case: no label, no message to build
            field = f"{prefix}.{name}" if prefix else name
            label = _text_label(name)
            if index:
                field = f"{field}.{index}"
                label = _("%(label)s %(position)s") % {"label": label, "position": index}
            if not text:
                if index:
                    # An empty entry of a list (an additional code "") would be written as an empty
                    # element and vanish when the XML is read back.
                    yield _error(
                        "text_blank",
                        field,
                        _("%(where)s: the %(label)s is empty; fill it in or leave it out.")
                        % {"where": where, "label": label},
                    )
                continue
            yield from _check_text(field, where, label, name, text, limit)


def _text_fits(text: str, limit: TextLimit) -> bool:
    """Whether ``_check_text`` would find nothing wrong with ``text``."""
    return (
        len(text) <= limit.max_length
        and not _NOT_WRITABLE.search(text)
        and not text.isspace()
        and (limit.pattern is None or limit.pattern.fullmatch(text) is not None)
    )


def _check_text(
    field: str, where: str, label: str, name: str, text: str, limit: TextLimit
) -> Iterable[Issue]:
    if _NOT_WRITABLE.search(text):
        yield _error(
            "text_characters",
            field,
            _(
                "%(where)s: the %(label)s contains a line break, a tab or another character a customs "
                "declaration cannot carry; remove it."
            )
            % {"where": where, "label": label},
        )
    elif text.isspace():
        yield _error(
            "text_blank",
            field,
            _("%(where)s: the %(label)s is only spaces; fill it in or leave it empty.")
            % {"where": where, "label": label},
        )
    elif limit.pattern is not None and not limit.pattern.fullmatch(text):
        yield _error(
            "text_format",
            field,
            _("%(where)s: the %(label)s %(value)s is not valid; declare %(shape)s.")
            % {"where": where, "label": label, "value": _shown(text), "shape": _text_shape(name)},
        )
    elif len(text) > limit.max_length:
        yield _error(
            "text_too_long",
            field,
            _("%(where)s: the %(label)s has %(length)s characters; shorten it to at most %(max)s.")
            % {"where": where, "label": label, "length": len(text), "max": limit.max_length},
        )


def _shown(text: str) -> str:
    """A value as a message quotes it: long ones cut, so one message stays one readable line."""
    return text if len(text) <= 40 else text[:37] + "..."
