"""Constants every rule module shares, and how an issue is made."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from declarations import catalogue
from declarations.canonical import (
    DeclarationData,
    Issue,
)

# DE 1/2 additional declaration types. A/D standard (arrived / pre-lodged), B/C/E/F simplified,
# J/K customs clearance requests (C21), Q final supplementary, X/Y/Z supplementary.
FULL_DATA_TYPES = frozenset("ADXYZ")
ADDITIONAL_TYPES = FULL_DATA_TYPES | frozenset("BCEFJKQ")
FINAL_SUPPLEMENTARY = "Q"
FUNCTION_CODE_ORIGINAL = "9"

# DE 2/5 is an..22: the catalogue's limit for the LRN, the column's (the message takes 35).
LRN_MAX_LENGTH: int = catalogue.max_length(catalogue.element_of(DeclarationData, "lrn")) or 22
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


def _error(code: str, field: str, message: str) -> Issue:
    return Issue(code=code, message=message, field=field)


def _warning(code: str, field: str, message: str) -> Issue:
    return Issue(code=code, message=message, field=field, severity="warning")


def _missing(code: str, field: str, message: str, category: str) -> Issue:
    """A required data element missing, saying which declaration category requires it
    (``declarations.categories``)."""
    return _error(
        code,
        field,
        _("%(message)s (Required for declaration category %(category)s.)")
        % {"message": message, "category": category},
    )
