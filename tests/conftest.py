"""Shared fixtures: the personas of the test suite and the real data beside the project.

Personas, after the demo: ``importer`` (member of the importer account GB553202734852),
``exporter`` (GB427168118378), ``broker`` (member of the broker account GB603202734852 and
authorised to represent importer, exporter and their XI twins), ``supervisor``, ``outsider``
(a trader of an unrelated account).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from accounts.access import account_add_member, account_authorise_representative
from accounts.models import TraderAccount, User

from .factories import PASSWORD, TraderAccountFactory, UserFactory
from .two_factor import PortalClient

DATA = Path(settings.SHARED_DATA_DIR)
SAMPLES = DATA / "wco-dms" / "samples"
TT1 = DATA / "wco-dms" / "hmrc-tt1"

IMPORTER_EORI = "GB553202734852"
EXPORTER_EORI = "GB427168118378"
BROKER_EORI = "GB603202734852"


IN_CI = os.environ.get("CI") == "true"


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not DATA.is_dir():
        raise pytest.UsageError(f"the shared data must be beside the project: {DATA} is missing")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Full-stack tests need PostgreSQL: in CI its absence fails the run, elsewhere they skip."""
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if on_postgres:
        return
    if IN_CI and any(item.get_closest_marker("fullstack") for item in items):
        raise pytest.UsageError(
            "CI: full-stack tests need PostgreSQL; set DATABASE_URL (see scripts/test.sh)"
        )
    skip = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL); run through `make test`")
    for item in items:
        if item.get_closest_marker("fullstack"):
            item.add_marker(skip)


@pytest.fixture
def client() -> PortalClient:
    """pytest-django's client, whose ``force_login`` also gives the second factor where the user's role
    requires it (``force_login(user, verified=False)`` stops after the password)."""
    return PortalClient()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def importer_account(db: None) -> TraderAccount:
    return TraderAccountFactory(eori=IMPORTER_EORI, name="Clippers Import Ltd")


@pytest.fixture
def exporter_account(db: None) -> TraderAccount:
    return TraderAccountFactory(eori=EXPORTER_EORI, name="Sports Goods Export Ltd")


@pytest.fixture
def broker_account(db: None) -> TraderAccount:
    return TraderAccountFactory(eori=BROKER_EORI, name="Harbour Customs Brokers", is_broker=True)


@pytest.fixture
def importer(importer_account: TraderAccount) -> User:
    user = UserFactory(username="importer", role="trader")
    account_add_member(account=importer_account, user=user)
    return user


@pytest.fixture
def exporter(exporter_account: TraderAccount) -> User:
    user = UserFactory(username="exporter", role="trader")
    account_add_member(account=exporter_account, user=user)
    return user


@pytest.fixture
def broker(
    broker_account: TraderAccount, importer_account: TraderAccount, exporter_account: TraderAccount
) -> User:
    user = UserFactory(username="broker", role="broker")
    account_add_member(account=broker_account, user=user)
    for account in (importer_account, exporter_account):
        account_authorise_representative(account=account, user=user)
    return user


@pytest.fixture
def supervisor(db: None) -> User:
    return UserFactory(username="supervisor", role="supervisor")


@pytest.fixture
def outsider(db: None) -> User:
    account = TraderAccountFactory(eori="GB999999999999", name="Unrelated Trading Ltd")
    user = UserFactory(username="outsider", role="trader")
    account_add_member(account=account, user=user)
    return user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Sign-in and seeding are exercised, not the cost of PBKDF2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_unless_asked(settings) -> Iterator[None]:
    """Each test starts in English: a French request must not leak its language into the next test."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
