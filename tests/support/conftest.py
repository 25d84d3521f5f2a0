"""Declarations for the help desk's tests: the importer's, lodged (routing waits for a commit that
never comes inside a test), and one released."""

from __future__ import annotations

import pytest

from accounts.models import User
from declarations.api.serializers import DeclarationInputSerializer
from declarations.models import Channel, Declaration, Status
from declarations.services import declaration_lodge
from tests.declarations.payloads import import_payload
from tests.factories import UserFactory


def lodge(user: User, lrn: str) -> Declaration:
    serializer = DeclarationInputSerializer(data=import_payload(lrn=lrn))
    assert serializer.is_valid(), serializer.errors
    return declaration_lodge(
        user=user, data=serializer.to_declaration_data(), channel=Channel.API_JSON
    ).declaration


@pytest.fixture
def declaration(importer: User) -> Declaration:
    return lodge(importer, "HELP-0001")


@pytest.fixture
def released(declaration: Declaration) -> Declaration:
    Declaration.objects.filter(pk=declaration.pk).update(status=Status.RELEASED)
    declaration.refresh_from_db()
    return declaration


@pytest.fixture
def desk_admin(db: None) -> User:
    return UserFactory(username="desk_admin", role="admin")
