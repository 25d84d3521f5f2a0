"""Placeholder: WCO class-code pointers (being written)."""

from __future__ import annotations

from declarations.canonical import DeclarationData


def pointer_for_field(field: str, data: DeclarationData | None = None) -> str:
    return ""
