"""Movement Reference Numbers.

Format (18 characters, as in the EU/UK MRN): ``YY`` last two digits of the year of acceptance,
``CC`` the country code of the issuing administration (``SW_MRN_COUNTRY``), 13 random upper-case
letters and digits, and a check character computed over the first 17 with the ISO 6346 algorithm.
Example: ``26GB7Q2M4XK9R1T0Z3``. Uniqueness is enforced by the database; the random part makes a
clash vanishingly rare and the caller retries on one.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime

from django.conf import settings

_ALPHABET = string.digits + string.ascii_uppercase


def _char_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    # ISO 6346: A=10 and upwards, skipping multiples of 11.
    value = 10
    for letter in string.ascii_uppercase:
        if value % 11 == 0:
            value += 1
        if letter == ch:
            return value
        value += 1
    raise ValueError(f"not an MRN character: {ch!r}")


def mrn_check_character(first17: str) -> str:
    total = sum(_char_value(ch) * (2**i) for i, ch in enumerate(first17))
    return str(total % 11 % 10)


def mrn_new(*, at: datetime) -> str:
    body = f"{at:%y}{settings.SW_MRN_COUNTRY}" + "".join(secrets.choice(_ALPHABET) for _ in range(13))
    return body + mrn_check_character(body)


def mrn_is_valid(mrn: str) -> bool:
    return (
        len(mrn) == 18
        and mrn[:2].isdigit()
        and all(ch in _ALPHABET for ch in mrn)
        and mrn_check_character(mrn[:17]) == mrn[17]
    )
