"""Every page writes a date and time one way, with the time zone, in English and in French."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation

from agencies.templatetags.reviews import when

MOMENT = datetime(2026, 3, 12, 9, 5, tzinfo=UTC)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def render(source: str, value: datetime) -> str:
    return Template(source).render(Context({"value": value}))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_datetime_format_is_iso_order_with_the_zone_in_every_language(language):
    with translation.override(language):
        assert render('{{ value|date:"DATETIME_FORMAT" }}', MOMENT) == "2026-03-12 09:05 UTC"
        assert render('{{ value|date:"SHORT_DATETIME_FORMAT" }}', MOMENT) == "2026-03-12 09:05 UTC"
        assert render('{{ value|date:"DATE_FORMAT" }}', MOMENT) == "2026-03-12"
        assert when(MOMENT) == "2026-03-12 09:05 UTC"


@override_settings(TIME_ZONE="Europe/Paris")
def test_times_are_shown_in_the_installation_zone_and_name_it():
    with translation.override("fr"):
        assert render('{{ value|date:"DATETIME_FORMAT" }}', MOMENT) == "2026-03-12 10:05 CET"
        # ``when`` also reads times stored as ISO text (in JSON fields).
        assert when("2026-07-01T12:00:00+00:00") == "2026-07-01 14:00 CEST"


def test_templates_write_dates_only_in_the_shared_formats():
    """A template that spells its own date format (``"d/m/Y"``, ``"e"``) would break the one format."""
    allowed = {
        "DATETIME_FORMAT",
        "SHORT_DATETIME_FORMAT",
        "DATE_FORMAT",
        "SHORT_DATE_FORMAT",
        "YEAR_MONTH_FORMAT",
        "c",
    }
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        formats = re.findall(r"\|date:[\"']([^\"']*)[\"']", text)
        found += [f"{path.relative_to(TEMPLATES)}: {fmt}" for fmt in formats if fmt not in allowed]
        if re.search(r"\|(date|time)\s*}}", text):
            found.append(f"{path.relative_to(TEMPLATES)}: a date filter without a format")
    assert found == []
