"""Release verification codes: printed on the release note, checked by a gate at ``/verify/<code>``.

A code is 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U), drawn with
``secrets``: 30^12 ≈ 2^59 codes, so guessing one that exists is hopeless even without the lookup's
rate limit. It is stored grouped (``ABCD-EFGH-JKMN``) and looked up only by itself, never by MRN.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # 30 letters and digits nobody misreads
LENGTH = 12
GROUP = 4
_NOT_CODE = re.compile(r"[\s\-_.]+")


def verification_code_new() -> str:
    """A fresh random code, grouped for reading aloud: ``ABCD-EFGH-JKMN``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return _grouped(raw)


def verification_code_normalise(text: str) -> str | None:
    """The stored form of what someone typed (any case, spaces or dashes anywhere), or None when it
    cannot be a code (wrong length or a character outside the alphabet): no lookup is made then."""
    raw = _NOT_CODE.sub("", text or "").upper()
    if len(raw) != LENGTH or any(c not in ALPHABET for c in raw):
        return None
    return _grouped(raw)


def _grouped(raw: str) -> str:
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))
