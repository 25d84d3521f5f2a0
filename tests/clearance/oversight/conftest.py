"""Oversight personas: officers of two agencies, a supervisor and an administrator (customs exists)."""

from __future__ import annotations

import pytest

from accounts.models import User
from agencies.models import Agency
from tests.factories import UserFactory


@pytest.fixture
def admin(db: None) -> User:
    return UserFactory(username="admin", role="admin")


@pytest.fixture
def cashier(db: None) -> User:
    return UserFactory(username="cashier", role="cashier")


@pytest.fixture
def oversight(agencies: dict[str, Agency]) -> dict[str, Agency]:
    """The agencies of the tests (customs, plant health, food safety, standards)."""
    return agencies
