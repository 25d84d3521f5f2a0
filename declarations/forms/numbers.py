"""Numbers as people write them in the page's language: ``1,234.5`` in English, ``1 234,5`` in French.

Read strictly, so that a number is never misread: the language's decimal mark, thousands grouped
by threes (by a space in any language, by a comma in English, by a point in French), and nothing
else. What could be read two ways is refused with both readings, never decided: in French
``1.250`` is 1250 to some and 1.25 to others; in English ``1.234,5`` has its marks the wrong way
round. An exponent (``1e5``), a sign other than a leading minus, or a stray letter is refused.

Shown grouped the same way (``1,234.5``; ``1 234,5`` with a no-break space), with no trailing zeros
(``25.000`` from the database is ``25``). A draft keeps what was typed and the language it was typed
in; shown in another language, its numbers are rewritten (``numbers_in_language``), so a draft
saved in French is not misread in English. What could not be read stays as typed.

Babel's ``parse_decimal`` was tried and left: in French it reads ``1.250`` as 1.25, refuses an
ordinary space between thousands and accepts ``1e5``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

# Spaces people put between thousands: space, no-break space, narrow no-break space, thin space.
SPACES = " \u00a0\u202f\u2009"
_SPACES = re.compile(f"[{SPACES}]")
# Longer than any number a declaration holds (18 digits, their separators, a sign): not read at all.
MAX_TYPED = 40
# The key of a draft's payload naming the language its numbers were typed in.
LANGUAGE_KEY = "_language"


class NumberFormatError(ValueError):
    """``text`` is no number as written in the language; ``readings`` are its possible meanings."""

    def __init__(self, text: str, readings: tuple[Decimal, ...] = ()) -> None:
        super().__init__(text)
        self.text = text
        self.readings = readings


def separators(language: str | None = None) -> tuple[str, str]:
    """The decimal mark and the thousands separator of ``language`` (default: the active one)."""
    lang = language or translation.get_language() or "en"
    decimal = str(formats.get_format("DECIMAL_SEPARATOR", lang))
    thousands = str(formats.get_format("THOUSAND_SEPARATOR", lang))
    return decimal, thousands


def parse_number(text: str, language: str | None = None) -> Decimal | None:
    """The number ``text`` writes in ``language``; None for an empty text; ``NumberFormatError`` else."""
    value = text.strip()
    if not value:
        return None
    if len(value) > MAX_TYPED:
        # No amount of the declaration is this long: refused before any reading is worked out.
        raise NumberFormatError(value)
    decimal, thousands = separators(language)
    other = "," if decimal == "." else "."
    negative = value.startswith("-")
    body = value[1:] if negative else value
    if not body or not re.fullmatch(rf"[0-9{re.escape(decimal + other)}{SPACES}]+", body):
        raise NumberFormatError(value)
    whole, _mark, fraction = body.partition(decimal)
    if decimal in fraction or (fraction == "" and _mark) or not re.fullmatch(r"\d*", fraction):
        raise NumberFormatError(value, _readings(value, decimal, other))
    # ".5" in English, ",5" in French: no whole part is a zero.
    digits = "0" if whole == "" and fraction else _whole_digits(whole, other)
    if digits is None:
        raise NumberFormatError(value, _readings(value, decimal, other))
    if not _mark and other in whole and other != thousands and whole.count(other) == 1:
        # One point (in French) before three digits and no decimal comma: a thousands separator
        # to some, a decimal point to others. Say both rather than choose.
        raise NumberFormatError(value, _readings(value, decimal, other))
    return Decimal(f"{'-' if negative else ''}{digits}{'.' + fraction if fraction else ''}")


def _whole_digits(whole: str, other: str) -> str | None:
    """The digits of the whole part: plain, or grouped by threes with one kind of separator."""
    if re.fullmatch(r"\d+", whole):
        return whole
    unified = _SPACES.sub(" ", whole)
    marks = {c for c in unified if not c.isdigit()}
    if len(marks) != 1 or marks - {" ", other}:
        return None
    mark = marks.pop()
    if not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(mark)}\d{{3}})+", unified):
        return None
    return unified.replace(mark, "")


def _readings(body: str, decimal: str, other: str) -> tuple[Decimal, ...]:
    """What a text that mixes the marks could mean, each mark taken as decimal in turn."""
    out: list[Decimal] = []
    for point, group in ((other, decimal), (decimal, other)):
        candidate = _SPACES.sub("", body).replace(group, "")
        if candidate.count(point) <= 1:
            try:
                reading = Decimal(candidate.replace(point, "."))
            except InvalidOperation:
                continue
            if reading not in out:
                out.append(reading)
    return tuple(out)


def format_number(value: Decimal | int | float | str | None, language: str | None = None) -> str:
    """``value`` grouped by thousands in ``language``, without trailing zeros (``1,234.5``)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    decimal, thousands = separators(language)
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _dot, fraction = text.partition(".")
    head = len(whole) % 3 or 3
    groups = [whole[:head]] + [whole[i : i + 3] for i in range(head, len(whole), 3)]
    out = sign + thousands.join(groups)
    return f"{out}{decimal}{fraction}" if fraction else out


