"""The payments app in the admin: each area registers its models in its own module."""

from __future__ import annotations

from . import (
    admin_facilities,  # noqa: F401 - registers guarantees, deferment accounts, statements
    admin_tariff,  # noqa: F401 - registers tariff measures, exchange rates, fees, assessments
)
