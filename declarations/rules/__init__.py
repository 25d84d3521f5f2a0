"""The portal's own business and reference-data rules for goods declarations.

The WCO schema makes almost every element optional, so what a declaration must carry is decided
here, once, for every channel (form, JSON, XML): ``check_declaration`` returns the problems with a
canonical declaration, each with a stable ``code``, the canonical ``field`` path it is about (the
WCO pointer is derived from it by ``declarations.validation``), and a sentence saying what is
wrong, where, and what to do. Errors stop lodgement; warnings travel with the declaration.

What is mandatory follows HMRC's accepted trade-test declarations, not a reading of the data
element tables alone: every accepted sample in ``../shared/data/wco-dms`` must pass, and each
rejected TT1 variant must fail for the reason HMRC gave. That evidence shapes these choices:

- What a declaration must carry depends on its declaration category (H1, H2, ... I1, C21i, B1 ...,
  derived by ``declarations.categories`` from the type, additional type and procedure), as the
  CDS data sets define it; the facts are data (``refdata/data_requirements.json``, sources named).
  So an entry into a customs warehouse (H2) needs no net mass while a release from it (H1) does
  (HMRC rejected the TT1 import 4071 without it), a low-value consignment (H7, 1H7) no net mass,
  origin or value, a regular-use simplified declaration (C&F) or a clearance request (J, K) no
  commodity code, and the final supplementary declaration (Q) no description or trader.
- Special fiscal territory declarations (CO) were accepted without masses (B4).
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

The rules live in modules by concern: ``header`` (type, LRN, counts, header codes), ``parties``,
``items`` (goods items), ``codes`` (countries, currencies, commodity and procedure codes),
``documents``, ``numbers`` and ``texts`` (what a value may hold), ``limits`` (the schema's and the
columns' limits) and ``base`` (shared constants). Everything public is importable from here.
"""

from __future__ import annotations

from declarations.canonical import DeclarationData, Issue

from .base import (
    ADDITIONAL_PROCEDURE_CODE_PATTERN,
    ADDITIONAL_TYPES,
    COMMODITY_CODE_LENGTHS,
    DOCUMENT_CODE_PATTERN,
    EORI_PATTERN,
    FINAL_SUPPLEMENTARY,
    FULL_DATA_TYPES,
    FUNCTION_CODE_ORIGINAL,
    LRN_MAX_LENGTH,
    LRN_PATTERN,
    MAX_HEADER_DOCUMENTS,
    MAX_ITEM_DOCUMENTS,
    MAX_ITEMS,
    PROCEDURE_CODE_PATTERN,
    UK_EORI_DIGITS,
    UK_EORI_PREFIXES,
)
from .header import _check_header_codes, _check_header_counts, _check_lrn, _check_type
from .items import _check_items
from .limits import (
    NUMBERS_WITH_OWN_DIGITS,
    NUMBERS_WITH_OWN_NEGATIVE_RULE,
    NUMBERS_WITH_OWN_RANGE,
    SCHEMA_DIGITS,
    SCHEMA_TEXT_LIMITS,
    STORABLE_DIGITS,
    TEXT_WITH_OWN_FORMAT,
    NumberLimit,
    TextLimit,
    number_limit,
    number_limits,
    text_limits,
)
from .parties import _check_parties

__all__ = [
    "ADDITIONAL_PROCEDURE_CODE_PATTERN",
    "ADDITIONAL_TYPES",
    "COMMODITY_CODE_LENGTHS",
    "DOCUMENT_CODE_PATTERN",
    "EORI_PATTERN",
    "FINAL_SUPPLEMENTARY",
    "FULL_DATA_TYPES",
    "FUNCTION_CODE_ORIGINAL",
    "LRN_MAX_LENGTH",
    "LRN_PATTERN",
    "MAX_HEADER_DOCUMENTS",
    "MAX_ITEMS",
    "MAX_ITEM_DOCUMENTS",
    "NUMBERS_WITH_OWN_DIGITS",
    "NUMBERS_WITH_OWN_NEGATIVE_RULE",
    "NUMBERS_WITH_OWN_RANGE",
    "NumberLimit",
    "PROCEDURE_CODE_PATTERN",
    "SCHEMA_DIGITS",
    "SCHEMA_TEXT_LIMITS",
    "STORABLE_DIGITS",
    "TEXT_WITH_OWN_FORMAT",
    "TextLimit",
    "UK_EORI_DIGITS",
    "UK_EORI_PREFIXES",
    "check_declaration",
    "number_limit",
    "number_limits",
    "text_limits",
]


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
