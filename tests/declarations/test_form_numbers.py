"""Numbers as the page's language writes them: read strictly, never misread, shown grouped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from declarations.forms.numbers import (
    LANGUAGE_KEY,
    NumberField,
    NumberFormatError,
    format_number,
    number_error,
    numbers_in_language,
    parse_number,
)


@pytest.mark.parametrize(
    ("language", "text", "number"),
    [
        ("en", "1,234.5", "1234.5"),
        ("en", "1 234.5", "1234.5"),
        ("en", "1,234,567.125", "1234567.125"),
        ("en", "1234.5", "1234.5"),
        ("en", "1,250", "1250"),
        ("en", ".5", "0.5"),
        ("fr", "1 234,5", "1234.5"),
        ("fr", "1\u00a0234,5", "1234.5"),
        ("fr", "1\u202f234,5", "1234.5"),
        ("fr", "1.234,5", "1234.5"),
        ("fr", "1.234.567", "1234567"),
        ("fr", "1234,5", "1234.5"),
        ("fr", "-0,5", "-0.5"),
    ],
)
def test_numbers_are_read_as_the_language_writes_them(language, text, number):
    assert parse_number(text, language) == Decimal(number)


@pytest.mark.parametrize(
    ("language", "text", "readings"),
    [
        # The marks the other way round: refused with both readings, never one picked.
        ("en", "1.234,5", ("1234.5", "1.2345")),
        ("fr", "1,234.5", ("1234.5", "1.2345")),
        # One point before three digits in French: a thousands point to some, a decimal to others.
        ("fr", "1.250", ("1.25", "1250")),
        ("en", "1,5", ("1.5", "15")),
        ("fr", "1234.5", ("1234.5", "12345")),
    ],
)
def test_what_could_be_read_two_ways_is_refused_with_both_readings(language, text, readings):
    with pytest.raises(NumberFormatError) as error:
        parse_number(text, language)
    assert set(error.value.readings) == {Decimal(r) for r in readings}


@pytest.mark.parametrize("text", ["1e5", "12a", "1,2,3", "1 23", "5.", "--1", "+1", "1.234.567,8.9", "NaN"])
def test_what_is_no_number_is_refused(text):
    with pytest.raises(NumberFormatError):
        parse_number(text, "en")


def test_the_message_gives_both_readings_in_the_language():
    with translation.override("fr"):
        try:
            parse_number("1.250")
        except NumberFormatError as exc:
            message = number_error(exc)
    assert "1,25" in message
    assert "1\u00a0250" in message


def test_numbers_are_shown_grouped_without_trailing_zeros():
    assert format_number(Decimal("1234567.125"), "en") == "1,234,567.125"
    assert format_number(Decimal("25.000"), "en") == "25"
    assert format_number(Decimal("1E+3"), "en") == "1,000"
    assert format_number(Decimal("1234.5"), "fr") == "1\u00a0234,5"
    assert format_number(Decimal("-1234"), "fr") == "-1\u00a0234"


class AmountForm(forms.Form):
    amount = NumberField(max_digits=18, decimal_places=3, min_value=Decimal(0), required=False)


@pytest.mark.parametrize(("language", "typed"), [("en", "1,234.5"), ("fr", "1 234,5"), ("fr", "1.234,5")])
def test_the_field_reads_the_number_in_the_page_language(language, typed):
    with translation.override(language):
        form = AmountForm({"amount": typed})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == Decimal("1234.5")


def test_the_field_refuses_the_other_language_s_writing_with_an_error():
    with translation.override("en"):
        form = AmountForm({"amount": "1.234,5"})
        assert not form.is_valid()
    assert "could be read as 1,234.5 or as 1.2345" in form.errors["amount"][0]


def test_the_field_still_checks_its_digits():
    with translation.override("en"):
        form = AmountForm({"amount": "1.2345"})
        assert not form.is_valid()
    assert "3 decimal places" in form.errors["amount"][0]


def test_the_input_shows_a_number_grouped_and_a_typed_text_as_typed():
    with translation.override("fr"):
        assert 'value="1\u00a0234,5"' in str(AmountForm(initial={"amount": Decimal("1234.5")})["amount"])
        assert 'value="1,234.5"' in str(AmountForm({"amount": "1,234.5"})["amount"])
        assert "maxlength" not in str(AmountForm()["amount"])


def test_a_draft_typed_in_french_is_shown_in_english_without_misreading():
    payload = {
        LANGUAGE_KEY: "fr",
        "invoice_amount": "1 250,5",
        "lrn": "X",
        "items": [{"net_mass": "1,250", "gross_mass": "1.250"}],
    }
    shown = numbers_in_language(
        payload, header=["invoice_amount"], item=["net_mass", "gross_mass"], target="en"
    )
    assert shown["invoice_amount"] == "1,250.5"
    assert shown["items"][0]["net_mass"] == "1.25"
    # Unreadable in French (1,25 or 1250?): kept as typed, for the trader to settle.
    assert shown["items"][0]["gross_mass"] == "1.250"
    assert shown["lrn"] == "X"


def test_a_huge_typed_number_is_refused_at_once_and_not_repeated_whole():
    typed = "1." + "234." * 250_000 + "5"  # a million characters of plausible grouping
    with pytest.raises(NumberFormatError) as error:
        parse_number(typed, "fr")
    assert error.value.readings == ()
    assert len(number_error(error.value, "fr")) < 200


def test_long_numbers_are_grouped_from_the_right():
    assert format_number(Decimal("123456789012345678"), "en") == "123,456,789,012,345,678"
    assert format_number(Decimal("12"), "en") == "12"
