"""An import licensing agency with the licences of HMRC's Trade Test 4.2 licence cases, and lodging.

TC020 writes off 100 kg of GBOIL000002-0001 (document 9100, chapter 26 ores), TC021 writes off
10.00 GBP of GBCPI000004-0001 (document L001, chapter 35), TC041 declares GBOIL000011-0001, which
no agency issued. The samples' importers are GB025115100007, GB025115100004 and GB025115100006.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.access import account_add_member
from accounts.models import TraderAccount, User
from agencies.access import agency_add_officer
from agencies.licences import LicenceInput, licence_register
from agencies.models import Agency, Licence, RoutingRule
from declarations.models import Declaration
from tests.factories import AgencyFactory, TraderAccountFactory, UserFactory

TT42 = Path(settings.SHARED_DATA_DIR) / "wco-dms" / "hmrc-tt1" / "Trade_Test_4.2_Sample_Messages"
TC020 = TT42 / "TT4_2_TC020_DiT_Licensing_Qnty_Exceeded_On_License.xml"
TC021 = TT42 / "TTM4_2_TC021_RPA_Licensing_Value_Available_On_License.xml"
TC041 = TT42 / "TTM4_2_TC041_Invalid_DiT_License.xml"
OIL_TRADER = "GB025115100007"  # TC020
RPA_TRADER = "GB025115100004"  # TC021
CHEMICALS_TRADER = "GB025115100006"  # TC041

VALID_FROM = datetime.date(2017, 1, 1)
VALID_UNTIL = datetime.date(2030, 12, 31)


def licence_for(
    agency: Agency,
    *,
    code: str,
    number: str,
    holder: str,
    hs: list[str],
    quantity: str | None = None,
    unit: str = "KGM",
    value: str | None = None,
    currency: str = "GBP",
    valid_from: datetime.date = VALID_FROM,
    valid_until: datetime.date = VALID_UNTIL,
    actor: User | None = None,
) -> Licence:
    TraderAccountFactory(eori=holder)
    return licence_register(
        agency=agency,
        actor=actor,
        data=LicenceInput(
            document_code=code,
            number=number,
            holder_eori=holder,
            valid_from=valid_from,
            valid_until=valid_until,
            hs_prefixes=hs,
            quantity_allowance=Decimal(quantity) if quantity is not None else None,
            quantity_unit=unit if quantity is not None else "",
            value_allowance=Decimal(value) if value is not None else None,
            value_currency=currency if value is not None else "",
        ),
    )


@pytest.fixture
def licensing(db: None) -> Agency:
    """Import licensing: ores of chapter 26 and casein glues of chapter 35 (as the TT 4.2 cases)."""
    AgencyFactory(code="customs", name="Customs and Excise", is_customs=True, service_level_hours=4)
    agency = AgencyFactory(code="import-licensing", name="Import Licensing Office", service_level_hours=24)
    RoutingRule.objects.create(
        agency=agency, name="Ores and slag", hs_prefix="26", required_documents=["9100"]
    )
    RoutingRule.objects.create(agency=agency, name="Albuminoidal substances", hs_prefix="35")
    return agency


@pytest.fixture
def licensing_officer(licensing: Agency) -> User:
    user = UserFactory(username="licensing_officer", role="officer")
    agency_add_officer(agency=licensing, user=user)
    return user


def trader(eori: str, username: str) -> User:
    account: TraderAccount = TraderAccountFactory(eori=eori)
    user = UserFactory(username=username, role="trader")
    account_add_member(account=account, user=user)
    return user


def lodge_xml(user: User, body: bytes, capture: Any) -> Declaration:
    """Lodge a WCO DMS message through the API as ``user``; routing runs after commit (eager)."""
    client = APIClient()
    client.force_authenticate(user)
    with capture(execute=True):
        response = client.post("/api/v1/declarations", body, content_type="application/xml")
    assert response.status_code == 201, response.json()
    return Declaration.objects.get(mrn=response.json()["mrn"])
