"""Shared fixtures: the personas of the test suite and the real data beside the project.

Personas, after the demo: ``importer`` (member of the importer account GB553202734852),
``exporter`` (GB427168118378), ``broker`` (member of the broker account GB603202734852 and
authorised to represent importer, exporter and their XI twins), ``supervisor``, ``outsider``
(a trader of an unrelated account).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from accounts.access import account_add_member, account_authorise_representative
from accounts.models import TraderAccount, User

from .factories import PASSWORD, TraderAccountFactory, UserFactory

DATA = Path(settings.SHARED_DATA_DIR)
SAMPLES = DATA / "wco-dms" / "samples"
TT1 = DATA / "wco-dms" / "hmrc-tt1"

IMPORTER_EORI = "GB553202734852"
EXPORTER_EORI = "GB427168118378"
BROKER_EORI = "GB603202734852"


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") == "true" and not DATA.is_dir():
        raise pytest.UsageError(f"the shared data must be beside the project: {DATA} is missing")


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
def broker(broker_account: TraderAccount, importer_account: TraderAccount, exporter_account: TraderAccount) -> User:
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
