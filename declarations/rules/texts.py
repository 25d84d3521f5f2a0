"""Text a declaration message can carry: one line, XML characters, the schema element's length and shape."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.translation import gettext as _

from declarations import catalogue
from declarations.canonical import (
    DeclarationData,
    DocumentData,
    Issue,
    ItemData,
    PartyData,
    TaxLineData,
)

from .base import _error
from .limits import _STORED_AS, TextLimit, text_limits

# XML 1.0 cannot carry C0 control characters other than tab and line breaks, surrogates, U+FFFE
# and U+FFFF (lxml refuses to write them); the schema's text types are one line (their pattern's
# ``.`` matches no line break); a tab is an input accident in a one-line field. All are refused.
_NOT_WRITABLE = re.compile(r"[\x00-\x1f\ud800-\udfff\ufffe\uffff]")


def _text_label(record: type, name: str) -> str:
    """How a message names a text: its label in the field catalogue."""
    return str(catalogue.element_of(record, name).label)


def _check_texts(
    prefix: str, where: str, record: DeclarationData | ItemData | DocumentData | PartyData | TaxLineData
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
            label = _text_label(type(record), name)
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
            % {"where": where, "label": label, "value": _shown(text), "shape": limit.shape},
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
