"""Placeholder: the portal's business and reference-data rules (being written)."""

from __future__ import annotations

from .canonical import DeclarationData, Issue


def check_declaration(data: DeclarationData) -> list[Issue]:
    return []