def convert_number(text: str, source: str, target: str) -> str:
    """A number typed in language ``source`` written for ``target``; unreadable text stays as typed."""
    if source == target:
        return text
    try:
        number = parse_number(text, source)
    except NumberFormatError:
        return text
    return format_number(number, target)


def numbers_in_language(
    payload: dict[str, Any], *, header: Iterable[str], item: Iterable[str], target: str
) -> dict[str, Any]:
    """A draft's payload with its number fields (``header``, each item's ``item``) written for
    ``target``, from the language the draft records (``LANGUAGE_KEY``; none: left as they are)."""
    source = payload.get(LANGUAGE_KEY)
    if not isinstance(source, str) or source == target:
        return payload
    out = dict(payload)
    for name in header:
        if isinstance(out.get(name), str):
            out[name] = convert_number(out[name], source, target)
    items = []
    for row in out.get("items") or []:
        if isinstance(row, dict):
            row = dict(row)
            for name in item:
                if isinstance(row.get(name), str):
                    row[name] = convert_number(row[name], source, target)
        items.append(row)
    out["items"] = items
    out[LANGUAGE_KEY] = target
    return out


def shown(text: str, limit: int = MAX_TYPED) -> str:
    """What was typed, as a message repeats it: cut with an ellipsis past ``limit`` characters."""
    return text if len(text) <= limit else text[:limit] + "…"


def example(language: str | None = None) -> str:
    return format_number(Decimal("1234.5"), language)


def number_error(error: NumberFormatError, language: str | None = None) -> str:
    """The message for a number that cannot be read: its possible readings, or how to write it."""
    readings = [format_number(r, language) for r in error.readings]
    if len(readings) >= 2:
        return str(
            _("“%(text)s” could be read as %(first)s or as %(second)s. Write it as one of them.")
            % {"text": shown(error.text), "first": readings[0], "second": readings[1]}
        )
    return str(_("Enter a number, like %(example)s.") % {"example": example(language)})


class NumberInput(forms.TextInput):
    """A text input with a decimal keypad showing numbers grouped in the page's language.

    Not ``<input type=number>``: it drops or rejects grouped input without a word, by browser.
    """

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"class": "input--medium", "inputmode": "decimal", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        # A number is shown grouped; a text (what the trader typed) exactly as typed.
        if isinstance(value, Decimal | int | float):
            return format_number(value)
        return super().format_value(value)


class NumberField(forms.DecimalField):
    """A decimal read as the page's language writes it (``parse_number``), checked for digits and range."""

    widget = NumberInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", NumberInput())
        super().__init__(**kwargs)
        self.widget.attrs.pop("step", None)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # No min/max/step attributes: the server's message says what is wrong, not the browser.
        return {}

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            number = parse_number(str(value))
        except NumberFormatError as exc:
            raise forms.ValidationError(number_error(exc), code="invalid") from None
        return number
