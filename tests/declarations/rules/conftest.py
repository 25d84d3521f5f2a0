"""Fixtures: valid baseline declarations (see ``builders``) that each test breaks in one place."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from declarations.canonical import DeclarationData, ItemData

from .builders import build_export, build_import, import_item


@pytest.fixture
def valid_import() -> DeclarationData:
    return build_import()


@pytest.fixture
def valid_export() -> DeclarationData:
    return build_export()


@pytest.fixture
def item() -> Callable[..., ItemData]:
    """A valid import goods item; keyword arguments replace its fields."""
    return import_item
